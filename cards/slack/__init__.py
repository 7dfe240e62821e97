"""Slack rendering: view models -> Block Kit dicts, ready for the Web API.

    from cards import slack
    slack.messages(view)  # [{"text", "blocks"}, ...]: chat.postMessage / chat.update kwargs
    slack.message(view)   # the first (for every view but a long relay, the only) message
    slack.home(view)      # {"type": "home", "blocks": [...]} for views.publish
    slack.modal(view)     # {"type": "modal", ...} for views.open

All user text is escaped for mrkdwn and everything is cut to Slack's limits, so a
render never fails on what a user typed. Strings come from the `cards/locales`
catalogues; `locale` picks one (English when a key or a language is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cards.slack import message_blocks as _messages
from cards.slack import surfaces as _surfaces
from cards.slack.relay import relay_messages
from cards.slack.render import MESSAGE_TEXT, render
from cards.text import clip_mrkdwn
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
    IncidentModal,
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
    View,
)

__all__ = ["home", "message", "messages", "modal"]

_RENDERERS: dict[type, Callable[[Any, str], dict[str, Any]]] = {
    TicketCard: _messages.ticket_card,
    CardMoved: _messages.card_moved,
    AgentNotification: _messages.agent_notification,
    QueueList: _messages.queue_list,
    Receipt: _messages.receipt,
    RequesterUpdate: _messages.requester_update,
    ResolvePrompt: _messages.resolve_prompt,
    DeskPicker: _messages.desk_picker,
    AddOrNew: _messages.add_or_new,
    Settled: _messages.settled,
    MyRequests: _messages.my_requests,
    DeskConfig: _messages.desk_config,
    Help: _messages.help_text,
    Reply: _messages.reply,
    SchedulerAlert: _messages.scheduler_alert,
    Digest: _messages.digest,
    History: _messages.history,
    IncidentCard: lambda view, locale: render("incident_card.j2", locale, card=view),
    IncidentNews: lambda view, locale: render("incident_news.j2", locale, view=view),
    IncidentProposal: lambda view, locale: render("incident_proposal.j2", locale, view=view),
    IncidentOffer: lambda view, locale: render("incident_offer.j2", locale, view=view),
    ReportPost: _messages.report_post,
    SuggestionOffer: lambda view, locale: render("suggestion_offer.j2", locale, view=view),
}


def messages(view: View, *, locale: str = "en") -> list[dict[str, Any]]:
    """The Slack messages that show `view`: one, or several for a very long relay.

    Each dict holds `text` (the notification/fallback, mrkdwn, escaped) and `blocks`,
    and can be passed as keyword arguments to chat.postMessage or chat.update.
    """
    if isinstance(view, RelayToAgents | RelayToRequester):
        rendered = relay_messages(view, locale)
    else:
        renderer = _RENDERERS.get(type(view))
        if renderer is None:
            raise TypeError(f"no Slack message for {type(view).__name__}")
        rendered = [renderer(view, locale)]
    for message_ in rendered:
        # Slack wants a non-empty `text` under 40,000 characters with the blocks.
        message_["text"] = clip_mrkdwn(message_.get("text") or "—", MESSAGE_TEXT)
    return rendered


def message(view: View, *, locale: str = "en") -> dict[str, Any]:
    """The single (or, for a split relay, the first) message of `view`."""
    return messages(view, locale=locale)[0]


def home(view: AgentHome | EmployeeHome, *, locale: str = "en") -> dict[str, Any]:
    """A home tab view for views.publish: `{"type": "home", "blocks": [...]}`, <= 100 blocks."""
    if isinstance(view, AgentHome):
        return _surfaces.agent_home(view, locale)
    if isinstance(view, EmployeeHome):
        return _surfaces.employee_home(view, locale)
    raise TypeError(f"no Slack home tab for {type(view).__name__}")


def modal(view: AskModal | IncidentModal | ArticleForm, *,
          locale: str = "en") -> dict[str, Any]:
    """A modal for views.open: "Send to helpdesk" (callback_id `actions.ASK_MODAL`), or
    an incident's update / resolution note (`actions.INCIDENT_MODAL`)."""
    if isinstance(view, AskModal):
        return _surfaces.ask_modal(view, locale)
    if isinstance(view, IncidentModal):
        return _surfaces.incident_modal(view, locale)
    if isinstance(view, ArticleForm):  # `/desk kb add REF` (callback_id `KB_MODAL`)
        return _surfaces.kb_modal(view, locale)
    raise TypeError(f"no Slack modal for {type(view).__name__}")
