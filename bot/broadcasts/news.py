"""Creating and editing local news articles — the one implementation behind `python -m bot news add`,
`POST /api/v1/news` and the console's news pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.broadcasts.announcements import InvalidInput, NotFound, by_field, http_url
from bot.config import AppConfig
from storage.broadcasts import news as store


class NewsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=20000)
    category: str = Field(min_length=1, description="a topic slug from the configuration")
    image_url: str | None = None
    link: str | None = None
    published_at: AwareDatetime | None = None  # default: now
    created_by: str = by_field("created_by")

    _urls = field_validator("image_url", "link")(http_url)


def check_category(spec: NewsIn, config: AppConfig) -> None:
    topics = {t.slug for t in config.topics}
    if spec.category not in topics:
        raise InvalidInput([f"category: unknown topic {spec.category!r} (known: {', '.join(sorted(topics))})"])


async def add(engine: AsyncEngine, config: AppConfig, spec: NewsIn, now: datetime) -> int:
    check_category(spec, config)
    async with engine.begin() as conn:
        return await store.add_article(conn, {**spec.model_dump(), "published_at": spec.published_at or now,
                                              "created_at": now})


async def update(engine: AsyncEngine, config: AppConfig, article_id: int, spec: NewsIn) -> dict[str, Any]:
    """Replace an article's content (its author stays); returns the values before the change."""
    check_category(spec, config)
    async with engine.begin() as conn:
        row = await store.get_article(conn, article_id)
        if row is None:
            raise NotFound(f"news article {article_id} does not exist")
        values = spec.model_dump(exclude={"created_by"})
        values["published_at"] = spec.published_at or row.published_at
        await store.update_article(conn, article_id, values)
    return {k: getattr(row, k) for k in values}
