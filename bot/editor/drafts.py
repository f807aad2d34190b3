"""Changing the flow configuration: drafts per kind, checked with the loader's own models against the
active set, scored on the labelled messages, published (after a second person's approval when required)
or rolled back. Every change is in the audit log. The console pages and `python -m bot flows` use these."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AppConfig
from bot.console import audit
from bot.errors import InvalidInput, NotFound
from bot.flowconfig import validate
from bot.services import CONFIG_ERRORS, build_services
from flows.text.evaluate import Score, read_rows, score
from flows.tomlfile import FlowFiles
from storage import flow_versions as repo

MAX_CONTENT = 2_000_000  # characters: far above the largest shipped file (the catalog, ~150 000)


@dataclass
class Draft:
    kind: str
    number: int
    base_number: int | None
    active_number: int | None
    status: str  # draft | pending
    author: str
    requested_by: str | None
    comment: str
    updated_at: datetime

    @property
    def stale(self) -> bool:
        """Made from a version that is no longer active: rebase before publishing."""
        return self.base_number != self.active_number


@dataclass
class Workspace:
    """The active set, the open drafts and what the service would run if they were published."""

    active: FlowFiles
    numbers: dict[str, int]
    drafts: list[Draft]
    draft_contents: dict[str, str]
    problems: list[str] = field(default_factory=list)

    @property
    def files(self) -> FlowFiles:
        return self.active.replaced(self.draft_contents)

    def problems_of(self, kind: str) -> list[str]:
        """The problems named in this kind's file (texts are merged per language: a texts file's problem
        may name texts.toml when the key came from there)."""
        return [p for p in self.problems if p.split(": ", 1)[0] in (kind, kind.removesuffix(".toml"))]

    def diff(self, kind: str) -> list[str]:
        return unified(self.active.get(kind, ""), self.draft_contents.get(kind, self.active.get(kind, "")),
                       f"{kind} v{self.numbers.get(kind, 0)}", f"{kind} (bản nháp)")


def unified(before: str, after: str, a: str, b: str) -> list[str]:
    return list(difflib.unified_diff(before.splitlines(), after.splitlines(), a, b, lineterm="", n=2))


async def workspace(engine: AsyncEngine, config: AppConfig, *, check: bool = True) -> Workspace:
    """`check`: with the problems of the set the drafts make (building it takes a few hundred ms)."""
    async with engine.connect() as conn:
        numbers = await repo.active_numbers(conn)
        active = FlowFiles(await repo.active_contents(conn))
        rows = await repo.open_drafts(conn)
    drafts = [Draft(r.kind, r.number, r.base_number, numbers.get(r.kind), r.status, r.author, r.requested_by,
                    r.comment, r.updated_at) for r in rows]
    ws = Workspace(active, numbers, drafts, {r.kind: r.content for r in rows})
    if drafts and check:
        ws.problems = validate(config, ws.files)
    return ws


def _known(ws: Workspace, kind: str) -> None:
    if kind not in ws.active:
        raise NotFound(f"kind: {kind} is not part of the flow configuration")


async def save(engine: AsyncEngine, config: AppConfig, kind: str, content: str, actor: str, now: datetime,
               comment: str = "", ip: str | None = None) -> list[str]:
    """Store the kind's draft (even with problems: the draft is where they get fixed); returns the problems
    of the whole set with it."""
    ws = await workspace(engine, config, check=False)
    content = await _store(engine, ws, kind, content, actor, now, comment, ip)
    return validate(config, ws.files.replaced({kind: content}))


async def _store(engine: AsyncEngine, ws: Workspace, kind: str, content: str, actor: str, now: datetime,
                 comment: str, ip: str | None) -> str:
    """The kind's draft written and audited, unchecked; returns the content as stored."""
    _known(ws, kind)
    if len(content) > MAX_CONTENT:
        raise InvalidInput([f"content: {len(content)} characters, at most {MAX_CONTENT}"])
    content = content.replace("\r\n", "\n")
    async with engine.begin() as conn:
        number = await repo.save_draft(conn, kind, content, actor, now, comment)
        await audit.record(conn, actor=actor, action="flows.draft", at=now, target=f"{kind} v{number}", ip=ip,
                           after={"comment": comment} if comment else None)
    return content


