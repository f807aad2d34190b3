"""Procedure guidance: free text or the menu → a procedure card, with "did you mean", browsing by
field, papers only, and a helpfulness question.

States are not needed: every step is reached from a button payload or from free text, so the flow
is a table of commands ("#proc:<action>:<arg>").
"""

from __future__ import annotations

from typing import NamedTuple

from flows.base import Flow, Step, payload
from flows.context import TurnContext
from flows.menu import back_button, menu_step
from flows.procedures.catalog import HANDLER_NAMES, HANDLER_NAMES_EN, Procedure
from flows.replies import Button, Text

# How the catalog's field names read to residents in the "must be confirmed" caveat.
FIELD_LABELS = {
    "papers": "giấy tờ", "sets": "số bộ hồ sơ", "time_text": "thời hạn", "working_days": "thời hạn",
    "fee_text": "lệ phí", "fee_amount": "lệ phí", "fee_basis": "căn cứ lệ phí", "where": "nơi làm",
    "handled_by": "cơ quan giải quyết", "conditions": "điều kiện", "online": "cách nộp trực tuyến",
    "online_url": "địa chỉ nộp trực tuyến", "code": "mã thủ tục", "same_day_wednesday": "giải quyết trong ngày thứ Tư",
    "wednesday_received": "tiếp nhận ngày thứ Tư",
}
FIELD_LABELS_EN = {
    "papers": "papers", "sets": "number of sets", "time_text": "time", "working_days": "time",
    "fee_text": "fee", "fee_amount": "fee", "fee_basis": "legal basis of the fee", "where": "place",
    "handled_by": "deciding office", "conditions": "conditions", "online": "online options",
    "online_url": "online address", "code": "procedure code", "same_day_wednesday": "Wednesday same-day service",
}
ONLINE_KEYS = {"full": "online_full", "partial": "online_partial", "none": "online_none"}


class View(NamedTuple):
    """A procedure's card fields in the turn's language."""

    name: str
    short: str
    papers: list[str]
    fee: str
    time: str
    where: str
    agency: str
    labels: dict[str, str]
    in_vietnamese: bool  # English was asked for but this procedure's details exist only in Vietnamese


def view(ctx: TurnContext, p: Procedure) -> View:
    if ctx.language != "en":
        return View(p.name, p.short_name, p.papers, p.fee_text, p.time_text, p.where,
                    HANDLER_NAMES[p.handled_by], FIELD_LABELS, False)
    en = ctx.services.catalog.english.get(p.slug)
    if en is None:
        return View(p.name, p.short_name, p.papers, p.fee_text, p.time_text, p.where,
                    HANDLER_NAMES_EN[p.handled_by], FIELD_LABELS_EN, True)
    return View(en.name, en.name, en.papers if en.papers is not None else p.papers, en.fee_text or p.fee_text,
                en.time_text or p.time_text, en.where or p.where, HANDLER_NAMES_EN[p.handled_by], FIELD_LABELS_EN,
                not en.translated)


def card_text(ctx: TurnContext, p: Procedure) -> str:
    t = ctx.text
    v = view(ctx, p)
    lines = [f"📄 {v.name}"]
    if v.in_vietnamese:
        lines.append(t("card_in_vietnamese"))
    if p.same_day_wednesday:
        lines.append(t("wednesday_badge"))
    elif p.wednesday_received:
        lines.append(t("wednesday_received_note", item=p.wednesday_received))
    lines.append(t("card_papers"))
    lines += [f"{i}. {paper}" for i, paper in enumerate(v.papers, 1)]
    if p.sets:
        lines.append(t("card_sets", sets=f"{p.sets:02d}"))
    lines += [t("card_fee", fee=v.fee), t("card_time", time=v.time), t("card_where", where=v.where)]
    if p.handled_by != "ubnd":
        lines.append(t("card_not_ubnd", agency=v.agency))
    lines.append(t(ONLINE_KEYS[p.online]))
    if p.unverified:
        labels = sorted({v.labels.get(f, f) for f in p.unverified})
        lines.append(t("card_unverified", fields=", ".join(labels)))
    return "\n".join(lines)


