"""Home tabs and modals (views.publish / views.open): at most 100 blocks each."""

from __future__ import annotations

from typing import Any

from cards.i18n import t
from cards.slack.message_blocks import desk_choices, fit_rows
from cards.slack.render import VIEW_BLOCKS, render
from cards.text import clip_mrkdwn, fit_mrkdwn
from conversations.view_models import (
    ARTICLE_MAX_TEXT,
    ARTICLE_MAX_TITLE,
    LEVELS,
    AgentHome,
    ArticleForm,
    AskModal,
    EmployeeHome,
    IncidentModal,
    clip,
)

HOME_ROWS = 60  # queue rows per page a home tab can show (the adapter pages by this or fewer)
OWN_REQUESTS = 10  # an agent's own requests shown under the queue
EMPLOYEE_ROWS = 80
MODAL_TEXT = 3000
PRIVATE_METADATA = 3000


def _within_view(rendered: dict[str, Any]) -> bool:
    return len(rendered.get("blocks") or []) <= VIEW_BLOCKS


def agent_home(view: AgentHome, locale: str) -> dict[str, Any]:
    """The agent's home tab: never more than 100 blocks, whatever the rows."""
    choices = desk_choices(view.desks)
    if choices:
        choices = [(t("home.all_desks", locale), "*"), *choices]
    desk_name = next((desk.name for desk in view.desks if desk.slug == view.desk), view.desk)
    own = list(view.own_requests)
    own_shown, own_more = own[:OWN_REQUESTS], max(len(own) - OWN_REQUESTS, 0)
    return fit_rows(
        lambda shown, more: render("agent_home.j2", locale, view=view, shown=shown, more=more,
                                   desk_choices=choices, desk_name=desk_name or "",
                                   own_shown=own_shown, own_more=own_more),
        view.rows, HOME_ROWS, check=_within_view)


def employee_home(view: EmployeeHome, locale: str) -> dict[str, Any]:
    """An employee's home tab: their requests (newest as given) and the desks to ask."""
    desks = clip_mrkdwn("\n".join(
        # Plain str: the lines isolate the name themselves where a language needs it.
        t("home.desk_line", locale, desk=str(fit_mrkdwn(desk.name, 100)),
          description=str(fit_mrkdwn(desk.description, 200))) if desk.description
        else t("home.desk_line_bare", locale, desk=str(fit_mrkdwn(desk.name, 100)))
        for desk in view.desks), 2900)
    return fit_rows(
        lambda shown, more: render("employee_home.j2", locale, view=view, shown=shown,
                                   more=more, desks_shown=desks),
        view.requests, EMPLOYEE_ROWS, check=_within_view)


def ask_modal(view: AskModal, locale: str) -> dict[str, Any]:
    """The "Send to helpdesk" modal; `private_metadata` must be within Slack's 3000."""
    if len(view.private_metadata) > PRIVATE_METADATA:
        # Cutting it would corrupt the adapter's own state: a bug to surface, not hide.
        raise ValueError("private_metadata is longer than Slack's 3000 characters")
    choices = desk_choices(view.desks)
    return render("ask_modal.j2", locale, view=view, desk_choices=choices,
                  level_choices=[(t("matrix.level_" + level, locale), level)
                                 for level in LEVELS],
                  initial_desk=choices[0][1] if len(choices) == 1 else None,
                  initial_text=clip(view.text, MODAL_TEXT) if view.text.strip() else "")


def incident_modal(view: IncidentModal, locale: str) -> dict[str, Any]:
    """An incident's update or resolution note, to every linked requester."""
    if len(view.private_metadata) > PRIVATE_METADATA:
        raise ValueError("private_metadata is longer than Slack's 3000 characters")
    return render("incident_modal.j2", locale, view=view)


def kb_modal(view: ArticleForm, locale: str) -> dict[str, Any]:
    """`/desk kb add REF`'s article form, title and text prefilled."""
    if len(view.private_metadata) > PRIVATE_METADATA:
        raise ValueError("private_metadata is longer than Slack's 3000 characters")
    return render("kb_modal.j2", locale, view=view, max_title=ARTICLE_MAX_TITLE,
                  max_text=ARTICLE_MAX_TEXT)
