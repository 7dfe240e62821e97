"""One Adaptive Card per view: a renderer per view type, each fitted to the payload budget.

Each renderer prepares what a template cannot easily compute (choices, caps on long
lists, who gets the refresh) and renders its template at a scale (see
cards/teams/render.py): lists are cut with an "…and N more" line and texts with "…"
rather than refused, and a card that is still too big is rendered smaller.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from cards import dates
from cards.i18n import help_sections, say, settings_lines
from cards.teams.markdown import clip_markdown, escape_markdown, fit_markdown, is_teams_user_id
from cards.teams.render import CHOICE_TEXT, cap, fitted, render, tr
from cards.teams.verbs import data
from cards.templating import incident_choices, saved_reply_choices
from cards.text import FSI, PDI, stars, strip_bidi, user_text
from conversations.view_models import (
    ARTICLE_MAX_TEXT,
    ARTICLE_MAX_TITLE,
    LEVELS,
    AddOrNew,
    AgentHome,
    AgentNotification,
    ArticleForm,
    AskModal,
    CardMoved,
    DeskConfig,
    DeskOption,
    DeskPicker,
    Digest,
    EmployeeHome,
    Help,
    History,
    MyRequests,
    QueueList,
    Receipt,
    Reply,
    ReportPost,
    RequesterUpdate,
    ResolvePrompt,
    SchedulerAlert,
    Settled,
    TicketCard,
    clip,
)

Card = dict[str, Any]

EXCERPT = 1300  # escaped characters of the first message on a card (view_queries cuts it at 600)
SETTABLE_STATUSES = ("waiting", "on_hold", "open", "resolved")
REFRESH_USERS = 60  # Teams refreshes automatically for at most 60 listed users
CHOICES = 300  # choices of one choice set, at full scale
CHOICE_TEXT_BUDGET = 6000  # their titles together (many choices get short titles)
PICKER_BUTTONS = 12  # up to this many desks, one button each; more: a choice set
ROWS = 60  # rows of a queue, request list or home card, at full scale
OWN_REQUESTS = 10
HOME_DESKS = 40
HELP_LINES = 80
LIST_ITEMS = 50  # people and keywords of a desk configuration
SETTINGS = 40
PRIVATE_METADATA = 3000


def _choices(pairs: Sequence[tuple[str, str]], scale: float) -> list[tuple[str, str]]:
    """(label, value) pairs for a choice set, fewer and shorter when there are many."""
    shown = list(pairs)[:cap(CHOICES, scale)]
    limit = max(12, min(CHOICE_TEXT, int(CHOICE_TEXT_BUDGET * scale) // max(len(shown), 1)))
    return [(clip(label, limit), value) for label, value in shown]


def desk_choices(desks: Sequence[DeskOption], scale: float = 1.0) -> list[tuple[str, str]]:
    """(name, slug) pairs for a desk choice set."""
    return _choices([(desk.name, desk.slug) for desk in desks], scale)


def _refresh_users(card: TicketCard) -> list[str]:
    """Who Teams refreshes the card for automatically: the assignee and the desk's agents.

    Teams runs `refresh` on its own only for the users listed (at most 60), each time one
    of them views the card; anyone else can still refresh it from the card's menu. Ids
    are ~90 characters: the list alone can take half the payload, so it is capped by
    count and length, and everything else on the card shrinks to make room.
    """
    people = ([card.assignee] if card.assignee else []) + list(card.agents)
    ids = [person.external_id for person in people
           if is_teams_user_id(person.external_id) and len(person.external_id or "") <= 100]
    return list(dict.fromkeys(ids))[:REFRESH_USERS]


def _rows(rows: Sequence[Any], scale: float, limit: int = ROWS) -> tuple[list[Any], int]:
    shown = list(rows)[:cap(limit, scale)]
    return shown, len(rows) - len(shown)


# ---------------------------------------------------------------- agent side


def ticket_card(card: TicketCard, locale: str) -> Card:
    """The ticket card: fields, first message, and (unless closed) its Execute buttons."""
    tr_ = partial(tr, locale=locale)
    priority = min(max(int(card.priority), 1), 5)

    def build(scale: float) -> Card:
        return render(
            "ticket_card.j2", locale, scale, card=card, EXCERPT=EXCERPT,
            main_text=card.subject, language=card.language,
            refresh_users=_refresh_users(card),
            agent_choices=_choices([(agent.name, agent.external_id) for agent in card.agents
                                    if agent.external_id], scale),
            desk_choices=desk_choices(card.other_desks, scale),
            priority_choices=[(tr_("card.priority_option", stars=stars(n), n=n), str(n))
                              for n in range(1, 6)],
            priority_value=str(priority),
            category_choices=[(name, name) for name in card.categories],
            level_choices=[(tr_("matrix.level_" + level), level) for level in LEVELS],
            status_choices=[(f"{tr_('status_emoji.' + s)} {tr_('status.' + s)}", s)
                            for s in SETTABLE_STATUSES],
            incident_choices=incident_choices(card, tr_),
            saved_reply_choices=saved_reply_choices(card))
    return fitted(build)


def card_moved(view: CardMoved, locale: str) -> Card:
    """What stays in the old channel when a card moves to another desk."""
    return fitted(lambda scale: render("card_moved.j2", locale, scale, view=view,
                                       main_text=view.subject))


def agent_notification(view: AgentNotification, locale: str) -> Card:
    """A DM to an agent about a new or assigned request, with a link when known."""
    link = view.link if view.link and view.link.startswith("https://") \
        and len(view.link) <= 2000 and " " not in view.link else None
    return fitted(lambda scale: render("agent_notification.j2", locale, scale, view=view,
                                       link=link, main_text=view.subject))


def scheduler_alert(view: SchedulerAlert, locale: str) -> Card:
    """A sweep's warning, breach, ping, nudge or reminder (people named, not pinged)."""
    link = view.link if view.link and view.link.startswith("https://") \
        and len(view.link) <= 2000 and " " not in view.link else None

    def build(scale: float) -> Card:
        mentions = ", ".join(fit_markdown(person.name.strip() or "?", 80)
                             for person in view.mentions[:cap(30, scale)])
        return render("scheduler_alert.j2", locale, scale, view=view, link=link,
                      mentions=user_text(mentions) if mentions else "",
                      main_text=view.subject)
    return fitted(build)


