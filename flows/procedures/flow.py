"""Procedure guidance: free text or the menu → a procedure card, with "did you mean", browsing by
field, papers only, and a helpfulness question.

States are not needed: every step is reached from a button payload or from free text, so the flow
is a table of commands ("#proc:<action>:<arg>").
"""

from __future__ import annotations

from typing import NamedTuple

from flows.base import Flow, Step, payload
from flows.context import TurnContext
from flows.info import wednesday_caveat
from flows.menu import back_button, menu_step
from flows.procedures.catalog import HANDLER_NAMES, HANDLER_NAMES_EN, Procedure
from flows.replies import Button, Reply, Text
from flows.text.understand import CARD as CARD_SCORE

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
    if p.same_day_wednesday or p.wednesday_received:
        lines += wednesday_caveat(ctx)
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


# Which catalog fields each aspect of a procedure shows (for the "must be confirmed" caveat).
ASPECT_FIELDS = {
    "papers": ("papers", "sets"), "fee": ("fee_text", "fee_amount", "fee_basis"), "time": ("time_text", "working_days"),
    "place": ("where", "handled_by"), "online": ("online", "online_url"), "conditions": ("conditions",),
    "wednesday": ("same_day_wednesday",),
}
CARD_BUTTON_ASPECTS = ("papers", "fee", "time", "place", "online")
SHORT_CARD_LIMIT = 600  # one phone screen
DETAIL_WITH_ASPECT = 4.0  # a detail this close to the question is shown beside the aspect's answer
DETAIL_ALONE = 5.0  # …and answers on its own a question that names no aspect


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a catalog text, cut to `limit` characters."""
    head = text.split(". ")[0].rstrip(".")
    return head if len(head) <= limit else head[:limit - 1].rstrip() + "…"


def _unverified(ctx: TurnContext, p: Procedure, fields: tuple[str, ...] | None = None) -> str | None:
    names = [f for f in p.unverified if fields is None or f in fields]
    if not names:
        return None
    return ctx.text("card_unverified", fields=", ".join(sorted({FIELD_LABELS.get(f, f) for f in names})))


def _feedback_buttons_for(ctx: TurnContext, p: Procedure) -> list[Button]:
    return [Button(ctx.text("feedback_yes"), payload=payload("proc", "fb", f"{p.slug}:yes")),
            Button(ctx.text("feedback_no"), payload=payload("proc", "fb", f"{p.slug}:no"))]


def _feedback_buttons(ctx: TurnContext, p: Procedure) -> list[Button]:
    """The helpfulness question, as two buttons, at most once per conversation."""
    if ctx.memory.get("feedback_asked"):
        return []
    ctx.memory["feedback_asked"] = True
    return _feedback_buttons_for(ctx, p)


def _aspect_buttons(ctx: TurnContext, p: Procedure, skip: tuple[str, ...] = (), room: int = 5) -> list[Button]:
    buttons: list[Button] = []
    for aspect in CARD_BUTTON_ASPECTS:
        if aspect in skip or (aspect == "online" and p.online == "none") or len(buttons) >= room:
            continue
        action = payload("proc", "aspect", f"{p.slug}:{aspect}")
        buttons.append(Button(ctx.text(f"button_aspect_{aspect}"), payload=action))
    return buttons


def names(p: Procedure) -> str:
    return f"{p.name} {p.short_name}"


def focus_on(ctx: TurnContext, p: Procedure, aspect: str | None = None) -> None:
    """Keep the procedure in focus: the next follow-up question is about it."""
    ctx.memory["focus"] = {"kind": "procedure", "slug": p.slug, "aspect": aspect or ""}


def procedure_tone(ctx: TurnContext, p: Procedure, lead: list[str] | None) -> list[str]:
    """Lines that lead a procedure's answer, once per conversation: condolence for a death,
    confidentiality for a denunciation (besides those the handler put in `lead`)."""
    lines = list(lead or [])
    talk = ctx.services.talk
    if p.slug in talk.condolence and not ctx.memory.get("condoled"):
        ctx.memory["condoled"] = True
        lines.insert(0, ctx.text("condolence"))
    if p.slug in talk.confidential and not ctx.memory.get("confidential_said"):
        ctx.memory["confidential_said"] = True
        lines.append(ctx.text("confidential"))
    return lines


def card_step(ctx: TurnContext, p: Procedure, lead: list[str] | None = None) -> Step:
    """The first answer about a procedure: one phone screen with its name and key facts, buttons for
    the rest (the fee, time and place are in the text, so their buttons give way to the helpfulness
    question the first time)."""
    t = ctx.text
    v = view(ctx, p)
    lines = [*procedure_tone(ctx, p, lead), f"📄 {v.name}"]
    lines.append(t("card_short_papers", count=str(len(v.papers))))
    lines += [t("card_short_fee", fee=first_sentence(v.fee)),
              t("card_short_time", time=first_sentence(v.time)),
              t("card_short_where", where=first_sentence(v.where, 120))]
    if p.handled_by != "ubnd":
        lines.append(t("card_not_ubnd", agency=v.agency))
    if p.unverified:
        labels = sorted({v.labels.get(f, f) for f in p.unverified})
        lines.append(t("card_short_unverified", fields=", ".join(labels).capitalize()))
    lines.append(t("card_short_more"))
    text = "\n".join(lines)
    if len(text) > SHORT_CARD_LIMIT:  # long names or facts: drop the hint, then cut
        text = "\n".join(lines[:-1])[:SHORT_CARD_LIMIT - 1].rstrip() + "…"
    feedback = _feedback_buttons(ctx, p)
    buttons = _aspect_buttons(ctx, p, skip=("fee", "time") if feedback else (), room=5 - len(feedback)) + feedback
    focus_on(ctx, p)
    return Step([Text(text, tuple(buttons))])


def full_card_step(ctx: TurnContext, p: Procedure, feedback: bool = False) -> Step:
    buttons = [Button(ctx.text("button_papers"), payload=payload("proc", "papers", p.slug))]
    if p.online != "none" and p.online_url:
        buttons.append(Button(ctx.text("button_online"), url=p.online_url))
    buttons += [Button(ctx.text("button_ask_staff"), payload=payload("handoff", "start")),
                Button(ctx.text("button_other"), payload=payload("proc", "browse"))]
    focus_on(ctx, p)
    replies: list[Reply] = [Text(card_text(ctx, p), tuple(buttons))]
    if feedback and not ctx.memory.get("feedback_asked"):
        ctx.memory["feedback_asked"] = True
        replies.append(Text(ctx.text("feedback_question"), tuple(_feedback_buttons_for(ctx, p))))
    return Step(replies)


def aspect_value(ctx: TurnContext, p: Procedure, aspect: str) -> str:
    t = ctx.text
    v = view(ctx, p)
    if aspect == "papers":
        lines = [f"{i}. {paper}" for i, paper in enumerate(v.papers, 1)]
        return "\n".join(lines + ([t("card_sets", sets=f"{p.sets:02d}")] if p.sets else []))
    if aspect == "fee":
        return v.fee
    if aspect == "time":
        return v.time
    if aspect == "place":
        where = v.where
        if p.handled_by != "ubnd":
            where += "\n" + t("card_not_ubnd", agency=v.agency)
        return where
    if aspect == "online":
        return t(ONLINE_KEYS[p.online]) + (f" {p.online_url}" if p.online != "none" and p.online_url else "")
    if aspect == "conditions":
        return p.conditions or t("conditions_unknown")
    if aspect == "wednesday":
        answer = t("wednesday_yes") if p.same_day_wednesday else t("wednesday_no", time=first_sentence(v.time))
        return " ".join([answer, *wednesday_caveat(ctx)])
    return ""


def aspect_step(ctx: TurnContext, p: Procedure, aspect: str | None, question: str = "",
                lead: list[str] | None = None, named: bool = True) -> Step:
    """One aspect of a procedure, briefly, with the detail closest to the question and a button to the
    full card. With no aspect, the closest detail alone (the caller checked there is one). `named`: the
    question names the procedure, so its name's words say nothing about which detail is asked."""
    ignore = names(p) if named else ""
    match = ctx.read(question).best_fact([p.slug, "#general"], aspect, ignore=ignore) if question else None
    lines = procedure_tone(ctx, p, lead)
    if aspect is not None:
        lines.append(ctx.text("aspect_answer", name=view(ctx, p).short, label=ctx.text(f"aspect_{aspect}"),
                              value=aspect_value(ctx, p, aspect)))
        if match is not None and match.score >= DETAIL_WITH_ASPECT and match.fact.text not in lines[-1]:
            lines.append(ctx.text("aspect_detail", detail=match.fact.text))
        caveat = _unverified(ctx, p, ASPECT_FIELDS.get(aspect, ()))
    else:
        detail = match.fact.text if match is not None else ""
        lines.append(ctx.text("aspect_answer", name=view(ctx, p).short, label=ctx.text("aspect_other"), value=detail))
        caveat = None
    if caveat:
        lines.append(caveat)
    feedback = _feedback_buttons(ctx, p)
    buttons = [Button(ctx.text("button_full_card"), payload=payload("proc", "full", p.slug)),
               *_aspect_buttons(ctx, p, skip=(aspect or "",), room=4 - len(feedback)), *feedback]
    focus_on(ctx, p, aspect)
    return Step([Text("\n".join(lines), tuple(buttons[:5]))])


