"""Truth in the catalog: every figure residents are told with a caveat ("chưa xác minh"), and confirming or
correcting one. A catalog field is published at once (its caveat goes for that procedure only); a
commune fact from the configuration file is confirmed in `facts.toml` (flows/facts.py), published the same
way, and counts only while the file still holds the figure that was checked."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import tomlkit
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import commune_facts
from bot.config import AppConfig, CommuneConfig
from bot.editor import drafts, toml_edit
from bot.errors import InvalidInput, NotFound
from flows.facts import FACTS_FILE, load_confirmations
from flows.info import hours_lines
from flows.problems import Problems
from flows.tomlfile import FlowFiles
from storage import flow_versions as repo

CATALOG, CATALOG_EN = "catalog.toml", "catalog.en.toml"
MAX_VALUE, MAX_SOURCE = 4000, 500
FIELD_NAMES = {"papers": "Giấy tờ", "time_text": "Thời hạn", "working_days": "Số ngày làm việc",
               "fee_text": "Lệ phí", "fee_amount": "Mức phí (đồng)", "where": "Nơi nộp", "conditions": "Điều kiện",
               "online": "Nộp trực tuyến", "online_url": "Địa chỉ nộp trực tuyến", "sets": "Số bộ hồ sơ",
               "handled_by": "Cơ quan giải quyết", "code": "Mã thủ tục"}
FACT_NAMES = {"office_phone": "Số điện thoại bộ phận một cửa", "office_address": "Địa chỉ bộ phận một cửa",
              "office_hours": "Giờ làm việc"}


@dataclass(frozen=True)
class Figure:
    """One unverified figure: where it lives (`key`), what residents are told now, and its sources."""

    key: str  # "proc:<slug>:<field>" or "fact:<fact>"
    title: str
    label: str
    value: str
    sources: tuple[str, ...]
    lines: bool = False  # corrected one item a line (papers, hours)
    confirm_only: bool = False  # a thôn: corrected in the configuration file, which staff pages also use


def shown(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def catalog_figures(catalog_toml: str) -> list[Figure]:
    data = tomllib.loads(catalog_toml)
    out = []
    for p in data.get("procedure", []):
        for name in p.get("unverified", []):
            out.append(Figure(f"proc:{p['slug']}:{name}", p.get("short_name", p["slug"]), FIELD_NAMES.get(name, name),
                              shown(p.get(name)), tuple(p.get("sources", [])), isinstance(p.get(name), list)))
    return out


def fact_figures(commune: CommuneConfig) -> list[Figure]:
    """The configuration file's facts not yet verified (with the published confirmations applied)."""
    source = ("Tệp cấu hình dịch vụ, mục [commune] {}: chưa ghi nguồn",)
    out = []
    if commune.office_phone and not commune.office_phone_verified:
        out.append(Figure("fact:office_phone", commune.office_name or commune.name, FACT_NAMES["office_phone"],
                          commune.office_phone, (source[0].format("office_phone"),)))
    if commune.office_address and not commune.office_address_verified:
        out.append(Figure("fact:office_address", commune.office_name or commune.name, FACT_NAMES["office_address"],
                          commune.office_address, (source[0].format("office_address"),)))
    if commune.office_hours and not commune.office_hours_verified:
        out.append(Figure("fact:office_hours", commune.office_name or commune.name, FACT_NAMES["office_hours"],
                          "\n".join(hours_lines(commune.office_hours)), (source[0].format("office_hours"),), True))
    for t in commune.thon:
        if not t.verified:
            out.append(Figure(f"fact:thon:{t.slug}", "Thôn", "Tên thôn", t.name,
                              (source[0].format("thon"),), confirm_only=True))
    return out


NUMBERS = frozenset({"working_days", "fee_amount", "sets"})


def _parsed(field: str, raw: str) -> Any:
    """A corrected value as the catalog holds it; the catalog's own check names what is wrong."""
    text = raw.replace("\r\n", "\n").strip()
    if field == "papers":
        return [line.strip() for line in text.split("\n") if line.strip()]
    if field in NUMBERS:
        try:
            return int(text.replace(".", "").replace(" ", "")) if text else None
        except ValueError:
            raise InvalidInput([f"value: {field} must be a whole number"]) from None
    return text


