"""Reading the admin-editable TOML files, with errors that name the file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_toml(path: Path | str, error: Callable[[list[str]], Exception], prefix: str = "") -> dict[str, Any]:
    """Parsed file; a missing or malformed one raises `error([line])`, the line starting with `prefix`."""
    path = Path(path)
    lead = f"{prefix}: {path.name}" if prefix else path.name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error([f"{lead}: file not found"]) from None
    except tomllib.TOMLDecodeError as e:
        raise error([f"{lead}: not valid TOML: {e}"]) from None
