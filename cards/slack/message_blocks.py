"""Messages (chat.postMessage / chat.update / ephemeral): one renderer per view type.

Each renderer prepares what a template cannot easily compute (choices for selects,
caps on long lists) and renders its template. Lists are cut to fit Slack's limits
with an "…and N more" line rather than refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any, TypeVar

from cards import dates
from cards.i18n import help_sections, say, settings_lines, t
from cards.slack.render import (
    BUTTON_TEXT,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    OPTION_TEXT,
    block_text_length,
    render,
)
from cards.templating import incident_choices, safe_url, saved_reply_choices
from cards.text import clip_mrkdwn, fit_mrkdwn, person_mrkdwn, stars, user_text
from conversations import button_ids
from conversations.view_models import (
    LEVELS,
    AddOrNew,
    AgentNotification,
    CardMoved,
    DeskConfig,
    DeskOption,
    DeskPicker,
    Digest,
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

Row = TypeVar("Row")
Message = dict[str, Any]

EXCERPT = 2800  # escaped characters of the first message on a card (view_queries cuts it at 600)
SETTABLE_STATUSES = ("waiting", "on_hold", "open", "resolved")
SELECT_TEXT_BUDGET = 3000  # option labels of one select together (long lists get short labels)
DESCRIBED_DESKS = 20  # up to this many, the picker shows each desk with its description
PICKER_DESKS = 400  # buttons, 20 characters each at most: within the message text budget
MAX_SELECT_CHOICES = 10_000  # 100 option groups of 100


def _label_limit(count: int, budget: int = SELECT_TEXT_BUDGET, limit: int = OPTION_TEXT) -> int:
    """How long each of `count` labels may be so that together they stay in `budget`."""
    return max(12, min(limit, budget // max(count, 1)))


def _choices(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = list(pairs)[:MAX_SELECT_CHOICES]
    limit = _label_limit(len(pairs))
    return [(clip(label, limit), value) for label, value in pairs]


def desk_choices(desks: Sequence[DeskOption]) -> list[tuple[str, str]]:
    """(label, slug) pairs for a desk select, labels shortened when there are many."""
    return _choices([(desk.name, desk.slug) for desk in desks])


def fits(message: Message, max_blocks: int = MESSAGE_BLOCKS,
         budget: int = MESSAGE_TEXT_BUDGET) -> bool:
    """True when a rendered message is within the block count and text budget."""
    blocks = message.get("blocks") or []
    return len(blocks) <= max_blocks and block_text_length(blocks) <= budget


def fit_rows(render_rows: Callable[[Sequence[Row], int], dict[str, Any]], rows: Sequence[Row],
             cap: int, check: Callable[[dict[str, Any]], bool] = fits) -> dict[str, Any]:
    """Render as many of `rows` as fit: `render_rows(shown, more)` with fewer until `check`."""
    count = min(len(rows), cap)
    while True:
        rendered = render_rows(rows[:count], len(rows) - count)
        if count == 0 or check(rendered):
            return rendered
        count -= max(1, count // 8)


# ---------------------------------------------------------------- agent side


def ticket_card(card: TicketCard, locale: str) -> Message:
    """The ticket card, with controls unless it is closed."""
    tr = partial(t, locale=locale)
    priority = min(max(int(card.priority), 1), 5)
    return render(
        "ticket_card.j2", locale, card=card, EXCERPT=EXCERPT,
        agent_choices=_choices([(agent.name, agent.external_id) for agent in card.agents
                                if agent.external_id]),
        desk_choices=desk_choices(card.other_desks),
        priority_choices=[(tr("card.priority_option", stars=stars(n), n=n), str(n))
                          for n in range(1, 6)],
        priority_value=str(priority),
        category_choices=[(name, name) for name in card.categories],
        level_choices=[(tr("matrix.level_" + level), level) for level in LEVELS],
        status_choices=[(f"{tr('status_emoji.' + s)} {tr('status.' + s)}", s)
                        for s in SETTABLE_STATUSES],
        incident_choices=incident_choices(card, tr),
        saved_reply_choices=saved_reply_choices(card))


def card_moved(view: CardMoved, locale: str) -> Message:
    """What stays in the old channel when a card moves to another desk."""
    return render("card_moved.j2", locale, view=view)


def agent_notification(view: AgentNotification, locale: str) -> Message:
    """A DM to an agent about a new or assigned request, with a link when known."""
    link = view.link if view.link and view.link.startswith(("https://", "http://")) \
        and len(view.link) <= 3000 else None
    return render("agent_notification.j2", locale, view=view, link=link)


def queue_list(view: QueueList, locale: str) -> Message:
    """`/desk queue`: as many rows as fit in one message, then "…and N more"."""
    return fit_rows(lambda shown, more: render("queue_list.j2", locale, view=view, shown=shown,
                                               more=more, total=len(view.rows)),
                    view.rows, MESSAGE_BLOCKS - 3)


# ---------------------------------------------------------------- requester side


def receipt(view: Receipt, locale: str) -> Message:
    """The receipt under the first message."""
    return render("receipt.j2", locale, view=view, promise=dates.promise(
        view.expected_response, locale))


def requester_update(view: RequesterUpdate, locale: str) -> Message:
    """A change the requester hears about (any `what`; unknown ones read "updated")."""
    return render("requester_update.j2", locale, view=view)


def resolve_prompt(view: ResolvePrompt, locale: str) -> Message:
    """"Did this solve it?" and the rating buttons, or the answers once given."""
    ref = str(view.ref)
    buttons = [(t("resolve.rate_button", locale, stars=stars(n), n=n), button_ids.RATE,
                f"{ref}:{n}", None) for n in range(1, 6)]
    return render("resolve_prompt.j2", locale, view=view, rating_buttons=buttons)


def desk_picker(view: DeskPicker, locale: str) -> Message:
    """One button per desk: with descriptions for a few desks, names only for many."""
    desks = list(view.desks)
    shown, more = desks[:PICKER_DESKS], max(len(desks) - PICKER_DESKS, 0)
    limit = _label_limit(len(shown), budget=8000, limit=BUTTON_TEXT)
    buttons = [(clip(desk.name, limit), button_ids.PICK_DESK, f"{view.pending_id}:{desk.slug}",
                None) for desk in shown]
    rendered = render("desk_picker.j2", locale, view=view, described=len(desks) <= DESCRIBED_DESKS,
                      buttons=buttons)
    if more:
        rendered["blocks"].append(_context(t("picker.more", locale, count=more)))
    return rendered


def add_or_new(view: AddOrNew, locale: str) -> Message:
    """Add the new text to an open request, or start a new one."""
    return fit_rows(lambda shown, more: render("add_or_new.j2", locale, view=view,
                                               shown=shown, more=more),
                    view.open_requests, MESSAGE_BLOCKS - 4)


def settled(view: Settled, locale: str) -> Message:
    """A picker or prompt once answered."""
    said = (say(view.words, locale, partial(fit_mrkdwn, limit=500)) if view.words is not None
            else fit_mrkdwn(view.text, 3000))
    return render("settled.j2", locale, said=said)


def my_requests(view: MyRequests, locale: str) -> Message:
    """`/desk my`: the requester's own requests."""
    return fit_rows(lambda shown, more: render("my_requests.j2", locale, view=view, shown=shown,
                                               more=more, total=len(view.rows)),
                    view.rows, MESSAGE_BLOCKS - 3)


