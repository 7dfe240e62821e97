"""View models: everything a card, message, modal or home view shows, as plain data.

Built by `conversations/view_queries.py` from the database, rendered by `cards.slack`
(Block Kit) and `cards.teams` (Adaptive Cards) from the same objects. `cards` imports
this module (and `button_ids`) and nothing else of ours. Nothing here knows a
platform or the database; user text arrives raw and is escaped by the renderers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# ---------------------------------------------------------------- small parts


ELLIPSIS = "…"
# Impact and urgency levels, as cards offer them (`desks.ticket_policy.LEVELS`).
LEVELS = ("high", "medium", "low")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS if limit > 0 else ""


@dataclass(frozen=True)
class PersonRef:
    """A person as shown: display name, and the platform user id when known (for mentions)."""

    name: str
    external_id: str | None = None


@dataclass(frozen=True)
class DeskOption:
    """A desk as offered in a picker or select."""

    slug: str
    name: str
    description: str | None = None


@dataclass(frozen=True)
class SlaState:
    """The SLA line of a card: `state` is ok | warning | breached | paused | none.

    `target` (first_response | resolution) and `due_at` say which clock and when it is
    due: renderers write that as a clock time in the reader's own time zone ("first
    response due today 10:15"), never as a countdown that goes stale on a posted card.
    `label`, when given, is shown instead.
    """

    state: str = "none"
    label: str | None = None
    due_at: datetime | None = None
    target: str | None = None


# ---------------------------------------------------------------- agent side


@dataclass(frozen=True)
class SimilarRequest:
    """A resolved request like the one on a card: its ref, title, who resolved it, and
    the first line of its resolution note. `channel` and `thread` are where its own
    card is (None: nowhere known); `link` opens that thread, set by the platform's
    sender from them (a Slack permalink, a Teams deep link), as AgentNotification's."""

    ref: int
    title: str
    resolver: str | None = None
    answer: str | None = None
    channel: str | None = None
    thread: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class TicketCard:
    """The ticket card in the desk's agent channel; re-rendered on every change."""

    ref: int
    desk: DeskOption
    subject: str
    first_message: str  # its start, when `whole_in_thread`
    requester: PersonRef
    requester_earlier_requests: int
    opened_at: datetime
    priority: int  # 1..5
    status: str  # conversations.lifecycle.Status value
    kind: str = "inquiry"
    assignee: PersonRef | None = None
    pinned: bool = False
    sla: SlaState = field(default_factory=SlaState)
    rating: int | None = None
    # Offered by the Transfer selects: the desk's agents (not the assignee) and other desks.
    agents: tuple[PersonRef, ...] = ()
    other_desks: tuple[DeskOption, ...] = ()
    # The first message is longer than the card shows: the card's thread carries it whole.
    whole_in_thread: bool = False
    # Agents who marked it unread (`/desk unread`): the card says so, for them.
    unread_for: tuple[PersonRef, ...] = ()
    language: str = "en"  # the desk's: a right-to-left one makes the card read so
    category: str | None = None  # the ticket category it is filed under
    # Offered by the ticket control: the desk's categories (an inquiry: "Make ticket").
    categories: tuple[str, ...] = ()
    # The desk's impact × urgency matrix is on: the card shows (and sets) impact and
    # urgency (high | medium | low, None when not said) instead of setting priority.
    matrix: bool = False
    impact: str | None = None
    urgency: str | None = None
    # A due date an agent set (`/desk due`), and how it stands: ok | warning | passed
    # (none: no due date, or the request is done).
    due_at: datetime | None = None
    due_state: str = "none"
    # The due date control: the desk's time zone its date and time are read in, and the
    # due moment as the desk's clock shows it ("YYYY-MM-DD HH:MM", "" for none).
    due_zone: str = "UTC"
    due_wall: str = ""
    # A ticket an agent escalated here (`/desk escalate`): from which desk, by whom, the
    # note; and whether it may go on up (a ticket, its desk has a next tier).
    escalated_from: str | None = None
    escalated_by: PersonRef | None = None
    escalation_note: str | None = None
    can_escalate: bool = False
    withdrawn: bool = False  # closed because the requester withdrew it
    # Major incidents: the one it is linked to (its number), and the desk's open ones
    # (number, title) the *Link to incident* select offers.
    incident: int | None = None
    open_incidents: tuple[tuple[int, str], ...] = ()
    # The desk's saved replies (id, name) its *Saved reply* control offers; none: no control.
    saved_replies: tuple[tuple[int, str], ...] = ()
    # Up to three resolved requests like this one (found when it opened), for the agent.
    similar: tuple[SimilarRequest, ...] = ()


