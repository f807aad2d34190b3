"""Announcements in the console: the form (audience, time, a repeat chosen in words), a preview of who
gets it and how Zalo splits it, a test send to oneself, approval by a second person, cancelling, and the
delivery report with the unreachable households' CSV for the thôn team. The same AnnouncementIn model
and services as the CLI and the API do the checking."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from bot.broadcasts import announcements
from bot.broadcasts.channels import BroadcastMessage, announcement_replies
from bot.broadcasts.fanout import QuietHours
from bot.console import audit
from bot.console.pages import Route
from bot.console.web import (
    PREFIX,
    Staff,
    client_ip,
    engine_of,
    form_error_lines,
    now_of,
    path_id,
    render,
    staff_of,
    state,
)
from bot.errors import InvalidInput, NotFound
from bot.runtime import RUNTIME
from bot.zalo.render import render as render_zalo
from flows.problems import problem_lines
from storage import queues
from storage.broadcasts import announcements as store
from storage.engine import run_transaction
from storage.models import Priority

LIST_SIZE = 100
WEEKDAYS = {"mon": "Thứ Hai", "tue": "Thứ Ba", "wed": "Thứ Tư", "thu": "Thứ Năm", "fri": "Thứ Sáu",
            "sat": "Thứ Bảy", "sun": "Chủ nhật"}
REPEATS = {"": "Không lặp lại", "daily": "Hằng ngày", "weekly": "Hằng tuần", "monthly": "Hằng tháng"}
STATUS_NAMES = {"pending_approval": "Chờ phê duyệt", "scheduled": "Đã lên lịch", "started": "Đã gửi",
                "missed": "Bỏ lỡ", "cancelled": "Đã hủy"}
RUN_STATUS_NAMES = {"expanding": "đang chuẩn bị", "sending": "đang gửi", "done": "xong", "missed": "bỏ lỡ",
                    "cancelled": "đã hủy"}
OUTCOME_NAMES = {"sent": "đã gửi", "queued": "đang chờ", "unreachable": "không liên lạc được", "failed": "lỗi",
                 "cancelled": "đã hủy"}
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CRON_WORDS = re.compile(r"^(\d+) (\d+) (\*|\d+) \* (\*|[a-z]{3})$")


def visible(row: Any, scope: frozenset[str] | None) -> bool:
    """An announcement a member may see: everything, or for a thôn team those reaching its thôn."""
    return scope is None or not row.thon or bool(scope & set(row.thon))


def repeat_in_words(cron: str | None) -> str:
    m = _CRON_WORDS.match(cron or "")
    if m is None:
        return cron or REPEATS[""]
    minute, hour, day, weekday = m.groups()
    at = f"lúc {int(hour):02d}:{int(minute):02d}"
    if day != "*":
        return f"hằng tháng vào ngày {day} {at}"
    if weekday != "*":
        return f"hằng tuần vào {WEEKDAYS.get(weekday, weekday)} {at}"
    return f"hằng ngày {at}"


def _repeat_cron(form: dict[str, Any]) -> tuple[str | None, list[str]]:
    kind = form["repeat"]
    if not kind:
        return None, []
    if kind not in REPEATS:
        return None, [f"repeat: must be one of {', '.join(k for k in REPEATS if k)} or empty"]
    m = _HHMM.match(form["repeat_time"])
    if m is None:
        return None, ["repeat_time: must be a time like 07:30"]
    hour, minute = int(m.group(1)), int(m.group(2))
    if kind == "daily":
        return f"{minute} {hour} * * *", []
    if kind == "weekly":
        if form["repeat_weekday"] not in WEEKDAYS:
            return None, ["repeat_weekday: choose a day of the week"]
        return f"{minute} {hour} * * {form['repeat_weekday']}", []
    day = form["repeat_day"]
    if not (day.isdigit() and 1 <= int(day) <= 28):
        return None, ["repeat_day: must be a day of the month from 1 to 28 (every month has it)"]
    return f"{minute} {hour} {int(day)} * *", []


def _send_at(raw: str, tz: ZoneInfo) -> tuple[str | None, list[str]]:
    if not raw:
        return None, []
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None, [f"send_at: {raw!r} is not a date and time like 2026-12-05T07:30"]
    return (when if when.tzinfo else when.replace(tzinfo=tz)).isoformat(), []


def _read_form(post: MultiDictProxy[Any]) -> dict[str, Any]:
    one = {k: str(post.get(k, "")).strip() for k in ("title", "text", "send_at", "repeat", "repeat_time",
                                                      "repeat_weekday", "repeat_day")}
    return {**one, "thon": [str(v) for v in post.getall("thon", [])],
            "topic": [str(v) for v in post.getall("topic", [])], "urgent": post.get("urgent") == "1"}


def _spec(request: web.Request, staff: Staff, form: dict[str, Any]) -> announcements.AnnouncementIn:
    """The form as the shared model, or InvalidInput with one line per problem naming the field."""
    config = state(request).config
    cron, problems = _repeat_cron(form)
    send_at, more = _send_at(form["send_at"], ZoneInfo(config.commune.timezone))
    problems += more
    scope = staff.scope
    if scope is not None and (not form["thon"] or not set(form["thon"]) <= scope):
        problems.append(f"thon: a thôn team sends only to its own thôn ({', '.join(sorted(scope))})")
    try:
        spec = announcements.AnnouncementIn.model_validate({
            "title": form["title"], "text": form["text"], "thon": form["thon"], "topics": form["topic"],
            "urgent": form["urgent"], "send_at": send_at, "repeat": cron, "created_by": staff.name})
    except ValidationError as e:
        raise InvalidInput(problems + problem_lines(e, empty="(form)")) from None
    problems += announcements.check_references(spec, config)
    if problems:
        raise InvalidInput(problems)
    return spec


def _replies(request: web.Request, spec: announcements.AnnouncementIn) -> list[Any]:
    services = request.config_dict[RUNTIME].services
    message = BroadcastMessage(0, 0, spec.title, spec.text, spec.image_url, spec.link, spec.urgent)
    return announcement_replies(services.texts, services.text_defaults, message)


def _quiet_effect(request: web.Request, spec: announcements.AnnouncementIn) -> str | None:
    """When quiet hours hold the announcement back, until when."""
    config = state(request).config
    bc, tz = config.broadcasts, config.commune.timezone
    when = spec.send_at or now_of(request)
    if spec.urgent or not QuietHours(bc.quiet_hours, tz).active(when):
        return None
    end = time.fromisoformat(bc.quiet_hours.partition("-")[2])
    local = when.astimezone(ZoneInfo(tz))
    release = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return (f"Giờ yên lặng ({bc.quiet_hours}): thông báo không khẩn sẽ được gửi từ "
            f"{release:%H:%M %d/%m/%Y}.")


async def _preview(request: web.Request, staff: Staff, spec: announcements.AnnouncementIn) -> dict[str, Any]:
    async with engine_of(request).connect() as conn:
        counts = await store.audience_preview(conn, thon=spec.thon, topics=spec.topics, urgent=spec.urgent)
    scope = staff.scope
    per_thon = {s: c for s, c in counts["per_thon"].items() if scope is None or s in scope}
    z = state(request).config.zalo
    parts = [m["message"].get("text", "") for r in _replies(request, spec)
             for m in render_zalo(r, "preview", max_text=z.max_text_chars, max_buttons=z.max_buttons)]
    total = sum(c["audience"] - c["unreachable"] for c in per_thon.values())
    return {"per_thon": per_thon, "per_topic": counts["per_topic"], "parts": parts, "total": total,
            "quiet": _quiet_effect(request, spec)}


def _options(request: web.Request, staff: Staff) -> dict[str, Any]:
    config = state(request).config
    scope = staff.scope
    return {"thon_options": [t for t in config.commune.thon if scope is None or t.slug in scope],
            "topic_options": config.topics, "weekdays": WEEKDAYS, "repeats": REPEATS,
            "thon_names": {t.slug: t.name for t in config.commune.thon},
            "topic_names": {t.slug: t.name for t in config.topics},
            "approval_required": config.broadcasts.approval_required, "scoped": scope is not None}


async def list_page(request: web.Request) -> web.StreamResponse:
    staff = staff_of(request)
    async with engine_of(request).connect() as conn:
        rows = [r for r in await store.list_announcements(conn, LIST_SIZE) if visible(r, staff.scope)]
    return await render(request, "announcements_list.html", title="Thông báo", rows=rows,
                        status_names=STATUS_NAMES, can_create=staff.can("announcements.create"),
                        **_options(request, staff))


async def _form(request: web.Request, form: dict[str, Any], *, status: int = 200, problems: list[str] | None = None,
                preview: dict[str, Any] | None = None, notice: str | None = None) -> web.StreamResponse:
    staff = staff_of(request)
    return await render(request, "announcement_form.html", status=status, title="Soạn thông báo", form=form,
                        errors=form_error_lines(problems or []), preview=preview, notice=notice,
                        **_options(request, staff))


async def new_form(request: web.Request) -> web.StreamResponse:
    empty = {"title": "", "text": "", "send_at": "", "repeat": "", "repeat_time": "07:00", "repeat_weekday": "mon",
             "repeat_day": "1", "thon": [], "topic": [], "urgent": False}
    return await _form(request, empty)


async def submit(request: web.Request) -> web.StreamResponse:
    staff, now = staff_of(request), now_of(request)
    post = await request.post()
    form = _read_form(post)
    try:
        spec = _spec(request, staff, form)
    except InvalidInput as e:
        return await _form(request, form, status=422, problems=e.problems)
    action = post.get("action")
    if action == "preview":
        return await _form(request, form, preview=await _preview(request, staff, spec))
    if action == "test":
        return await _test_send(request, staff, spec, form)
    rt = request.config_dict[RUNTIME]
    try:
        result = await announcements.create(rt.engine, rt.config, spec, now)
    except InvalidInput as e:
        return await _form(request, form, status=422, problems=e.problems)
    rt.wake("broadcasts")
    async with rt.engine.begin() as conn:
        await audit.record(conn, actor=staff.name, action="announcement.create", target=f"announcement:{result['id']}",
                           at=now, ip=client_ip(request), after=spec.model_dump(exclude={"created_by"}))
    raise web.HTTPFound(f"{PREFIX}/announcements/{result['id']}")


async def _test_send(request: web.Request, staff: Staff, spec: announcements.AnnouncementIn,
                     form: dict[str, Any]) -> web.StreamResponse:
    if not staff.zalo_user_id:
        return await _form(request, form, status=422, problems=[
            "zalo_user_id: your account has no Zalo id for test sends (python -m bot users add … --zalo-id)"])
    rt, now = request.config_dict[RUNTIME], now_of(request)
    row = {"idempotency_key": f"console-test:{secrets.token_hex(8)}", "zalo_user_id": staff.zalo_user_id,
           "replies": [r.to_dict() for r in _replies(request, spec)], "parts_sent": 0, "priority": Priority.REPLY,
           "source": "console-test", "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
    await run_transaction(rt.engine, queues.enqueue, [row])  # the replies' lane: at once, even in quiet hours
    rt.sender.wake()
    async with rt.engine.begin() as conn:
        await audit.record(conn, actor=staff.name, action="announcement.test_send", at=now, ip=client_ip(request),
                           after={"title": spec.title, "zalo_user_id": staff.zalo_user_id})
    return await _form(request, form, notice="Đã gửi thử đến Zalo của bạn.",
                       preview=await _preview(request, staff, spec))


async def _visible_row(request: web.Request, staff: Staff) -> Any:
    async with engine_of(request).connect() as conn:
        row = await store.get_announcement(conn, path_id(request, "announcement"))
    if row is None:
        raise web.HTTPNotFound(text=f"announcement {path_id(request, 'announcement')} does not exist")
    if not visible(row, staff.scope):
        raise web.HTTPForbidden(text="this announcement is for another thôn")
    return row


def _scoped_report(report: dict[str, Any], staff: Staff, thon_names: dict[str, str]) -> dict[str, Any]:
    scope = staff.scope
    if scope is None:
        return report
    names = {thon_names.get(s, s) for s in scope}
    runs = [{**run, "by_thon": {s: c for s, c in run["by_thon"].items() if s in scope},
             "unreachable": [u for u in run["unreachable"] if u["thon"] in names]} for run in report["runs"]]
    return {**report, "runs": runs}


async def detail(request: web.Request, *, status: int = 200, problems: list[str] | None = None
                 ) -> web.StreamResponse:
    staff = staff_of(request)
    row = await _visible_row(request, staff)
    config = state(request).config
    report = await announcements.report(engine_of(request), config, row.id)
    options = _options(request, staff)
    own = staff.name.casefold() == row.created_by.casefold()
    still_to_send = row.status in ("pending_approval", "scheduled") or (bool(row.repeat) and row.status != "cancelled")
    return await render(request, "announcement_detail.html", status=status, title=row.title, a=row,
                        report=_scoped_report(report, staff, options["thon_names"]), status_names=STATUS_NAMES,
                        repeat_words=repeat_in_words(row.repeat), errors=form_error_lines(problems or []),
                        can_approve=staff.can("announcements.approve") and row.status == "pending_approval",
                        own=own, run_status_names=RUN_STATUS_NAMES, outcome_names=OUTCOME_NAMES,
                        can_cancel=staff.can("announcements.cancel") and still_to_send,
                        can_export=staff.can("announcements.unreachable") and bool(report["runs"]), **options)


async def detail_page(request: web.Request) -> web.StreamResponse:
    return await detail(request)


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    staff, now = staff_of(request), now_of(request)
    row = await _visible_row(request, staff)
    rt = request.config_dict[RUNTIME]
    try:
        if action == "approve":
            result = await announcements.approve(rt.engine, rt.config, row.id, staff.name, now)
            rt.wake("broadcasts")
        else:
            result = await announcements.cancel(rt.engine, row.id, staff.name, now)
    except InvalidInput as e:
        return await detail(request, status=422, problems=e.problems)
    except NotFound as e:
        raise web.HTTPNotFound(text=str(e)) from None
    async with rt.engine.begin() as conn:
        await audit.record(conn, actor=staff.name, action=f"announcement.{action}", target=f"announcement:{row.id}",
                           at=now, ip=client_ip(request), before={"status": row.status},
                           after={"status": result["status"]})
    raise web.HTTPFound(f"{PREFIX}/announcements/{row.id}")


async def approve(request: web.Request) -> web.StreamResponse:
    return await _act(request, "approve")


async def cancel(request: web.Request) -> web.StreamResponse:
    return await _act(request, "cancel")


async def unreachable_csv(request: web.Request) -> web.StreamResponse:
    """The households Zalo could not reach in the latest run (names, phones, addresses: personal data, for
    the thôn team to carry the announcement by other means); a thôn team gets only its own thôn."""
    staff, now = staff_of(request), now_of(request)
    row = await _visible_row(request, staff)
    thon_names = {t.slug: t.name for t in state(request).config.commune.thon}
    async with engine_of(request).connect() as conn:
        runs = await store.runs_of(conn, row.id, 1)
        found = (await store.unreachable_households(conn, store.run_source(runs[0].id), announcements.QUOTA_CODES)
                 if runs else [])
    scope = staff.scope
    rows = [h for h in found if scope is None or h.thon_slug in scope]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Thôn", "Họ tên", "Điện thoại", "Địa chỉ", "Lý do"])
    for h in rows:
        writer.writerow([thon_names.get(h.thon_slug or "", h.thon_slug or ""), h.name or "", h.phone or "",
                         h.address or "", h.error_code])
    async with engine_of(request).begin() as conn:
        await audit.record(conn, actor=staff.name, action="announcement.unreachable_csv",
                           target=f"announcement:{row.id}", at=now, ip=client_ip(request),
                           after={"households": len(rows), "thon": sorted(scope) if scope else "all"})
    return web.Response(body=("\ufeff" + out.getvalue()).encode(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="khong-lien-lac-{row.id}.csv"'})


ROUTES = (
    Route("GET", "/announcements", list_page, "announcements.view"),
    Route("GET", "/announcements/new", new_form, "announcements.create"),
    Route("POST", "/announcements/new", submit, "announcements.create"),
    Route("GET", "/announcements/{id}", detail_page, "announcements.view"),
    Route("POST", "/announcements/{id}/approve", approve, "announcements.approve"),
    Route("POST", "/announcements/{id}/cancel", cancel, "announcements.cancel"),
    Route("GET", "/announcements/{id}/unreachable.csv", unreachable_csv, "announcements.unreachable"),
)
