"""The handoff inbox in the console: the cases each member may see (a thôn team only its thôn's), a case
page with the conversation, a reply box that sends through the outbox as the OA within Zalo's window,
assigning, internal notes, canned replies, closing, and revealing masked household data with a reason."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.console import audit
from bot.console import handoff_cases as cases
from bot.console.pages import ConsolePages, NavItem, Panel, Route
from bot.console.roles import thon_scope
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
from bot.runtime import RUNTIME
from flows.handoff import HANDOFF_PAUSE
from storage.console import handoffs as repo

LIST_SIZE = 100
CONVERSATION_SIZE = 50
REVEALABLE = {"household_name": "Tên hộ", "phone": "Số điện thoại", "zalo_user_id": "Mã Zalo"}
REASON_MIN = 5
CANNED = (
    "Chào anh/chị, cán bộ xã đã nhận được tin nhắn và đang kiểm tra, xin vui lòng chờ trong giây lát.",
    "Anh/chị vui lòng mang căn cước và giấy tờ liên quan đến bộ phận một cửa của xã trong giờ hành chính.",
    "Hồ sơ của anh/chị đang được xử lý; xã sẽ báo lại qua Zalo khi có kết quả.",
)
NOTICES = {"replied": "Đã gửi trả lời qua Zalo.", "assigned": "Đã giao hồ sơ.", "noted": "Đã thêm ghi chú.",
           "closed": "Đã đóng hồ sơ: bot đã quay lại và người dân đã được báo."}


def _thon_names(request: web.Request) -> dict[str, str]:
    return {t.slug: t.name for t in request.config_dict[RUNTIME].config.commune.thon}


async def _synced(request: web.Request) -> None:
    async with engine_of(request).begin() as conn:
        await repo.sync(conn, now_of(request), HANDOFF_PAUSE)


async def inbox(request: web.Request) -> web.StreamResponse:
    staff = staff_of(request)
    await _synced(request)
    async with engine_of(request).connect() as conn:
        open_cases = await repo.list_cases(conn, staff.scope, open_=True, limit=LIST_SIZE)
        closed = await repo.list_cases(conn, staff.scope, open_=False, limit=20)
    mine = [c for c in open_cases if c.assigned_to == staff.name]
    unassigned = [c for c in open_cases if c.assigned_to is None]
    others = [c for c in open_cases if c.assigned_to not in (None, staff.name)]
    return await render(request, "handoffs.html", title="Hộp thư cán bộ", groups=[
        ("mine", "Giao cho tôi", mine), ("unassigned", "Chưa giao ai", unassigned),
        ("others", "Người khác đang xử lý", others)], closed=closed, thon_names=_thon_names(request),
        masked=audit.masked)


async def _visible_case(request: web.Request, conn: Any, staff: Staff) -> Any:
    """The case, if this member may see it: a thôn team sees its thôn's only (others get 404, not a hint)."""
    case = await repo.get_case(conn, path_id(request, "case"))
    if case is None or (staff.scope is not None and case.thon_slug not in staff.scope):
        raise web.HTTPNotFound(text="this case does not exist or is not in your thôn")
    return case


def _said(body: str) -> str:
    try:
        message = json.loads(body).get("message", {})
    except ValueError:
        return "(không đọc được)"
    return str(message.get("text") or "") or "[tệp đính kèm]"


def _sent(replies: list[dict[str, Any]]) -> str:
    parts = [r.get("text") or ", ".join(i.get("title", "") for i in r.get("items", [])) or f"[{r.get('kind')}]"
             for r in replies]
    return "\n".join(str(p) for p in parts)


