"""A card's `Action.Execute`: run the button, answer with the card as it reads now.

Teams waits for the answer in the HTTP response (and gives up after 10–15 s), so the
command runs at once, in one unit of work with the invoke's processed mark
(`storage.inbound.first`, by the rule of its kind in `KINDS`): an invoke Teams sends
again is recognised and only answered, not run twice. The answer
replaces the card for the person who clicked; the core's notices update it for
everyone else (and `refresh` makes Teams ask for it when an agent looks).

A refusal ("already claimed by Dana") is answered as a message only the clicker sees,
and the card stays as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.schema import AdaptiveCardInvokeResponse
from sqlalchemy import select

from bot.teams.accounts import PLATFORM, enter, sender_of, warm_audience
from bot.teams.addresses import tenant_of
from bot.teams.app import TeamsContext
from bot.teams.sender import linked_card
from cards import teams as teams_cards
from cards.i18n import say
from cards.teams.verbs import ASK, KB, REFRESH, due_of, ref_of, value_of
from conversations import (
    button_ids,
    buttons,
    commands,
    incident_views,
    incidents,
    view_queries,
)
from conversations.knowledge import articles
from conversations.queues import QueueView
from conversations.view_models import LEVELS, AgentHome, EmployeeHome, Settled
from desks import audience
from desks.errors import DeskbotError, InvalidInput, UnknownDesk
from desks.languages import DEFAULT_LOCALE, desk_locale, language_of, person_locale
from desks.permissions import resolve_actor, served_desk_ids
from desks.service import find_desk
from desks.wording import Words
from storage import inbound
from storage.models import Desk, Person, Workspace

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
STALE = Words("button.card_out_of_date_teams")
VIEWS = {v.value for v in QueueView}

# The inbound kinds of a card's buttons (their rules: storage.inbound).
TICKET, REFRESHED, INTAKE = "ticket_action", "card_refresh", "intake_action"
RESOLVE, HOME, ASK_CARD = "resolve_action", "home_action", "ask_card"
INCIDENT = "incident_action"
KB_CARD = "kb_card"
KINDS = {**dict.fromkeys(button_ids.TICKET_ACTIONS, TICKET), REFRESH: REFRESHED,
         **dict.fromkeys(button_ids.INTAKE_ACTIONS, INTAKE),
         **dict.fromkeys((button_ids.SOLVED_YES, button_ids.SOLVED_NO, button_ids.RATE,
                          button_ids.WITHDRAW), RESOLVE),
         **dict.fromkeys(button_ids.HOME_ACTIONS, HOME), ASK: ASK_CARD,
         **dict.fromkeys(button_ids.INCIDENT_ACTIONS, INCIDENT), KB: KB_CARD}


def card_answer(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """Replace the clicked card with `card`."""
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card)


class _MessageAnswer(AdaptiveCardInvokeResponse):
    """An invoke answer whose value is a message: botbuilder's model types it as an object."""

    _attribute_map = {**AdaptiveCardInvokeResponse._attribute_map,
                      "value": {"key": "value", "type": "str"}}


def message_answer(said: Words | str, locale: str = DEFAULT_LOCALE) -> AdaptiveCardInvokeResponse:
    """Show `said` (words, in `locale`; or English text) to the person who clicked; the
    card stays."""
    text = say(said, locale) if isinstance(said, Words) else said
    return _MessageAnswer(status_code=200, type=MESSAGE, value=text)


async def _locale_of(ctx: TeamsContext, tenant: str | None, activity: dict[str, Any]) -> str:
    """The clicker's language: their own choice, else what Teams says of the activity."""
    user_id = (activity.get("from") or {}).get("id")
    if tenant and user_id:
        async with ctx.db.unit_of_work() as uow:
            person = (await uow.session.execute(
                select(Person).join(Workspace, Workspace.id == Person.workspace_id)
                .where(Workspace.platform == PLATFORM, Workspace.external_id == tenant,
                       Person.external_id == user_id))).scalar_one_or_none()
            if person is not None:
                return person_locale(person)
    return language_of(activity.get("locale")) or DEFAULT_LOCALE