def history(view: History, locale: str) -> Message:
    """`/desk history REF`: a request's timeline, the latest entries that fit."""
    said = partial(fit_mrkdwn, limit=300)
    latest = view.entries[::-1]

    def build(shown: Sequence[Any], more: int) -> Message:
        lines = [(entry, say(entry.words, locale, said)) for entry in reversed(shown)]
        return render("history.j2", locale, view=view, shown=lines, more=more,
                      earlier=view.earlier)
    return fit_rows(build, latest, MESSAGE_BLOCKS - 3)


# ---------------------------------------------------------------- admin and replies


def desk_config(view: DeskConfig, locale: str) -> Message:
    """`/desk admin show`: every field, lists shortened to fit one message."""
    def people(persons: Sequence[Any], limit: int) -> str:
        return clip_mrkdwn(", ".join(person_mrkdwn(p.name, p.external_id, 80) for p in persons),
                           limit)

    keywords = clip_mrkdwn(", ".join(f"`{fit_mrkdwn(word, 100)}`"
                                     for word in view.routing_keywords), 1500)
    settings = clip_mrkdwn("\n".join(
        f"*{fit_mrkdwn(label, 100)}*: {fit_mrkdwn(value, 300)}"
        for label, value in settings_lines(view, locale)),
        2500)
    return render("desk_config.j2", locale, view=view, agents=people(view.agents, 2000),
                  leads=people(view.leads, 1000), keywords=keywords, settings=settings)


