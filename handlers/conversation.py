"""The conversation layer: a resident's message read in the light of the conversation.

- **Memory**: `ctx.memory` (the topic in focus, the helpfulness question asked, condolence said…) is kept
  in the conversation state between turns, also while no flow waits for anything (the idle state).
- **Follow-ups**: a question about an aspect (papers, fee, time, place, online, conditions, Wednesday) or
  a detail of the topic in focus is answered from it; "còn kết hôn thì sao?" keeps the aspect and
  switches the procedure; a new full question switches both.
- **Two needs** in one message are both answered (the one that waits for a value last).
- **Repair** in the steps that wait for a value: "đợi xíu" is waited for, a question about the step is
  answered, another need is answered with a way back, anything else is re-asked once with an example,
  and after two misses the menu and a person are offered.
- **Honest edges**: thanks and emoji get a short reply, "are you a person?" an honest answer, questions
  the commune does not handle say where to go; the "chưa hiểu" fallback is the last resort.
- **Tone**: condolence, apology and confidentiality lines lead the answer when they fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flows.base import Conversation, Incoming, Step, Waiting, parse_payload, payload
from flows.context import TurnContext
from flows.menu import back_button, menu_step
from flows.procedures.flow import DETAIL_ALONE, DETAIL_WITH_ASPECT, answer_procedure, aspect_step
from flows.registry import FlowRegistry
from flows.replies import Button, Text
from flows.text.reading import Reading
from flows.text.understand import NEED_INTENTS as NEEDS
from flows.text.understand import PLAUSIBLE, VERY_STRONG

IDLE = "talk"  # the conversation state while nothing waits for a value: only the memory is kept
MEMORY = "memory"
MAX_MISSES = 2
BESIDE = 1.6  # a detail shown beside another answer must match more closely than one that is the answer


# The topic an intent's answer puts in focus (its details answer the follow-ups).
INTENT_FOCUS = {"wednesday_info": "wednesday", "contact": "contact", "dossier_lookup": "dossier",
                "id_card_lookup": "id_card", "subscribe": "subscribe", "unsubscribe": "subscribe", "news": "news"}
# The intent whose answer is given again for a question about a topic in focus ("trụ sở ở mô?").
FOCUS_INTENTS = {"contact": "contact", "wednesday": "wednesday_info"}
# Needs a resident names with a command-like phrase ("hủy nhận tin"): never taken for a question.
COMMAND_NEEDS = frozenset({"unsubscribe", "dossier_lookup", "id_card_lookup", "handoff"})
_LETTERS_OR_DIGITS = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Answer:
    step: Step
    understood: bool = True


# --- memory and tone -----------------------------------------------------------------------------------

def recall(ctx: TurnContext, conv: Conversation | None) -> None:
    ctx.memory = dict((conv.data.get(MEMORY) if conv is not None else None) or {})


def remember(ctx: TurnContext, step: Step) -> Step:
    """Lead lines not used by the answer go on top of its first text; the memory goes into the next state."""
    lead = ctx.memory.pop("lead", None)
    replies = list(step.replies)
    if lead:
        i = next((n for n, r in enumerate(replies) if isinstance(r, Text)), None)
        if i is None:
            replies.insert(0, Text("\n".join(lead)))
        else:
            first = replies[i]
            assert isinstance(first, Text)
            replies[i] = Text("\n".join(lead) + "\n\n" + first.text, first.buttons)
    nxt = step.next
    if nxt is None and ctx.memory:
        nxt = Conversation(IDLE, "idle", {MEMORY: ctx.memory})
    elif nxt is not None:
        nxt = Conversation(nxt.flow, nxt.state, {**nxt.data, MEMORY: ctx.memory})
    return Step(replies, nxt)


def _add_lead(ctx: TurnContext, line: str) -> None:
    ctx.memory.setdefault("lead", []).append(line)


def tone_before(ctx: TurnContext, r: Reading) -> None:
    """Condolence when someone died, an apology when the resident is upset, once per conversation."""
    if r.has("grief") and not ctx.memory.get("condoled"):
        ctx.memory["condoled"] = True
        _add_lead(ctx, ctx.text("condolence"))
    if r.has("upset") and not ctx.memory.get("apologised"):
        ctx.memory["apologised"] = True
        _add_lead(ctx, ctx.text("apology"))


# --- commands ------------------------------------------------------------------------------------------

async def run_command(ctx: TurnContext, flows: FlowRegistry, payload_text: str, arg: str) -> Step:
    """Run a button payload or an intent's command. A payload no flow answers (a menu entry an admin
    added for something the service does not have) gets an honest "not available" instead of silence."""
    command = flows.command(payload_text)
    if command is not None:
        parsed = parse_payload(payload_text)
        return await command(ctx, (parsed[2] if parsed else "") or arg)
    feature = next((e.title for e in ctx.menu if e.payload == payload_text), payload_text)
    return Step([Text(ctx.text("not_built", feature=feature), (back_button(ctx),))])


async def run_intent(ctx: TurnContext, flows: FlowRegistry, intent: str, text: str) -> Step | None:
    """The answer of the feature that answers an understood intent (None when no feature does)."""
    command = flows.intent_command(intent)
    return None if command is None else await run_command(ctx, flows, command, text)


def _staff_button(ctx: TurnContext) -> Button:
    return Button(ctx.text("button_meet_staff"), payload=payload("handoff", "start"))


def _topic_detail(r: Reading, topics: list[str], floor: float, instead: bool = False) -> str | None:
    """The detail of these topics the message asks about. `instead`: the detail would be the whole answer,
    so a request ("hủy nhận tin") is not taken for a question about it."""
    if instead and (r.intent in COMMAND_NEEDS or (r.intent in NEEDS and len(r.text.split()) <= 4)):
        return None
    match = r.best_fact(topics, r.aspect)
    return match.fact.text if match is not None and match.score >= floor else None


# --- free text -----------------------------------------------------------------------------------------

async def converse(ctx: TurnContext, flows: FlowRegistry, text: str) -> Answer:
    """Answer a message no waiting step took."""
    r = ctx.read(text)
    if not _LETTERS_OR_DIGITS.search(text):  # emoji only, or a sticker's stand-in
        key = "grief_emoji_reply" if ctx.memory.get("condoled") else "emoji_reply"
        return Answer(Step([Text(ctx.text(key))]))
    tone_before(ctx, r)
    if (r.has("thanks") and len(text.split()) <= 6 and r.aspect is None
            and r.intent in ("greeting", "out_of_scope")):
        return Answer(Step([Text(ctx.text("thanks_reply"))]))
    if r.has("bot_identity"):
        return Answer(Step([Text(ctx.text("bot_identity"), (_staff_button(ctx), back_button(ctx)))]))
    if len(r.needs) > 1:
        return await _two_needs(ctx, flows, r.needs)
    return await _one_need(ctx, flows, r)


async def _two_needs(ctx: TurnContext, flows: FlowRegistry, parts: list[str]) -> Answer:
    """Both answers in order; the one that waits for a value (a lookup, a choice) goes last."""
    answers: list[tuple[Reading, Step]] = []
    for part in parts:
        ctx.memory.pop("focus", None)  # each part on its own: not a follow-up of the other
        r = ctx.read(part)
        u = r.understanding
        if u.intent == "procedure" and u.procedures and r.dossier_code is None:
            p = ctx.services.catalog.by_slug.get(u.procedures[0][0])  # a side question: its likeliest procedure
            if p is not None:
                answers.append((r, answer_procedure(ctx, p, part)))
                continue
        answers.append((r, (await _one_need(ctx, flows, r)).step))
    waiting = [(r, step) for r, step in answers if step.next is not None]
    done = [step for _, step in answers if step.next is None]
    replies = [reply for step in [*done, *(step for _, step in waiting[:1])] for reply in step.replies]
    if len(waiting) > 1:  # one step waits at a time: the other is offered as a button
        replies.append(_also_asked(ctx, flows, waiting[1][0]))
    return Answer(Step(replies, waiting[0][1].next if waiting else None))


def _also_asked(ctx: TurnContext, flows: FlowRegistry, r: Reading) -> Text:
    """"Bạn cũng hỏi về …" with a button that starts that need, passing on what it was asked with (a code,
    a thôn) — but never a personal number: a button's payload is sent and kept like a reply."""
    command = flows.intent_command(r.need or "") or ""
    topic = next((e.title for e in ctx.menu if e.payload == command), None) or r.text[:60]
    said = r.dossier_code or ("" if re.search(r"\d", r.text) else r.text[:200])
    parsed = parse_payload(command)
    action = f"{command}:{said}" if said and parsed is not None and not parsed[2] else command
    button = Button(ctx.text("also_asked_button", topic=topic), payload=action)
    return Text(ctx.text("also_asked", topic=topic), (button,))