def answer_procedure(ctx: TurnContext, p: Procedure, question: str, aspect: str | None = None) -> Step:
    """The answer to a question about a procedure: the aspect it asks about when it names one (the fee,
    the place…), the detail it asks about when one matches closely, else the short card."""
    lead = ctx.memory.pop("lead", None)
    if ctx.language != "vi":  # visitors get the whole card in their language (the layer's texts are Vietnamese-first)
        focus_on(ctx, p)
        return full_card_step(ctx, p, feedback=True)
    if question:
        aspect = aspect or ctx.read(question).aspect
    if aspect is not None:
        return aspect_step(ctx, p, aspect, question, lead)
    match = ctx.read(question).best_fact([p.slug], None, ignore=names(p)) if question else None
    if match is not None and match.score >= DETAIL_ALONE * 1.5:
        return aspect_step(ctx, p, None, question, lead)
    return card_step(ctx, p, lead)


def _procedure(ctx: TurnContext, slug: str) -> Procedure | None:
    return ctx.services.catalog.by_slug.get(slug)


async def _card(ctx: TurnContext, slug: str) -> Step:
    p = _procedure(ctx, slug)
    return card_step(ctx, p) if p else await _browse(ctx, "")


async def _full(ctx: TurnContext, slug: str) -> Step:
    p = _procedure(ctx, slug)
    return full_card_step(ctx, p) if p else await _browse(ctx, "")


