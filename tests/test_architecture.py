"""The layers' dependencies point one way (bot → handlers → flows → storage), and a feature package
uses the shared runtime and its own lower layers, never another feature's modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("storage", "flows", "handlers", "bot")  # each may import only those before it
# What a layer must not import besides higher layers: conversations stay channel-agnostic.
FORBIDDEN = {
    "storage": ("aiohttp",),
    "flows": ("aiohttp",),
    "handlers": ("aiohttp",),
}
# Sub-packages every feature may use: the Zalo client, the test doubles, text understanding, and the staff
# console's frame (sign-in, roles, CSRF, audit, page rendering), in which each feature serves its own pages.
SHARED = {"zalo", "testing", "text", "console"}


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imported_modules(path: Path) -> list[str]:
    """Every absolute import in the file, at any depth (imports inside functions count too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def feature_packages() -> set[str]:
    """Every sub-package of a layer is a feature (lookups, broadcasts, …) unless it is shared runtime."""
    return {init.parent.name for layer in LAYERS for init in (ROOT / layer).glob("*/__init__.py")} - SHARED


def feature_of(module: str, features: set[str]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] in LAYERS and parts[1] in features else None


def violations() -> list[str]:
    features = feature_packages()
    found: list[str] = []
    for rank, layer in enumerate(LAYERS):
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = module_name(path)
            for target in imported_modules(path):
                top = target.split(".")[0]
                if top in LAYERS[rank + 1:] or top in FORBIDDEN.get(layer, ()):
                    found.append(f"{source} imports {target} (a {layer} module must not)")
                theirs, ours = feature_of(target, features), feature_of(source, features)
                if theirs is not None and ours is not None and theirs != ours:
                    found.append(f"{source} imports {target} (feature {ours} reaches into feature {theirs})")
    return found


def test_features_are_found() -> None:
    assert {"lookups", "broadcasts", "procedures"} <= feature_packages()


def test_dependencies_point_down_and_features_keep_to_themselves() -> None:
    found = violations()
    assert not found, "\n".join(found)
