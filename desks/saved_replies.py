"""A desk's saved replies: named texts an agent posts to a requester from the card.

Leads of the desk and admins add and remove them (`/desk replies DESK add|remove`, or
the desks file); agents of the desk list them. A reply's text may name placeholders,
filled when it is posted: `{name}` the requester's first name, `{full_name}` their
display name, `{ref}` the request's ref (`#1042`) — or the same in Hebrew. Any other
`{word}` is refused when the reply is added, so a typo never reaches a requester.
Each change appends a `desk.saved_reply_*` event saying who changed what.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select

from desks.errors import InvalidInput
from desks.permissions import Actor, require_agent, require_desk_admin
from desks.wording import Words, code
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Desk, SavedReply

MAX_NAME = 40
MAX_TEXT = 2000
MAX_REPLIES = 100  # a Slack select offers at most 100 options

# Placeholder as written -> what fills it.
PLACEHOLDERS = {
    "name": "name", "full_name": "full_name", "ref": "ref",
    "שם": "name", "שם_מלא": "full_name", "מספר": "ref",
}
_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")
_HEBREW = re.compile(r"[\u0590-\u05ff]")
FSI, PDI = "\u2068", "\u2069"


def known_placeholders() -> tuple[Words, ...]:
    """The placeholders a reply may use, as a refusal lists them (each as typed)."""
    return tuple(code("{" + word + "}") for word in PLACEHOLDERS)


def clean_reply_name(name: str) -> str:
    """A reply's name with its spaces tidied; refused when empty or too long."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidInput("saved_reply.name_needed")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput("saved_reply.name_too_long", count=MAX_NAME)
    return cleaned


def clean_reply_text(text: str) -> str:
    """A reply's text, checked: not empty, not too long, only known placeholders."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInput("saved_reply.text_needed")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput("saved_reply.text_too_long", count=MAX_TEXT, got=len(cleaned))
    unknown = [word for word in _PLACEHOLDER.findall(cleaned) if word not in PLACEHOLDERS]
    if unknown:
        raise InvalidInput("saved_reply.unknown_placeholder",
                           placeholder=code("{" + unknown[0][:40] + "}"),
                           known=known_placeholders())
    return cleaned


def fill(text: str, full_name: str, ref: int) -> str:
    """`text` with its placeholders filled for the requester `full_name` of `ref`.

    In a reply with Hebrew letters a name is isolated (FSI…PDI), so a Latin name does
    not turn the sentence around it.
    """
    first = (full_name or "").split()[0] if (full_name or "").split() else full_name
    isolate = bool(_HEBREW.search(text))
    values = {"name": first, "full_name": full_name, "ref": f"#{ref}"}

    def value(match: re.Match[str]) -> str:
        what = PLACEHOLDERS.get(match.group(1))
        if what is None:  # stored before a rule changed: left as written
            return match.group(0)
        said = values[what]
        return f"{FSI}{said}{PDI}" if isolate and what != "ref" else said
    return _PLACEHOLDER.sub(value, text)


async def replies_of(uow: UnitOfWork, desk_id: int) -> list[SavedReply]:
    """The desk's saved replies, by name (any case)."""
    return list((await uow.session.scalars(
        select(SavedReply).where(SavedReply.desk_id == desk_id)
        .order_by(func.lower(SavedReply.name), SavedReply.id))).all())


def find_reply(replies: Sequence[SavedReply], name: str) -> SavedReply | None:
    """The reply called `name` (any case, spaces tidied), or None."""
    key = " ".join((name or "").split()).casefold()
    return next((reply for reply in replies if reply.name.casefold() == key), None)


async def require_reader(uow: UnitOfWork, actor: Actor, desk: Desk) -> None:
    """Refuse unless the actor works the desk or administers it."""
    if not actor.is_admin:
        await require_agent(uow, actor, desk)


async def add_reply(uow: UnitOfWork, actor: Actor, desk: Desk, name: str,
                    text: str) -> SavedReply:
    """Add a saved reply to `desk` (its leads, admins); a name it has is refused."""
    await require_desk_admin(uow, actor, desk)
    return await store_reply(uow, actor, desk, name, text)


async def store_reply(uow: UnitOfWork, actor: Actor, desk: Desk, name: str,
                      text: str) -> SavedReply:
    """Check and store one reply (permission checked by the caller)."""
    name, text = clean_reply_name(name), clean_reply_text(text)
    replies = await replies_of(uow, desk.id)
    found = find_reply(replies, name)
    if found is not None:
        raise InvalidInput("saved_reply.exists", desk=desk.name, name=found.name,
                           command=code(f"/desk replies {desk.slug} remove {found.name}"))
    if len(replies) >= MAX_REPLIES:
        raise InvalidInput("saved_reply.too_many", count=MAX_REPLIES)
    now = uow.clock.now()
    reply = SavedReply(desk_id=desk.id, name=name, text=text, created_by=actor.id,
                       created_at=now, updated_at=now)
    uow.session.add(reply)
    await uow.session.flush()
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.saved_reply_added", name=name, text=text)
    return reply


async def remove_reply(uow: UnitOfWork, actor: Actor, desk: Desk, name: str) -> SavedReply:
    """Remove the saved reply `name` (any case) from `desk` (its leads, admins)."""
    await require_desk_admin(uow, actor, desk)
    replies = await replies_of(uow, desk.id)
    found = find_reply(replies, name)
    if found is None:
        raise InvalidInput("saved_reply.not_on_desk", desk=desk.name, name=name[:MAX_NAME],
                           names=tuple(r.name for r in replies) or Words("common.none"))
    await uow.session.delete(found)
    await uow.session.flush()
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.saved_reply_removed", name=found.name, text=found.text)
    return found
