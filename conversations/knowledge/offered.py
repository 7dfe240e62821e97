"""What a desk offers an employee before their request is sent: `/desk admin suggest
DESK answers|articles|off`.

`answers` (the default) offers the desk's articles and the answers of its resolved
requests; `articles` only its articles, so no one reads the title of another person's
request (an HR or payroll desk's requests are private matters); `off` offers nothing.
Kept in the desk's settings (`"suggest"`), so `/desk admin show` shows it and the
desks file carries it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from conversations.view_models import Reply, View
from desks import service
from desks.grammar import Args
from desks.permissions import require_desk_admin
from desks.wording import Words
from storage import search
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Desk

if TYPE_CHECKING:  # the command line imports this module's command
    from conversations.command_line.context import Context

USAGE = "/desk admin suggest DESK answers|articles|off"
KEY = "suggest"  # in the desk's settings
ANSWERS, ARTICLES, OFF = "answers", "articles", "off"
OFFERS = (ANSWERS, ARTICLES, OFF)
KINDS = {ANSWERS: (search.REQUEST, search.ARTICLE), ARTICLES: (search.ARTICLE,), OFF: ()}


def offer_of(settings: Mapping[str, Any] | None) -> str:
    """What a desk with these settings offers (`answers` when unset or unreadable)."""
    stored = (settings or {}).get(KEY)
    return stored if stored in OFFERS else ANSWERS


def offer_words(settings: Mapping[str, Any] | None) -> Words:
    """What `/desk admin show` says of it."""
    return Words(f"suggest.config.{offer_of(settings)}")


async def offered_kinds(uow: UnitOfWork, desk_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """For each of `desk_ids` that offers something, the kinds of document it offers."""
    rows = (await uow.session.execute(
        select(Desk.id, Desk.settings).where(Desk.id.in_(desk_ids)))).all()
    offers = {desk_id: KINDS[offer_of(settings)] for desk_id, settings in rows}
    return {desk_id: kinds for desk_id, kinds in offers.items() if kinds}


async def admin_suggest(ctx: Context, args: Args) -> View:
    """`/desk admin suggest DESK answers|articles|off` (admins, and a desk's leads)."""
    name = args.word(Words("arg.desk"))
    offer = args.choice(Words("arg.suggest_offer"), OFFERS)
    args.done()
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
    await require_desk_admin(ctx.uow, ctx.actor, desk)
    if offer != offer_of(desk.settings):
        settings = {k: v for k, v in (desk.settings or {}).items() if k != KEY}
        if offer != ANSWERS:
            settings[KEY] = offer
        desk.settings = settings  # a new dict, so the JSON column is seen as changed
        record_event(ctx.uow, workspace_id=desk.workspace_id, desk_id=desk.id,
                     actor_id=ctx.actor.id, kind="desk.suggest", offer=offer)
    return Reply.of(Words(f"suggest.set.{offer}", desk=desk.name))
