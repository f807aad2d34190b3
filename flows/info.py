"""Facts about the desk itself: "Wednesday without appointment" and contact details with opening hours."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flows.base import Flow, Step, payload
from flows.context import TurnContext
from flows.menu import back_button
from flows.replies import Button, Text

WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def wednesday_caveat(ctx: TurnContext) -> list[str]:
    """The line saying the Wednesday list awaits the commune's confirmation, until an admin confirms it."""
    return [] if ctx.services.catalog.wednesday_verified else [ctx.text("wednesday_unverified")]


async def _wednesday(ctx: TurnContext, _arg: str) -> Step:
    same_day, received = ctx.services.catalog.wednesday_list()
    listing = "\n".join([ctx.text("wednesday_same_day_heading"), *(f"• {name}" for name in same_day), "",
                         ctx.text("wednesday_received_heading"), *(f"• {name}" for name in received)])
    text = "\n".join([ctx.text("wednesday_info", count=str(len(same_day) + len(received)), procedures=listing),
                      *wednesday_caveat(ctx)])
    buttons = (Button(ctx.text("button_browse"), payload=payload("proc", "browse")), back_button(ctx))
    return Step([Text(text, buttons)])


def _ranges(spec: list[str]) -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in (r.split("-") for r in spec)]


def open_now(hours: Mapping[int, list[str]], local: datetime) -> bool:
    return any(a <= local.time() < b for a, b in _ranges(hours.get(local.weekday(), [])))


def hours_lines(hours: Mapping[int, list[str]], language: str = "vi") -> list[str]:
    names = WEEKDAYS.get(language, WEEKDAYS["vi"])
    lines, days = [], sorted(hours)
    i = 0
    while i < len(days):  # group consecutive days with the same hours: "Thứ Hai – Thứ Sáu"
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1 and hours[days[j + 1]] == hours[days[i]]:
            j += 1
        label = names[days[i]] if i == j else f"{names[days[i]]} – {names[days[j]]}"
        lines.append(f"{label}: {', '.join(r.replace('-', ' – ') for r in hours[days[i]])}")
        i = j + 1
    return lines


async def _contact(ctx: TurnContext, _arg: str) -> Step:
    commune = ctx.services.commune
    local = ctx.now.astimezone(ZoneInfo(commune.timezone))
    lines = [ctx.text("contact_title", office=commune.office_name or commune.name)]
    if commune.office_address:
        lines.append(ctx.text("contact_address"))  # {address}: labelled when not verified
    if commune.office_phone:
        lines.append(ctx.text("contact_phone"))
    if commune.office_hours:
        lines.append(ctx.text("contact_hours"))
        lines += hours_lines(commune.office_hours, ctx.language)
        lines.append(ctx.text("contact_open_now" if open_now(commune.office_hours, local) else "contact_closed_now",
                              now=local.strftime("%H:%M")))
        if not commune.office_hours_verified:
            lines.append(ctx.text("contact_hours_unverified"))
    buttons = [back_button(ctx)]
    if commune.office_phone:
        call = "button_call" if commune.office_phone_verified else "button_call_unverified"
        buttons.insert(0, Button(ctx.text(call), phone=commune.office_phone.replace(" ", "")))
    return Step([Text("\n".join(lines), tuple(buttons))])


INFO = Flow("info", commands={"wednesday": _wednesday, "contact": _contact})