async def _one_need(ctx: TurnContext, flows: FlowRegistry, r: Reading) -> Answer:
    talk = ctx.services.talk
    text, u, decision, aspect = r.text, r.understanding, r.decision, r.aspect
    lookup = await run_intent(ctx, flows, "dossier_lookup", text) if r.dossier_code else None
    if lookup is not None:  # a dossier code typed anywhere in a message
        ctx.memory["focus"] = {"kind": "dossier"}
        return Answer(lookup)
    strong = decision == "card" and u.procedures[0][1] >= VERY_STRONG
    hours = await run_intent(ctx, flows, "contact", text) if r.has("office_hours") and not strong else None
    if hours is not None:
        ctx.memory["focus"] = {"kind": "contact"}
        return Answer(hours)
    focus = ctx.memory.get("focus")
    if focus:
        step = await follow_up(ctx, flows, r, focus)
        if step is not None:
            return Answer(step)
    redirect = r.redirect if ctx.language == "vi" else None  # the redirects are written in Vietnamese
    if redirect is not None and strong:  # "sau khi ly hôn, xin giấy xác nhận độc thân": still a procedure
        redirect = None if r.of(talk.without(redirect, r.words)).decision == "card" else redirect
    if redirect is not None:
        where = ctx.text("redirect_where")
        return Answer(Step([Text(f"{redirect.answer}\n{where}", (_staff_button(ctx), back_button(ctx)))]))
    if u.intent == "procedure" and decision == "card":
        p = ctx.services.catalog.by_slug.get(u.procedures[0][0])
        if p is not None:
            return Answer(answer_procedure(ctx, p, text))
    if u.intent == "handoff" and not r.has("handoff_request"):  # "có ai ở đó không?": not a request
        return Answer(Step([Text(ctx.text("bot_here"), (_staff_button(ctx), back_button(ctx)))]))
    step = await run_intent(ctx, flows, u.intent, text)
    if step is not None:
        if u.intent in INTENT_FOCUS:
            ctx.memory["focus"] = {"kind": INTENT_FOCUS[u.intent]}
            floor = (DETAIL_WITH_ASPECT if aspect else DETAIL_ALONE) * BESIDE
            detail = _topic_detail(r, [f"#{INTENT_FOCUS[u.intent]}"], floor)
            if detail:
                _add_lead(ctx, detail)
        return Answer(step, understood=u.intent != "procedure" or decision != "none")
    if r.has("out_of_scope"):
        await ctx.services.record_unanswered(text)
        lines = [ctx.text("out_of_scope"), ctx.text("out_of_scope_where")]
        return Answer(Step([Text("\n".join(lines), (_staff_button(ctx), back_button(ctx)))]))
    await ctx.services.record_unanswered(text)
    if focus:  # never the generic fallback right after an answer: what the conversation is about, again
        kind = str(focus.get("kind"))
        p = ctx.services.catalog.by_slug.get(focus.get("slug", ""))
        if p is not None:
            return Answer(answer_procedure(ctx, p, ""), understood=False)
        again = await run_intent(ctx, flows, FOCUS_INTENTS[kind], text) if kind in FOCUS_INTENTS else None
        if again is not None:
            return Answer(again, understood=False)
    return Answer(menu_step(ctx, lead=ctx.text("fallback")), understood=False)


