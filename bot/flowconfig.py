"""The running configuration follows the database: every process seeds the versions it lacks from the
files, builds its services from the active versions, and polls for a publish.

A publish made by one process (the console) reaches every other within one poll interval; an active set
that does not load (it never should: publishing validates first) is logged and the running one stays.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Mapping
from datetime import datetime

import tomlkit
from sqlalchemy.ext.asyncio import AsyncEngine
from tomlkit.exceptions import TOMLKitError

from bot.config import AppConfig
from bot.flowchecks import content_problems
from bot.services import CONFIG_ERRORS, Services, build_services, flows_folder
from flows.tomlfile import FlowFiles
from storage import flow_versions as repo

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0  # a publish reaches every process within this (plus one rebuild, ~0.3 s)


Stamp = tuple[tuple[str, int], ...]  # (kind, active version number), sorted


async def active_files(engine: AsyncEngine) -> tuple[FlowFiles, Stamp]:
    async with engine.connect() as conn:
        stamp = await repo.active_stamp(conn)
        contents = await repo.active_contents(conn)
    return FlowFiles(contents), stamp


def validate(config: AppConfig, files: Mapping[str, str]) -> list[str]:
    """The problems that stop these files from being published, one line each naming file and field; []
    if none."""
    from bot.features import FEATURES  # the features import this module's users

    try:
        build_services(config, FlowFiles(files))
    except CONFIG_ERRORS as e:
        return list(e.problems)
    return content_problems(files, FlowFiles.from_folder(), [flow for f in FEATURES for flow in f.flows],
                            config.zalo.max_text_chars)


SHIPPED = ("seed", "upgrade")  # authors of versions no person made: they follow the files


async def running_services(config: AppConfig, engine: AsyncEngine,
                           clock: Callable[[], datetime]) -> tuple[Services, Stamp]:
    """The services built from the active versions, after bringing the database up to the files: a kind
    it lacks is seeded (version 1 = the shipped file, or `[flows] path`'s); a kind no person has changed
    follows its file (a new release's wording); a changed one gets only the texts a release adds. Files
    are validated before anything is stored: a bad file stops the start with its problems."""
    files = FlowFiles.from_folder(flows_folder(config))
    async with engine.connect() as conn:
        authors = await repo.active_authors(conn)
        active = FlowFiles(await repo.active_contents(conn))
    from_files: Services | None = None
    if set(files) - set(authors):
        from_files = build_services(config, files)
        async with engine.begin() as conn:
            seeded = await repo.seed(conn, files, clock())
        log.debug("flow configuration seeded from files: %s", ", ".join(seeded))
    updates = {kind: text for kind, text in files.items()
               if authors.get(kind) in SHIPPED and active.get(kind) not in (None, text)}
    edited = [kind for kind in active if authors[kind] not in SHIPPED]
    updates.update(with_new_texts(active, files, edited))
    if updates and not validate(config, active.replaced(updates)):
        async with engine.begin() as conn:
            for kind, content in updates.items():
                await repo.publish_copy(conn, kind, content, "upgrade", clock(), "theo phiên bản phần mềm này")
        log.warning("flow configuration brought up to this release: %s", ", ".join(sorted(updates)))
    active, stamp = await active_files(engine)
    if from_files is not None and dict(active) == dict(files):  # a new database: built once already
        return from_files, stamp
    return build_services(config, active), stamp


def with_new_texts(active: FlowFiles, shipped: FlowFiles, kinds: list[str]) -> dict[str, str]:
    """These texts files of the active set with the keys a new release ships and they lack, added (the
    admins' own wording of every other text is kept); only the files that change."""
    out = {}
    for kind in sorted(set(kinds) & set(shipped.matching("texts*.toml"))):
        try:
            ours = tomllib.loads(active[kind]).get("texts") or {}
            theirs = tomllib.loads(shipped[kind]).get("texts") or {}
        except tomllib.TOMLDecodeError:
            continue
        missing = {k: v for k, v in theirs.items() if k not in ours}
        if not missing:
            continue
        try:
            doc = tomlkit.parse(active[kind])  # only now: it keeps the file's comments and layout
        except TOMLKitError:
            continue
        texts = doc.setdefault("texts", tomlkit.table())
        for key, value in missing.items():
            texts[key] = value
        out[kind] = tomlkit.dumps(doc)
    return out


class FlowConfigWatch:
    """Polls the active versions and swaps them into the running services."""

    def __init__(self, config: AppConfig, engine: AsyncEngine, services: Services, stamp: Stamp) -> None:
        self._config = config
        self._engine = engine
        self.services = services
        self.stamp = stamp

    async def check(self) -> bool:
        """Run the active versions if they changed since the last check; True when they did."""
        async with self._engine.connect() as conn:
            stamp = await repo.active_stamp(conn)
        if stamp == self.stamp:
            return False
        files, stamp = await active_files(self._engine)
        changed = ", ".join(f"{k} v{n}" for k, n in sorted(set(stamp) - set(self.stamp)))
        self.stamp = stamp  # a broken set is not retried every poll
        try:
            fresh = build_services(self._config, files)
        except CONFIG_ERRORS as e:
            log.error("flow configuration not reloaded: %s", "; ".join(e.problems))
            return False
        self.services.adopt(fresh)
        log.info("flow configuration reloaded: %s", changed)
        return True