async def discard(engine: AsyncEngine, kind: str, actor: str, now: datetime, ip: str | None = None) -> None:
    async with engine.begin() as conn:
        await repo.discard(conn, kind, now)
        await audit.record(conn, actor=actor, action="flows.discard", at=now, target=kind, ip=ip)


async def rebase(engine: AsyncEngine, kind: str, actor: str, now: datetime, ip: str | None = None) -> None:
    async with engine.begin() as conn:
        await repo.rebase(conn, kind, now)
        await audit.record(conn, actor=actor, action="flows.rebase", at=now, target=kind, ip=ip)


def _publishable(ws: Workspace) -> None:
    if not ws.drafts:
        raise InvalidInput(["drafts: there is no draft to publish"])
    if ws.problems:
        raise InvalidInput(ws.problems)
    stale = [d for d in ws.drafts if d.stale]
    if stale:
        raise InvalidInput([f"{d.kind}: made from version {d.base_number}, but version {d.active_number} is active "
                            "now: look at the difference and rebase" for d in stale])


async def publish(engine: AsyncEngine, config: AppConfig, actor: str, now: datetime,
                  ip: str | None = None) -> str:
    """Publish every open draft at once; with approval required, the first call asks for it and a second
    person's call publishes. Returns "published" or "pending"."""
    ws = await workspace(engine, config)
    _publishable(ws)
    kinds = [d.kind for d in ws.drafts]
    # Approval covers what was asked for: a draft changed since then makes it a new request.
    asked = all(d.status == "pending" for d in ws.drafts)
    requested = {d.requested_by for d in ws.drafts} - {None} if asked else set()
    async with engine.begin() as conn:
        if config.console.flow_approval_required and not (requested and actor not in requested):
            if requested == {actor}:
                raise InvalidInput(["approval: you asked for this publication; another person must approve it"])
            await repo.set_pending(conn, kinds, actor, now)
            await audit.record(conn, actor=actor, action="flows.request_approval", at=now, target=", ".join(kinds),
                               ip=ip)
            return "pending"
        try:
            published = await repo.publish_drafts(conn, kinds, actor, now)
        except repo.StaleDraft as e:  # another publish landed since the check
            raise InvalidInput([f"{k}: another version was published meanwhile: rebase" for k in e.kinds]) from None
        await audit.record(conn, actor=actor, action="flows.publish", at=now,
                           target=", ".join(f"{k} v{n}" for k, n in published.items()), ip=ip,
                           after={"approved_by": actor} if requested else None)
    return "published"


async def rollback(engine: AsyncEngine, config: AppConfig, kind: str, number: int, actor: str, now: datetime,
                   ip: str | None = None) -> int:
    """Publish a copy of an old version (checked against the rest of the active set first)."""
    async with engine.connect() as conn:
        old = await repo.version(conn, kind, number)
        active = FlowFiles(await repo.active_contents(conn))
        replaced = (await repo.active_numbers(conn)).get(kind)
    if old is None or old.status != "published":
        raise NotFound(f"version: {kind} has no published version {number}")
    _check(config, active.replaced({kind: old.content}))
    return await _publish_copy(engine, kind, old.content, actor, now, f"quay lại bản {number}", "flows.rollback",
                               ip, {"copy_of": number}, before={"active": replaced})


async def publish_change(engine: AsyncEngine, config: AppConfig, kind: str, content: str, actor: str, now: datetime,
                         comment: str, action: str, ip: str | None = None,
                         detail: dict[str, Any] | None = None) -> int | None:
    """A small change (confirming a figure) published at once, checked like a draft and audited; where
    publishing needs a second person's approval, saved into the draft instead (returns None)."""
    async with engine.connect() as conn:
        active = FlowFiles(await repo.active_contents(conn))
    _check(config, active.replaced({kind: content}))
    if config.console.flow_approval_required:
        await save(engine, config, kind, content, actor, now, comment, ip)
        async with engine.begin() as conn:
            await audit.record(conn, actor=actor, action=action, at=now, target=f"{kind} (bản nháp)", ip=ip,
                               after=detail)
        return None
    return await _publish_copy(engine, kind, content, actor, now, comment, action, ip, detail)


