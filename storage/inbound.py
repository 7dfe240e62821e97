"""The inbound policy: every kind of platform delivery, how a repeat of it is recognised,
and whether it is acknowledged before it is worked on.

`RULES` is the one table: per (platform, kind), which fields of the delivery identify it
(alternatives, the first complete one wins) and how it is answered:
- `AFTER_ACK`: stored in the inbox, acknowledged, processed after (`store`); a repeat
  is recognised when it is stored, and answered without being processed again.
- `IN_RESPONSE`: worked on before the platform gets its answer, because the answer
  carries the result (a Teams card, a modal's field errors, a modal opened with a
  trigger_id that lives 3 s). `first` records it in the ledger inside the unit of work
  of the work it guards, so the mark commits with it (or not at all).
A delivery whose fields name no id is still recorded (under a fresh id), but a repeat
of it cannot be recognised. Adapters go through `store` and `first` only.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storage import ledger, metrics
from storage.database import UnitOfWork
from storage.inbox import Inbox

ID_LIMIT = 255  # inbound_event.delivery_id and processed_inbound.delivery_id


class Answered(StrEnum):
    """When the platform gets its answer, relative to the work a delivery causes."""

    AFTER_ACK = "stored, acknowledged, then processed"
    IN_RESPONSE = "processed before the answer, which carries the result"


@dataclass(frozen=True)
class Rule:
    """How one kind of delivery is recorded and a repeat of it recognised."""

    platform: str
    kind: str
    what: str  # the delivery, in words
    # Alternatives, each a tuple of dotted paths into the delivery as the platform sent it
    # (`actions.0.action_ts`: list items by index); the first whose parts are all there.
    identity: tuple[tuple[str, ...], ...]
    answered: Answered
    prefix: str = ""  # tells its ids from another kind's in the same platform's id space
    once: bool = True  # False: a repeat is worked on again (it only reads)


_EVENT = (("event_id",),)
_CLICK = (("user.id", "actions.0.action_ts"), ("trigger_id",))
_ACTIVITY = (("conversation.id", "id"),)

RULES: tuple[Rule, ...] = (
    # ---------------------------------------------------------------- Slack
    Rule("slack", "message", "a person's message (DM, agent thread, intake channel)",
         (*_EVENT, ("event.channel", "event.ts")), Answered.AFTER_ACK),
    Rule("slack", "home_opened", "the home tab opened",
         (*_EVENT, ("event.user", "event.event_ts")), Answered.AFTER_ACK),
    Rule("slack", "command", "`/desk …` typed (a replay has the same trigger_id)",
         (("trigger_id",),), Answered.AFTER_ACK, prefix="command:"),
    Rule("slack", "home_action", "a click in the home tab (view, page, desk, availability)",
         (("user.id", "actions.0.action_ts"),), Answered.AFTER_ACK, prefix="home-action:"),
    Rule("slack", "ticket_action", "a click on a ticket card (claim, transfer, pin, close…)",
         _CLICK, Answered.AFTER_ACK, prefix="ticket-action:"),
    Rule("slack", "intake_action", "a click on the desk picker or \"add to or new?\"",
         _CLICK, Answered.AFTER_ACK, prefix="intake-action:"),
    Rule("slack", "resolve_action", "a click on \"did this solve it?\" or a rating",
         _CLICK, Answered.AFTER_ACK, prefix="resolve-action:"),
    Rule("slack", "shortcut", "the \"Send to helpdesk\" message shortcut (opens a modal "
         "with its trigger_id, valid for 3 s)", (("trigger_id",),), Answered.IN_RESPONSE,
         prefix="shortcut:"),
    Rule("slack", "ask_submitted", "the \"Send to helpdesk\" modal submitted (field errors "
         "go in the answer)", (("view.id",), ("trigger_id",)), Answered.IN_RESPONSE,
         prefix="ask-modal:"),
    Rule("slack", "incident_modal", "an incident card's *Post update* or *Resolve incident* "
         "(opens a modal with its trigger_id, valid for 3 s)", (("trigger_id",),),
         Answered.IN_RESPONSE, prefix="incident-modal:"),
    Rule("slack", "incident_submitted", "an incident's update / resolve modal submitted "
         "(field errors go in the answer)", (("view.id",), ("trigger_id",)),
         Answered.IN_RESPONSE, prefix="incident-submitted:"),
    Rule("slack", "kb_submitted", "the article modal (`/desk kb add REF`) saved (field "
         "errors go in the answer)", (("view.id",), ("trigger_id",)), Answered.IN_RESPONSE,
         prefix="kb-submitted:"),
    # ---------------------------------------------------------------- Teams
    Rule("teams", "message", "a message in a personal chat or a channel",
         _ACTIVITY, Answered.AFTER_ACK),
    Rule("teams", "welcome", "the bot added to a personal chat or a team",
         _ACTIVITY, Answered.AFTER_ACK),
    Rule("teams", "ticket_action", "Action.Execute on a ticket card (answered with the card)",
         _ACTIVITY, Answered.IN_RESPONSE),
    Rule("teams", "card_refresh", "a card's refresh (answered with the card as it is now)",
         _ACTIVITY, Answered.IN_RESPONSE, once=False),
    Rule("teams", "intake_action", "Action.Execute on the desk picker or \"add to or new?\"",
         _ACTIVITY, Answered.IN_RESPONSE),
    Rule("teams", "resolve_action", "Action.Execute on \"did this solve it?\" or a rating",
         _ACTIVITY, Answered.IN_RESPONSE),
    Rule("teams", "home_action", "Action.Execute on the queues card (view, page, desk, "
         "availability)", _ACTIVITY, Answered.IN_RESPONSE),
    Rule("teams", "incident_action", "Action.Execute on an incident card (update, resolve; "
         "answered with the card)", _ACTIVITY, Answered.IN_RESPONSE),
    Rule("teams", "ask_card", "the \"Send to helpdesk\" card submitted", _ACTIVITY,
         Answered.IN_RESPONSE),
    Rule("teams", "kb_card", "the article card (`/desk kb add REF`) saved", _ACTIVITY,
         Answered.IN_RESPONSE),
)

_BY_KIND = {(rule.platform, rule.kind): rule for rule in RULES}


class UnknownKind(LookupError):
    """A delivery kind without a written rule: add one to `RULES`."""


def rule_of(platform: str, kind: str) -> Rule:
    """The rule of `kind` on `platform`; raises `UnknownKind` when none is written."""
    try:
        return _BY_KIND[(platform, kind)]
    except KeyError:
        raise UnknownKind(f"no inbound rule for {platform} {kind!r}") from None


def _at(delivery: Any, path: str) -> str | None:
    node = delivery
    for step in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    if isinstance(node, bool) or not isinstance(node, str | int) or node == "":
        return None
    return str(node)


def delivery_id(rule: Rule, delivery: Mapping[str, Any]) -> str | None:
    """The id `rule` reads from `delivery` (None: it names none), at most 255 characters."""
    for parts in rule.identity:
        values = [_at(delivery, path) for path in parts]
        if all(value is not None for value in values):
            found = rule.prefix + ":".join(v for v in values if v is not None)
            if len(found) > ID_LIMIT:  # long chat ids: the end made a hash, still unique
                digest = hashlib.sha256(found.encode()).hexdigest()[:32]
                found = f"{found[:ID_LIMIT - 33]}#{digest}"
            return found
    return None


def identify(platform: str, kind: str, delivery: Mapping[str, Any]) -> str:
    """The id a delivery of `kind` is stored under (a fresh one when it names none)."""
    rule = rule_of(platform, kind)
    return delivery_id(rule, delivery) or f"{rule.prefix}fresh:{uuid.uuid4()}"


async def store(inbox: Inbox, platform: str, kind: str, delivery: Mapping[str, Any],
                workspace_external_id: str, payload: dict[str, Any], *,
                identified: str | None = None) -> tuple[bool, str]:
    """Keep a delivery answered after its ack: (new, its id); new is False for a repeat.

    `delivery` is what the platform sent (its id is read there, unless `identify` gave
    it already: `identified`); `payload` what is kept for processing. Returns once it
    is committed: the caller acknowledges then.
    """
    rule = rule_of(platform, kind)
    if rule.answered is not Answered.AFTER_ACK:
        raise UnknownKind(f"{platform} {kind!r} is answered in its response, not stored")
    found = identified or identify(platform, kind, delivery)
    new = await inbox.accept(platform, found, workspace_external_id, kind, payload)
    return new, found


async def first(uow: UnitOfWork, platform: str, kind: str,
                delivery: Mapping[str, Any]) -> bool:
    """For a delivery worked on in its response: True the first time, False for a repeat.

    Recorded in `uow`, so the mark commits with the work it guards (a failed attempt
    leaves none, and its retry runs). Kinds that only read are never a repeat.
    """
    rule = rule_of(platform, kind)
    if rule.answered is not Answered.IN_RESPONSE:
        raise UnknownKind(f"{platform} {kind!r} is stored before its ack, not run in it")
    metrics.RECEIVED.labels(platform, kind).inc()  # worked on in its response: no inbox row
    found = delivery_id(rule, delivery)
    if not rule.once or found is None:
        return True
    return await ledger.first_delivery(uow, platform, found)


__all__ = ["RULES", "Answered", "Rule", "UnknownKind", "delivery_id", "first", "identify",
           "rule_of", "store"]