def digest(view: Digest, locale: str) -> Card:
    """The daily digest of a desk."""
    return fitted(lambda scale: render("digest.j2", locale, scale, view=view))


def history(view: History, locale: str) -> Card:
    """`history`: a request's timeline, the latest entries that fit."""
    def build(scale: float) -> Card:
        shown, more = _rows(view.entries[::-1], scale)
        lines = [(entry, _said(entry.words, locale, 400)) for entry in shown[::-1]]
        return render("history.j2", locale, scale, view=view, shown=lines, more=more,
                      earlier=view.earlier)
    return fitted(build)


def queue_list(view: QueueList, locale: str) -> Card:
    """`queue`: as many rows as fit in one card, then "…and N more"."""
    def build(scale: float) -> Card:
        shown, more = _rows(view.rows, scale)
        return render("queue_list.j2", locale, scale, view=view, shown=shown, more=more,
                      total=len(view.rows))
    return fitted(build)


# ---------------------------------------------------------------- requester side


def receipt(view: Receipt, locale: str) -> Card:
    """The receipt under the first message."""
    promise = dates.promise(view.expected_response, locale)
    return fitted(lambda scale: render("receipt.j2", locale, scale, view=view,
                                       promise=promise))


def requester_update(view: RequesterUpdate, locale: str) -> Card:
    """A change the requester hears about (any `what`; unknown ones read "updated")."""
    return fitted(lambda scale: render("requester_update.j2", locale, scale, view=view))


