"""The sandbox's demo data: a few dossiers in different states, căn cước records, news and households, so a
newcomer sees every capability answer with data. Made-up values, dated around today so none is in the past
by the time someone tries them; seeding again changes nothing (natural keys, news only once).

`DEMO_HINTS` is what the sandbox page lists above the chat: what to type, and what the bot should answer.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.broadcasts.news import NewsIn
from bot.broadcasts.news import add as add_news
from bot.lookups.sync import store_records
from bot.lookups.validate import validate
from bot.runtime import Runtime
from storage.broadcasts.households import HouseholdRepo
from storage.broadcasts.models import NewsArticle
from storage.engine import run_transaction
from storage.queues import ensure_residents

DEMO_PHONE = "0912 345 678"  # every demo dossier was registered with this number: its last 4 verify
DEMO_PHONE_TAIL = DEMO_PHONE.replace(" ", "")[-4:]
DEMO_CODES = {"processing": "000.31.25.H47-261201-0001", "need_more": "000.31.25.H47-261201-0002",
              "result_ready": "000.31.25.H47-261201-0003"}
DEMO_CARDS = [  # (receipt, số định danh, date of birth, status)
    ("BN2026-000111", "049190000111", "05/09/1990", "ready"),
    ("BN2026-000222", "001185000222", "17/02/1985", "processing"),
]
DEMO_SOURCE = "sandbox-demo"
KEY_FILE_SUFFIX = ".hash-key"


def sandbox_hash_key(database_url: str) -> str:
    """The sandbox's own key for hashing personal values, kept beside its database so the seeded records
    still match after a restart; made on first use."""
    path = Path(database_url.partition(":///")[2] or "data/sandbox.sqlite3")
    key_file = path.with_name(path.name + KEY_FILE_SUFFIX)
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def _iso(d: date) -> str:
    return d.isoformat()


def demo_dossiers(today: date) -> list[dict[str, Any]]:
    base = {"procedure": "Đăng ký khai sinh", "phone": DEMO_PHONE, "received_on": _iso(today - timedelta(days=2))}
    return [
        {**base, "code": DEMO_CODES["processing"], "status": "processing", "due_on": _iso(today + timedelta(days=3))},
        {**base, "code": DEMO_CODES["need_more"], "procedure": "Xác nhận tình trạng hôn nhân", "status": "need_more",
         "due_on": _iso(today + timedelta(days=5)),
         "missing_papers": "Bản sao giấy chứng tử của vợ/chồng trước\nTờ khai ký lại (ký đủ họ tên)"},
        {**base, "code": DEMO_CODES["result_ready"], "procedure": "Chứng thực hợp đồng, giao dịch",
         "status": "result_ready", "due_on": _iso(today), "result_on": _iso(today), "pickup_place": "Quầy số 2"},
    ]


def demo_cards(today: date) -> list[dict[str, Any]]:
    ready_on = {"ready": today - timedelta(days=1), "processing": today + timedelta(days=6)}
    return [{"receipt_no": receipt, "id_number": id_number, "birth_date": birth, "status": status,
             "ready_on": _iso(ready_on[status]), "pickup_place": "Công an phường Hội An Đông"}
            for receipt, id_number, birth, status in DEMO_CARDS]


DEMO_NEWS = [
    ("thien-tai-bao-lu", "(Tin mẫu) Chủ động phòng chống mưa lũ cuối năm",
     "Các hộ ven sông kê cao đồ đạc, theo dõi thông báo sơ tán của phường.",
     "Đây là tin mẫu của môi trường thử. Khi có mưa lớn kéo dài, các hộ ven sông Thu Bồn chủ động kê cao đồ "
     "đạc, neo buộc ghe thuyền và theo dõi thông báo sơ tán của UBND phường."),
    ("y-te-dich-benh", "(Tin mẫu) Lịch tiêm chủng mở rộng tháng này",
     "Trạm y tế tiêm chủng cho trẻ em vào sáng thứ Năm tuần thứ hai.",
     "Đây là tin mẫu của môi trường thử. Phụ huynh mang sổ tiêm chủng và thẻ BHYT của trẻ."),
    ("thong-bao-chinh-quyen", "(Tin mẫu) Ngày thứ Tư không hẹn",
     "Thứ Tư hằng tuần, bộ phận một cửa nhận hồ sơ không cần hẹn.",
     "Đây là tin mẫu của môi trường thử. Xem danh sách thủ tục bằng nút \"Thứ Tư không hẹn\" trong menu."),
]

DEMO_HINTS: list[dict[str, str]] = [
    {"label": "Tra cứu hồ sơ đang xử lý", "say": DEMO_CODES["processing"], "then": DEMO_PHONE_TAIL},
    {"label": "Hồ sơ cần bổ sung giấy tờ", "say": DEMO_CODES["need_more"], "then": DEMO_PHONE_TAIL},
    {"label": "Hồ sơ đã có kết quả", "say": DEMO_CODES["result_ready"], "then": DEMO_PHONE_TAIL},
    {"label": "Căn cước đã có thẻ (bấm Đồng ý, rồi gõ số biên nhận, rồi ngày sinh)", "say": "căn cước xong chưa",
     "then": f"{DEMO_CARDS[0][0]} · {DEMO_CARDS[0][2]}"},
    {"label": "Căn cước đang làm (số định danh thay cho số biên nhận)", "say": "căn cước xong chưa",
     "then": f"{DEMO_CARDS[1][1]} · {DEMO_CARDS[1][2]}"},
    {"label": "Tin tức địa phương", "say": "tin tức", "then": ""},
    {"label": "Một thủ tục", "say": "làm giấy khai sinh cần gì", "then": ""},
    {"label": "Thứ Tư không hẹn", "say": "thứ tư không hẹn là gì", "then": ""},
]


async def seed_demo(rt: Runtime, now: datetime) -> None:
    """Store the demo data in the sandbox's database (again: nothing changes)."""
    today = now.date()
    assert rt.services.hasher is not None, "the sandbox makes its own hash key"
    for kind, items in (("dossier", demo_dossiers(today)), ("id_card", demo_cards(today))):
        valid, problems, _ = validate(kind, list(enumerate(items)), {})
        assert not problems, problems
        async with rt.engine.begin() as conn:
            await store_records(conn, kind, [r for _, r in valid], rt.services, DEMO_SOURCE, now)
    async with rt.engine.connect() as conn:
        has_news = (await conn.execute(select(func.count()).select_from(NewsArticle))).scalar_one()
    topics = {t.slug for t in rt.config.topics}
    for i, (category, title, summary, body) in enumerate(() if has_news else DEMO_NEWS):
        if category in topics:
            await add_news(rt.engine, rt.config, NewsIn(title=title, summary=summary, body=body, category=category,
                                                        created_by=DEMO_SOURCE), now - timedelta(hours=i))
    await _seed_households(rt, now)


async def _seed_households(rt: Runtime, now: datetime) -> None:
    thon: list[str | None] = [t.slug for t in rt.config.commune.thon] or [None]
    topics = [t.slug for t in rt.config.topics if t.default]
    users = [f"demo-ho-{i}" for i in range(1, 4)]
    await run_transaction(rt.engine, ensure_residents, users, now)
    async with rt.engine.begin() as conn:
        repo = HouseholdRepo(conn)
        for i, user in enumerate(users):
            house = await repo.ensure(user, now)
            await repo.set_thon(house.resident_id, thon[i % len(thon)], now)
            await repo.set_topics(house.resident_id, topics, now)
            await repo.mark_onboarded(house.resident_id, now)