def help_text(view: Help, locale: str) -> Message:
    """`/desk help`: each role's commands, packed into sections of at most 3000 characters."""
    sections: list[tuple[str, str]] = []
    for title, lines in help_sections(view, locale):
        packed = ""
        for usage, description in lines:
            item = f"`{fit_mrkdwn(usage, 200)}` {fit_mrkdwn(description, 500)}"
            if packed and len(packed) + 1 + len(item) > 2800:
                sections.append((title, packed))
                packed = ""
            packed = f"{packed}\n{item}" if packed else item
        sections.append((title, packed or "—"))
    return fit_rows(lambda shown, more: render("help.j2", locale, sections=shown, more=more),
                    sections, MESSAGE_BLOCKS - 3)


def reply(view: Reply, locale: str) -> Message:
    """A short private answer: ok, or an error with the usage that would have worked;
    its `words` said in the reader's language (else its English `text`)."""
    said = (say(view.words, locale, partial(fit_mrkdwn, limit=500)) if view.words is not None
            else fit_mrkdwn(view.text, 2500))
    return render("reply.j2", locale, view=view, said=user_text(said))


def scheduler_alert(view: SchedulerAlert, locale: str) -> Message:
    """A sweep's warning, breach, ping, nudge or reminder about one conversation."""
    link = view.link if view.link and view.link.startswith("https://") else None
    mentions = ", ".join(person_mrkdwn(p.name, p.external_id, 80) for p in view.mentions[:30])
    return render("scheduler_alert.j2", locale, view=view, link=link,
                  mentions=user_text(mentions) if mentions else "")


def digest(view: Digest, locale: str) -> Message:
    """The daily digest of a desk."""
    return render("digest.j2", locale, view=view)


def _context(markup: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": markup}]}


def report_post(view: ReportPost, locale: str) -> Message:
    """A report posted in chat: its summary card (the chart and CSV go as files)."""
    from cards.report_page import change, shown

    desk = (user_text(fit_mrkdwn(", ".join(view.desks), 200)) if view.desks
            else t("report.page.every_desk", locale))
    title = t("report.card.title", locale, desk=desk, period=view.period)
    span = t("report.card.span", locale,
             first=dates.short_date(date.fromisoformat(view.first_day), locale),
             last=dates.short_date(date.fromisoformat(view.last_day), locale))
    figures = [t("report.card.figure", locale, figure=t(f"report.figure.{f.name}", locale),
                 value=shown(f.current, f.unit, locale), previous=shown(f.previous, f.unit, locale),
                 change=change(f, locale))
               for f in view.headlines]
    advice = ["• " + say(words, locale, partial(fit_mrkdwn, limit=500))
              for words in view.recommendations]
    return render("report_post.j2", locale, view=view, title=title, span=span,
                  figures=figures, advice=advice, link=safe_url(view.link, 3000))
