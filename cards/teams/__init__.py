"""Teams rendering: view models -> Adaptive Cards 1.5 and Bot Framework message activities.

    from cards import teams
    teams.card(view)        # the Adaptive Card (a dict): invoke answers, updates
    teams.cards(view)       # every card of a view (several only for a very long relay)
    teams.activity(view)    # {"type": "message", "text": fallback, "attachments": [card]}
    teams.activities(view)  # one activity per card

Buttons are `Action.Execute` with our action ids as verbs (`cards.teams.verbs` tells
how their data reads back); the ticket card carries `refresh` so its agents see the
current state. All user text is escaped for card markdown (`cards.teams.markdown`) and
every card is kept within Teams' payload limit, so a render never fails on what a user
typed. Strings come from the `cards/locales` catalogues (`teams.<key>` entries override
the shared ones where Teams words differ).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cards.teams import renderers as _cards
from cards.teams.markdown import payload_size
from cards.teams.relay import relay_cards
from cards.teams.render import (
    ACTIVITY_BUDGET,
    CARD_BUDGET,
    CONTENT_TYPE,
    PAYLOAD_LIMIT,
    fallback_of,
    fitted,
    render,
)
from cards.teams.verbs import REFRESH, VERBS, ref_of, value_of
from conversations.view_models import (
    AddOrNew,
    AgentHome,
    AgentNotification,
    ArticleForm,
    AskModal,
    CardMoved,
    DeskConfig,
    DeskPicker,
    Digest,
    EmployeeHome,
    Help,
    History,
    IncidentCard,
    IncidentNews,
    IncidentOffer,
    IncidentProposal,
    MyRequests,
    QueueList,
    Receipt,
    RelayToAgents,
    RelayToRequester,
    Reply,
    ReportPost,
    RequesterUpdate,
    ResolvePrompt,
    SchedulerAlert,
    Settled,
    SuggestionOffer,
    TicketCard,
)

__all__ = [
    "ACTIVITY_BUDGET",
    "CARD_BUDGET",
    "CONTENT_TYPE",
    "PAYLOAD_LIMIT",
    "REFRESH",
    "VERBS",
    "activities",
    "activity",
    "activity_of",
    "card",
    "cards",
    "payload_size",
    "ref_of",
    "value_of",
]

_RENDERERS: dict[type, Callable[[Any, str], dict[str, Any]]] = {
    TicketCard: _cards.ticket_card,
    CardMoved: _cards.card_moved,
    AgentNotification: _cards.agent_notification,
    SchedulerAlert: _cards.scheduler_alert,
    Digest: _cards.digest,
    History: _cards.history,
    QueueList: _cards.queue_list,
    Receipt: _cards.receipt,
    RequesterUpdate: _cards.requester_update,
    ResolvePrompt: _cards.resolve_prompt,
    DeskPicker: _cards.desk_picker,
    AddOrNew: _cards.add_or_new,
    Settled: _cards.settled,
    MyRequests: _cards.my_requests,
    AgentHome: _cards.agent_home,
    EmployeeHome: _cards.employee_home,
    AskModal: _cards.ask,
    DeskConfig: _cards.desk_config,
    Help: _cards.help_card,
    Reply: _cards.reply,
    IncidentCard: lambda view, locale: fitted(
        lambda scale: render("incident_card.j2", locale, scale, card=view)),
    IncidentNews: lambda view, locale: fitted(
        lambda scale: render("incident_news.j2", locale, scale, view=view)),
    IncidentProposal: lambda view, locale: fitted(
        lambda scale: render("incident_proposal.j2", locale, scale, view=view)),
    IncidentOffer: lambda view, locale: fitted(
        lambda scale: render("incident_offer.j2", locale, scale, view=view)),
    ReportPost: _cards.report_post,
    ArticleForm: _cards.kb_form,
    SuggestionOffer: lambda view, locale: fitted(
        lambda scale: render("suggestion_offer.j2", locale, scale, view=view)),
}


def cards(view: Any, *, locale: str = "en") -> list[dict[str, Any]]:
    """The Adaptive Cards that show `view`: one, or several for a very long relay."""
    if isinstance(view, RelayToAgents | RelayToRequester):
        return relay_cards(view, locale)
    renderer = _RENDERERS.get(type(view))
    if renderer is None:
        raise TypeError(f"no Teams card for {type(view).__name__}")
    return [renderer(view, locale)]


def card(view: Any, *, locale: str = "en") -> dict[str, Any]:
    """The single (or, for a split relay, the first) Adaptive Card of `view`."""
    return cards(view, locale=locale)[0]


def activity_of(card_: dict[str, Any]) -> dict[str, Any]:
    """A Bot Framework message activity carrying `card_`, its fallback as the `text`."""
    return {"type": "message", "text": fallback_of(card_),
            "attachments": [{"contentType": CONTENT_TYPE, "content": card_}]}


def activities(view: Any, *, locale: str = "en") -> list[dict[str, Any]]:
    """The message activities that show `view`, in order (several only for a long relay)."""
    return [activity_of(found) for found in cards(view, locale=locale)]


def activity(view: Any, *, locale: str = "en") -> dict[str, Any]:
    """The single (or, for a split relay, the first) message activity of `view`."""
    return activity_of(card(view, locale=locale))
