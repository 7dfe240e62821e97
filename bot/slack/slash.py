"""`/desk`: the slash command, answered in the HTTP response (private unless said otherwise).

The words are parsed and run by the platform-neutral `bot.commands`; this module only
translates Slack's payload in and the outcome's card out.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.commands import Caller, run_command
from bot.slack.app import SlackContext
from bot.slack.text import typed
from cards import slack as slack_cards
from cards.views import Reply

log = logging.getLogger(__name__)

COMMAND = "/desk"


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach the `/desk` listener."""

    @app.command(COMMAND)
    async def on_desk(ack: AsyncAck, command: dict, context: AsyncBoltContext) -> None:
        await ack(**await answer(ctx, command, context["team_id"]))


async def answer(ctx: SlackContext, command: dict, team_id: str) -> dict:
    """Run one `/desk` command; the ack payload (text, blocks, response_type)."""
    channel = command.get("channel_id")
    caller = Caller(platform="slack", workspace_external_id=team_id,
                    user_id=command["user_id"], channel=channel,
                    channel_is_dm=(command.get("channel_name") == "directmessage"
                                   or (channel or "").startswith("D")))
    try:
        outcome = await run_command(ctx.db, caller, typed(command.get("text") or ""),
                                    directory=ctx.people.directory,
                                    extra_admins=ctx.settings.admins,
                                    note_prefix=ctx.note_prefix)
        view, public = outcome.view, outcome.public
    except Exception:  # run_command answers bad input itself; this is a bug, not input
        log.exception("/desk failed in team %s", team_id)
        view, public = Reply(text="Something went wrong on my side; please try again.",
                             kind="error"), False
    message = slack_cards.message(view)
    return {"response_type": "in_channel" if public else "ephemeral", **message}