def resolve_prompt(view: ResolvePrompt, locale: str) -> Card:
    """"Did this solve it?" and the rating buttons, or the answers once given."""
    return fitted(lambda scale: render("resolve_prompt.j2", locale, scale, view=view))


def desk_picker(view: DeskPicker, locale: str) -> Card:
    """One button per desk (with its description); a choice set and Send for many desks."""
    buttons = len(view.desks) <= PICKER_BUTTONS

    def build(scale: float) -> Card:
        desks = list(view.desks)
        if buttons:
            shown, more, choices = desks, 0, []
        else:
            limit = cap(CHOICES, scale)
            shown, more = desks[:limit], max(len(desks) - limit, 0)
            choices = _choices([(desk.name, f"{view.pending_id}:{desk.slug}")
                                for desk in shown], scale)
        return render("desk_picker.j2", locale, scale, view=view, buttons=buttons,
                      shown=shown, more=more, choices=choices)
    return fitted(build)


def add_or_new(view: AddOrNew, locale: str) -> Card:
    """Add the new text to an open request, or start a new one."""
    def build(scale: float) -> Card:
        shown, more = _rows(view.open_requests, scale, 20)
        return render("add_or_new.j2", locale, scale, view=view, shown=shown, more=more)
    return fitted(build)


def settled(view: Settled, locale: str) -> Card:
    """A picker or prompt once answered."""
    said = _said(view.words, locale, 3000) if view.words is not None else None
    return fitted(lambda scale: render("settled.j2", locale, scale, view=view, said=said))


def my_requests(view: MyRequests, locale: str) -> Card:
    """`my`: the requester's own requests."""
    def build(scale: float) -> Card:
        shown, more = _rows(view.rows, scale)
        return render("my_requests.j2", locale, scale, view=view, shown=shown, more=more,
                      total=len(view.rows))
    return fitted(build)


# ---------------------------------------------------------------- homes


def agent_home(view: AgentHome, locale: str) -> Card:
    """The agent's queues card (the Teams counterpart of the Slack home tab)."""
    desk_name = next((desk.name for desk in view.desks if desk.slug == view.desk), view.desk)

    def build(scale: float) -> Card:
        choices = desk_choices(view.desks, scale)
        if choices:
            choices = [(tr("home.all_desks", locale), "*"), *choices]
        shown, more = _rows(view.rows, scale)
        own_shown, own_more = _rows(view.own_requests, scale, OWN_REQUESTS)
        return render("agent_home.j2", locale, scale, view=view, shown=shown, more=more,
                      desk_choices=choices, desk_name=desk_name or "",
                      own_shown=own_shown, own_more=own_more)
    return fitted(build)


def employee_home(view: EmployeeHome, locale: str) -> Card:
    """An employee's requests and the desks to ask, as a card."""
    def build(scale: float) -> Card:
        shown, more = _rows(view.requests, scale)
        desks_shown, desks_more = _rows(view.desks, scale, HOME_DESKS)
        return render("employee_home.j2", locale, scale, view=view, shown=shown, more=more,
                      desks_shown=desks_shown, desks_more=desks_more)
    return fitted(build)


def ask(view: AskModal, locale: str) -> Card:
    """"Send to helpdesk": desk choice, the text, Send (the adapter's state in its data)."""
    if len(view.private_metadata) > PRIVATE_METADATA:
        # Cutting it would corrupt the adapter's own state: a bug to surface, not hide.
        raise ValueError("private_metadata is longer than 3000 characters")

    def build(scale: float) -> Card:
        choices = desk_choices(view.desks, scale)
        return render("ask.j2", locale, scale, view=view, desk_choices=choices,
                      initial_desk=choices[0][1] if len(choices) == 1 else None,
                      initial_text=clip(view.text, 3000) if view.text.strip() else "",
                      submit=data(view.private_metadata),
                      level_choices=[(tr("matrix.level_" + level, locale=locale), level)
                                     for level in LEVELS])
    return fitted(build)