async def _aspect(ctx: TurnContext, arg: str) -> Step:
    slug, _, aspect = arg.rpartition(":")
    p = _procedure(ctx, slug)
    if p is None:
        return await _browse(ctx, "")
    return aspect_step(ctx, p, aspect if aspect in ASPECT_FIELDS else None)


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
    reading = ctx.read(text)
    ranked = list(reading.understanding.procedures)
    decision = reading.decision
    if decision == "card" and ranked:
        p = _procedure(ctx, ranked[0][0])
        if p is not None:
            return answer_procedure(ctx, p, text)
    candidates = [p for slug, _ in ranked[:3] if (p := _procedure(ctx, slug)) is not None]
    aspect = reading.aspect
    if decision == "suggest" and len(candidates) > 1 and aspect is not None and ranked[0][1] >= CARD_SCORE:
        # A close call between procedures, but the question is clear ("… được chưa?", "… bao nhiêu?"):
        # answer it for the likeliest one, and offer the others.
        answer = answer_procedure(ctx, candidates[0], text, aspect)
        others = tuple(Button(view(ctx, p).short, payload=payload("proc", "card", p.slug)) for p in candidates[1:3])
        return Step([*answer.replies, Text(ctx.text("did_you_mean_other"), others)], answer.next)
    if decision == "suggest" and candidates:
        focus_on(ctx, candidates[0])  # a follow-up question is most likely about the likeliest one
        await ctx.services.record_unanswered(text, kind="suggested")  # admins teach the bot from these
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


PROCEDURES = Flow("proc", commands={"ask": _ask, "card": _card, "full": _full, "aspect": _aspect,
                                    "papers": _papers, "browse": _browse, "fb": _feedback})