async def follow_up(ctx: TurnContext, flows: FlowRegistry, r: Reading, focus: dict[str, Any]) -> Step | None:
    """An answer from the topic in focus, or None when the message is about something else."""
    talk = ctx.services.talk
    catalog = ctx.services.catalog
    text, u, decision, aspect, switch = r.text, r.understanding, r.decision, r.aspect, r.switch
    top = u.procedures[0][0] if decision == "card" and u.procedures else None
    if r.has("refer_back"):  # "giấy đó": still the topic in focus, whatever else it names
        top = None
    if focus.get("kind") == "procedure":
        p = catalog.by_slug.get(focus.get("slug", ""))
        if p is None:
            return None
        if top is not None and top != p.slug and not switch:
            still = any(slug == p.slug and score >= PLAUSIBLE for slug, score in u.procedures[:3])
            # "làm trên VNeID được không" names none once its aspect words are left out…
            if still or r.of(talk.without_aspects(r.words)).decision != "card":  # …or names the one in focus
                top = None
        if top is not None and top != p.slug:
            other = catalog.by_slug.get(top)
            if other is not None and switch:  # "còn kết hôn thì sao?": the same question, another procedure
                return answer_procedure(ctx, other, text, aspect or focus.get("aspect") or None)
            return None  # a new full question
        if u.intent in NEEDS and aspect is None:
            return None
        asked = aspect or (focus.get("aspect") if switch else None) or None
        if asked is not None:
            return aspect_step(ctx, p, asked, text, named=False)
        match = r.best_fact([p.slug, "#general"], None)
        if match is not None and match.score >= DETAIL_ALONE:
            return aspect_step(ctx, p, None, text, named=False)
        if decision == "suggest" and p.slug in [slug for slug, _ in u.procedures[:3]]:
            # "did you mean…" among which the procedure in focus: it is the one meant
            if match is not None and match.score >= DETAIL_WITH_ASPECT:
                return aspect_step(ctx, p, None, text, named=False)
            return answer_procedure(ctx, p, "")
        return None
    kind = str(focus.get("kind"))
    topics = [f"#{kind}"] + ([focus["slug"]] if focus.get("slug") else [])
    if top is not None or r.dossier_code is not None:
        return None
    if kind == "news" and r.has("news_more") and u.intent not in COMMAND_NEEDS:  # "còn tin về … thì sao"
        return await run_intent(ctx, flows, "news", text)
    if aspect == "time" and focus.get("due"):
        return Step([Text(ctx.text("dossier_due_again", due=str(focus["due"])), (back_button(ctx),))])
    detail = _topic_detail(r, topics, DETAIL_WITH_ASPECT if aspect else DETAIL_ALONE, instead=True)
    if detail is not None:
        return Step([Text(detail, (back_button(ctx),))])
    if aspect is not None and kind in FOCUS_INTENTS and u.intent not in NEEDS:
        return await run_intent(ctx, flows, FOCUS_INTENTS[kind], text)
    if aspect is not None and focus.get("slug") and u.intent not in NEEDS:
        p = catalog.by_slug.get(focus["slug"])
        return aspect_step(ctx, p, aspect, text) if p is not None else None
    return None


