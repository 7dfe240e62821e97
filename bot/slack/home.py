"""The bot's home tab: an agent's queues (or an employee's own requests), via views.publish.

Opening the tab and clicking in it are stored in the inbox and acknowledged at once;
processing them writes a `HOME_PUBLISH` notice, and the outbox worker publishes the view
(rendered from the state at that moment, in the person's language) with its retries
and 429 handling. So a slow or rate-limited Web API never delays an acknowledgement,
and a retried event (kept once by the inbox) publishes once.

What the person is looking at (view, page, desk filter) travels in the home view's
`private_metadata`, so the tab needs no server-side session.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards import slack as slack_cards
from conversations import button_ids, commands, view_queries
from conversations.queues import QueueView
from desks.errors import DeskbotError
from desks.languages import person_locale
from desks.notices import NoticeKind
from desks.permissions import Actor, served_desk_ids
from storage.database import UnitOfWork
from storage.journal import write_notice
from storage.models import Person

log = logging.getLogger(__name__)

VIEWS = {v.value for v in QueueView}

MAX_PAGE = 10_000

# The inbox kinds of the home tab's deliveries.
OPENED = "home_opened"
ACTION = "home_action"


@dataclass(frozen=True)
class Shown:
    """What the person's home tab shows: which queue, which page, which desk."""

    view: str = "unassigned"
    page: int = 1
    desk: str | None = None

    def payload(self) -> dict[str, Any]:
        """The notice payload (and the view's private_metadata)."""
        return {"view": self.view, "page": self.page, "desk": self.desk}

    @classmethod
    def of(cls, data: Any) -> Shown:
        """From a payload or private_metadata; anything odd falls back to the defaults."""
        if not isinstance(data, dict):
            return cls()
        view = data.get("view")
        if view not in VIEWS:
            view = "unassigned"
        page = data.get("page")
        page = button_ids.number(str(page)) if isinstance(page, int | str) else None
        page = page or 1
        desk = data.get("desk") if isinstance(data.get("desk"), str) else None
        # Forged metadata must not make an offset no database takes.
        return cls(view, min(max(page, 1), MAX_PAGE), desk[:100] if desk else None)


def _state(body: dict) -> Shown:
    try:
        state = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        state = {}
    return Shown.of(state)


def ask_publish(uow: UnitOfWork, person: Person, shown: Shown | None = None) -> None:
    """Queue the publishing of `person`'s home tab (in the caller's transaction)."""
    write_notice(uow, workspace_id=person.workspace_id, kind=NoticeKind.HOME_PUBLISH,
                 person_id=person.id, payload=(shown or Shown()).payload(),
                 ordering_key=f"home:{person.id}")


async def render(uow: UnitOfWork, person: Person, actor: Actor, shown: Shown,
                 now: datetime, locale: str | None = None) -> dict:
    """The home view of `person` as it is now, ready for views.publish, in `locale`
    (default: the person's own language)."""
    locale = locale or person_locale(person)
    if await served_desk_ids(uow, person.id):
        model = await view_queries.agent_home(uow, actor, view=shown.view, desk_slug=shown.desk,
                                       page=shown.page, now=now)
        rendered = slack_cards.home(model, locale=locale)
    else:
        rendered = slack_cards.home(await view_queries.employee_home(uow, person),
                                    locale=locale)
    rendered["private_metadata"] = json.dumps(shown.payload())
    return rendered


def kept(body: dict) -> dict:
    """What of a click's payload is stored: who, which control, and the tab's metadata
    (not the whole view Slack sends along)."""
    view = body.get("view") or {}
    return {"user": {"id": body["user"]["id"]}, "actions": (body.get("actions") or [])[:1],
            "view": {"private_metadata": view.get("private_metadata") or ""}}


def wanted(body: dict) -> tuple[Shown, bool | None] | None:
    """A click on the home tab: what to show next, and the availability to set (or None).

    None for a link button, which Slack opens by itself (nothing to store).
    """
    action = (body.get("actions") or [{}])[0]
    action_id = action.get("action_id")
    shown = _state(body)
    view, page, desk = shown.view, shown.page, shown.desk
    value = ((action.get("selected_option") or {}).get("value") or action.get("value") or "")
    available: bool | None = None
    if action_id == button_ids.HOME_OPEN:
        return None
    if action_id == button_ids.HOME_VIEW and value in VIEWS:
        view, page = value, 1
    elif action_id == button_ids.HOME_PAGE:
        parts = button_ids.split_value(value, 2)
        if parts and parts[0] in VIEWS and button_ids.number(parts[1]) is not None:
            view, page = parts[0], int(parts[1])
    elif action_id == button_ids.HOME_DESK:
        desk, page = (None if value in ("", "*") else value), 1
    elif action_id == button_ids.HOME_AVAILABLE:
        available = value == "on"
    return Shown.of(Shown(view, page, desk).payload()), available


async def act(uow: UnitOfWork, person: Person, actor: Actor, body: dict) -> None:
    """A stored home-tab click, in the inbox's unit of work: toggle availability if asked,
    then queue the tab's publishing."""
    found = wanted(body)
    if found is None:
        return
    shown, available = found
    if available is not None:
        savepoint = await uow.session.begin_nested()
        try:
            await commands.set_availability(uow, actor, available)
            await savepoint.commit()
        except DeskbotError as error:
            await savepoint.rollback()
            log.info("availability refused for person %s: %s", person.id, error.message)
    ask_publish(uow, person, shown)