def _check(config: AppConfig, files: FlowFiles) -> None:
    problems = validate(config, files)
    if problems:
        raise InvalidInput(problems)


async def _publish_copy(engine: AsyncEngine, kind: str, content: str, actor: str, now: datetime, comment: str,
                        action: str, ip: str | None, detail: dict[str, Any] | None,
                        before: dict[str, Any] | None = None) -> int:
    """A new version with this content, published at once and audited; its number."""
    async with engine.begin() as conn:
        number = await repo.publish_copy(conn, kind, content, actor, now, comment)
        await audit.record(conn, actor=actor, action=action, at=now, target=f"{kind} v{number}", ip=ip,
                           before=before, after=detail)
    return number


# --- scores --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    path: str
    before: Score
    after: Score

    @property
    def dropped(self) -> bool:
        return (self.after.intent_pct < self.before.intent_pct - 1e-9
                or self.after.procedure_pct < self.before.procedure_pct - 1e-9)


def compare_scores(config: AppConfig, before: FlowFiles, after: FlowFiles) -> tuple[list[Comparison], list[str]]:
    """eval-nlu's figures on each configured labelled set, for the active set and the draft; problems
    (an unreadable set, a draft that does not load) instead of figures where there are any."""
    if not config.flows.eval_sets:
        return [], []
    try:
        old, new = build_services(config, before), build_services(config, after)
    except CONFIG_ERRORS as e:
        return [], list(e.problems)
    out, problems = [], []
    for path in config.flows.eval_sets:
        try:
            rows = read_rows(path, set(new.catalog.by_slug) | set(old.catalog.by_slug))
        except (OSError, ValueError) as e:
            problems.append(f"flows.eval_sets: {path}: {e}")
            continue
        out.append(Comparison(path, score(rows, old.understander), score(rows, new.understander)))
    return out, problems


# --- files ---------------------------------------------------------------------------------------------

async def export(engine: AsyncEngine, folder: Path) -> list[str]:
    """Write the active version of every kind into `folder` as TOML files; returns their names."""
    async with engine.connect() as conn:
        contents = await repo.active_contents(conn)
    await asyncio.to_thread(_write_folder, folder, contents)
    return sorted(contents)


def _write_folder(folder: Path, contents: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, content in contents.items():
        (folder / kind).write_text(content, encoding="utf-8")


def _read_folder(folder: Path) -> dict[str, str] | None:
    if not folder.is_dir():
        return None
    return {f.name: f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.toml"))}


async def import_folder(engine: AsyncEngine, config: AppConfig, folder: Path, actor: str,
                        now: datetime) -> tuple[list[str], list[str]]:
    """A draft for every file of `folder` that differs from the active version; returns (kinds drafted,
    problems of the resulting set). Files that are not a kind of the configuration are refused whole."""
    files = await asyncio.to_thread(_read_folder, folder)
    if files is None:
        raise InvalidInput([f"DIR: {folder} is not a folder"])
    ws = await workspace(engine, config, check=False)
    unknown = [name for name in files if name not in ws.active]
    if unknown:
        raise InvalidInput([f"{name}: not a file of the flow configuration (known: {', '.join(ws.active)})"
                            for name in unknown])
    changed = {name: text for name, text in files.items()
               if text != ws.draft_contents.get(name, ws.active[name])}
    for kind, content in changed.items():  # checked once, as a set, below
        changed[kind] = await _store(engine, ws, kind, content, actor, now, f"nhập từ thư mục {folder.name}", None)
    return sorted(changed), validate(config, ws.files.replaced(changed))
