"""Dossier status lookup: the code (typed anywhere in a message), then the last four digits of the
registered phone, then what the status means and what to do next.

An unknown code and a wrong secret get the same answer, so the bot cannot be used to learn which codes
exist; both count as failed attempts.
"""

from __future__ import annotations

import re

from flows.base import Conversation, Flow, Incoming, Step, Waiting, payload
from flows.context import TurnContext
from flows.lookups.answers import dossier_status, dossier_title, office_hours
from flows.lookups.common import (
    audit,
    failed,
    hasher,
    locked_step,
    optin_command,
    ready,
    refuse_if_locked,
    stop_command,
    unavailable,
)
from flows.lookups.values import dossier_tail, show_date
from flows.menu import back_button
from flows.replies import Button, Text
from flows.text.dossier_code import find_dossier_code
from flows.text.numbers import digits_in
from storage.lookups.models import FINISHED, FOUND, MISMATCH, NOT_FOUND

KIND = "dossier"


def _ask_secret(ctx: TurnContext, code: str) -> Step:
    return Step([Text(ctx.text("dossier_ask_secret", code=dossier_tail(code)), (back_button(ctx),))],
                next=Conversation("dossier", "secret", {"code": code}))


async def _start(ctx: TurnContext, arg: str) -> Step:
    if not ready(ctx):
        return unavailable(ctx)
    if (refused := await refuse_if_locked(ctx, KIND)) is not None:
        return refused
    code = find_dossier_code(arg)
    if code is None:
        no_code = Button(ctx.text("button_no_code"), payload=payload("dossier", "nocode"))
        ask = Text(ctx.text("dossier_ask_code"), (no_code, back_button(ctx)))
        return Step([ask], next=Conversation("dossier", "code"))
    return _ask_secret(ctx, code)


async def _on_code(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
    if msg.kind != "text":
        return None
    code = find_dossier_code(msg.text)
    if code is not None:
        return _ask_secret(ctx, code)
    if not re.search(r"\d", msg.text):
        return None  # not an attempt at a code: let the bot's general understanding answer
    return Step([Text(ctx.text("dossier_code_unclear"))], next=conv)


def _secret_digits(text: str) -> str | None:
    """Four digits; a whole phone number typed instead is fine too (its last four are used)."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 4:
        return digits
    return digits[-4:] if 9 <= len(digits) <= 11 else None


async def _on_secret(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
    if msg.kind != "text":
        return None
    code = find_dossier_code(msg.text)
    if code is not None:  # the resident corrects the code
        return _ask_secret(ctx, code)
    said = digits_in(msg.text)  # "bốn ba hai mốt" → "4321"
    if not re.search(r"\d", said):
        return None
    digits = _secret_digits(said)
    if digits is None:
        return Step([Text(ctx.text("dossier_secret_unclear"))], next=conv)
    return await _verify(ctx, conv.data["code"], digits)


async def _verify(ctx: TurnContext, code: str, digits: str) -> Step:
    keyed = hasher(ctx)
    key_hash = keyed.dossier_code(code)
    if (refused := await refuse_if_locked(ctx, KIND, key_hash)) is not None:
        return refused
    row = await ctx.services.lookups.dossier(code)
    if row is None or not keyed.same(row.secret_hash, keyed.phone_tail(digits)):
        left = await failed(ctx, KIND, NOT_FOUND if row is None else MISMATCH, key_hash)
        if left == 0:
            return locked_step(ctx)
        return Step([Text(ctx.text("dossier_mismatch", left=str(left)))],
                    next=Conversation("dossier", "secret", {"code": code}))
    await audit(ctx, KIND, FOUND, key_hash, row.id)
    _focus_on(ctx, row)
    hours = office_hours(ctx.text, ctx.services.commune.office_hours, ctx.language)
    answer = ctx.text("dossier_answer", title=dossier_title(ctx.text, row), status=dossier_status(ctx.text, row, hours))
    buttons = (Button(ctx.text("lookup_notify_button"), payload=payload("dossier", "notify", str(row.id))),
               back_button(ctx))
    return Step([Text(answer, buttons)])


def _focus_on(ctx: TurnContext, row: object) -> None:
    """Follow-up questions ("đi nhận mang theo gì?") are about this dossier and its procedure."""
    focus: dict[str, str] = {"kind": "dossier", "status": str(getattr(row, "status", ""))}
    due = getattr(row, "due_on", None)
    if due is not None and focus["status"] not in FINISHED["dossier"]:
        focus["due"] = show_date(due)  # "khi nào có?": the date this dossier is due, not the procedure's time
    name = getattr(row, "procedure", None)
    if name:
        u = ctx.services.understand(name)
        if ctx.services.decide(u) == "card":
            focus["slug"] = u.procedures[0][0]
    ctx.memory["focus"] = focus


async def _no_code(ctx: TurnContext, _arg: str) -> Step:
    return Step([Text(ctx.text("no_code"), (back_button(ctx),))])


DOSSIER = Flow(
    "dossier",
    states={"code": _on_code, "secret": _on_secret},
    commands={"start": _start, "notify": optin_command(KIND), "stop": stop_command(KIND), "nocode": _no_code},
    waiting={"code": Waiting("prompt_dossier_code", "#dossier", buttons=(("button_no_code", "#dossier:nocode"),)),
             "secret": Waiting("prompt_dossier_secret", "#dossier")},
)