# --- steps that wait for a value -------------------------------------------------------------------

async def in_step(ctx: TurnContext, conv: Conversation, msg: Incoming, flows: FlowRegistry, text: str) -> Step:
    flow = flows.get(conv.flow)
    waiting = None if flow is None else flow.waiting.get(conv.state)
    if waiting is None:
        step = None if flow is None else await flow.handle(ctx, conv, msg)
        return step if step is not None else (await converse(ctx, flows, text)).step
    r = ctx.read(text)
    prompt = ctx.text(waiting.prompt)
    if r.has("wait") and not re.search(r"\d", text):
        return await _reask(ctx, flows, conv, waiting, ctx.text("wait_ok"))
    step = None if flow is None else await flow.handle(ctx, conv, msg)
    if step is not None:
        repeated = step.next is not None and (step.next.flow, step.next.state) == (conv.flow, conv.state)
        detail = _topic_detail(r, [waiting.topic], DETAIL_ALONE, instead=repeated)
        if detail is not None and repeated:  # a question about the step, not a value
            return await _reask(ctx, flows, conv, waiting, detail)
        if detail is not None:  # a value and a question: both answered
            _add_lead(ctx, detail)
        if step.next is conv:  # the step's own "not readable, again please"
            return _missed(ctx, conv, step)
        return step
    detail = _topic_detail(r, [waiting.topic], DETAIL_ALONE, instead=True)
    if detail is not None:
        return await _reask(ctx, flows, conv, waiting, detail)
    answer = await converse(ctx, flows, text)
    if answer.understood:
        request = r.intent in COMMAND_NEEDS
        if answer.step.next is not None or request:  # another step, or a request: it replaces this one
            return answer.step
        resume = Text(ctx.text("step_resume", prompt=prompt), (back_button(ctx),))
        return Step([*answer.step.replies, resume], Conversation(conv.flow, conv.state, dict(conv.data)))
    misses = int(conv.data.get("misses", 0)) + 1
    if misses >= MAX_MISSES:
        return _give_up(ctx)
    return await _reask(ctx, flows, Conversation(conv.flow, conv.state, {**conv.data, "misses": misses}), waiting,
                        ctx.text("reask_lead"))