@dataclass(frozen=True)
class CardMoved:
    """What replaces a card in its old channel after a transfer to another desk."""

    ref: int
    subject: str
    from_desk: str
    to_desk: str
    by: PersonRef | None = None


@dataclass(frozen=True)
class RelayToAgents:
    """A requester's message, posted in the card's thread."""

    ref: int
    requester: PersonRef
    text: str


@dataclass(frozen=True)
class AgentNotification:
    """A DM to an agent: `what` is new_request | assigned | autoassigned (by the desk's rule).

    `link` is where the card lives (a permalink), when known.
    """

    what: str
    ref: int
    desk: str
    subject: str
    requester: PersonRef
    by: PersonRef | None = None  # who assigned it
    link: str | None = None


@dataclass(frozen=True)
class SchedulerAlert:
    """A sweep's word about one conversation (SPEC §4).

    `what`: sla_warning | sla_breach (`target` first_response | resolution, `due_at`)
    | unassigned (`mentions`: who is pinged) | agent_silent (to the assignee)
    | unassigned_leads (to a lead: still unassigned after the agents' ping)
    | requester_reminder (to the requester). `link` is the card's place, when known.
    """

    what: str
    ref: int
    desk: str
    subject: str
    target: str | None = None
    due_at: datetime | None = None
    mentions: tuple[PersonRef, ...] = ()
    link: str | None = None


@dataclass(frozen=True)
class Digest:
    """The daily digest in a desk's agent channel, at the start of its service day."""

    desk: str
    day: str  # the local date, ISO
    open: int
    unassigned: int
    breached: int
    due_today: int
    pinned: int
    # Open tickets by category, most first: (category, count); "" for none.
    tickets: tuple[tuple[str, int], ...] = ()


# ---------------------------------------------------------------- requester side


def spelled_duration(delta: timedelta) -> str:
    """A target in English words: "15 minutes", "2 hours 30 minutes", "3 days" (rounded up
    to the minute, never less than one)."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}"
             for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts)


@dataclass(frozen=True)
class ExpectedResponse:
    """When the employee may expect a first answer, as facts; the renderers word them in
    the reader's language (`cards.dates.expected_response`).

    `kind`: within (`target`, open time) | by (`moment`, still today in the window)
    | when_opens (`moment`, the desk's next opening) | on_call (priority 5, on-call
    agents). `moment` is in the desk's time zone. `str()` is the English, for logs and
    tests ("within 15 minutes", "when the desk opens Sunday 08:00").
    """

    kind: str
    target: timedelta | None = None
    moment: datetime | None = None

    @property
    def english(self) -> str:
        """The promise in English, as the receipt has always worded it."""
        if self.kind == "within" and self.target is not None:
            return f"within {spelled_duration(self.target)}"
        if self.kind == "by" and self.moment is not None:
            return f"by {self.moment:%A %H:%M}"
        if self.kind == "when_opens" and self.moment is not None:
            return f"when the desk opens {self.moment:%A %H:%M}"
        return "from the on-call agent, as this is critical"

    def __str__(self) -> str:
        return self.english


@dataclass(frozen=True)
class Receipt:
    """The reply under the employee's first message.

    `expected_response` is the promise's facts (worded in the reader's language by the
    renderer); a plain string is shown as given, as user text.
    """

    ref: int
    desk: str
    expected_response: ExpectedResponse | str | None = None
    follows_ref: int | None = None  # a new request that follows a closed one


@dataclass(frozen=True)
class RelayToRequester:
    """An agent's reply, in the requester's thread, with the agent's name."""

    ref: int
    agent: PersonRef
    desk: str
    text: str


