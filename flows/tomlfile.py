"""The admin-editable flow configuration as a set of TOML texts, one per file name, and reading them with
errors that name the file.

The shipped defaults are files in `flows/default/`; the running service keeps its configuration as
versions in the database. Both are a `FlowFiles`: file name → TOML text, so one loader reads either.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).with_name("default")


class FlowFiles(Mapping[str, str]):
    """File name → TOML text (immutable)."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = dict(sorted(files.items()))

    @classmethod
    def from_folder(cls, folder: Path | None = None) -> FlowFiles:
        """The shipped defaults, each replaced by the folder's file of the same name when it has one."""
        found = {p.name: p for p in sorted(DEFAULT_DIR.glob("*.toml"))}
        if folder is not None:
            found.update({p.name: p for p in sorted(Path(folder).glob("*.toml"))})
        return cls({name: p.read_text(encoding="utf-8") for name, p in found.items()})

    def replaced(self, changes: Mapping[str, str]) -> FlowFiles:
        return FlowFiles({**self._files, **changes})

    def matching(self, pattern: str) -> list[str]:
        return [name for name in self._files if fnmatch.fnmatchcase(name, pattern)]

    def read(self, name: str, error: Callable[[list[str]], Exception], prefix: str = "") -> dict[str, Any]:
        """Parsed file; a missing or malformed one raises `error([line])`, the line starting with `prefix`."""
        lead = f"{prefix}: {name}" if prefix else name
        if name not in self._files:
            raise error([f"{lead}: file not found"])
        return parse_toml(self._files[name], lambda message: error([f"{lead}: {message}"]))

    def __getitem__(self, name: str) -> str:
        return self._files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def parse_toml(text: str, error: Callable[[str], Exception]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"not valid TOML: {e}") from None
