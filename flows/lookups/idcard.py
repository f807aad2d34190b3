"""Căn cước result lookup: consent first (nothing typed before "Đồng ý" is read), then the receipt number
or the số định danh, then the date of birth; the answer gives the status, pickup place and date only,
identifiers masked, and says that cards are issued by the police.

The số định danh is kept in the conversation only as its keyed hash; the date of birth is never kept.
"""

from __future__ import annotations

import re

from flows.base import Conversation, Flow, Incoming, Step, Waiting, payload
from flows.context import TurnContext
from flows.lookups.answers import card_ident, card_status
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
from flows.lookups.values import normalise_receipt
from flows.menu import back_button
from flows.replies import Button, Text
from flows.text.numbers import digits_in, read_date
from storage.lookups.models import CONSENT, FOUND, MISMATCH, NOT_FOUND

KIND = "id_card"
_ID_NUMBER = re.compile(r"0\d{11}")
_RECEIPT = re.compile(r"(?<![^\W\d_])[A-Za-z]{0,5}[\s./-]*\d[\w\s./-]*\d|\d")


def _consent_step(ctx: TurnContext, key: str) -> Step:
    privacy = ctx.services.lookup_limits
    buttons = (Button(ctx.text("idcard_consent_button"), payload=payload("idcard", "consent")),
               Button(ctx.text("idcard_decline_button"), payload=payload("idcard", "decline")))
    text = ctx.text(key, audit_days=str(privacy.audit_retention_days), record_days=str(privacy.record_retention_days))
    return Step([Text(text, buttons)], next=Conversation("idcard", "consent"))


async def _start(ctx: TurnContext, _arg: str) -> Step:
    # The argument (the resident's first message) is deliberately not read: no consent yet.
    if not ready(ctx):
        return unavailable(ctx)
    if (refused := await refuse_if_locked(ctx, KIND)) is not None:
        return refused
    return _consent_step(ctx, "idcard_consent")


CONSENT_WORDS = frozenset({"dong y", "ok dong y", "toi dong y", "em dong y", "dong y tra cuu", "co dong y", "agree",
                           "i agree", "yes"})
DECLINE_WORDS = frozenset({"khong dong y", "toi khong dong y", "thoi khong dong y", "tu choi", "khong", "no"})


async def _on_consent(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
    said = ctx.services.simplify(msg.text) if msg.kind == "text" else ""
    if said in CONSENT_WORDS:  # "Đồng ý" typed rather than tapped is as explicit
        return await _consent(ctx, "")
    if said in DECLINE_WORDS:
        return await _decline(ctx, "")
    if msg.kind != "text" or not re.search(r"\d", msg.text):
        return None  # something unrelated: the bot's general understanding answers
    return _consent_step(ctx, "idcard_need_consent")


async def _consent(ctx: TurnContext, _arg: str) -> Step:
    if not ready(ctx):
        return unavailable(ctx)
    if (refused := await refuse_if_locked(ctx, KIND)) is not None:
        return refused
    await audit(ctx, KIND, CONSENT)  # proof of consent: who and when, nothing else
    return Step([Text(ctx.text("idcard_ask_key"), (back_button(ctx),))], next=Conversation("idcard", "key"))


async def _decline(ctx: TurnContext, _arg: str) -> Step:
    return Step([Text(ctx.text("idcard_declined"), (back_button(ctx),))])


async def _on_key(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
    if msg.kind != "text":
        return None
    said = digits_in(msg.text)  # numbers in words, and digits typed in groups, as one number
    if not re.search(r"\d", said):
        return None
    # A label before the number ("CCCD: 0491…", "so dinh danh 0491…") must not make it a receipt number:
    # it would be kept in clear in the conversation state.
    compact = re.sub(r"^\D*", "", re.sub(r"[\s.\-]", "", said))
    if _ID_NUMBER.fullmatch(compact):
        data = {"by": "id", "key": hasher(ctx).id_number(compact)}
    else:
        number = _RECEIPT.search(said)  # "số biên nhận BN 2026 0388": the number, not its label
        receipt = normalise_receipt(number.group() if number else said.rpartition(":")[2])
        if not 3 <= len(receipt) <= 64:
            return Step([Text(ctx.text("idcard_key_unclear"))], next=conv)
        data = {"by": "receipt", "key": receipt}
    return Step([Text(ctx.text("idcard_ask_birth"), (back_button(ctx),))], next=Conversation("idcard", "birth", data))


async def _on_birth(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
    if msg.kind != "text":
        return None
    born = read_date(msg.text, ctx.now.date())  # digits or words: "mồng năm tháng ba năm tám mươi hai"
    if born is None and not re.search(r"\d", digits_in(msg.text)):
        return None
    if born is None or not 1900 <= born.year <= ctx.now.year:
        return Step([Text(ctx.text("idcard_birth_unclear"))], next=conv)
    keyed, lookups = hasher(ctx), ctx.services.lookups
    by_id = conv.data["by"] == "id"
    key_hash = conv.data["key"] if by_id else keyed.receipt(conv.data["key"])
    if (refused := await refuse_if_locked(ctx, KIND, key_hash)) is not None:
        return refused
    if by_id:
        rows = await lookups.cards_by_id_hash(conv.data["key"])
    else:
        rows = [r for r in [await lookups.card_by_receipt(conv.data["key"])] if r is not None]
    birth_hash = keyed.birth_date(born)
    row = next((r for r in rows if keyed.same(r.birth_date_hash, birth_hash)), None)
    if row is None:
        left = await failed(ctx, KIND, MISMATCH if rows else NOT_FOUND, key_hash)
        if left == 0:
            return locked_step(ctx)
        return Step([Text(ctx.text("idcard_mismatch", left=str(left)))], next=Conversation("idcard", "key"))
    await audit(ctx, KIND, FOUND, key_hash, row.id)
    answer = ctx.text("idcard_answer", ident=card_ident(ctx.text, row, by_id), status=card_status(ctx.text, row))
    buttons = (Button(ctx.text("lookup_notify_button"), payload=payload("idcard", "notify", str(row.id))),
               back_button(ctx))
    return Step([Text(answer, buttons)])


IDCARD = Flow(
    "idcard",
    states={"consent": _on_consent, "key": _on_key, "birth": _on_birth},
    commands={"start": _start, "consent": _consent, "decline": _decline,
              "notify": optin_command(KIND), "stop": stop_command(KIND)},
    waiting={"consent": Waiting("prompt_idcard_consent", "#id_card", reask="#idcard:start"),
             "key": Waiting("prompt_idcard_key", "#id_card"), "birth": Waiting("prompt_idcard_birth", "#id_card")},
)
