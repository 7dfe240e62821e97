"""Action ids and value formats shared by the card templates and the platform adapters.

A template puts these ids on its buttons and selects; an adapter's listener matches
them. Values are short strings, parsed by the helpers below (never trusted: the
adapter re-checks everything in the core).
"""

from __future__ import annotations

# Ticket card (agent channel). Every ticket control sits in a block whose id is
# `ticket_block(ref)`; buttons also carry the ref as their value.
TICKET_BLOCK_PREFIX = "ticket:"
CLAIM = "ticket.claim"
TAKE_OVER = "ticket.take_over"  # a claimed card: the clicking agent takes it over
UNASSIGN = "ticket.unassign"  # a claimed card: back to unassigned
TRANSFER_AGENT = "ticket.transfer_agent"  # select; option value: the agent's platform user id
TRANSFER_DESK = "ticket.transfer_desk"  # select; option value: the desk slug
PIN = "ticket.pin"
UNPIN = "ticket.unpin"
PRIORITY = "ticket.priority"  # select; option value "1".."5"
STATUS = "ticket.status"  # select; option value waiting | on_hold | open | resolved
CLOSE = "ticket.close"
CATEGORY = "ticket.category"  # select; option value: a category name (an inquiry: convert)
MAKE_TICKET = "ticket.make_ticket"  # a desk without categories: convert; value "<ref>"
IMPACT = "ticket.impact"  # select (matrix on); option value high | medium | low
URGENCY = "ticket.urgency"  # select (matrix on); option value high | medium | low
ESCALATE = "ticket.escalate"  # a ticket whose desk has a next tier: move it up a tier
# The due date: Slack's datetimepicker (its moment) or Teams' date input, whose time
# input is DUE_TIME (the desk's wall time); DUE_CLEAR takes the due date off.
DUE = "ticket.due"
DUE_TIME = "ticket.due_time"
DUE_CLEAR = "ticket.due_clear"
# Major incidents (conversations/incidents.py)
DECLARE_INCIDENT = "incident.declare"  # button value: "<ref>,<ref>,…" (a burst), or the ref
LINK_INCIDENT = "incident.link"  # select on a ticket card; option value: "<ref>:<number>"
# The incident card (open only): post an update, resolve it. Slack: a button (value
# "<number>") opening a modal; Teams: an Execute whose data carries `incident` and, under
# the verb, the text typed.
INCIDENT_UPDATE = "incident.update"
INCIDENT_RESOLVE = "incident.resolve"
# Saved replies (desks/saved_replies.py): a select on a ticket card; option value: the
# saved reply's id. Posts it to the requester as the agent who chose it.
SAVED_REPLY = "ticket.saved_reply"

# Requester side
PICK_DESK = "intake.pick_desk"  # button value: "<pending_id>:<desk slug>"
ADD_TO = "intake.add_to"  # button value: "<pending_id>:<ref>"
NEW_REQUEST = "intake.new"  # button value: "<pending_id>"
KNOWN_INCIDENT = "intake.known_incident"  # button value: "<pending_id>:<incident number>"
NOT_INCIDENT = "intake.not_incident"  # button value: "<pending_id>:<incident number>"
SOLVED_YES = "requester.solved_yes"  # button value: "<ref>"
SOLVED_NO = "requester.solved_no"  # button value: "<ref>"
RATE = "requester.rate"  # button value: "<ref>:<stars>"
WITHDRAW = "requester.withdraw"  # the receipt's button; value: "<ref>"
# "These helped others: …": one *This solved it* per answer, and *Send my request*.
SUGGESTION_SOLVED = "intake.suggestion_solved"  # value: "<pending_id>:<kind>.<id>"
SUGGESTION_SEND = "intake.suggestion_send"  # button value: "<pending_id>"
# The buttons about a held new request (conversations.buttons.intake_choice), and those
# of them whose value is the pending id alone.
INTAKE_ACTIONS = (PICK_DESK, ADD_TO, NEW_REQUEST, KNOWN_INCIDENT, NOT_INCIDENT,
                  SUGGESTION_SOLVED, SUGGESTION_SEND)
PENDING_ONLY = (NEW_REQUEST, SUGGESTION_SEND)

