"""Notice kinds: the platform-neutral facts the core asks the outbox worker to deliver.

A notice names what must be said, never how: each platform sender renders it with
`cards/` from the conversation's current state. Payloads carry only ids and the few
facts that the current state cannot tell (for example the old card's place after a
transfer to another desk).

The words live in `desks`, the lowest domain package: desks write notices too (a card
update after a desk change, `DESK_NOT_READY`), and conversations and scheduling may
import desks but desks may import neither. Storage writes each kind as a plain string.
"""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    """Every kind of outbox notice the core writes."""

    # Agent side
    CARD_POST = "card.post"  # post the ticket card in the desk's agent channel
    CARD_UPDATE = "card.update"  # re-render the card in place (coalesced per conversation)
    CARD_MOVED = "card.moved"  # the conversation left this desk's channel; payload has old place
    CARD_PIN = "card.pin"  # pin the card message in the channel (Slack)
    CARD_UNPIN = "card.unpin"
    RELAY_TO_AGENTS = "relay.to_agents"  # requester message -> card thread; payload message_id
    AGENT_ASSIGNED = "agent.assigned"  # tell the person they were given the conversation
    AGENT_NEW_REQUEST = "agent.new_request"  # DM an available agent about a new request
    # Scheduler (scheduling/sweeps.py). person_id set: a DM to that person; unset: the
    # card's thread. Payload {"target": "first_response" | "resolution"} for SLA ones.
    SLA_WARNING = "sla.warning"
    SLA_BREACH = "sla.breach"
    # Thread, payload {"mention_ids": [person ids]}; or, one more period later still
    # unassigned, a DM to each lead (person_id set), payload {"stage": "leads"}.
    # A due date an agent set (`/desk due`) is near, or has passed: a DM to person_id
    # (the assignee, or on-call agents), or the card's thread when nobody holds it.
    DUE_WARNING = "due.warning"
    DUE_PASSED = "due.passed"
    STALL_UNASSIGNED = "stall.unassigned"
    AGENT_NUDGE = "stall.agent_silent"  # DM the assignee: the requester waits for an answer
    DESK_DIGEST = "desk.digest"  # agent channel; payload {"desk_id", "counts": {...}}
    # A desk became not ready (no agent channel or no agents) while requests wait on it:
    # a DM to person_id and `ALSO` (its leads, the workspace's admins, who changed it);
    # payload {"desk_id", "refs": [...], "missing": [...]}.
    DESK_NOT_READY = "desk.not_ready"
    # Major incidents (conversations/incidents.py): no conversation; payload
    # {"incident_id"}, ordered per incident. The card in the desk's agent channel (its
    # place is stored on the incident), its re-render (coalesced), and an update posted
    # in its thread (payload {"incident_id", "text"}).
    INCIDENT_CARD_POST = "incident.card_post"
    INCIDENT_CARD_UPDATE = "incident.card_update"
    INCIDENT_THREAD = "incident.thread"
    # "Possible major incident: #1012, #1013, #1015 [Declare incident]" in the desk's
    # agent channel; payload {"desk_id", "refs": [...]}.
    INCIDENT_PROPOSAL = "incident.proposal"
    # Requester side
    RECEIPT = "requester.receipt"  # ref, desk, expected first response
    RELAY_TO_REQUESTER = "relay.to_requester"  # agent message -> requester; payload message_id
    REQUESTER_UPDATE = "requester.update"  # picked up / status / transfer; payload {"what": ...}
    RESOLVE_PROMPT = "requester.resolve_prompt"  # "Did this solve it?" + rating
    REQUESTER_REMINDER = "requester.reminder"  # waiting on them: "please reply"
    REQUESTER_WITHDREW = "requester.withdrew"  # the card's thread: the requester withdrew it
    # A question about a pending request (desk picker, "add to #ref or new?");
    # person_id = the requester, payload {"pending_id", "question": "desk" | "add_or_new"}.
    REQUESTER_PROMPT = "requester.prompt"
    # An incident's update (or its resolution) to one linked request's requester;
    # payload {"incident_id", "text", "resolved": bool}.
    INCIDENT_NEWS = "incident.news"
    # Files (conversations/files.py): payload {"file_id", "message_id"}. The sender
    # fetches the file and puts it in the card's thread / the requester's chat.
    FILE_TO_AGENTS = "file.to_agents"
    FILE_TO_REQUESTER = "file.to_requester"
    # A file's relay failed for good: tell its author. Payload {"file_id", "reason":
    # "too_big" | "unfetchable" | "undelivered", "size": bytes or None}.
    FILE_FAILED = "file.failed"
    # Anyone
    # Publish the person's home view (Slack's home tab), rendered as it is at delivery;
    # person_id, payload {"view", "page", "desk"} (what the tab shows).
    HOME_PUBLISH = "home.publish"
    # The answer to a command the person typed, when it did not fit in the ack;
    # person_id, payload {"answer": the platform's rendered answer, "response_url",
    # "channel"} (where the platform takes answers to that command).
    COMMAND_ANSWER = "command.answer"
    # A desk's report (conversations/reports/chat.py): the summary card, its chart and
    # the CSV of its requests; person_id is who asked (None on a schedule), payload
    # {"desk_ids": [...] ([]: every desk of the workspace), "period": its label,
    # "channel": where to post (None: the person's chat), "scheduled": bool}.
    REPORT_POST = "report.post"


# Card updates render the conversation's current state, so several in a row are one;
# so do a person's home tab publishes (the last says what the tab shows).
COALESCED_KINDS = frozenset({NoticeKind.CARD_UPDATE, NoticeKind.HOME_PUBLISH,
                             NoticeKind.INCIDENT_CARD_UPDATE})

# A payload key: `{"card": true}` asks the outbox worker to update the conversation's card
# before it delivers the notice. A sweep that flags a thousand conversations a minute
# writes one notice per flag where it would write two (the alert and a card update).
CARD_FIRST = "card"

# A payload key: `{"also": [person ids]}` sends the notice to `person_id`, then to each
# of these in turn (a breach's assignee, then the desk's leads): one row, not one per
# person. The outbox worker keeps how many have been told in `TOLD` as it goes, so a
# retry resumes after them instead of telling anyone twice.
ALSO = "also"
TOLD = "told"

# Relays whose permanent failure is told to the author of what was relayed: the
# outbox worker writes a `FILE_FAILED` notice when it gives one of them up.
TELL_AUTHOR_ON_FAILURE = frozenset({NoticeKind.FILE_TO_AGENTS, NoticeKind.FILE_TO_REQUESTER})