def _left(left: timedelta | None) -> str | None:
    if left is None:
        return None
    hours = int(left.total_seconds() // 3600)
    minutes = int(left.total_seconds() % 3600 // 60)
    return f"{hours // 24} ngày {hours % 24} giờ" if hours >= 24 else f"{hours} giờ {minutes} phút"


def _can_take(request: web.Request, member: Any, thon_slug: str | None) -> bool:
    """Whether a console member may be given this case."""
    if not any(r in state(request).permissions["handoffs.work"] for r in member.roles):
        return False
    scope = thon_scope(member.roles, member.thon)
    return scope is None or thon_slug in scope


async def _case_page(request: web.Request, status: int = 200, problems: list[str] | None = None,
                     revealed: dict[str, str] | None = None, form: dict[str, str] | None = None) -> web.Response:
    staff, now = staff_of(request), now_of(request)
    await _synced(request)
    async with engine_of(request).connect() as conn:
        case = await _visible_case(request, conn, staff)
        said, sent = await repo.conversation(conn, case.zalo_user_id, CONVERSATION_SIZE)
        notes = await repo.case_notes(conn, case.id)
        members = [m for m in await repo.active_staff(conn) if _can_take(request, m, case.thon_slug)]
    lines = [(e.received_at, "resident", "Người dân", _said(e.body), None) for e in said]
    lines += [(m.created_at, "staff" if m.source == "handoff" else "bot",
               "Cán bộ" if m.source == "handoff" else "Bot", _sent(m.replies),
               None if m.status in ("sent", "pending", "sending") else m.status) for m in sent]
    lines.sort(key=lambda line: line[0])
    canned = request.query.get("canned", "")
    text = (form or {}).get("text") or (CANNED[int(canned)] if canned.isdigit() and int(canned) < len(CANNED) else "")
    personal = {"household_name": case.household_name, "phone": case.phone, "zalo_user_id": case.zalo_user_id}
    return await render(request, "handoff_case.html", status=status, title=f"Hồ sơ #{case.id}", case=case,
                        lines=lines, notes=notes, members=members, canned=CANNED, text=text,
                        left=_left(cases.window_left(case.last_message_at, now)),
                        problems=form_error_lines(problems or []),
                        personal=audit.masked(personal), revealed=revealed or {}, labels=REVEALABLE,
                        thon_names=_thon_names(request), notice=NOTICES.get(request.query.get("done", "")),
                        reason=(form or {}).get("reason", ""))


async def case_page(request: web.Request) -> web.StreamResponse:
    return await _case_page(request)


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v.strip() for k, v in data.items() if isinstance(v, str)}


def _back(case_id: int, done: str) -> web.HTTPFound:
    return web.HTTPFound(f"{PREFIX}/handoffs/{case_id}?done={done}")


async def _record(conn: Any, request: web.Request, action: str, case_id: int, **after: Any) -> None:
    await audit.record(conn, actor=staff_of(request).name, action=action, target=f"handoff:{case_id}",
                       at=now_of(request), ip=client_ip(request), after=after or None)


async def reply(request: web.Request) -> web.StreamResponse:
    staff, now, form = staff_of(request), now_of(request), await _form(request)
    text = form.get("text", "")
    problem = ("text: write the reply first" if not text else
               f"text: at most {cases.REPLY_LIMIT} characters in one Zalo message ({len(text)} given)"
               if len(text) > cases.REPLY_LIMIT else None)
    if problem:
        return await _case_page(request, 422, [problem], form=form)
    async with engine_of(request).begin() as conn:
        case = await _visible_case(request, conn, staff)
        if case.open_key is None:
            problem = "text: the case is closed; the bot has the conversation again"
        elif cases.window_left(case.last_message_at, now) is None:
            problem = "text: Zalo's reply window has closed (7 days after the resident's last message)"
        else:
            await cases.send(conn, case.id, case.zalo_user_id, text, now)
            if case.assigned_to is None:
                await repo.set_case(conn, case.id, assigned_to=staff.name)
            await _record(conn, request, "handoff.reply", case.id, length=len(text))
    if problem:
        return await _case_page(request, 409, [problem], form=form)
    request.config_dict[RUNTIME].sender.wake()
    raise _back(case.id, "replied")


async def assign(request: web.Request) -> web.StreamResponse:
    staff, form = staff_of(request), await _form(request)
    name = form.get("assignee", "")
    async with engine_of(request).begin() as conn:
        case = await _visible_case(request, conn, staff)
        members = {m.name: m for m in await repo.active_staff(conn)}
        if name and (name not in members or not _can_take(request, members[name], case.thon_slug)):
            problem = f"assignee: {name!r} is not a member who may work on this case"
        else:
            problem = None
            await repo.set_case(conn, case.id, assigned_to=name or None)
            await _record(conn, request, "handoff.assign", case.id, assigned_to=name or None)
    if problem:
        return await _case_page(request, 422, [problem])
    raise _back(case.id, "assigned")


async def note(request: web.Request) -> web.StreamResponse:
    staff, form = staff_of(request), await _form(request)
    text = form.get("note", "")
    if not text:
        return await _case_page(request, 422, ["note: write the note first"])
    async with engine_of(request).begin() as conn:
        case = await _visible_case(request, conn, staff)
        await repo.add_note(conn, case.id, now_of(request), staff.name, text)
        await _record(conn, request, "handoff.note", case.id)
    raise _back(case.id, "noted")


async def close(request: web.Request) -> web.StreamResponse:
    staff, now = staff_of(request), now_of(request)
    farewell = request.config_dict[RUNTIME].services.texts.get("handoff_resume")
    async with engine_of(request).begin() as conn:
        case = await _visible_case(request, conn, staff)
        closed = await cases.close(conn, case, staff.name, farewell, now)
        if closed:
            await _record(conn, request, "handoff.close", case.id)
    if not closed:
        return await _case_page(request, 409, ["close: the case is already closed"])
    request.config_dict[RUNTIME].sender.wake()
    raise _back(case.id, "closed")


async def reveal(request: web.Request) -> web.StreamResponse:
    staff, form = staff_of(request), await _form(request)
    field, reason = form.get("field", ""), form.get("reason", "")
    problem = (f"field: choose one of {', '.join(REVEALABLE)}" if field not in REVEALABLE else
               f"reason: say why you need to see it (at least {REASON_MIN} characters)"
               if len(reason) < REASON_MIN else None)
    if problem:
        return await _case_page(request, 422, [problem], form=form)
    async with engine_of(request).begin() as conn:
        case = await _visible_case(request, conn, staff)
        await audit.record(conn, actor=staff.name, action="handoff.reveal", target=f"handoff:{case.id}",
                           at=now_of(request), ip=client_ip(request), after={"field": field, "reason": reason})
    value = {"household_name": case.household_name, "phone": case.phone, "zalo_user_id": case.zalo_user_id}[field]
    return await _case_page(request, revealed={field: value or "(trống)"})


async def panel(request: web.Request, staff: Staff) -> dict[str, Any] | None:
    if not staff.can("handoffs.view"):
        return None
    await _synced(request)
    async with engine_of(request).connect() as conn:
        return {"handoff_counts": await repo.waiting_counts(conn, staff.scope, staff.name)}


PERMISSIONS = {
    "handoffs.view": frozenset({"admin", "desk", "thon_team", "auditor"}),
    "handoffs.work": frozenset({"admin", "desk", "thon_team"}),  # reply, assign, note, close
    "handoffs.reveal": frozenset({"admin", "desk", "thon_team"}),  # with a reason, audited
}
PAGES = ConsolePages(
    permissions=PERMISSIONS,
    nav=(NavItem("handoffs.view", "/handoffs", "Hộp thư"),),
    routes=(Route("GET", "/handoffs", inbox, "handoffs.view"),
            Route("GET", "/handoffs/{id}", case_page, "handoffs.view"),
            Route("POST", "/handoffs/{id}/reply", reply, "handoffs.work"),
            Route("POST", "/handoffs/{id}/assign", assign, "handoffs.work"),
            Route("POST", "/handoffs/{id}/note", note, "handoffs.work"),
            Route("POST", "/handoffs/{id}/close", close, "handoffs.work"),
            Route("POST", "/handoffs/{id}/reveal", reveal, "handoffs.reveal")),
    panels=(Panel("handoffs_panel.html", panel),),
)
