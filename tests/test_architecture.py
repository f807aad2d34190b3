"""The layers' dependencies point one way (bot → handlers → flows → storage), a feature package uses the
shared runtime and its own lower layers, never another feature's modules, and the shared runtime sees of a
feature only what it declares (outside the few places that wire features in)."""

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
# Where the shared runtime wires the features in: these may import any feature's modules.
WIRING = {"bot.features", "bot.config", "bot.services", "flows.services", "storage.schema"}
# What a feature shows the rest of the service: its declaration (`Feature`), its configuration section, and
# its tables with their status vocabulary. Its flows, repositories, API, CLI and background work are its own.
FACES = {"feature", "config", "models"}
# Shared modules that still reach into a feature's own modules, and why. The test fails on any other such
# import, and on an entry here that is no longer needed, so the list only shrinks.
KNOWN = {
    ("flows.text.lexicon", "flows.procedures.catalog"): "understanding is built on the procedures catalog",
    ("flows.text.rank", "flows.procedures.catalog"): "understanding is built on the procedures catalog",
    ("flows.text.understand", "flows.procedures.catalog"): "understanding is built on the procedures catalog",
    ("bot.cli", "flows.procedures.catalog"): "check-config reports the catalog's problems",
    ("handlers.conversation", "flows.procedures.flow"): "a follow-up question answers an aspect of a procedure",
    ("bot.testing.demo", "bot.broadcasts.news"): "the sandbox's demo data fills every feature",
    ("bot.testing.demo", "bot.lookups.sync"): "the sandbox's demo data fills every feature",
    ("bot.testing.demo", "bot.lookups.validate"): "the sandbox's demo data fills every feature",
    ("bot.testing.demo", "storage.broadcasts.households"): "the sandbox's demo data fills every feature",
}


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


def reaches_in(source: str, target: str, features: set[str]) -> str | None:
    """The feature module a shared module imports, when it is not one of the feature's faces."""
    parts = target.split(".")
    if source in WIRING or feature_of(source, features) is not None or feature_of(target, features) is None:
        return None
    return None if len(parts) > 2 and parts[2] in FACES else ".".join(parts[:3])


def violations(known: dict[tuple[str, str], str] = KNOWN) -> list[str]:
    features = feature_packages()
    found: list[str] = []
    used: set[tuple[str, str]] = set()
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
                inside = reaches_in(source, target, features)
                if inside is not None and (source, inside) in known:
                    used.add((source, inside))
                elif inside is not None:
                    found.append(f"{source} imports {target} (shared runtime reaches into feature {theirs})")
    found += [f"{source} no longer imports {module}: remove it from KNOWN" for source, module in known.keys() - used]
    return found


def test_features_are_found() -> None:
    assert {"lookups", "broadcasts", "procedures"} <= feature_packages()


def test_dependencies_point_down_and_features_keep_to_themselves() -> None:
    found = violations()
    assert not found, "\n".join(found)


def test_the_shared_runtime_sees_only_a_features_faces() -> None:
    features = feature_packages()
    assert reaches_in("bot.worker", "bot.broadcasts.fanout.QuietHours", features) == "bot.broadcasts.fanout"
    assert reaches_in("flows.menu", "storage.lookups.repo.LookupStore", features) == "storage.lookups.repo"
    assert reaches_in("bot.features", "bot.broadcasts.feature.BROADCASTS", features) is None  # wiring
    assert reaches_in("storage.retention", "storage.lookups.models.Dossier", features) is None  # a face
    assert reaches_in("bot.broadcasts.api", "bot.broadcasts.news.add", features) is None  # its own
