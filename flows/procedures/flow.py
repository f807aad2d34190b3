"""Procedure guidance: free text or the menu → a procedure card, with "did you mean", browsing by
field, papers only, and a helpfulness question.

States are not needed: every step is reached from a button payload or from free text, so the flow
is a table of commands ("#proc:<action>:<arg>").
"""

from __future__ import annotations

from flows.base import Flow, Step, payload
from flows.context import TurnContext
from flows.menu import back_button, menu_step
from flows.procedures.catalog import HANDLER_NAMES, Procedure
from flows.replies import Button, Text

# How the catalog's field names read to residents in the "must be confirmed" caveat.
FIELD_LABELS = {
    "papers": "giấy tờ", "sets": "số bộ hồ sơ", "time_text": "thời hạn", "working_days": "thời hạn",
    "fee_text": "lệ phí", "fee_amount": "lệ phí", "fee_basis": "căn cứ lệ phí", "where": "nơi làm",
    "handled_by": "cơ quan giải quyết", "conditions": "điều kiện", "online": "cách nộp trực tuyến",
    "online_url": "địa chỉ nộp trực tuyến", "code": "mã thủ tục", "same_day_wednesday": "giải quyết trong ngày thứ Tư",
}
ONLINE_KEYS = {"full": "online_full", "partial": "online_partial", "none": "online_none"}


def card_text(ctx: TurnContext, p: Procedure) -> str:
    t = ctx.text
    lines = [f"📄 {p.name}"]
    if p.same_day_wednesday:
        lines.append(t("wednesday_badge"))
    lines.append(t("card_papers"))
    lines += [f"{i}. {paper}" for i, paper in enumerate(p.papers, 1)]
    if p.sets:
        lines.append(t("card_sets", sets=f"{p.sets:02d}"))
    lines += [t("card_fee", fee=p.fee_text), t("card_time", time=p.time_text), t("card_where", where=p.where)]
    if p.handled_by != "ubnd":
        lines.append(t("card_not_ubnd", agency=HANDLER_NAMES[p.handled_by]))
    lines.append(t(ONLINE_KEYS[p.online]))
    if p.unverified:
        labels = sorted({FIELD_LABELS.get(f, f) for f in p.unverified})
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
    lines = [ctx.text("papers_title", name=p.name)] + [f"{i}. {x}" for i, x in enumerate(p.papers, 1)]
    if "papers" in p.unverified:
        lines.append(ctx.text("card_unverified", fields=FIELD_LABELS["papers"]))
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
        buttons = [Button(p.short_name, payload=payload("proc", "card", p.slug)) for p in candidates]
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
    if field is None:
        buttons = tuple(Button(f.name, payload=payload("proc", "browse", f.slug)) for f in catalog.fields.values())
        return Step([Text(ctx.text("browse_fields"), buttons)])
    buttons = tuple(Button(p.short_name, payload=payload("proc", "card", p.slug)) for p in catalog.in_field(field))
    return Step([Text(ctx.text("browse_field", field=catalog.fields[field].name), buttons)])


async def _feedback(ctx: TurnContext, arg: str) -> Step:
    slug, _, answer = arg.rpartition(":")
    if _procedure(ctx, slug) is None or answer not in {"yes", "no"}:
        return menu_step(ctx)
    await ctx.services.record_feedback(slug, answer == "yes")
    return Step([Text(ctx.text("feedback_thanks"), (back_button(ctx),))])


PROCEDURES = Flow("proc", commands={"ask": _ask, "card": _card, "papers": _papers, "browse": _browse,
                                    "fb": _feedback})
