"""Every `/desk` subcommand: usage, description, audience and handler; and `help`."""

from __future__ import annotations

from sqlalchemy import select

from conversations.command_line import admin, admin_policy, requests
from conversations.command_line.context import Context, Run, Subcommand
from conversations.view_models import Help, HelpLine, View
from desks.grammar import Args, UsageError
from desks.permissions import Role, served_desk_ids
from storage.models import DeskMember

AUDIENCES = (("employee", "For everyone"), ("agent", "For agents"),
             ("admin", "For admins (leads: their own desk)"))


async def help_(ctx: Context, args: Args) -> View:
    """`/desk help`: the commands the caller may use."""
    audiences = {"employee"}
    if await served_desk_ids(ctx.uow, ctx.actor.id):
        audiences.add("agent")
    is_lead = (await ctx.uow.session.execute(
        select(DeskMember.desk_id).where(DeskMember.person_id == ctx.actor.id,
                                         DeskMember.role == Role.LEAD.value).limit(1)
    )).first() is not None
    if ctx.actor.is_admin or is_lead:
        audiences.add("admin")
    everything = [*TOP.values(), *ADMIN.values()]
    sections = tuple(
        (title, tuple(HelpLine(usage=s.usage, description=s.description)
                      for s in everything if s.audience == audience and s.name != "admin")
         + (_notes_line(ctx.note_prefix) if audience == "agent" else ()))
        for audience, title in AUDIENCES if audience in audiences)
    return Help(sections=sections)


def _notes_line(prefix: str) -> tuple[HelpLine, ...]:
    """How agents write internal notes: a thread reply that starts with the prefix."""
    if not prefix:
        return ()
    return (HelpLine(usage=f"{prefix} text",
                     description="in a card's thread: an internal note, only agents see it "
                                 "(other replies there go to the requester)"),)


def unknown(word: str) -> UsageError:
    """The refusal for a word that is no subcommand."""
    return UsageError(f"“{word[:40]}” is not a /desk command. `/desk help` lists the "
                      "commands you can use.", usage="/desk help")


def _sub(name: str, usage: str, description: str, audience: str, run: Run) -> Subcommand:
    return Subcommand(name=name, usage=usage, description=description, audience=audience,
                      run=run)


_TOP = [
    _sub("help", "/desk help", "the commands you can use", "employee", help_),
    _sub("ask", "/desk ask [desk] text", "ask a desk for help", "employee", requests.ask),
    _sub("my", "/desk my", "your requests and where they stand", "employee", requests.my),
    _sub("queue", "/desk queue [unassigned|mine|all] [desk]",
         "your desks' requests, pinned first", "agent", requests.queue),
    _sub("claim", "/desk claim REF", "take a request", "agent", requests.claim),
    _sub("unassign", "/desk unassign REF", "put a request back in the unassigned queue",
         "agent", requests.unassign),
    _sub("transfer", "/desk transfer REF @agent|desk",
         "hand a request to another agent, or move it to another desk", "agent",
         requests.transfer),
    _sub("pin", "/desk pin REF", "pin a request to the top of your queue (and its card)",
         "agent", requests.pin),
    _sub("unpin", "/desk unpin REF", "unpin it", "agent", requests.unpin),
    _sub("unread", "/desk unread REF", "mark a request unread for you", "agent",
         requests.unread),
    _sub("priority", "/desk priority REF 1-5", "set the priority (5 is critical)", "agent",
         requests.priority),
    _sub("status", "/desk status REF waiting|hold|open|resolved", "change the status",
         "agent", requests.status),
    _sub("close", "/desk close REF [note]", "close a request, with an internal note",
         "agent", requests.close),
    _sub("reopen", "/desk reopen REF", "reopen a resolved or closed request", "agent",
         requests.reopen),
    _sub("new", "/desk new @employee desk text", "start a request with an employee",
         "agent", requests.new),
    _sub("available", "/desk available on|off",
         "new-request messages on, or away (your requests go back to the queue)", "agent",
         requests.available),
    _sub("ticket", "/desk ticket REF [category]", "convert to a ticket (not available yet)",
         "later", admin.not_yet),
    _sub("escalate", "/desk escalate REF", "escalate a tier (not available yet)", "later",
         admin.not_yet),
    _sub("report", "/desk report [desk] [week|month|quarter]",
         "the desk's report (not available yet)", "later", admin.not_yet),
    # `admin` itself only routes to ADMIN below; its handler is never called.
    _sub("admin", "/desk admin …", "desk configuration", "admin", admin.not_yet),
]

_ADMIN = [
    _sub("admin create", "/desk admin create NAME [#agent-channel] [description…]",
         "create a desk", "admin", admin.create),
    _sub("admin show", "/desk admin show DESK", "the desk's whole configuration", "admin",
         admin.show),
    _sub("admin agents", "/desk admin agents DESK add|remove @a @b …",
         "who works the desk", "admin", admin.members(Role.AGENT)),
    _sub("admin leads", "/desk admin leads DESK add|remove @a …",
         "who may configure the desk", "admin", admin.members(Role.LEAD)),
    _sub("admin channel", "/desk admin channel DESK [#channel]",
         "where the desk's cards go (here, without a channel)", "admin", admin.channel),
    _sub("admin intake", "/desk admin intake DESK #channel|off",
         "a channel whose posts open requests", "admin", admin.intake_channel),
    _sub("admin routing", "/desk admin routing DESK keywords vpn,wifi,laptop",
         "words that send a DM straight to the desk", "admin", admin.routing),
    _sub("admin rename", "/desk admin rename DESK NEW NAME", "rename the desk", "admin",
         admin.rename),
    _sub("admin describe", "/desk admin describe DESK text",
         "what employees see in the desk picker", "admin", admin.describe),
    _sub("admin archive", "/desk admin archive DESK", "stop taking new requests", "admin",
         admin.archive),
    _sub("admin hours",
         "/desk admin hours DESK \"sun-thu 08:00-18:00; fri 08:00-13:00\"|always [tz Zone]",
         "when the desk is open, in its time zone", "admin", admin_policy.hours),
    _sub("admin holidays", "/desk admin holidays DESK IL|US-CA|none | add|remove 2026-12-31",
         "public holidays and closed dates (the desk is closed all day)", "admin",
         admin_policy.holidays),
    _sub("admin sla",
         "/desk admin sla DESK first-response 15m | resolution 2d [priority 5] | warning 80%",
         "SLA targets in business time, and when to warn", "admin", admin_policy.sla),
    _sub("admin stall",
         "/desk admin stall DESK unassigned 10m | agent-silence 2h | requester-silence 3d",
         "when waiting requests are flagged", "admin", admin_policy.stall),
    _sub("admin oncall", "/desk admin oncall DESK add|remove @a …",
         "agents told about priority 5 outside the hours", "admin", admin_policy.oncall),
    _sub("admin autoclose", "/desk admin autoclose DESK 7d",
         "when resolved requests are closed", "admin", admin_policy.autoclose),
    _sub("admin escalate", "/desk admin escalate DESK to NEXTDESK | off",
         "the next tier: where requests go when they breach their resolution target",
         "admin", admin_policy.escalate),
]

TOP = {s.name: s for s in _TOP}
ADMIN = {s.name.split(" ", 1)[1]: s for s in _ADMIN}
