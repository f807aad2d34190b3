"""Residents first: a broadcast step waits while a conversation pass runs, but is never starved."""

from __future__ import annotations

import asyncio

from bot.conversations_first import ConversationsFirst
from tests.kit import OA_ID, BotHarness


def broadcast_step(gate: ConversationsFirst, order: list[str]) -> asyncio.Task[None]:
    """A step of broadcast work, started now: it notes "broadcast" in `order` once the gate lets it."""
    async def step() -> None:
        await gate.wait_turn()
        order.append("broadcast")
    return asyncio.create_task(step())


async def let_others_run() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_broadcast_step_waits_for_the_conversation_pass_in_progress() -> None:
    gate = ConversationsFirst(max_wait=60)
    order: list[str] = []
    with gate.working():
        step = broadcast_step(gate, order)
        await let_others_run()
        order.append("reply")
    await step
    assert order == ["reply", "broadcast"]

    await asyncio.wait_for(gate.wait_turn(), 1)  # nothing going on: at once


async def test_a_broadcast_step_is_never_starved_by_conversations() -> None:
    gate = ConversationsFirst(max_wait=0.01)
    with gate.working():
        await asyncio.wait_for(gate.wait_turn(), 5)  # returns after max_wait although work goes on


async def test_a_stored_event_holds_broadcasts_back_until_a_worker_pass_has_taken_it() -> None:
    gate = ConversationsFirst(max_wait=60)
    order: list[str] = []
    gate.event_stored()  # the webhook committed a resident's message; no pass has started on it yet
    step = broadcast_step(gate, order)
    await let_others_run()
    assert order == []
    with gate.worker_pass():
        await let_others_run()
        order.append("flow")
    await asyncio.wait_for(step, 5)  # not max_wait (60 s): the pass let it through
    assert order == ["flow", "broadcast"]

    with gate.working():  # the reply sender's pass holds broadcasts back too
        step = broadcast_step(gate, order)
        await let_others_run()
        order.append("reply sent")
    await asyncio.wait_for(step, 5)  # not max_wait (60 s): the pass let it through
    assert order == ["flow", "broadcast", "reply sent", "broadcast"]


async def test_only_residents_events_close_the_gate_not_zalos_echoes_of_the_oas_sends(db_url: str) -> None:
    async with BotHarness.start(db_url) as bot:
        gate = bot.runtime.conversations
        echo = bot.events.raw("oa_send_text", sender={"id": OA_ID}, recipient={"id": "u1"},
                              message={"text": "Thông báo lịch cắt điện", "msg_id": "echo-1"})
        assert (await bot.post(*echo)).status == 200
        assert not gate.busy, "an echo of a broadcast message held broadcasts back"
        assert (await bot.post(*bot.events.text("u1", "menu"))).status == 200
        assert gate.busy
        await bot.runtime.drain()
        assert not gate.busy
