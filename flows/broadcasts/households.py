"""Households' subscriptions: onboarding after a follow, and the settings flow.

Two flows share one set of steps: `onboard` walks a new follower through thôn → topics → contact form,
`subscribe` changes one setting at a time and returns to the summary ("hủy nhận tin" is its `stop`).
Every choice is a button payload; typed thôn names and topic numbers work too.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from flows.base import Conversation, Flow, Incoming, Step, Waiting, payload
from flows.context import TurnContext
from flows.menu import back_button, menu_step
from flows.replies import Button, RequestInfo, Text
from flows.text.dossier_code import find_dossier_code

ONBOARD, SETTINGS = "onboard", "subscribe"
YES_WORDS = frozenset({"dong y", "dong y chia se", "co", "ok", "yes", "chia se"})
NO_WORDS = frozenset({"khong", "bo qua", "thoi", "no", "khong chia se"})
_TOPIC_ALIASES = {"tat ca": "all", "het": "all", "thiet yeu": "essential", "cac tin thiet yeu": "essential"}
_NUMBER_LIST = re.compile(r"^[\d\s,;.+&]*(va[\d\s,;.+&]*)*$")


# --- reading the configuration -----------------------------------------------------------------------

def _thon_choices(ctx: TurnContext) -> list[Any]:
    return list(ctx.services.commune.thon)


def _topics(ctx: TurnContext) -> list[Any]:
    return list(ctx.services.topics)


def thon_name(ctx: TurnContext, slug: str | None) -> str:
    thon = next((t for t in _thon_choices(ctx) if t.slug == slug), None)
    return thon.name if thon is not None else ctx.text("thon_unset")


def topics_text(ctx: TurnContext, topics: frozenset[str] | set[str]) -> str:
    names = [t.name for t in _topics(ctx) if t.slug in topics]
    return "; ".join(names) if names else ctx.text("topics_none")  # names contain commas


def match_thon(ctx: TurnContext, text: str) -> str | None:
    """The thôn named in `text` (name, alias or slug; accents optional); the longest match wins."""
    said = f" {ctx.services.simplify(text)} "
    best, best_len = None, 0
    for thon in _thon_choices(ctx):
        for key in (thon.name, thon.slug.replace("-", " "), *thon.aliases):
            k = ctx.services.simplify(key)
            if k and f" {k} " in said and len(k) > best_len:
                best, best_len = thon.slug, len(k)
    return best


def parse_topics(ctx: TurnContext, text: str) -> set[str] | None:
    """Topic numbers typed as "1 3 5" (or "tất cả"); None when the text is not such a choice."""
    simple = ctx.services.simplify(text)
    topics = _topics(ctx)
    if _TOPIC_ALIASES.get(simple) == "all":
        return {t.slug for t in topics}
    if _TOPIC_ALIASES.get(simple) == "essential":
        return {t.slug for t in topics if t.default}
    numbers = [int(n) for n in re.findall(r"\d+", simple)]
    if not numbers or not _NUMBER_LIST.match(simple) or any(not 1 <= n <= len(topics) for n in numbers):
        return None
    return {topics[n - 1].slug for n in numbers}


def normalise_phone(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if 9 <= len(digits) <= 11 and digits.startswith("0") else None


# --- steps -------------------------------------------------------------------------------------------

def _ask_thon(ctx: TurnContext, flow: str, lead: str | None = None) -> Step:
    buttons = [Button(t.name, payload=payload(flow, "thon", t.slug)) for t in _thon_choices(ctx)]
    buttons.append(Button(ctx.text("onboard_thon_none"), payload=payload(flow, "thon", "none")))
    question = ctx.text("onboard_ask_thon")
    return Step([Text(f"{lead}\n\n{question}" if lead else question, tuple(buttons))], Conversation(flow, "thon"))


def _ask_topics(ctx: TurnContext, flow: str, lead: str | None = None) -> Step:
    listing = "\n".join(f"{i}. {t.name}" for i, t in enumerate(_topics(ctx), start=1))
    buttons = (Button(ctx.text("onboard_topics_essential"), payload=payload(flow, "topics", "essential")),
               Button(ctx.text("onboard_topics_all"), payload=payload(flow, "topics", "all")),
               Button(ctx.text("onboard_topics_none"), payload=payload(flow, "topics", "none")))
    question = ctx.text("onboard_ask_topics", topics=listing)
    return Step([Text(f"{lead}\n\n{question}" if lead else question, buttons)], Conversation(flow, "topics"))


def _ask_contact(ctx: TurnContext, flow: str) -> Step:
    buttons = (Button(ctx.text("onboard_contact_yes"), payload=payload(flow, "contact", "yes")),
               Button(ctx.text("onboard_contact_no"), payload=payload(flow, "contact", "no")))
    return Step([Text(ctx.text("onboard_ask_contact"), buttons)], Conversation(flow, "consent"))


def _request_info(ctx: TurnContext, flow: str) -> Step:
    form = RequestInfo(ctx.text("request_info_title"), ctx.text("request_info_subtitle"),
                       ctx.services.request_info_image_url)
    return Step([form], Conversation(flow, "info"))


async def _summary(ctx: TurnContext, lead: str | None = None) -> Step:
    repo = ctx.services.households
    house = await repo.ensure(ctx.zalo_user_id, ctx.now)
    summary = ctx.text(
        "settings_summary", thon=thon_name(ctx, house.thon_slug), topics=topics_text(ctx, house.topics),
        contact=ctx.text("settings_contact_yes" if house.has_contact else "settings_contact_no"),
        state=ctx.text("settings_state_on" if house.subscribed else "settings_state_off"))
    toggle = (Button(ctx.text("settings_stop_button"), payload=payload(SETTINGS, "stop")) if house.subscribed
              else Button(ctx.text("settings_resume_button"), payload=payload(SETTINGS, "resume")))
    buttons = (Button(ctx.text("settings_thon_button"), payload=payload(SETTINGS, "thon")),
               Button(ctx.text("settings_topics_button"), payload=payload(SETTINGS, "topics")),
               Button(ctx.text("settings_contact_button"), payload=payload(SETTINGS, "contact")),
               toggle, back_button(ctx))
    return Step([Text(f"{lead}\n\n{summary}" if lead else summary, buttons)])


async def _finish_onboarding(ctx: TurnContext, lead: str | None = None) -> Step:
    house = await ctx.services.households.ensure(ctx.zalo_user_id, ctx.now)
    done = ctx.text("onboard_done", thon=thon_name(ctx, house.thon_slug), topics=topics_text(ctx, house.topics))
    return menu_step(ctx, lead=f"{lead}\n\n{done}" if lead else done)


async def _after(ctx: TurnContext, flow: str, onboarding_next: Step | None = None) -> Step:
    """Where a saved choice leads: the next onboarding question, or back to the settings summary."""
    if flow == ONBOARD and onboarding_next is not None:
        return onboarding_next
    if flow == ONBOARD:
        return await _finish_onboarding(ctx)
    return await _summary(ctx, lead=ctx.text("settings_saved"))


# --- choices (shared by both flows) ------------------------------------------------------------------

async def _set_thon(ctx: TurnContext, flow: str, slug: str | None, lead: str | None = None) -> Step:
    repo = ctx.services.households
    house = await repo.ensure(ctx.zalo_user_id, ctx.now)
    await repo.set_thon(house.resident_id, slug, ctx.now)
    return await _after(ctx, flow, _ask_topics(ctx, flow, lead=lead))


async def _set_topics(ctx: TurnContext, flow: str, topics: set[str]) -> Step:
    repo = ctx.services.households
    house = await repo.ensure(ctx.zalo_user_id, ctx.now)
    await repo.set_topics(house.resident_id, topics, ctx.now)
    if not house.onboarded:
        await repo.mark_onboarded(house.resident_id, ctx.now)
    return await _after(ctx, flow, _ask_contact(ctx, flow))


async def _save_contact(ctx: TurnContext, flow: str, info: dict[str, str]) -> Step:
    repo = ctx.services.households
    house = await repo.ensure(ctx.zalo_user_id, ctx.now)
    name = (info.get("name") or "").strip()[:200] or None
    phone = normalise_phone(info.get("phone") or "")
    parts = [(info.get(k) or "").strip() for k in ("address", "ward", "district", "city")]
    address = ", ".join(p for p in parts if p) or None
    await repo.set_contact(house.resident_id, name, phone, address, ctx.now)
    if flow == ONBOARD:
        return await _finish_onboarding(ctx, lead=ctx.text("contact_saved"))
    return await _summary(ctx, lead=ctx.text("contact_saved"))


def commands_for(flow: str) -> dict[str, Any]:
    async def thon(ctx: TurnContext, arg: str) -> Step:
        if not arg:
            return _ask_thon(ctx, flow)
        if arg == "none":
            return await _set_thon(ctx, flow, None)
        if arg not in {t.slug for t in _thon_choices(ctx)}:
            return _ask_thon(ctx, flow)
        return await _set_thon(ctx, flow, arg)

    async def topics(ctx: TurnContext, arg: str) -> Step:
        every = _topics(ctx)
        chosen = {"all": {t.slug for t in every}, "essential": {t.slug for t in every if t.default},
                  "none": set()}.get(arg)
        return _ask_topics(ctx, flow) if chosen is None else await _set_topics(ctx, flow, chosen)

    async def contact(ctx: TurnContext, arg: str) -> Step:
        if arg == "yes":
            return _request_info(ctx, flow)
        if arg == "no":
            return await _after(ctx, flow)
        if arg == "delete":
            repo = ctx.services.households
            house = await repo.ensure(ctx.zalo_user_id, ctx.now)
            await repo.clear_contact(house.resident_id, ctx.now)
            return await _summary(ctx, lead=ctx.text("contact_deleted"))
        house = await ctx.services.households.ensure(ctx.zalo_user_id, ctx.now)
        if not house.has_contact:
            return _ask_contact(ctx, flow)
        buttons = (Button(ctx.text("settings_contact_update"), payload=payload(flow, "contact", "yes")),
                   Button(ctx.text("settings_contact_delete"), payload=payload(flow, "contact", "delete")),
                   back_button(ctx))
        return Step([Text(ctx.text("settings_contact_menu", contact=ctx.text("settings_contact_yes")), buttons)])

    return {"thon": thon, "topics": topics, "contact": contact}


# Understood intents that, typed while a thôn or topics are asked for, are meant for something else.
# Not "news": topic names ("lịch cắt điện", "môi trường") are understood as news questions.
ELSEWHERE_INTENTS = frozenset({"unsubscribe", "dossier_lookup", "id_card_lookup", "handoff", "contact",
                               "wednesday_info"})


def _meant_elsewhere(ctx: TurnContext, text: str) -> bool:
    """'hủy nhận tin', a dossier code or a clear question, typed instead of a thôn or topics: answered as
    anywhere else (this conversation then ends), not met with the question again for 30 minutes."""
    if find_dossier_code(text) is not None:
        return True
    reading = ctx.read(text)  # the layer reads the same text this turn: one analysis
    return reading.intent in ELSEWHERE_INTENTS or reading.decision == "card"


T = TypeVar("T")


async def _typed_answer(ctx: TurnContext, conv: Conversation, msg: Incoming,
                        read: Callable[[TurnContext, str], T | None], save: Callable[[T], Awaitable[Step]],
                        ask_again: Callable[[], Step]) -> Step | None:
    """A typed answer to the question asked: saved when it reads; when it does not, asked again in the same
    conversation (which the layer counts as a miss, see Waiting), unless the message was meant for something
    else (then the rest of the bot answers it)."""
    if msg.kind != "text":
        return None
    value = read(ctx, msg.text)
    if value is not None:
        return await save(value)
    return None if _meant_elsewhere(ctx, msg.text) else Step(ask_again().replies, conv)


def states_for(flow: str) -> dict[str, Any]:
    async def thon(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
        return await _typed_answer(
            ctx, conv, msg, match_thon,
            lambda slug: _set_thon(ctx, flow, slug, lead=ctx.text("thon_saved", thon=thon_name(ctx, slug))),
            lambda: _ask_thon(ctx, flow, lead=ctx.text("onboard_thon_unknown", text=msg.text.strip()[:50])))

    async def topics(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
        return await _typed_answer(
            ctx, conv, msg, parse_topics, lambda chosen: _set_topics(ctx, flow, chosen),
            lambda: _ask_topics(ctx, flow, lead=ctx.text("onboard_topics_unknown", count=str(len(_topics(ctx))))))

    async def consent(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
        said = ctx.services.simplify(msg.text) if msg.kind == "text" else ""
        if said in YES_WORDS:
            return _request_info(ctx, flow)
        if said in NO_WORDS:
            return await _after(ctx, flow)
        return None

    async def info(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
        if msg.kind != "submit_info" or msg.info is None:
            return None
        return await _save_contact(ctx, flow, msg.info)

    return {"thon": thon, "topics": topics, "consent": consent, "info": info}


# --- entry points ------------------------------------------------------------------------------------

async def _onboard_start(ctx: TurnContext, _arg: str) -> Step:
    """After a follow: a returning household keeps its settings; a new one is asked for them."""
    repo = ctx.services.households
    house = await repo.get(ctx.zalo_user_id)
    if house is not None and house.onboarded:
        back = ctx.text("onboard_welcome_back", thon=thon_name(ctx, house.thon_slug),
                        topics=topics_text(ctx, house.topics))
        return menu_step(ctx, lead=back)
    await repo.ensure(ctx.zalo_user_id, ctx.now)
    return _ask_thon(ctx, ONBOARD, lead=ctx.text("onboard_welcome"))


async def _settings_start(ctx: TurnContext, arg: str) -> Step:
    """"Nhận thông báo thôn": a thôn named in the request ("đăng ký nhận tin thôn Võng Nhi") is used."""
    house = await ctx.services.households.get(ctx.zalo_user_id)
    slug = match_thon(ctx, arg) if arg else None
    if house is None or not house.onboarded:
        if slug is None:
            return await _onboard_start(ctx, "")
        await ctx.services.households.ensure(ctx.zalo_user_id, ctx.now)
        return await _set_thon(ctx, ONBOARD, slug, lead=ctx.text("thon_saved", thon=thon_name(ctx, slug)))
    if slug is not None and slug != house.thon_slug:
        return await _set_thon(ctx, SETTINGS, slug)
    return await _summary(ctx)


async def _stop(ctx: TurnContext, _arg: str) -> Step:
    repo = ctx.services.households
    house = await repo.ensure(ctx.zalo_user_id, ctx.now)
    await repo.set_subscribed(house.resident_id, False, ctx.now)
    buttons = (Button(ctx.text("settings_resume_button"), payload=payload(SETTINGS, "resume")), back_button(ctx))
    return Step([Text(ctx.text("unsubscribed"), buttons)])


async def _resume(ctx: TurnContext, _arg: str) -> Step:
    repo = ctx.services.households
    house = await repo.ensure(ctx.zalo_user_id, ctx.now)
    await repo.set_subscribed(house.resident_id, True, ctx.now)
    return await _summary(ctx, lead=ctx.text("resubscribed"))


def waiting_for(flow: str) -> dict[str, Waiting]:
    """The steps that wait for a choice, for the conversation layer's repair."""
    return {"thon": Waiting("prompt_thon", "#subscribe", reask=f"#{flow}:thon"),
            "topics": Waiting("prompt_topics", "#subscribe", reask=f"#{flow}:topics"),
            "consent": Waiting("prompt_consent", "#subscribe", reask=f"#{flow}:contact:")}


ONBOARD_FLOW = Flow(ONBOARD, states=states_for(ONBOARD), commands={"start": _onboard_start, **commands_for(ONBOARD)},
                    waiting=waiting_for(ONBOARD))
SETTINGS_FLOW = Flow(SETTINGS, states=states_for(SETTINGS),
                     commands={"start": _settings_start, "stop": _stop, "resume": _resume, **commands_for(SETTINGS)},
                     waiting=waiting_for(SETTINGS))