def _checked(value: str, source: str, correcting: bool) -> tuple[str, str]:
    source = " ".join(source.split())
    if len(source) > MAX_SOURCE:
        raise InvalidInput([f"source: at most {MAX_SOURCE} characters"])
    if correcting and not source:
        raise InvalidInput(["source: say where the corrected figure comes from"])
    if correcting and not value.strip():
        raise InvalidInput(["value: write the corrected figure"])
    if len(value) > MAX_VALUE:
        raise InvalidInput([f"value: at most {MAX_VALUE} characters"])
    return value, source


async def active_files(engine: AsyncEngine) -> FlowFiles:
    async with engine.connect() as conn:
        return FlowFiles(await repo.active_contents(conn))


async def settle(engine: AsyncEngine, config: AppConfig, key: str, value: str | None, source: str, actor: str,
                 now: datetime, ip: str | None = None) -> str:
    """Confirm the figure (`value` None) or correct it; published at once. Returns what was done."""
    correcting = value is not None
    value, source = _checked(value or "", source, correcting)
    what, _, rest = key.partition(":")
    if key == "wednesday" and not correcting:
        return await _confirm_wednesday(engine, config, source, actor, now, ip)
    if what == "proc":
        slug, _, field = rest.rpartition(":")
        return await _settle_procedure(engine, config, slug, field, value if correcting else None, source, actor,
                                       now, ip)
    if what == "fact":
        return await _settle_fact(engine, config, rest, value if correcting else None, source, actor, now, ip)
    raise InvalidInput(["key: not a figure of this page"])


async def _settle_procedure(engine: AsyncEngine, config: AppConfig, slug: str, field: str, value: str | None,
                            source: str, actor: str, now: datetime, ip: str | None) -> str:
    active = await active_files(engine)
    try:
        item = toml_edit.procedure(tomlkit.parse(active[CATALOG]), slug)
    except NotFound:
        raise InvalidInput([f"key: there is no procedure {slug}"]) from None
    left = [f for f in item.get("unverified", []) if f != field]
    if len(left) == len(item.get("unverified", [])):
        raise InvalidInput([f"key: {field} of {slug} is not awaiting verification"])
    changes: dict[str, Any] = {"unverified": left or None, "verified": not left}
    if source and source not in item.get("sources", []):
        changes["sources"] = [*item.get("sources", []), source]
    if value is not None:
        changes[field] = _parsed(field, value)
    def edit(content: str) -> str:
        return toml_edit.set_procedure(CATALOG, content, slug, changes)

    ws = await drafts.workspace(engine, config, check=False)
    draft = next((d for d in ws.drafts if d.kind == CATALOG and not d.stale), None)
    before = shown(item.get(field))
    if value is not None and field in ("papers", "time_text", "fee_text", "where", "conditions"):
        await _drop_english(engine, config, active, slug, field, actor, now, ip)
    action = "flows.correct" if value is not None else "flows.confirm"
    await drafts.publish_change(engine, config, CATALOG, edit(active[CATALOG]), actor, now,
                                f"{action.split('.')[1]} {slug} {field}", action, ip,
                                {"procedure": slug, "field": field, "source": source,
                                 **({"before": before, "after": shown(changes[field])} if value is not None else {})})
    if draft is not None:
        await _follow_draft(engine, config, ws, CATALOG, edit, actor, now, ip)
    return action


