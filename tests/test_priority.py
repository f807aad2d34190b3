"""Residents first: a broadcast step waits while a conversation pass runs, but is never starved."""

from __future__ import annotations

import asyncio

from bot.priority import ConversationsFirst


async def test_a_broadcast_step_waits_for_the_conversation_pass_in_progress() -> None:
    gate = ConversationsFirst(max_wait=60)
    order: list[str] = []

    async def broadcast_step() -> None:
        await gate.wait_turn()
        order.append("broadcast")

    with gate.working():
        step = asyncio.create_task(broadcast_step())
        for _ in range(10):
            await asyncio.sleep(0)
        order.append("reply")
    await step
    assert order == ["reply", "broadcast"]

    await asyncio.wait_for(gate.wait_turn(), 1)  # nothing going on: at once


async def test_a_broadcast_step_is_never_starved_by_conversations() -> None:
    gate = ConversationsFirst(max_wait=0.01)
    with gate.working():
        await asyncio.wait_for(gate.wait_turn(), 5)  # returns after max_wait although work goes on