def kb_form(view: ArticleForm, locale: str) -> Card:
    """`/desk kb add REF`'s article form: title and text prefilled, Save (data: the ref)."""
    return fitted(lambda scale: render("kb_form.j2", locale, scale, view=view,
                                       submit={"ref": str(view.ref)},
                                       max_title=ARTICLE_MAX_TITLE, max_text=ARTICLE_MAX_TEXT))


# ---------------------------------------------------------------- admin and replies


def desk_config(view: DeskConfig, locale: str) -> Card:
    """`admin show`: every field, lists shortened to fit one card."""
    def build(scale: float) -> Card:
        def people(persons: Sequence[Any], limit: int) -> str:
            shown = persons[:cap(LIST_ITEMS, scale)]
            return clip_markdown(", ".join(fit_markdown(p.name.strip() or "?", 80)
                                           for p in shown), limit)
        keywords = ", ".join(f"**{fit_markdown(word, 100)}**"
                             for word in view.routing_keywords[:cap(LIST_ITEMS, scale)])
        return render("desk_config.j2", locale, scale, view=view,
                      agents=people(view.agents, 2000), leads=people(view.leads, 1000),
                      keywords=keywords,
                      settings=settings_lines(view, locale)[:cap(SETTINGS, scale)])
    return fitted(build)


def help_card(view: Help, locale: str) -> Card:
    """`help`: each role's commands."""
    def build(scale: float) -> Card:
        sections, budget = [], cap(HELP_LINES, scale)
        for title, lines in help_sections(view, locale):
            kept = list(lines[:budget])
            budget -= len(kept)
            sections.append((title, kept))
        more = sum(len(lines) for _, lines in view.sections) - sum(
            len(kept) for _, kept in sections)
        return render("help.j2", locale, scale, sections=sections, more=more)
    return fitted(build)


def reply(view: Reply, locale: str) -> Card:
    """A short answer: ok, or an error with the usage that would have worked; its
    `words` said in the reader's language (else its English `text`)."""
    said = _said(view.words, locale, 2500) if view.words is not None else None
    return fitted(lambda scale: render("reply.j2", locale, scale, view=view, said=said))


_KEPT = {FSI: "\ue000", PDI: "\ue001"}


def _said(words: Any, locale: str, limit: int) -> str:
    """Words from the core as one piece of card markdown: said in `locale`, then escaped
    whole as a command's answer always was (its backticks show), keeping the isolates
    the catalogue put around user text (whose own bidi controls are dropped first)."""
    plain = say(words, locale, strip_bidi)
    for mark, stand_in in _KEPT.items():
        plain = plain.replace(mark, stand_in)
    escaped = fit_markdown(plain, limit)
    for mark, stand_in in _KEPT.items():
        escaped = escaped.replace(stand_in, mark)
    return user_text(escaped)


def report_post(view: ReportPost, locale: str) -> Card:
    """A report posted in chat: its summary card (the chart and the CSV travel as the
    message's other attachments)."""
    from datetime import date

    from cards.report_page import change, shown

    desk = (user_text(fit_markdown(", ".join(view.desks), 200)) if view.desks
            else tr("report.page.every_desk", locale))
    title = tr("report.card.title", locale, desk=desk, period=view.period)
    span = tr("report.card.span", locale,
              first=dates.short_date(date.fromisoformat(view.first_day), locale),
              last=dates.short_date(date.fromisoformat(view.last_day), locale))
    # "87.5%" at the start of a line would read as a numbered list: escaped like user text.
    figures = [tr("report.card.figure", locale, figure=tr(f"report.figure.{f.name}", locale),
                  value=escape_markdown(shown(f.current, f.unit, locale)),
                  previous=escape_markdown(shown(f.previous, f.unit, locale)),
                  change=escape_markdown(change(f, locale)))
               for f in view.headlines]
    advice = ["• " + _said(words, locale, 500) for words in view.recommendations]
    link = view.link if view.link.startswith(("https://", "http://")) else ""
    return fitted(lambda scale: render("report_post.j2", locale, scale, view=view, title=title,
                                       span=span, figures=figures, advice=advice, link=link))
