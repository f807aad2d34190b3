"""Local news articles: newest first, optionally by category."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.models import NewsArticle

news = NewsArticle.__table__


async def add_article(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(news.insert().values(**values).returning(news.c.id))
    return int(result.scalar_one())


async def update_article(conn: AsyncConnection, article_id: int, values: dict[str, Any]) -> None:
    await conn.execute(news.update().where(news.c.id == article_id).values(**values))


async def latest(conn: AsyncConnection, *, offset: int, limit: int, category: str | None = None) -> list[Any]:
    """One page of articles (newest first) plus one extra row that tells whether more exist."""
    q = select(news.c.id, news.c.title, news.c.summary, news.c.image_url, news.c.published_at, news.c.category)
    if category is not None:
        q = q.where(news.c.category == category)
    q = q.order_by(news.c.published_at.desc(), news.c.id.desc()).offset(offset).limit(limit + 1)
    return list((await conn.execute(q)).all())


async def get_article(conn: AsyncConnection, article_id: int) -> Any | None:
    return (await conn.execute(select(news).where(news.c.id == article_id))).first()


async def category_counts(conn: AsyncConnection) -> dict[str, int]:
    q = select(news.c.category, func.count()).group_by(news.c.category)
    return {c: n for c, n in (await conn.execute(q)).all()}


class NewsRepo:
    """The news queries bound to the worker's connection (what flows see as `ctx.services.news`)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def latest(self, *, offset: int, limit: int, category: str | None = None) -> list[Any]:
        return await latest(self.conn, offset=offset, limit=limit, category=category)

    async def get(self, article_id: int) -> Any | None:
        return await get_article(self.conn, article_id)

    async def category_counts(self) -> dict[str, int]:
        return await category_counts(self.conn)
