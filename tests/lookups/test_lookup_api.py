"""The push API for integrations: bearer tokens with scopes, validation naming fields, idempotent batches."""

from __future__ import annotations

from storage.lookups.models import Dossier, IdCardResult
from tests.kit import BotHarness
from tests.lookups.kit import (
    BIRTH,
    ID_NUMBER,
    ID_NUMBER_2,
    NEWS_TOKEN,
    TOKEN,
    card,
    dossier,
    lookup_bot,
    push,
    rows,
)


async def test_tokens_and_scopes(bot: BotHarness) -> None:
    body = {"items": [dossier()]}
    assert (await push(bot, "/api/v1/dossiers", body, token=None))[0] == 401
    status, answer = await push(bot, "/api/v1/dossiers", body, token="not-a-token")
    assert (status, answer["error"]) == (401, "invalid bearer token")
    status, answer = await push(bot, "/api/v1/id-cards", {"items": [card()]}, token=NEWS_TOKEN)
    assert status == 403 and "id_cards" in answer["error"]
    assert await rows(bot, Dossier) == [] and await rows(bot, IdCardResult) == []


async def test_invalid_items_are_named_and_nothing_is_stored(bot: BotHarness) -> None:
    items = [dossier(), dossier(code="H57.132-260804-0583", status="lost in the mail", due_on="32/01/2026"),
             {**dossier(code="H57.132-260804-0584"), "phone": None, "colour": "blue"}]
    status, answer = await push(bot, "/api/v1/dossiers", {"items": items})
    assert status == 422 and "nothing was stored" in answer["error"]
    details = answer["details"]
    assert any(d.startswith("items.1.status: unknown status") for d in details)
    assert "items.1.due_on: is not a real calendar date" in details
    assert any(d.startswith("items.2.phone:") for d in details) and "items.2.colour: unknown field" in details
    assert await rows(bot, Dossier) == []

    status, answer = await push(bot, "/api/v1/id-cards", {"items": [card(id_number="12345"), card(birth_date="")]})
    assert status == 422
    assert "items.0.id_number: must have 12 digits (has 5)" in answer["details"]
    assert any(d.startswith("items.1.birth_date:") for d in answer["details"])
    assert not any(ID_NUMBER in d or BIRTH in d for d in answer["details"])  # errors never echo values

    assert (await push(bot, "/api/v1/dossiers", {"items": []}))[0] == 422
    assert (await push(bot, "/api/v1/dossiers", [dossier()]))[0] == 422


async def test_batches_are_idempotent_and_keep_only_hashes(bot: BotHarness) -> None:
    items = [card(), card(receipt="BN2026-000999", id_number=int(ID_NUMBER_2), status="Đã có thẻ")]
    status, answer = await push(bot, "/api/v1/id-cards", {"items": [*items, items[0]]})
    assert status == 200, answer
    assert (answer["inserted"], answer["updated"], answer["unchanged"], answer["duplicates"]) == (2, 0, 0, 1)
    first = await rows(bot, IdCardResult)
    status, answer = await push(bot, "/api/v1/id-cards", {"items": items})
    assert (answer["inserted"], answer["updated"], answer["unchanged"]) == (0, 0, 2)
    assert await rows(bot, IdCardResult) == first  # not even updated_at moved
    second = first[1]
    assert (second.status, second.id_last4, second.source) == ("ready", ID_NUMBER_2[-4:], "api:mot-cua")
    stored = " ".join(str(v) for row in first for v in row)
    assert ID_NUMBER not in stored and ID_NUMBER_2 not in stored and BIRTH not in stored and "1990-09-05" not in stored

    status, answer = await push(bot, "/api/v1/id-cards", {"items": [card(status="collected")]})
    assert (answer["updated"], answer["unchanged"]) == (1, 0)
    [changed] = await rows(bot, IdCardResult, IdCardResult.__table__.c.receipt_no == "BN2026000123")
    assert changed.status == "collected" and changed.finished_at is not None


async def test_without_a_hashing_key_the_api_refuses(db_url: str) -> None:
    async with lookup_bot(db_url, privacy={"hash_key": ""}) as bot:
        status, answer = await push(bot, "/api/v1/dossiers", {"items": [dossier()]}, token=TOKEN)
        assert status == 503 and "hash_key" in answer["error"]
        chat = bot.resident("u1")
        await chat.say("menu")
        assert "chưa sẵn sàng" in "\n".join(m.text for m in await chat.click("Tra cứu hồ sơ"))
