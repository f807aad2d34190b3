"""A log handler that notes every record containing one of the given personal values.

Installed for the whole test session by conftest.py at DEBUG, with the production per-logger levels
(bot.logs.PINNED_LEVELS); `python -m bot` commands run by tests reconfigure logging, so the watch
re-attaches itself after them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator

import pytest

from bot import cli
from bot.logs import PINNED_LEVELS, setup_logging


class PersonalDataWatch(logging.Handler):
    def __init__(self, values: Iterable[str]) -> None:
        super().__init__(logging.DEBUG)
        self.values = tuple(values)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        text += f"\n{record.exc_text or ''}\n{record.stack_info or ''}"
        for i, value in enumerate(self.values):
            if value in text:
                self.leaks.append(f"personal value #{i} in a {record.levelname} record of {record.name!r}: "
                                  f"{record.msg!r}")

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        root = logging.getLogger()
        previous = root.level

        def attach() -> None:
            root.setLevel(logging.DEBUG)
            for name, level in PINNED_LEVELS.items():
                logging.getLogger(name).setLevel(level)
            if self not in root.handlers:
                root.addHandler(self)

        def setup_then_attach(level: str = "INFO") -> None:
            setup_logging(level)
            for handler in root.handlers:  # the command's own output stays at its configured level
                handler.setLevel(level.upper())
            attach()

        attach()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(cli, "setup_logging", setup_then_attach)
            try:
                yield
            finally:
                root.removeHandler(self)
                root.setLevel(previous)