async def _confirm_wednesday(engine: AsyncEngine, config: AppConfig, source: str, actor: str, now: datetime,
                             ip: str | None) -> str:
    """The Wednesday list as a whole matches the commune's official one (it is corrected per procedure)."""
    if not source:
        raise InvalidInput(["source: name the official list the procedures were checked against"])
    active = await active_files(engine)
    doc = tomlkit.parse(active[CATALOG])
    if doc.get("wednesday_verified"):
        raise InvalidInput(["key: the Wednesday list is confirmed already"])
    doc["wednesday_verified"] = True
    note = str(doc.get("note", "")).rstrip()
    checked = f"Đã đối chiếu danh sách Thứ Tư: {source} ({actor}, {now.date().isoformat()})."
    doc["note"] = tomlkit.string(f"{note}\n{checked}", multiline=True)
    await drafts.publish_change(engine, config, CATALOG, tomlkit.dumps(doc), actor, now, "confirm the Wednesday list",
                                "flows.confirm", ip, {"fact": "wednesday_list", "source": source})
    return "flows.confirm"


async def _drop_english(engine: AsyncEngine, config: AppConfig, active: FlowFiles, slug: str, field: str,
                        actor: str, now: datetime, ip: str | None) -> None:
    """The English card's copy of a corrected field would state the old figure as certain: it goes, and the
    English card shows the Vietnamese one (as for any field not translated)."""
    if CATALOG_EN not in active:
        return
    try:
        content = toml_edit.set_procedure(CATALOG_EN, active[CATALOG_EN], slug, {field: None})
    except NotFound:
        return
    if content != active[CATALOG_EN]:
        await drafts.publish_change(engine, config, CATALOG_EN, content, actor, now, f"corrected {slug} {field}",
                                    "flows.correct", ip, {"procedure": slug, "field": field, "english": "removed"})


async def _follow_draft(engine: AsyncEngine, config: AppConfig, ws: drafts.Workspace, kind: str,
                        edit: Callable[[str], str], actor: str, now: datetime, ip: str | None) -> None:
    """An open draft of the same file, made from the version just replaced, gets the same change and stays
    current: publishing it later must not bring the caveat back."""
    try:
        content = edit(ws.draft_contents[kind])
    except (NotFound, InvalidInput):
        return  # the draft no longer has that procedure: it shows as stale, for the admin to look at
    comment = next((d.comment for d in ws.drafts if d.kind == kind), "")
    await drafts.save(engine, config, kind, content, actor, now, comment, ip)
    await drafts.rebase(engine, kind, actor, now, ip)


async def _settle_fact(engine: AsyncEngine, config: AppConfig, fact: str, value: str | None, source: str,
                       actor: str, now: datetime, ip: str | None) -> str:
    file_value = commune_facts.current(config.commune, fact)
    if file_value is None or fact not in (*FACT_NAMES, *(f"thon:{t.slug}" for t in config.commune.thon)):
        raise InvalidInput([f"key: {fact} is not a fact of the configuration file"])
    if value is not None and fact.startswith("thon:"):
        raise InvalidInput(["value: a thôn's name is corrected in the configuration file ([commune.thon])"])
    if value is not None and fact == "office_hours":
        value = commune_facts.hours_text(_hours(value))
    active = await active_files(engine)
    content = active.get(FACTS_FILE, "")
    doc = tomlkit.parse(content)
    entries = doc.setdefault("confirmed", tomlkit.aot())
    entry = tomlkit.table()
    entry.update({"fact": fact, "file_value": file_value, "value": value if value is not None else file_value,
                  "source": source or f"xác nhận của {actor}", "by": actor, "at": now.date().isoformat()})
    entries.append(entry)
    action = "flows.correct" if value is not None else "flows.confirm"
    await drafts.publish_change(engine, config, FACTS_FILE, tomlkit.dumps(doc), actor, now,
                                f"{action.split('.')[1]} {fact}", action, ip,
                                {"fact": fact, "source": source, "before": file_value, "after": entry["value"]})
    return action


def _hours(value: str) -> dict[int, list[str]]:
    try:
        return commune_facts.parse_hours(value)
    except Problems as e:
        raise InvalidInput(e.problems) from None


def confirmations_of(files: FlowFiles) -> list[Any]:
    """What was confirmed so far, newest first (shown under the list)."""
    return sorted(load_confirmations(files).values(), key=lambda c: c.at, reverse=True)
