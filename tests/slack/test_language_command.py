"""`/desk language` end to end on Slack: the answer, and what follows, come in Hebrew."""

from __future__ import annotations

from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import ADA, ELI, IT_CHANNEL, block_text, slack_world


async def test_a_person_who_chooses_hebrew_is_answered_in_hebrew(db: Database,
                                                               clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        answer = await world.command(ELI, "language he")
        assert answer["response_type"] == "ephemeral"
        shown = block_text(answer)
        assert "השפה שבה נכתוב לכם מעכשיו: עברית." in shown, shown
        # A refusal afterwards is in Hebrew too, its command kept as typed.
        refused = block_text(await world.command(ELI, "claim 1042"))
        assert "אין פנייה #1042." in refused or "נציגים" in refused, refused
        assert "There is no" not in refused and "You are not" not in refused
        unknown = block_text(await world.command(ELI, "frobnicate"))
        assert "אין פקודה של" in unknown and "`/desk help`" in unknown, unknown
        # Someone else is still answered in English.
        english = block_text(await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it>"))
        assert "Created the IT desk." in english, english
        back = block_text(await world.command(ELI, "language en"))
        assert "I will write to you in English from now on." in back, back
        # An admin sets a desk's language; the answer is in the admin's own language.
        said = block_text(await world.command(ADA, "admin language IT he"))
        assert "The IT desk now speaks Hebrew" in said, said