@dataclass(frozen=True)
class RequesterUpdate:
    """A change the requester should hear about.

    `what`: picked_up | status | transferred | closed | reopened | released | ticket.
    `status` is set for what=status (waiting, on_hold, open, resolved); `agent` for
    picked_up; `to_desk` for transferred; `note` for closed (the closing note);
    `category` for ticket (converted to a ticket of that category, if any).
    """

    ref: int
    what: str
    desk: str
    agent: PersonRef | None = None
    status: str | None = None
    to_desk: str | None = None
    note: str | None = None
    category: str | None = None
    due_at: datetime | None = None  # what=due: the request's due date


@dataclass(frozen=True)
class ResolvePrompt:
    """"Did this solve it?" (yes / no) and a 1–5 rating, after resolve or close.

    `answered` / `rating` show the state after the requester clicked (the message is
    updated in place): an answer replaces its buttons. `closed` asks after a close
    ("was closed"), so the one message the requester gets matches the final state.
    """

    ref: int
    desk: str
    answered: bool | None = None
    rating: int | None = None
    closed: bool = False


@dataclass(frozen=True)
class DeskPicker:
    """Which desk should take this? One button per desk; `pending_id` finds the text."""

    pending_id: int
    text: str
    desks: tuple[DeskOption, ...]


@dataclass(frozen=True)
class OpenRequest:
    """A requester's open request, as offered by AddOrNew."""

    ref: int
    subject: str
    desk: str


@dataclass(frozen=True)
class AddOrNew:
    """A new top-level DM while requests are open: "add to #1042 or start a new request?"."""

    pending_id: int
    text: str
    open_requests: tuple[OpenRequest, ...]


@dataclass(frozen=True)
class Settled:
    """Replaces a picker or prompt once answered: "Sent to IT as #1042" and the like.

    `words` (as `Reply.words`) is what is said, in the reader's language; `text` its English.
    """

    text: str
    words: Any = None

    @classmethod
    def of(cls, words: Any) -> Settled:
        """The settled message that says `words`."""
        return cls(text=words.english, words=words)


# ---------------------------------------------------------------- lists and homes


@dataclass(frozen=True)
class QueueRow:
    """One row of an agent's queue."""

    ref: int
    subject: str
    desk: str
    requester: str
    assignee: str | None
    status: str
    priority: int
    opened_at: datetime
    pinned: bool
    unread: bool
    sla: SlaState = field(default_factory=SlaState)
    link: str | None = None  # to the card's thread
    category: str | None = None  # a ticket's (or a filed inquiry's) category
    due_at: datetime | None = None  # a due date an agent set, and how it stands
    due_state: str = "none"


@dataclass(frozen=True)
class QueueList:
    """An agent's queue: `view` is unassigned | mine | all; `desk` the filter, if any."""

    view: str
    rows: tuple[QueueRow, ...]
    desk: str | None = None
    now: datetime | None = None  # for ages