# Home tab
HOME_VIEW = "home.view"  # button value: unassigned | mine | all
HOME_PAGE = "home.page"  # button value: "<view>:<page>"
HOME_AVAILABLE = "home.available"  # button value: on | off
HOME_DESK = "home.desk"  # select; option value: desk slug, or "*" for all desks
HOME_OPEN = "home.open"  # link button to the card's thread (Slack still sends an action)

# Modals
ASK_MODAL = "ask_modal"  # callback_id of the "Send to helpdesk" modal
ASK_DESK_BLOCK = "ask_desk"
ASK_DESK = "ask.desk"  # select inside ASK_DESK_BLOCK; option value: desk slug
ASK_TEXT_BLOCK = "ask_text"
ASK_TEXT = "ask.text"  # plain_text_input inside ASK_TEXT_BLOCK
ASK_URGENCY_BLOCK = "ask_urgency"
ASK_URGENCY = "ask.urgency"  # select inside ASK_URGENCY_BLOCK; high | medium | low
INCIDENT_MODAL = "incident_modal"  # callback_id of the incident update / resolve modal
INCIDENT_TEXT_BLOCK = "incident_text"
INCIDENT_TEXT = "incident.text"  # plain_text_input inside INCIDENT_TEXT_BLOCK

TICKET_ACTIONS = (CLAIM, TAKE_OVER, UNASSIGN, TRANSFER_AGENT, TRANSFER_DESK, PIN, UNPIN,
                  PRIORITY, STATUS, CLOSE, CATEGORY, MAKE_TICKET, IMPACT, URGENCY, ESCALATE,
                  DECLARE_INCIDENT, LINK_INCIDENT, DUE, DUE_CLEAR, SAVED_REPLY)
REQUESTER_ACTIONS = (PICK_DESK, ADD_TO, NEW_REQUEST, SOLVED_YES, SOLVED_NO, RATE, WITHDRAW,
                     KNOWN_INCIDENT, NOT_INCIDENT, SUGGESTION_SOLVED, SUGGESTION_SEND)
HOME_ACTIONS = (HOME_VIEW, HOME_PAGE, HOME_AVAILABLE, HOME_DESK, HOME_OPEN)
INCIDENT_ACTIONS = (INCIDENT_UPDATE, INCIDENT_RESOLVE)
ALL_ACTIONS = TICKET_ACTIONS + REQUESTER_ACTIONS + HOME_ACTIONS + INCIDENT_ACTIONS


def ticket_block(ref: int) -> str:
    """The block id of a ticket card's controls."""
    return f"{TICKET_BLOCK_PREFIX}{ref}"


def number(text: object) -> int | None:
    """A whole number written in ASCII digits (`"1042"`), or None.

    `"²"`, `"١"` and `"-1"` are not (str.isdigit takes the first two, and int() then
    fails); nor is anything longer than 40 digits. A number too large for any ref is
    still a number: looking it up finds nothing (`conversations.commands.load`).
    """
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 40:
        return int(text)
    return None


def ref_of_block(block_id: str | None) -> int | None:
    """The ref a ticket control's block id names, or None."""
    if not isinstance(block_id, str) or not block_id.startswith(TICKET_BLOCK_PREFIX):
        return None
    return number(block_id[len(TICKET_BLOCK_PREFIX):])


def refs_of(value: str | None) -> list[int]:
    """The refs a *Declare incident* button carries ("1012,1013,1015"); [] for none."""
    found = [number(part.strip()) for part in (value or "").split(",")]
    return [ref for ref in found if ref is not None]


def split_value(value: str | None, parts: int) -> list[str] | None:
    """Split "a:b" into `parts` pieces (the last keeps any further colons), or None."""
    if not value:
        return None
    pieces = value.split(":", parts - 1)
    return pieces if len(pieces) == parts and all(pieces) else None

# The article form (`/desk kb add REF`): a Slack modal, or a Teams card whose
# Action.Execute carries KB_SAVE with the request's ref; its inputs are named alike.
KB_MODAL = "kb_modal"  # callback_id of the article modal
KB_TITLE_BLOCK = "kb_title"
KB_TITLE = "kb.title"  # plain_text_input inside KB_TITLE_BLOCK (a Teams Input.Text id)
KB_TEXT_BLOCK = "kb_text"
KB_TEXT = "kb.text"  # plain_text_input inside KB_TEXT_BLOCK (a Teams Input.Text id)
KB_SAVE = "kb.save"  # the Teams card's verb; data: {"ref": "<ref>"}
