"""A draft scored on the scripted conversations (`[flows] eval_conversations`), beside the active set.

Each set is played by the conversation evaluator in a child process at low priority: the evaluation is
CPU work for several seconds, which must not take the service's event loop from residents. The child
gets the configuration as JSON on its standard input (no secret is written to disk) and the flow files
as a folder; it prints the evaluator's summary as its last line.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import AppConfig

TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class ConversationScores:
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def dropped(self) -> bool:
        return any((self.after.get(k) or 0) < (self.before.get(k) or 0) - 1e-9 for k in ("turns", "follow_ups"))


def _lower_priority() -> None:
    os.nice(10)


async def _play(config: AppConfig, files: Mapping[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="motcua-score-") as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_text(content, encoding="utf-8")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.editor.conversation_score", config.flows.eval_conversations, tmp,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=_lower_priority)
        try:
            out, err = await asyncio.wait_for(child.communicate(config.model_dump_json().encode()), TIMEOUT_SECONDS)
        except TimeoutError:
            child.kill()
            await child.wait()
            raise RuntimeError(f"flows.eval_conversations: no result within {TIMEOUT_SECONDS} s") from None
    lines = out.decode().strip().splitlines()
    if child.returncode != 0 or not lines:
        reason = (err.decode().strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"flows.eval_conversations: {reason}")
    return dict(json.loads(lines[-1]))


async def compare(config: AppConfig, before: Mapping[str, str], after: Mapping[str, str]) -> ConversationScores:
    """Raises RuntimeError (its message names the setting) when a set cannot be played."""
    return ConversationScores(await _play(config, before), await _play(config, after))


async def _child(path: str, flows: str) -> None:
    from bot.testing.conversations import evaluate
    from storage.types import utcnow

    config = AppConfig.model_validate_json(sys.stdin.buffer.read())
    with contextlib.redirect_stdout(io.StringIO()):  # the report: only the summary is wanted
        summary = await evaluate(config, Path(path), None, utcnow, Path(flows))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    from bot.logs import setup_logging

    setup_logging("WARNING")
    asyncio.run(_child(sys.argv[1], sys.argv[2]))
