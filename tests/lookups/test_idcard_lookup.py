"""Căn cước result lookups through the signed webhook: consent first, masked answers, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from flows.lookups.hashing import KeyedHasher
from storage.lookups.models import IdCardResult
from storage.models import Resident
from tests.kit import BotHarness, ResidentChat, texts
from tests.lookups.kit import (
    BIRTH,
    BIRTH_2,
    HASH_KEY,
    ID_NUMBER,
    ID_NUMBER_2,
    RECEIPT,
    audit_rows,
    card,
    lookup_bot,
    push_ok,
    rows,
)

PATH = "/api/v1/id-cards"


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[BotHarness]:
    async with lookup_bot(db_url) as harness:
        await push_ok(harness, PATH, [card(status="ready"),
                                      card(receipt="BN2026-000999", id_number=ID_NUMBER_2, birth_date=BIRTH_2)])
        yield harness


async def consented(bot: BotHarness, user: str = "u1") -> ResidentChat:
    chat = bot.resident(user)
    await chat.say("menu")
    await chat.click("Căn cước xong chưa?")
    await chat.click("Đồng ý")
    return chat


async def test_nothing_is_looked_up_before_consent(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("menu")
    notice = await chat.click("Căn cước xong chưa?")
    text = texts(notice)
    assert "Công an cấp" in text and "không phải UBND" in text and "rút lại đồng ý" in text
    assert notice[0].button_titles() == ["Đồng ý", "Không đồng ý"]
    # Typing the number and the date of birth without tapping "Đồng ý" gets the notice again, not an answer.
    assert "Đồng ý" in texts(await chat.say(ID_NUMBER))
    assert "Đồng ý" in texts(await chat.say(BIRTH))
    assert await audit_rows(bot) == []
    # A payload typed before consent is ignored too: the lookup starts from the notice.
    assert "Bạn có đồng ý không" in texts(await chat.say(f"#idcard:start:{ID_NUMBER}"))
    assert "Bot sẽ không tra cứu" in texts(await chat.click("Không đồng ý"))
    assert await audit_rows(bot) == []


async def test_receipt_and_birth_date_give_status_pickup_and_masked_identifiers(bot: BotHarness) -> None:
    chat = await consented(bot)
    assert "ngày sinh" in texts(await chat.say("số biên nhận: bn 2026 000123"))  # spaced, lower case
    answer = texts(await chat.say(f"tôi sinh ngày {BIRTH}"))
    assert "đã có thẻ" in answer and "Công an phường Hội An Đông" in answer and "20/03/2026" in answer
    assert "do Công an cấp" in answer
    assert "số biên nhận ********0123" in answer and "BN2026" not in answer
    assert ID_NUMBER not in answer and BIRTH not in answer
    outcomes = [(r.kind, r.outcome, r.zalo_user_id) for r in await audit_rows(bot)]
    assert outcomes == [("id_card", "consent", "u1"), ("id_card", "found", "u1")]


@pytest.mark.parametrize("typed", ["0491 9000 1234", f"CCCD: {ID_NUMBER}", f"so dinh danh {ID_NUMBER}"])
async def test_id_number_is_kept_only_as_a_hash_while_asking_the_birth_date(bot: BotHarness, typed: str) -> None:
    chat = await consented(bot)
    await chat.say(typed)
    [resident] = await rows(bot, Resident, Resident.__table__.c.zalo_user_id == "u1")
    assert resident.state["state"] == "birth" and ID_NUMBER not in str(resident.state)
    answer = texts(await chat.say(BIRTH))
    assert "số định danh ********1234" in answer and ID_NUMBER not in answer


async def test_wrong_birth_date_is_refused_and_audited(bot: BotHarness) -> None:
    chat = await consented(bot)
    await chat.say(ID_NUMBER)
    refused = texts(await chat.say("06/09/1990"))
    assert "không khớp" in refused and "đã có thẻ" not in refused and "còn 4 lần" in refused
    await chat.say("999999999999")  # not a số định danh (no leading 0): taken as a receipt number
    assert "không khớp" in texts(await chat.say(BIRTH))
    [consent, mismatch, not_found] = await audit_rows(bot)
    assert (consent.outcome, mismatch.outcome, not_found.outcome) == ("consent", "mismatch", "not_found")
    [stored] = await rows(bot, IdCardResult, IdCardResult.__table__.c.id_last4 == ID_NUMBER[-4:])
    assert mismatch.key_hash == stored.id_hash == KeyedHasher(HASH_KEY).id_number(ID_NUMBER)


async def test_unreadable_birth_date_is_asked_again_without_counting(bot: BotHarness) -> None:
    chat = await consented(bot)
    await chat.say(RECEIPT)
    assert "chưa đọc được ngày sinh" in texts(await chat.say("31/02/1990"))
    assert "đã có thẻ" in texts(await chat.say(BIRTH))
    assert [r.outcome for r in await audit_rows(bot)] == ["consent", "found"]
