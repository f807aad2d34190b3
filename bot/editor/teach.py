"""Teaching the bot from what residents asked: their unanswered and "did you mean" messages grouped by
similarity, and one message (or the part of it that matters) added to a draft as an informal name of a
procedure or as a cue of an intent. The admin publishes the draft on the overview page as usual."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AppConfig
from bot.editor import drafts, toml_edit
from bot.errors import InvalidInput, NotFound
from flows.text.understand import Understander
from storage import unanswered

SHOWN = 500  # newest messages grouped on the page: a month of a commune's misses, far below a second's work
SIMILAR = 80  # rapidfuzz token-set ratio (0-100) of canonical words at which two messages are one group
MAX_PHRASE = 120
# Cues an admin may teach, with the names the page shows (the lexicon's other lists are the rules' own).
CUES = {
    "handoff": "Muốn gặp cán bộ",
    "contact_strong": "Hỏi địa chỉ, giờ làm việc, số điện thoại",
    "dossier_check": "Tra cứu hồ sơ",
    "id_card": "Căn cước",
    "news": "Tin tức, thông báo",
    "subscribe": "Đăng ký nhận tin",
    "unsubscribe": "Hủy nhận tin",
    "browse": "Xem danh sách thủ tục",
    "wednesday": "Ngày thứ Tư không hẹn",
    "greeting": "Chào hỏi",
    "out_of_scope": "Ngoài phạm vi (bot không trả lời)",
}
PATTERN_SIGNS = set("*{}?|")  # a cue is a pattern: these would change what it matches


@dataclass
class Group:
    """Messages that say much the same thing, the most frequent wording first."""

    key: str  # canonical words of the first wording: what similarity is measured against
    texts: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    last: datetime | None = None

    @property
    def count(self) -> int:
        return sum(self.texts.values())

    @property
    def text(self) -> str:
        return self.texts.most_common(1)[0][0]

    @property
    def others(self) -> list[str]:
        return [t for t, _ in self.texts.most_common(4)[1:]]


def canonical(understander: Understander, text: str) -> str:
    """Unaccented canonical words (abbreviations and dialect mapped), without the masked digits."""
    return " ".join(w for w in understander.canon.words(text) if w != "|" and "*" not in w)


def group(understander: Understander, rows: list[Any]) -> list[Group]:
    """Rows of (text, kind, created_at), newest first → groups, largest first."""
    groups: list[Group] = []
    for text, kind, created_at in rows:
        key = canonical(understander, text) or text.lower()
        home = next((g for g in groups if fuzz.token_set_ratio(key, g.key) >= SIMILAR), None)
        if home is None:
            home = Group(key)
            groups.append(home)
        home.texts[text] += 1
        home.kinds[kind] += 1
        home.last = max(home.last or created_at, created_at)
    return sorted(groups, key=lambda g: -g.count)


async def groups(engine: AsyncEngine, config: AppConfig, understander: Understander, now: datetime) -> list[Group]:
    """This retention period's messages, grouped: older ones are past the retention setting (the purge
    deletes them; until it runs they are not shown either)."""
    start = now - timedelta(days=config.privacy.conversation_retention_days)
    async with engine.connect() as conn:
        rows = await unanswered.since(conn, start, SHOWN)
    return group(understander, rows)


def suggestions(understander: Understander, text: str, limit: int = 5) -> list[str]:
    """The procedures the message is most like, best first (slugs)."""
    return [slug for slug, score in understander.rank(text)[:limit] if score > 0]


def clean_phrase(raw: str, *, cue: bool) -> str:
    phrase = " ".join(raw.split())
    if not phrase:
        raise InvalidInput(["phrase: write the words to teach (the part of the message that matters)"])
    if len(phrase) > MAX_PHRASE:
        raise InvalidInput([f"phrase: {len(phrase)} characters, at most {MAX_PHRASE}: keep the words that matter"])
    if "*" in phrase and not cue:
        raise InvalidInput(["phrase: has masked digits (*): keep only the words"])
    if cue and PATTERN_SIGNS & set(phrase):
        raise InvalidInput(["phrase: a cue may not contain * { } ? | (they are pattern signs): keep only the words"])
    return phrase


async def teach(engine: AsyncEngine, config: AppConfig, target: str, raw_phrase: str, actor: str, now: datetime,
                ip: str | None = None) -> tuple[str, str]:
    """Add the phrase to a draft: target "proc:<slug>" (an informal name) or "cue:<name>"; returns (the kind
    drafted, the phrase as added)."""
    what, _, name = target.partition(":")
    if what not in ("proc", "cue") or not name:
        raise InvalidInput(["target: choose a procedure or an intent"])
    phrase = clean_phrase(raw_phrase, cue=what == "cue")
    ws = await drafts.workspace(engine, config, check=False)
    if what == "proc":
        kind = "catalog.toml"
        try:
            content = toml_edit.add_informal_name(kind, ws.files[kind], name, phrase)
        except NotFound:
            raise InvalidInput([f"target: there is no procedure {name}"]) from None
        comment = f"informal name for {name}: {phrase}"
    else:
        if name not in CUES:
            raise InvalidInput([f"target: {name} is not an intent that can be taught"])
        kind = "lexicon.toml"
        content = toml_edit.add_to_list(kind, ws.files[kind], ("cues", name), phrase)
        comment = f"cue for {name}: {phrase}"
    await drafts.save(engine, config, kind, content, actor, now, comment[:500], ip)
    return kind, phrase
