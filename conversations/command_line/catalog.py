"""Every `/desk` subcommand: usage, description, audience and handler; and `help`."""

from __future__ import annotations

from sqlalchemy import select

from conversations.command_line import (
    admin,
    admin_policy,
    due_and_tiers,
    kb_commands,
    knowledge_commands,
    major_incidents,
    reply_commands,
    requests,
    ticket_commands,
)
from conversations.command_line.context import Context, Run, Subcommand
from conversations.knowledge import offered
from conversations.reports import chat as report_chat
from conversations.reports import schedule as report_schedule
from conversations.view_models import Help, HelpLine, View
from desks.grammar import Args, UsageError
from desks.permissions import Role, served_desk_ids
from desks.wording import Words
from storage.models import DeskMember

AUDIENCES = ("employee", "agent", "admin")
# Agents' commands an admin may run on any desk: offered to admins who serve none too.
ALSO_FOR_ADMINS = frozenset({"report", "replies"})


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
    everything = [*TOP.values(), *ADMIN.values(), *major_incidents.INCIDENT.values(),
                  *kb_commands.KB.values()]
    shown = [audience for audience in AUDIENCES if audience in audiences]

    def offered(s: Subcommand, audience: str) -> bool:
        if s.name in ("admin", "incident", "kb"):
            return False
        # An admin who serves no desk still reports on desks and keeps their replies.
        return s.audience == audience or (audience == "admin" and "agent" not in audiences
                                          and s.name in ALSO_FOR_ADMINS)

    sections = tuple(
        (Words(f"help.for_{audience}").english,
         tuple(HelpLine(usage=s.usage, description=s.words.english, words=s.words)
               for s in everything if offered(s, audience))
         + (_notes_line(ctx.note_prefix) if audience == "agent" else ()))
        for audience in shown)
    return Help(sections=sections,
                section_words=tuple(Words(f"help.for_{audience}") for audience in shown))


def _notes_line(prefix: str) -> tuple[HelpLine, ...]:
    """How agents write internal notes: a thread reply that starts with the prefix."""
    if not prefix:
        return ()
    words = Words("help.notes")
    return (HelpLine(usage=f"{prefix} text", description=words.english, words=words),)


def unknown(word: str) -> UsageError:
    """The refusal for a word that is no subcommand."""
    return UsageError("command.unknown", usage="/desk help", word=word[:40])


def _sub(name: str, usage: str, audience: str, run: Run) -> Subcommand:
    """A subcommand; what it does is said by the catalogue's `help.<name>`."""
    return Subcommand(name=name, usage=usage, audience=audience, run=run,
                      words=Words("help." + name.replace(" ", "_")))


_TOP = [
    _sub("help", "/desk help", "employee", help_),
    _sub("ask", "/desk ask [desk] text", "employee", requests.ask),
    _sub("my", "/desk my", "employee", requests.my),
    _sub("withdraw", "/desk withdraw REF", "employee", requests.withdraw),
    _sub("queue", "/desk queue [unassigned|mine|all] [desk]", "agent", requests.queue),
    _sub("claim", "/desk claim REF", "agent", requests.claim),
    _sub("unassign", "/desk unassign REF", "agent", requests.unassign),
    _sub("transfer", "/desk transfer REF @agent|desk", "agent", requests.transfer),
    _sub("pin", "/desk pin REF", "agent", requests.pin),
    _sub("unpin", "/desk unpin REF", "agent", requests.unpin),
    _sub("unread", "/desk unread REF", "agent", requests.unread),
    _sub("priority", "/desk priority REF 1-5", "agent", requests.priority),
    _sub("status", "/desk status REF waiting|hold|open|resolved", "agent", requests.status),
    _sub("close", "/desk close REF [note]", "agent", requests.close),
    _sub("reopen", "/desk reopen REF", "agent", requests.reopen),
    _sub("due", "/desk due REF 2026-12-10 14:00|tomorrow 12:00|+2d|off", "agent",
         due_and_tiers.due),
    _sub("new", "/desk new @employee desk text", "agent", requests.new),
    _sub("available", "/desk available on|off", "agent", requests.available),
    _sub("language", "/desk language he|en|auto", "employee", requests.language),
    _sub("ticket", "/desk ticket REF [category]", "agent", ticket_commands.ticket),
    _sub("category", "/desk category REF NAME", "agent", ticket_commands.category),
    _sub("impact", "/desk impact REF low|medium|high", "agent", ticket_commands.impact),
    _sub("urgency", "/desk urgency REF low|medium|high", "agent", ticket_commands.urgency),
    _sub("escalate", "/desk escalate REF [note]", "agent", due_and_tiers.escalate),
    _sub("history", "/desk history REF", "agent", due_and_tiers.history_),
    # `incident` routes to its subcommands (`major_incidents.INCIDENT`), listed in help.
    _sub("incident", major_incidents.USAGE, "agent", major_incidents.incident),
    _sub("report", report_chat.USAGE, "agent", report_chat.report),
    _sub("search", "/desk search WORDS [DESK]", "employee", knowledge_commands.search),
    # `admin` itself only routes to ADMIN below; its handler is never called.
    _sub("admin", "/desk admin …", "admin", admin.not_yet),
    _sub("replies", "/desk replies DESK [add NAME text | remove NAME]", "agent",
         reply_commands.replies),
    # `kb` routes to its subcommands (`kb_commands.KB`), listed in help.
    _sub("kb", kb_commands.USAGE, "employee", kb_commands.kb),
]