def _give_up(ctx: TurnContext) -> Step:
    """Two misses: the step is let go; the menu's first entries and a person are offered."""
    entries = [Button(e.title, payload=e.payload) for e in ctx.menu][:3]
    return Step([Text(ctx.text("reask_give_up"), (*entries, _staff_button(ctx), back_button(ctx)))])


def _missed(ctx: TurnContext, conv: Conversation, step: Step) -> Step:
    misses = int(conv.data.get("misses", 0)) + 1
    if misses >= MAX_MISSES:
        return _give_up(ctx)
    return Step(step.replies, Conversation(conv.flow, conv.state, {**conv.data, "misses": misses}))


async def _reask(ctx: TurnContext, flows: FlowRegistry, conv: Conversation, waiting: Waiting, lead: str) -> Step:
    """The step's question again, after `lead`, with a way out; the step keeps waiting."""
    prompt = ctx.text(waiting.prompt)
    if waiting.reask is not None:
        step = await run_command(ctx, flows, waiting.reask, "")
        if step.next is not None and (step.next.flow, step.next.state) == (conv.flow, conv.state):
            _add_lead(ctx, lead)
            return Step(step.replies, Conversation(conv.flow, conv.state, {**step.next.data, **conv.data}))
    buttons = [*(Button(ctx.text(key), payload=action) for key, action in waiting.buttons), back_button(ctx)]
    return Step([Text(f"{lead} {prompt[:1].upper()}{prompt[1:]}.", tuple(buttons))], conv)


# --- while staff have the conversation ---------------------------------------------------------------

def handoff_notice(ctx: TurnContext, conv: Conversation | None, text: str, until: str) -> Step | None:
    """A resident waiting for staff who asks something the bot could answer is told, once per handoff,
    that a person will reply and how to get the bot back; otherwise the bot stays quiet."""
    recall(ctx, conv)
    if not text or ctx.memory.get("handoff_told") == until or parse_payload(text) is not None:
        return None
    if ctx.read(text).intent in ("out_of_scope", "greeting"):
        return None
    ctx.memory["handoff_told"] = until
    return remember(ctx, Step([Text(ctx.text("handoff_waiting"), (back_button(ctx),))], conv))
