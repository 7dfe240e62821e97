"""`/desk`: the slash command, stored, acknowledged, then run; answered privately.

The listener stores the command in the inbox (so nothing acknowledged is lost, and a
replayed request, with the same trigger_id, is kept once) and acknowledges. The inbox
then runs it (`process`) in one unit of work with the delivery's processed mark. Its
answer goes in the acknowledgement when it is ready within `SlackContext.answer_wait`
(the usual case); otherwise, or in a burst (several acks already waiting), the ack goes
out empty and the answer follows through the outbox to the command's `response_url` (a
`COMMAND_ANSWER` notice: retried like every other), so a burst never delays an ack.

A command that only reads (`/desk my`, `queue`, `help`) is run at once, out of its
turn (`Inbox.process_delivery`), so it does not wait behind a burst of others.

The words are parsed and run by the platform-neutral `conversations.command_line`; this module only
translates Slack's payload in and the outcome's card out.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.slack.app import SlackContext
from bot.slack.typed_text import typed
from cards import slack as slack_cards
from conversations.command_line.runner import (
    Caller,
    Outcome,
    Prepared,
    prepare_command,
    reads_only,
    run_prepared,
)
from conversations.view_models import ArticleForm, Reply
from desks.languages import person_locale
from desks.notices import NoticeKind
from desks.wording import Words
from storage import inbound
from storage.database import UnitOfWork
from storage.inbox import AfterCommit
from storage.journal import write_notice
from storage.models import InboundEvent

log = logging.getLogger(__name__)

COMMAND = "/desk"
KIND = "command"  # the inbox kind of a stored command


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach the `/desk` listener."""

    @app.command(COMMAND)
    async def on_desk(ack: AsyncAck, command: dict, context: AsyncBoltContext) -> None:
        await ack(**await receive(ctx, command, context["team_id"]))


async def receive(ctx: SlackContext, command: dict, team_id: str) -> dict:
    """Store one `/desk` command; the ack payload (its answer when ready at once, else {})."""
    # trigger_id is unique per typed command: a replay of the same request is kept once.
    delivery_id = inbound.identify("slack", KIND, command)
    # A command that only reads (`/desk my`) runs at once, out of its turn: it need
    # not wait behind a burst of others, and its answer can go in the ack.
    quick = reads_only(typed(command.get("text") or ""))
    waits = ctx.answers.expect(delivery_id, always=quick)
    try:
        # Slack's legacy verification token is not kept (the signature is what counts).
        kept = {key: value for key, value in command.items() if key != "token"}
        new, _ = await inbound.store(ctx.inbox, "slack", KIND, command, team_id,
                                     {"command": kept}, identified=delivery_id)
    except BaseException:
        ctx.answers.forget(delivery_id)
        raise
    if not new:
        ctx.answers.forget(delivery_id)
        log.info("slack command %s delivered again; already stored", delivery_id)
        return {}
    if not waits:
        return {}
    if quick:
        ctx.answers.run(ctx.inbox.process_delivery("slack", delivery_id))
    return await ctx.answers.wait(delivery_id, ctx.answer_wait) or {}


def _caller(command: dict, team_id: str) -> Caller:
    channel = command.get("channel_id")
    return Caller(platform="slack", workspace_external_id=team_id,
                  user_id=command["user_id"], channel=channel,
                  channel_is_dm=(command.get("channel_name") == "directmessage"
                                 or (channel or "").startswith("D")))


async def prepare(ctx: SlackContext, row: InboundEvent) -> Prepared:
    """Before the transaction: the command read, the people it names looked up."""
    command = row.payload["command"]
    return await prepare_command(ctx.db, _caller(command, row.workspace_external_id),
                                 typed(command.get("text") or ""),
                                 directory=ctx.people.directory)


async def process(ctx: SlackContext, uow: UnitOfWork, row: InboundEvent,
                  prepared: Prepared) -> AfterCommit:
    """Run one stored command in the inbox's unit of work, and see its answer delivered:
    in the ack when it still waits, else through the outbox."""
    command = row.payload["command"]
    team_id = row.workspace_external_id
    caller = _caller(command, team_id)
    try:
        outcome = await run_prepared(uow, caller, prepared, extra_admins=ctx.settings.admins,
                                     note_prefix=ctx.note_prefix)
    except Exception:  # run_prepared answers bad input itself; this is a bug, not input
        log.exception("/desk failed in team %s", team_id)
        _, people = await ctx.people.enter(uow, team_id, [caller.user_id], prepared.profiles)
        outcome = Outcome(Reply.of(Words("command.failed"), kind="error"),
                          locale=person_locale(people[caller.user_id]))
    if isinstance(outcome.view, ArticleForm):
        return _article_form(ctx, row, command, team_id, outcome.view, outcome.locale)
    # run_prepared says it in the caller's language as it is after the command.
    answer = answer_of(outcome)
    waiter = ctx.answers.claim(row.delivery_id)
    if waiter is not None:
        async def hand_over() -> None:
            if not waiter.done():
                waiter.set_result(answer)
                return
            # The ack went out without it (the commit took too long): a late answer.
            async with ctx.db.unit_of_work() as later:
                await _send_later(ctx, later, command, team_id, prepared, answer)
                await later.commit()
        return hand_over
    await _send_later(ctx, uow, command, team_id, prepared, answer)
    return None


def _article_form(ctx: SlackContext, row: InboundEvent, command: dict, team_id: str,
                  form: ArticleForm, locale: str) -> AfterCommit:
    """`/desk kb add REF`: after the commit, the ack goes out empty and the article
    modal opens with the command's trigger_id (its submission: `bot.slack.actions`)."""
    waiter = ctx.answers.claim(row.delivery_id)
    metadata = json.dumps({"ref": form.ref, "channel": command.get("channel_id")})

    async def open_form() -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result({})
        try:
            client = await ctx.client_for(team_id)
            await client.views_open(trigger_id=str(command.get("trigger_id") or ""),
                                    view=slack_cards.modal(dataclasses.replace(
                                        form, private_metadata=metadata[:3000]),
                                        locale=locale))
        except Exception as error:  # its trigger_id expired: the agent types it again
            log.warning("could not open the article modal (%s)", type(error).__name__,
                        exc_info=True)
    return open_form


async def _send_later(ctx: SlackContext, uow: UnitOfWork, command: dict, team_id: str,
                      prepared: Prepared, answer: dict[str, Any]) -> None:
    """Queue the answer for the command's response_url (in `uow`'s transaction)."""
    user_id = command["user_id"]
    _, people = await ctx.people.enter(uow, team_id, [user_id], prepared.profiles)
    person = people[user_id]
    write_notice(uow, workspace_id=person.workspace_id, kind=NoticeKind.COMMAND_ANSWER,
                 person_id=person.id,
                 payload={"answer": answer, "response_url": command.get("response_url"),
                          "channel": command.get("channel_id")})


def answer_of(outcome: Outcome, *, locale: str | None = None) -> dict[str, Any]:
    """The command's answer as Slack takes it (text, blocks, response_type), in `locale`
    (else the caller's language as the outcome says it)."""
    message = slack_cards.message(outcome.view, locale=locale or outcome.locale)
    return {"response_type": "in_channel" if outcome.public else "ephemeral", **message}
