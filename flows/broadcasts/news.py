"""Local news: the latest five with "xem thêm" paging, by category, then one article.

Stateless: every step is a button payload (`#news:latest:<offset>`, `#news:cat:<slug>:<offset>`,
`#news:read:<id>`), so old buttons keep working whatever the resident did in between.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flows.base import Flow, Step, payload
from flows.context import TurnContext
from flows.menu import back_button
from flows.replies import Button, Image, ListItem, ListReply, Text

PAGE_SIZE = 5
SUMMARY_CHARS = 100


def _offset(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0


def _category_name(ctx: TurnContext, slug: str) -> str | None:
    return next((t.name for t in ctx.services.topics if t.slug == slug), None)


def local_time(ctx: TurnContext, when: datetime) -> str:
    return when.astimezone(ZoneInfo(ctx.services.commune.timezone)).strftime("%d/%m/%Y %H:%M")


async def _page(ctx: TurnContext, offset: int, category: str | None) -> Step:
    rows = await ctx.services.news.latest(offset=offset, limit=PAGE_SIZE, category=category)
    if not rows:
        return Step([Text(ctx.text("news_empty"), (Button(ctx.text("news_by_category"),
                                                          payload=payload("news", "topics")), back_button(ctx)))])
    items = tuple(ListItem(r.title, _short(r.summary), r.image_url, payload=payload("news", "read", str(r.id)))
                  for r in rows[:PAGE_SIZE])
    page = str(offset // PAGE_SIZE + 1)
    buttons = []
    if len(rows) > PAGE_SIZE:
        more = f"{category}:{offset + PAGE_SIZE}" if category else str(offset + PAGE_SIZE)
        buttons.append(Button(ctx.text("news_more"), payload=payload("news", "cat" if category else "latest", more)))
    buttons += [Button(ctx.text("news_by_category"), payload=payload("news", "topics")), back_button(ctx)]
    heading = (ctx.text("news_category_page", category=_category_name(ctx, category) or category, page=page)
               if category else ctx.text("news_page", page=page))
    return Step([ListReply(items), Text(heading, tuple(buttons))])


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rstrip() + "…"


async def _latest(ctx: TurnContext, arg: str) -> Step:
    return await _page(ctx, _offset(arg), None)


async def _by_category(ctx: TurnContext, arg: str) -> Step:
    slug, _, offset = arg.partition(":")
    if _category_name(ctx, slug) is None:
        return await _topics(ctx, "")
    return await _page(ctx, _offset(offset), slug)


async def _topics(ctx: TurnContext, _arg: str) -> Step:
    counts = await ctx.services.news.category_counts()
    buttons = [Button(t.name, payload=payload("news", "cat", t.slug)) for t in ctx.services.topics
               if counts.get(t.slug)]
    if not buttons:
        return Step([Text(ctx.text("news_empty"), (back_button(ctx),))])
    buttons.append(Button(ctx.text("news_latest_button"), payload=payload("news", "latest")))
    return Step([Text(ctx.text("news_pick_category"), tuple(buttons))])


async def _read(ctx: TurnContext, arg: str) -> Step:
    row: Any = await ctx.services.news.get(int(arg)) if arg.isdigit() else None
    if row is None:
        return Step([Text(ctx.text("news_not_found"), (Button(ctx.text("news_latest_button"),
                                                              payload=payload("news", "latest")), back_button(ctx)))])
    buttons = []
    if row.link:
        buttons.append(Button(ctx.text("news_open_link"), url=row.link))
    buttons += [Button(ctx.text("news_latest_button"), payload=payload("news", "latest")), back_button(ctx)]
    body = ctx.text("news_article", title=row.title, published=local_time(ctx, row.published_at), body=row.body)
    replies: list[Any] = [Image(row.image_url)] if row.image_url else []
    return Step([*replies, Text(body, tuple(buttons))])


SEARCH_ROWS = 30  # the newest articles a question is matched against
SEARCH_FLOOR = 4.0  # shared words (rarer ones weigh more) an article needs to count as asked about


async def _find(ctx: TurnContext, question: str) -> Step:
    """A news question ("có tin gì về tuyển sinh lớp 1 không?"): the newest articles that share its words,
    else its topic's page, else the latest."""
    talk = ctx.services.talk
    asked = talk.terms(talk.canon.canon(question)) - talk.terms(talk.canon.canon(ctx.text("news_search_ignore")))
    rows = await ctx.services.news.latest(offset=0, limit=SEARCH_ROWS) if asked else []
    scored = []
    for r in rows:
        shared = asked & talk.terms(talk.canon.canon(f"{r.title} {r.summary}"))
        score = sum(talk.weight(t) for t in shared)
        if score >= SEARCH_FLOOR:
            scored.append((score, r))
    if scored:
        scored.sort(key=lambda sr: -sr[0])
        items = tuple(ListItem(r.title, _short(r.summary), r.image_url, payload=payload("news", "read", str(r.id)))
                      for _, r in scored[:PAGE_SIZE])
        buttons = (Button(ctx.text("news_latest_button"), payload=payload("news", "latest")),
                   Button(ctx.text("news_by_category"), payload=payload("news", "topics")), back_button(ctx))
        return Step([ListReply(items), Text(ctx.text("news_found"), buttons)])
    topic = ctx.read(question).understanding.topic
    return await _page(ctx, 0, topic if topic and _category_name(ctx, topic) else None)


NEWS_FLOW = Flow("news", commands={"latest": _latest, "cat": _by_category, "topics": _topics, "read": _read,
                                   "find": _find})
