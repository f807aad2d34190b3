"""The admin-editable flow configuration: resident-facing texts and the main menu."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

DEFAULT_DIR = Path(__file__).with_name("default")


class MenuEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    payload: str


class Texts(BaseModel):
    model_config = ConfigDict(extra="allow")  # later features add their own keys
    welcome: str
    menu_title: str
    not_built: str
    fallback: str
    error: str
    rate_limited: str
    handoff: str
    handoff_resume: str
    attachment: str
    unfollow_bye: str = ""
    back_to_menu: str = "Về menu"

    def get(self, key: str, **values: str) -> str:
        raw = getattr(self, key, None)
        if not isinstance(raw, str):
            raise KeyError(f"texts.{key} is not configured")
        return raw.format_map(_Defaulting(values))


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class FlowTexts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: Texts
    menu: list[MenuEntry]


class FlowConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_texts(folder: Path | None = None) -> FlowTexts:
    path = (folder or DEFAULT_DIR) / "texts.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return FlowTexts.model_validate(data)
    except FileNotFoundError:
        raise FlowConfigError([f"{path.name}: file not found"]) from None
    except tomllib.TOMLDecodeError as e:
        raise FlowConfigError([f"{path.name}: not valid TOML: {e}"]) from None
    except ValidationError as e:
        raise FlowConfigError(
            [f"{path.name}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()]
        ) from None
