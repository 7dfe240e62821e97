"""A request moved to another desk: the old card says where it went and loses its pin."""

from __future__ import annotations

from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import DANA, ELI, HR_CHANNEL, IT_CHANNEL, block_text, slack_world
from tests.slack.test_story import posts


async def test_a_pinned_card_moved_to_another_desk_is_unpinned_where_it_was(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        answer = await world.command(ELI, "ask IT my payslip is missing")
        assert "#1001" in block_text(answer)
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        ref = "1001"

        answer = await world.command(DANA, f"pin {ref}")
        assert "Pinned" in block_text(answer)
        await world.settled()
        assert world.api.pins(IT_CHANNEL) == [card["ts"]]

        answer = await world.command(DANA, f"transfer {ref} HR")
        assert "HR" in block_text(answer)
        await world.settled()
        assert world.api.pins(IT_CHANNEL) == []  # unpinned where nobody works it now
        removed = [c for c in world.api.calls_to("pins.remove") if c.ok]
        assert [(c.params["channel"], c.params["timestamp"]) for c in removed] == [
            (IT_CHANNEL, card["ts"])]
        old = world.api.message(IT_CHANNEL, card["ts"])
        assert old is not None and "HR" in block_text(old)
        [moved] = posts(world, HR_CHANNEL)
        assert "payslip" in block_text(moved)