@dataclass(frozen=True)
class RequestRow:
    """One of the requester's own requests."""

    ref: int
    subject: str
    desk: str
    status: str
    assignee: str | None
    opened_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MyRequests:
    """The requester's own requests (`/desk my`, the employee's home tab)."""

    rows: tuple[RequestRow, ...]


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a request's timeline: when, who (None: deskbot itself), and what
    happened (`words`: a `desks.wording.Words`, said in the reader's language)."""

    at: datetime
    kind: str
    words: Any
    person: str | None = None


@dataclass(frozen=True)
class History:
    """`/desk history REF`: the request's timeline, oldest first (`earlier`: more
    events came before the first one shown)."""

    ref: int
    subject: str
    desk: str
    entries: tuple[HistoryEntry, ...]
    earlier: bool = False
    language: str = "en"  # the desk's


@dataclass(frozen=True)
class AgentHome:
    """The agent's home tab: the chosen view of their queue, counts, availability, pages."""

    name: str
    available: bool
    view: str  # unassigned | mine | all
    counts: dict[str, int]  # per view
    rows: tuple[QueueRow, ...]  # this page only
    page: int = 1
    pages: int = 1
    desks: tuple[DeskOption, ...] = ()  # for the desk filter
    desk: str | None = None  # the filter in force (slug)
    own_requests: tuple[RequestRow, ...] = ()  # an agent may be a requester too
    now: datetime | None = None


@dataclass(frozen=True)
class EmployeeHome:
    """An employee's home tab: their own requests, and how to ask."""

    name: str
    requests: tuple[RequestRow, ...]
    desks: tuple[DeskOption, ...] = ()


# ---------------------------------------------------------------- admin and replies


@dataclass(frozen=True)
class DeskConfig:
    """`/desk admin show`: a desk's whole configuration.

    `settings` holds the further sections (hours, holidays, SLA, stall…) as
    label → value lines, so later issues add lines without new templates.
    """

    name: str
    slug: str
    description: str | None
    agent_channel: str | None  # platform channel id
    intake_channel: str | None
    agents: tuple[PersonRef, ...]
    leads: tuple[PersonRef, ...]
    routing_keywords: tuple[str, ...]
    archived: bool = False
    language: str = "en"
    settings: tuple[tuple[str, str], ...] = ()  # in English
    # The same lines to say (`desks.wording.Words` or typed text), in the reader's language.
    settings_words: tuple[tuple[Any, Any], ...] = ()


@dataclass(frozen=True)
class HelpLine:
    """One command in `/desk help`: `description` in English, `words` what is said."""

    usage: str
    description: str
    words: Any = None


@dataclass(frozen=True)
class Help:
    """The commands the caller may use, grouped by role (employee, agent, admin).

    Titles and descriptions are English; `section_words` and each line's `words`
    (`desks.wording.Words`) are what is said, in the reader's language."""

    sections: tuple[tuple[str, tuple[HelpLine, ...]], ...]
    section_words: tuple[Any, ...] = ()  # each section's title, as words to say


@dataclass(frozen=True)
class Reply:
    """A short answer to a command: `kind` is ok | error.

    For an error, `text` says what was wrong and `usage` shows the right form. `words`
    (a `desks.wording.Words`: a catalogue key and values; typed loosely, as view models
    import nothing of ours) is what the renderers say, in the reader's language; `text`
    is its English, for logs and tests, and what is shown when there are no `words`.
    """

    text: str
    kind: str = "ok"
    usage: str | None = None
    words: Any = None

    @classmethod
    def of(cls, words: Any, kind: str = "ok", usage: str | None = None) -> Reply:
        """The reply that says `words` (its English as `text`)."""
        return cls(text=words.english, kind=kind, usage=usage, words=words)


@dataclass(frozen=True)
class AskModal:
    """The "Send to helpdesk" modal: the message text and a desk select."""

    text: str
    desks: tuple[DeskOption, ...]
    private_metadata: str = ""  # adapter's own state (source channel and message), ≤ 3000
    # Ask how urgent it is (high | medium | low, medium chosen): some desk offered has
    # the impact × urgency matrix on.
    urgency: bool = False


# ---------------------------------------------------------------- the report page


@dataclass(frozen=True)
class ReportFigure:
    """One headline figure now and in the previous period; `unit` says how to show it:
    count | percent | duration (business seconds) | rating (of 5)."""

    name: str  # its words: `report.figure.<name>`
    unit: str
    current: float | None
    previous: float | None


@dataclass(frozen=True)
class ReportWeek:
    """One week of the period (`start`: its first day, ISO): requests opened and done in
    it, and the share of first responses on time of those opened in it."""

    start: str
    opened: int
    resolved: int
    sla_percent: float | None


@dataclass(frozen=True)
class ReportAgent:
    """One agent's line of the report."""

    name: str
    assigned: int
    resolved: int
    open_now: int | None
    csat: float | None


@dataclass(frozen=True)
class ReportPage:
    """The whole report as a page: what `deskbot report --format html` writes and the
    signed link shows. `desks` empty: every desk; `language`: the desk's."""

    desks: tuple[str, ...]
    period: str
    first_day: str
    last_day: str
    time_zone: str
    generated_at: datetime
    headlines: tuple[ReportFigure, ...]
    weeks: tuple[ReportWeek, ...]
    by_category: tuple[tuple[str, int], ...]
    by_priority: tuple[tuple[str, int], ...]
    agents: tuple[ReportAgent, ...]
    breaches: int
    requests: int
    recommendations: tuple[Any, ...] = ()  # `desks.wording.Words`
    language: str = "en"


@dataclass(frozen=True)
class IncidentCard:
    """A major incident's card in its desk's agent channel: title, status, how many
    requests are linked (and which), the latest update or the resolution note."""

    number: int  # shown INC-3
    title: str
    status: str  # open | resolved
    desk: str
    count: int
    refs: tuple[int, ...]  # the linked refs, first ones (the count says how many)
    opened_by: PersonRef | None = None
    latest_update: str | None = None
    resolution_note: str | None = None


@dataclass(frozen=True)
class IncidentModal:
    """The modal an incident card's *Post update* or *Resolve incident* opens: the text
    every linked requester gets (the update, or the resolution note)."""

    number: int
    title: str
    resolve: bool = False  # the resolution note, not an update
    private_metadata: str = ""  # adapter's own state (the incident, the channel), ≤ 3000


@dataclass(frozen=True)
class IncidentNews:
    """An incident's update (or its resolution) told to one linked request's requester;
    or, posted in the incident card's thread (`ref` None), to the agents."""

    number: int
    title: str
    text: str
    resolved: bool = False
    ref: int | None = None
    author: PersonRef | None = None


@dataclass(frozen=True)
class IncidentProposal:
    """"Possible major incident: #1012, #1013, #1015 — [Declare incident]"."""

    desk_id: int
    desk: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class IncidentOffer:
    """"This may be the known incident: Email is down — [It's this] [Something else]"
    for a pending request."""

    pending_id: int
    number: int
    title: str


# ---------------------------------------------------------------- reports in chat


@dataclass(frozen=True)
class ReportPost:
    """A report posted in chat (`/desk report`, or on a desk's schedule): the summary
    card's headline figures against the previous period, the top recommendations, the
    weeks its chart draws, the CSV of its requests and the signed link to the whole
    page. `desks` empty: every desk; `language`: the desk's (the reader's for every desk)."""

    desks: tuple[str, ...]
    period: str  # its label: 2026-Q4, 2026-11, 2026-11-22..2026-11-28
    first_day: str
    last_day: str
    headlines: tuple[ReportFigure, ...]
    weeks: tuple[ReportWeek, ...]
    recommendations: tuple[Any, ...]  # `desks.wording.Words`, the first few
    requests: int
    link: str
    csv: str
    file_stem: str  # report-it-2026-Q4: the files' names without their extension
    language: str = "en"
    scheduled: bool = False  # posted on the desk's schedule, not asked for


# ---------------------------------------------------------------- articles


# An article's longest title and text (the text: what a Slack modal's input takes).
ARTICLE_MAX_TITLE = 200
ARTICLE_MAX_TEXT = 3000


@dataclass(frozen=True)
class ArticleForm:
    """`/desk kb add REF`'s form (a modal on Slack, a card on Teams): the title and the
    text of the article the request becomes, prefilled, for the agent to edit and save
    (at most `ARTICLE_MAX_TITLE` and `ARTICLE_MAX_TEXT` characters)."""

    ref: int
    desk: str
    title: str
    text: str
    private_metadata: str = ""  # adapter's own state (the request, the channel), ≤ 3000


# ---------------------------------------------------------------- answers before a request


@dataclass(frozen=True)
class Suggestion:
    """One answer offered before a request is sent: a resolved request or an article,
    its title and the first line of its answer."""

    kind: str  # "request" or "article" (storage.search)
    ref_id: int
    title: str
    answer: str | None


@dataclass(frozen=True)
class SuggestionOffer:
    """"These helped others: … [This solved it] [Send my request]" for a pending request."""

    pending_id: int
    suggestions: tuple[Suggestion, ...]


View = (TicketCard | CardMoved | RelayToAgents | AgentNotification | Receipt
        | RelayToRequester | RequesterUpdate | ResolvePrompt | DeskPicker | AddOrNew
        | Settled | QueueList | MyRequests | DeskConfig | Help | Reply | SchedulerAlert
        | Digest | History | IncidentCard | IncidentNews | IncidentProposal
        | IncidentOffer | ReportPost | ArticleForm | SuggestionOffer)