_ADMIN = [
    _sub("admin create", "/desk admin create NAME [#agent-channel] [description…]",
         "admin", admin.create),
    _sub("admin show", "/desk admin show DESK", "admin", admin.show),
    _sub("admin agents", "/desk admin agents DESK add|remove @a @b …",
         "admin", admin.members(Role.AGENT)),
    _sub("admin leads", "/desk admin leads DESK add|remove @a …",
         "admin", admin.members(Role.LEAD)),
    _sub("admin channel", "/desk admin channel DESK [#channel]", "admin", admin.channel),
    _sub("admin intake", "/desk admin intake DESK #channel|off", "admin", admin.intake_channel),
    _sub("admin routing", "/desk admin routing DESK keywords vpn,wifi,laptop"
         " | autoassign round-robin|least-loaded|off",
         "admin", admin.routing),
    _sub("admin audience", "/desk admin audience DESK [remove] #channel|@person … | off",
         "admin", admin.audience_),
    _sub("admin rename", "/desk admin rename DESK NEW NAME", "admin", admin.rename),
    _sub("admin describe", "/desk admin describe DESK text", "admin", admin.describe),
    _sub("admin archive", "/desk admin archive DESK", "admin", admin.archive),
    _sub("admin language", "/desk admin language DESK he|en", "admin", admin.language),
    _sub("admin hours",
         "/desk admin hours DESK \"sun-thu 08:00-18:00; fri 08:00-13:00\"|always [tz Zone]",
         "admin", admin_policy.hours),
    _sub("admin holidays", "/desk admin holidays DESK IL|US-CA|none | add|remove 2026-12-31",
         "admin", admin_policy.holidays),
    _sub("admin sla",
         "/desk admin sla DESK first-response 15m | resolution 2d [priority 5] | warning 80%",
         "admin", admin_policy.sla),
    _sub("admin stall",
         "/desk admin stall DESK unassigned 10m | agent-silence 2h | requester-silence 3d",
         "admin", admin_policy.stall),
    _sub("admin oncall", "/desk admin oncall DESK add|remove @a …", "admin", admin_policy.oncall),
    _sub("admin autoclose", "/desk admin autoclose DESK 7d", "admin", admin_policy.autoclose),
    _sub("admin escalate", "/desk admin escalate DESK to NEXTDESK | off",
         "admin", admin_policy.escalate),
    _sub("admin categories",
         "/desk admin categories DESK [add|remove NAME [sla first-response 30m resolution 1d]]",
         "admin", ticket_commands.admin_categories),
    _sub("admin matrix", "/desk admin matrix DESK on|off", "admin", ticket_commands.admin_matrix),
    _sub("admin tiers", "/desk admin tiers [DESK]", "admin", due_and_tiers.admin_tiers),
    _sub("admin report", report_schedule.USAGE, "admin", report_schedule.admin_report),
    _sub("admin suggest", offered.USAGE, "admin", offered.admin_suggest),
]

TOP = {s.name: s for s in _TOP}
ADMIN = {s.name.split(" ", 1)[1]: s for s in _ADMIN}
