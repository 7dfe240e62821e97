"""Private answers to one person: refusals and confirmations that change no state.

They are not outbox notices: nothing is lost if one fails (the state is unchanged and
the person can try again), and they must reach the person at once.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.app import SlackContext
from cards import slack as slack_cards
from conversations.view_models import Reply
from desks.languages import DEFAULT_LOCALE
from desks.wording import Words

log = logging.getLogger(__name__)


async def tell_privately(ctx: SlackContext, team_id: str, channel: str, user_id: str,
                         text: str | Words, *,
                         kind: str = "error", usage: str | None = None,
                         thread_ts: str | None = None, locale: str = DEFAULT_LOCALE) -> None:
    """Post an ephemeral message to `user_id` in `channel`, in `locale` (the person's);
    `text` is words to say (or English without a catalogue key). Failures are only logged."""
    view = (Reply.of(text, kind=kind, usage=usage) if isinstance(text, Words)
            else Reply(text=text, kind=kind, usage=usage))
    message = slack_cards.message(view, locale=locale)
    try:
        client = await ctx.client_for(team_id)
        kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        await client.chat_postEphemeral(channel=channel, user=user_id, text=message["text"],
                                        blocks=message["blocks"], **kwargs)
    except Exception as error:  # the person may retry; nothing was changed
        log.warning("could not answer %s privately in %s (%s)", user_id, channel,
                    type(error).__name__)
