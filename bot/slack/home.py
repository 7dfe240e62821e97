"""The bot's home tab: an agent's queues (or an employee's own requests), via views.publish.

What the person is looking at (view, page, desk filter) travels in the home view's
`private_metadata`, so the tab needs no server-side session.
"""

from __future__ import annotations

import json
import logging

from bot import views
from bot.slack.app import SlackContext
from cards import actions as ids
from cards import slack as slack_cards
from conversations import commands
from conversations.queues import QueueView
from desks.errors import DeskbotError
from desks.permissions import served_desk_ids

log = logging.getLogger(__name__)

VIEWS = {v.value for v in QueueView}


def _state(body: dict) -> dict:
    try:
        state = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        state = {}
    return state if isinstance(state, dict) else {}


async def publish(ctx: SlackContext, team_id: str, user_id: str, *, client=None,
                  view: str = "unassigned", page: int = 1, desk: str | None = None) -> dict:
    """Render and publish `user_id`'s home tab; returns the published view."""
    profiles = await ctx.people.lookup(team_id, [user_id])
    async with ctx.db.unit_of_work() as uow:
        workspace, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        person = people[user_id]
        actor = ctx.people.actor(person, workspace)
        if await served_desk_ids(uow, person.id):
            model = await views.agent_home(uow, actor, view=view if view in VIEWS else
                                           "unassigned", desk_slug=desk, page=max(page, 1),
                                           now=ctx.clock.now())
            rendered = slack_cards.home(model)
        else:
            rendered = slack_cards.home(await views.employee_home(uow, person))
        await uow.commit()  # the person row, when first seen
    rendered["private_metadata"] = json.dumps({"view": view, "page": page, "desk": desk})
    client = client or await ctx.client_for(team_id)
    await client.views_publish(user_id=user_id, view=rendered)
    return rendered


async def act(ctx: SlackContext, body: dict, team_id: str) -> None:
    """A click on the home tab: switch view, page or desk, or toggle availability."""
    action = (body.get("actions") or [{}])[0]
    action_id = action.get("action_id")
    user_id = body["user"]["id"]
    state = _state(body)
    view = state.get("view") or "unassigned"
    page = ids.number(str(state.get("page") or 1)) or 1
    desk = state.get("desk")
    value = ((action.get("selected_option") or {}).get("value") or action.get("value") or "")
    if action_id == ids.HOME_OPEN:
        return  # a link button: Slack opens the thread itself
    if action_id == ids.HOME_VIEW and value in VIEWS:
        view, page = value, 1
    elif action_id == ids.HOME_PAGE:
        parts = ids.split_value(value, 2)
        if parts and parts[0] in VIEWS and ids.number(parts[1]) is not None:
            view, page = parts[0], int(parts[1])
    elif action_id == ids.HOME_DESK:
        desk, page = (None if value in ("", "*") else value), 1
    elif action_id == ids.HOME_AVAILABLE:
        profiles = await ctx.people.lookup(team_id, [user_id])
        async with ctx.db.unit_of_work() as uow:
            workspace, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
            try:
                await commands.set_availability(uow, ctx.people.actor(people[user_id], workspace),
                                                value == "on")
            except DeskbotError as error:
                log.info("availability refused for %s: %s", user_id, error.message)
            else:
                await uow.commit()
    await publish(ctx, team_id, user_id, view=view, page=page, desk=desk)