def card_step(ctx: TurnContext, p: Procedure) -> Step:
    buttons = [Button(ctx.text("button_papers"), payload=payload("proc", "papers", p.slug))]
    if p.online != "none" and p.online_url:
        buttons.append(Button(ctx.text("button_online"), url=p.online_url))
    buttons += [Button(ctx.text("button_ask_staff"), payload=payload("handoff", "start")),
                Button(ctx.text("button_other"), payload=payload("proc", "browse"))]
    feedback = Text(ctx.text("feedback_question"), (
        Button(ctx.text("feedback_yes"), payload=payload("proc", "fb", f"{p.slug}:yes")),
        Button(ctx.text("feedback_no"), payload=payload("proc", "fb", f"{p.slug}:no")),
    ))
    return Step([Text(card_text(ctx, p), tuple(buttons)), feedback])


def _procedure(ctx: TurnContext, slug: str) -> Procedure | None:
    return ctx.services.catalog.by_slug.get(slug)


async def _card(ctx: TurnContext, slug: str) -> Step:
    p = _procedure(ctx, slug)
    return card_step(ctx, p) if p else await _browse(ctx, "")


async def _papers(ctx: TurnContext, slug: str) -> Step:
    p = _procedure(ctx, slug)
    if p is None:
        return await _browse(ctx, "")
    v = view(ctx, p)
    lines = [ctx.text("papers_title", name=v.name)] + [f"{i}. {x}" for i, x in enumerate(v.papers, 1)]
    if "papers" in p.unverified:
        lines.append(ctx.text("card_unverified", fields=v.labels["papers"]))
    return Step([Text("\n".join(lines), (Button(ctx.text("button_back_card"), payload=payload("proc", "card", slug)),
                                         back_button(ctx)))])


async def _ask(ctx: TurnContext, text: str) -> Step:
    """Free text that looked like a procedure question."""
    understanding = ctx.services.understand(text)
    ranked = list(understanding.procedures) if understanding is not None else []
    decision = ctx.services.decide(understanding) if understanding is not None else "none"
    if decision == "card" and ranked:
        p = _procedure(ctx, ranked[0][0])
        if p is not None:
            return card_step(ctx, p)
    candidates = [p for slug, _ in ranked[:3] if (p := _procedure(ctx, slug)) is not None]
    if decision == "suggest" and candidates:
        buttons = [Button(view(ctx, p).short, payload=payload("proc", "card", p.slug)) for p in candidates]
        buttons.append(Button(ctx.text("button_none_of_these"), payload=payload("proc", "browse")))
        return Step([Text(ctx.text("did_you_mean"), tuple(buttons))])
    await ctx.services.record_unanswered(text)
    return menu_step(ctx, lead=ctx.text("fallback"))


async def _browse(ctx: TurnContext, arg: str) -> Step:
    catalog = ctx.services.catalog
    field = arg if arg in catalog.fields else None
    if field is None and arg:  # free text such as "các thủ tục hộ tịch"
        understanding = ctx.services.understand(arg)
        field = getattr(understanding, "field", None)
    english = catalog.field_names_en if ctx.language == "en" else {}
    if field is None:
        buttons = tuple(Button(english.get(f.slug, f.name), payload=payload("proc", "browse", f.slug))
                        for f in catalog.fields.values())
        return Step([Text(ctx.text("browse_fields"), buttons)])
    buttons = tuple(Button(view(ctx, p).short, payload=payload("proc", "card", p.slug))
                    for p in catalog.in_field(field))
    name = english.get(field, catalog.fields[field].name)
    return Step([Text(ctx.text("browse_field", field=name), buttons)])


async def _feedback(ctx: TurnContext, arg: str) -> Step:
    slug, _, answer = arg.rpartition(":")
    if _procedure(ctx, slug) is None or answer not in {"yes", "no"}:
        return menu_step(ctx)
    await ctx.services.record_feedback(slug, answer == "yes")
    return Step([Text(ctx.text("feedback_thanks"), (back_button(ctx),))])


PROCEDURES = Flow("proc", commands={"ask": _ask, "card": _card, "papers": _papers, "browse": _browse,
                                    "fb": _feedback})