async def card_action(ctx: TeamsContext, activity: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """Run the `adaptiveCard/action` invoke `activity`; never raises for bad input."""
    value = activity.get("value")
    action = value.get("action") if isinstance(value, Mapping) else None
    verb = action.get("verb") if isinstance(action, Mapping) else None
    data = action.get("data") if isinstance(action, Mapping) else None
    data = data if isinstance(data, Mapping) else {}
    tenant = tenant_of(activity)
    sender = activity.get("from") or {}
    if not isinstance(verb, str) or not tenant or not sender.get("id"):
        return message_answer(Words("button.unknown"),
                              language_of(activity.get("locale")) or DEFAULT_LOCALE)
    try:
        if verb in button_ids.TICKET_ACTIONS or verb == REFRESH:
            return await _ticket(ctx, activity, tenant, verb, data)
        if verb in button_ids.INTAKE_ACTIONS:
            # Private desks: who may pick them, asked of Teams before the transaction.
            await warm_audience(ctx.db, ctx.connector_for, activity, tenant)
            return await _intake(ctx, activity, tenant, verb, data)
        if verb in (button_ids.SOLVED_YES, button_ids.SOLVED_NO, button_ids.RATE):
            return await _resolve(ctx, activity, tenant, verb, data)
        if verb == button_ids.WITHDRAW:
            return await _withdraw(ctx, activity, tenant, data)
        if verb in button_ids.HOME_ACTIONS:
            return await _home(ctx, activity, tenant, verb, data)
        if verb == ASK:
            await warm_audience(ctx.db, ctx.connector_for, activity, tenant)
            return await _ask(ctx, activity, tenant, data)
        if verb in button_ids.INCIDENT_ACTIONS:
            return await _incident(ctx, activity, tenant, verb, data)
        if verb == KB:
            return await _article(ctx, activity, tenant, data)
    except DeskbotError as error:
        return message_answer(error.words or error.message,
                              await _locale_of(ctx, tenant, activity))
    return message_answer(Words("button.unknown"), await _locale_of(ctx, tenant, activity))


async def _ticket(ctx: TeamsContext, activity: dict[str, Any], tenant: str, verb: str,
                  data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    ref = ref_of(data)
    if ref is None:
        return message_answer(STALE, await _locale_of(ctx, tenant, activity))
    choice = due_of(data) if verb == button_ids.DUE else value_of(data, verb)
    accounts = [sender_of(activity)]
    if verb == button_ids.TRANSFER_AGENT and choice:
        accounts.append({"id": choice})
    async with ctx.db.unit_of_work() as uow:
        workspace, people = await enter(uow, tenant, accounts)
        actor = resolve_actor(people[0], workspace, ctx.admins)
        kind = REFRESHED if verb == REFRESH else TICKET
        if await inbound.first(uow, PLATFORM, kind, activity) and verb != REFRESH:
            by_id = {p.external_id: p for p in people}
            await buttons.ticket_control(uow, workspace, actor, verb, ref, choice, by_id)
        conversation = await commands.load(uow, workspace.id, ref, lock=False)
        desk = await uow.session.get(Desk, conversation.desk_id)
        card = teams_cards.card(linked_card(await view_queries.ticket_card(uow, conversation),
                                            tenant),
                                locale=desk_locale(desk))  # the desk channel's card
        said = await incident_views.proposal_answer(uow, workspace.id, verb, choice)
        if said is not None:  # a burst's proposal, not a ticket card: what became of it
            card = teams_cards.card(Settled.of(said), locale=desk_locale(desk))
        await uow.commit()
    return card_answer(card)


async def _intake(ctx: TeamsContext, activity: dict[str, Any], tenant: str, verb: str,
                  data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    parts = button_ids.split_value(value_of(data, verb),
                                   1 if verb in button_ids.PENDING_ONLY else 2)
    if not parts or button_ids.number(parts[0]) is None:
        return message_answer(Words("button.out_of_date_write_again"),
                              await _locale_of(ctx, tenant, activity))
    async with ctx.db.unit_of_work() as uow:
        _, (person,) = await enter(uow, tenant, [sender_of(activity)])
        if not await inbound.first(uow, PLATFORM, INTAKE, activity):
            return card_answer(teams_cards.card(Settled.of(Words("intake.done")),
                                                locale=person_locale(person)))
        settled = await buttons.intake_choice(uow, person, verb, int(parts[0]),
                                               parts[1] if len(parts) > 1 else None)
        locale = person_locale(person)
        await uow.commit()
    return card_answer(teams_cards.card(Settled.of(settled), locale=locale))


async def _resolve(ctx: TeamsContext, activity: dict[str, Any], tenant: str, verb: str,
                   data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    parts = button_ids.split_value(value_of(data, verb), 2 if verb == button_ids.RATE else 1)
    if not parts or not all(button_ids.number(p) is not None for p in parts):
        return message_answer(Words("button.out_of_date"), await _locale_of(ctx, tenant, activity))
    async with ctx.db.unit_of_work() as uow:
        _, (person,) = await enter(uow, tenant, [sender_of(activity)])
        if not await inbound.first(uow, PLATFORM, RESOLVE, activity):
            conversation = await commands.load(uow, person.workspace_id, int(parts[0]),
                                               lock=False)
            return card_answer(teams_cards.card(
                await view_queries.resolve_prompt(uow, conversation),
                locale=person_locale(person)))
        prompt = await buttons.resolve_answer(uow, person, verb, int(parts[0]),
                                               int(parts[1]) if len(parts) > 1 else None)
        await uow.commit()
    return card_answer(teams_cards.card(prompt, locale=person_locale(person)))


async def _withdraw(ctx: TeamsContext, activity: dict[str, Any], tenant: str,
                    data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    """The receipt's *Withdraw*: the receipt then says the request was withdrawn."""
    ref = button_ids.number(value_of(data, button_ids.WITHDRAW))
    if ref is None:
        return message_answer(Words("button.out_of_date"), await _locale_of(ctx, tenant, activity))
    async with ctx.db.unit_of_work() as uow:
        _, (person,) = await enter(uow, tenant, [sender_of(activity)])
        if not await inbound.first(uow, PLATFORM, RESOLVE, activity):  # the same click again
            return card_answer(teams_cards.card(Settled.of(Words("withdraw.done", ref=ref)),
                                                locale=person_locale(person)))
        settled = await buttons.withdraw(uow, person, ref)
        await uow.commit()
    return card_answer(teams_cards.card(settled, locale=person_locale(person)))


async def _home(ctx: TeamsContext, activity: dict[str, Any], tenant: str, verb: str,
                data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    """The queues card in personal chat: switch view, page or desk, or availability."""
    chosen = value_of(data, verb) or ""
    view, page, desk = "unassigned", 1, None
    if verb == button_ids.HOME_VIEW and chosen in VIEWS:
        view = chosen
    elif verb == button_ids.HOME_PAGE:
        parts = button_ids.split_value(chosen, 2)
        if parts and parts[0] in VIEWS and button_ids.number(parts[1]) is not None:
            view, page = parts[0], int(parts[1])
    elif verb == button_ids.HOME_DESK:
        desk = None if chosen in ("", "*") else chosen
    async with ctx.db.unit_of_work() as uow:
        workspace, (person,) = await enter(uow, tenant, [sender_of(activity)])
        actor = resolve_actor(person, workspace, ctx.admins)
        # A repeat only shows the queues again.
        if await inbound.first(uow, PLATFORM, HOME, activity) and verb == button_ids.HOME_AVAILABLE:
            await commands.set_availability(uow, actor, chosen == "on")
        model: AgentHome | EmployeeHome
        if await served_desk_ids(uow, person.id):
            model = await view_queries.agent_home(uow, actor, view=view, desk_slug=desk, page=page,
                                           now=ctx.clock.now())
        else:
            model = await view_queries.employee_home(uow, person)
        await uow.commit()
    return card_answer(teams_cards.card(model, locale=person_locale(person)))


async def _ask(ctx: TeamsContext, activity: dict[str, Any], tenant: str,
               data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    """The "Send to helpdesk" card: a desk and what the person needs."""
    slug = value_of(data, button_ids.ASK_DESK)
    text = value_of(data, button_ids.ASK_TEXT)
    if not slug or not text:
        raise InvalidInput("ask.pick_desk_and_write")
    conversation_id = str((activity.get("conversation") or {}).get("id") or "")
    async with ctx.db.unit_of_work() as uow:
        _, (person,) = await enter(uow, tenant, [sender_of(activity)])
        if not await inbound.first(uow, PLATFORM, ASK_CARD, activity):
            return card_answer(teams_cards.card(Settled.of(Words("intake.done")),
                                                locale=person_locale(person)))
        desk = await find_desk(uow, person.workspace_id, slug)
        if desk is None or not audience.can_see(desk, await audience.viewer_for(uow, person)):
            raise UnknownDesk("ask.desk_gone")  # a private desk they may not see: gone
        personal = (activity.get("conversation") or {}).get("conversationType") == "personal"
        where: dict[str, Any] = ({"requester_channel": conversation_id,
                                  "requester_thread": activity.get("id"),
                                  "requester_side_id": activity.get("id")} if personal else {})
        urgency = value_of(data, button_ids.ASK_URGENCY)
        posted = await commands.open_conversation(uow, person, desk, text, via="shortcut",
                                                  urgency=urgency if urgency in LEVELS else None,
                                                  **where)
        said, locale = Words("intake.sent", desk=desk.name, ref=posted.conversation.ref), \
            person_locale(person)
        await uow.commit()
    return card_answer(teams_cards.card(Settled.of(said), locale=locale))


async def _incident(ctx: TeamsContext, activity: dict[str, Any], tenant: str, verb: str,
                    data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    """An incident card's *Post update…* / *Resolve…* panel sent: the card as it reads
    after (a refusal, like an empty text, is answered privately and nothing is sent)."""
    number = button_ids.number(data.get("incident"))
    if number is None:
        return message_answer(Words("button.out_of_date"), await _locale_of(ctx, tenant, activity))
    typed = data.get(verb)  # the panel's Input.Text, whose id is the verb
    text = typed if isinstance(typed, str) else ""
    async with ctx.db.unit_of_work() as uow:
        workspace, (person,) = await enter(uow, tenant, [sender_of(activity)])
        actor = resolve_actor(person, workspace, ctx.admins)
        if await inbound.first(uow, PLATFORM, INCIDENT, activity):  # a repeat: only the card
            await buttons.incident_control(uow, actor, verb, str(number), text)
        incident = await incidents.load(uow, workspace.id, str(number))
        await uow.session.flush()
        view = await incident_views.incident_card(uow, incident.id)
        desk = await uow.session.get(Desk, incident.desk_id)
        await uow.commit()
    if view is None:
        return message_answer(Words("button.out_of_date"), person_locale(person))
    return card_answer(teams_cards.card(view, locale=desk_locale(desk)))


async def _article(ctx: TeamsContext, activity: dict[str, Any], tenant: str,
                   data: Mapping[str, Any]) -> AdaptiveCardInvokeResponse:
    """The article card (`/desk kb add REF`) saved: the article stored on the request's
    desk, the card replaced by what was saved (a refusal, like an empty title, is
    answered privately and the card stays for the agent to correct)."""
    ref = button_ids.number(str(data.get("ref") or ""))
    if ref is None:
        return message_answer(Words("button.out_of_date"), await _locale_of(ctx, tenant, activity))
    title, text = data.get(button_ids.KB_TITLE), data.get(button_ids.KB_TEXT)
    async with ctx.db.unit_of_work() as uow:
        workspace, (person,) = await enter(uow, tenant, [sender_of(activity)])
        actor = resolve_actor(person, workspace, ctx.admins)
        locale = person_locale(person)
        if not await inbound.first(uow, PLATFORM, KB_CARD, activity):  # a repeat
            return card_answer(teams_cards.card(Settled.of(Words("kb.saved_already")),
                                                locale=locale))
        article = await articles.add_from_request(
            uow, actor, ref, title if isinstance(title, str) else "",
            text if isinstance(text, str) else "")
        desk = await uow.session.get(Desk, article.desk_id)
        said = Words("kb.added", number=article.number, desk=desk.name if desk else "?",
                     title=article.title)
        await uow.commit()
    return card_answer(teams_cards.card(Settled.of(said), locale=locale))
