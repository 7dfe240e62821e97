"""Articles through the core, on both databases: `/desk kb add REF` answers with the
form prefilled from the request, saving stores KB-N (numbered per workspace), `kb list`
shows a desk's articles to its agents and to those who may ask it, `kb remove` is for
its agents, leads and admins; each write has its event, refusals change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conversations.knowledge import articles
from conversations.view_models import ArticleForm, Reply
from desks.directory import StaticDirectory
from desks.errors import DeskbotError, InvalidInput, NotPermitted
from desks.permissions import resolve_actor
from storage.database import Database
from storage.models import Event, KbArticle, Person, Workspace
from tests.integration.test_commands import (
    ADA,
    DANA,
    ELI,
    LEE,
    NOA,
    OMER,
    PROFILES,
    Chat,
    asked,
    at,
    plain,
)


@pytest.fixture
async def helpdesk(db: Database) -> Chat:
    """IT (agents Dana, Lee; lead Noa), HR (agent Omer)."""
    chat = Chat(db, StaticDirectory(PROFILES))
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, VPN, accounts")
    await chat.ok(ADA, "admin create HR <#C_HR|hr-agents> Leave and payroll")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)} {at(LEE)}")
    await chat.ok(ADA, f"admin leads IT add {at(NOA)}")
    await chat.ok(ADA, f"admin agents HR add {at(OMER)}")
    return chat


async def save(chat: Chat, user_id: str, ref: int, title: str, text: str) -> KbArticle:
    """The form of `kb add ref` saved by `user_id` (what the adapters do on submit)."""
    async with chat.db.unit_of_work() as uow:
        workspace = (await uow.session.scalars(select(Workspace))).one()
        person = (await uow.session.scalars(
            select(Person).where(Person.external_id == user_id))).one()
        article = await articles.add_from_request(uow, resolve_actor(person, workspace),
                                                  ref, title, text)
        await uow.commit()
    return article


async def test_add_prefills_from_the_close_note_numbers_per_workspace_and_lists(
        helpdesk: Chat) -> None:
    chat = helpdesk
    ref = await asked(chat, "IT the VPN drops every hour")
    form = await chat.run(DANA, f"kb add {ref}")
    assert form == ArticleForm(ref=ref, desk="IT", title="the VPN drops every hour", text="")
    await chat.ok(DANA, f"close {ref} Reinstalled the VPN client 5.2")
    form = await chat.run(DANA, f"kb add #{ref}")
    assert isinstance(form, ArticleForm)
    assert form.text == "Reinstalled the VPN client 5.2"
    assert await chat.count(KbArticle) == 0  # the form stores nothing

    first = await save(chat, DANA, ref, "  VPN   drops ", " Reinstall the client. ")
    assert (first.number, first.title, first.body) == (1, "VPN drops", "Reinstall the client.")
    leave = await asked(chat, "HR leave request")
    second = await save(chat, OMER, leave, "Leave", "Use the HR portal.")
    assert second.number == 2  # per workspace, across desks

    listed = plain(await chat.ok(LEE, "kb list"))
    assert "KB-1 VPN drops (IT), by Dana" in listed and "KB-2" not in listed
    assert "KB-2 Leave (HR), by Omer" in plain(await chat.ok(ELI, "kb list HR"))
    everything = plain(await chat.ok(ELI, "kb list"))  # an employee: every desk they may ask
    assert "KB-1" in everything and "KB-2" in everything
    events = await chat.all(Event, Event.kind.like("kb.%"), order=Event.id)
    assert [(e.kind, e.data["article"]) for e in events] == [("kb.article_added", 1),
                                                             ("kb.article_added", 2)]
    assert events[0].conversation_id == (await chat.conversation(ref)).id


async def test_refusals_say_the_right_form_and_change_nothing(helpdesk: Chat) -> None:
    chat = helpdesk
    ref = await asked(chat, "IT printer jammed")
    await chat.refused(ELI, f"kb add {ref}", "Only a desk's agents")
    # Not his desk: hidden from him as any request of another desk is.
    await chat.refused(OMER, f"kb add {ref}", "There is no request")
    await chat.refused(DANA, "kb add 999", "999")
    await chat.refused(DANA, "kb", "`/desk kb` needs what to do")
    await chat.refused(DANA, "kb frobnicate", "is not an articles command")
    await chat.refused(DANA, "kb remove KB-7", "There is no article KB-7")
    await chat.refused(DANA, "kb remove seven", "is not an article number")
    await chat.refused(DANA, "kb list Nowhere", "Nowhere")
    with pytest.raises(InvalidInput, match="needs a title"):
        await save(chat, DANA, ref, "   ", "text")
    with pytest.raises(InvalidInput, match="needs a text"):
        await save(chat, DANA, ref, "Title", "  ")
    with pytest.raises(InvalidInput, match="at most 200"):
        await save(chat, DANA, ref, "t" * 201, "text")
    with pytest.raises(InvalidInput, match="at most 3000"):
        await save(chat, DANA, ref, "Title", "x" * 3001)
    with pytest.raises(NotPermitted):
        await save(chat, ELI, ref, "Title", "text")
    with pytest.raises(DeskbotError):
        await save(chat, OMER, ref, "Title", "text")
    assert await chat.count(KbArticle) == 0


async def test_remove_is_for_the_desks_agents_leads_and_admins(helpdesk: Chat) -> None:
    chat = helpdesk
    ref = await asked(chat, "IT wifi")
    for n in range(3):
        await save(chat, DANA, ref, f"Wifi {n}", "Forget the network.")
    await chat.refused(ELI, "kb remove KB-1", "Only a desk's agents")
    await chat.refused(OMER, "kb remove KB-1", "IT")
    assert "Removed KB-1" in plain(await chat.ok(LEE, "kb remove kb-1"))
    assert "Removed KB-2" in plain(await chat.ok(NOA, "kb remove 2"))
    assert "Removed KB-3" in plain(await chat.ok(ADA, "kb remove KB-3"))
    await chat.refused(DANA, "kb remove KB-3", "There is no article KB-3")
    assert "No articles yet" in await chat.ok(DANA, "kb list IT")
    # A removed article keeps its number: the next one is KB-4.
    assert (await save(chat, DANA, ref, "Wifi again", "Reboot.")).number == 4
    kinds = [e.kind for e in await chat.all(Event, Event.kind.like("kb.%"), order=Event.id)]
    assert kinds.count("kb.article_removed") == 3


async def test_an_employee_may_not_list_a_private_desk(helpdesk: Chat) -> None:
    chat = helpdesk
    await chat.ok(ADA, f"admin audience HR {at(DANA)}")
    ref = await asked(chat, "IT wifi")
    await save(chat, DANA, ref, "Wifi", "Forget the network.")
    await chat.refused(ELI, "kb list HR", "HR")
    assert "KB-1" in plain(await chat.ok(ELI, "kb list"))  # IT still
    view = await chat.run(OMER, "kb list HR")  # its agent may
    assert isinstance(view, Reply) and view.kind == "ok"


async def test_edit_through_the_core_writes_an_event(helpdesk: Chat) -> None:
    chat = helpdesk
    ref = await asked(chat, "IT wifi")
    await save(chat, DANA, ref, "Wifi", "Forget the network.")
    async with chat.db.unit_of_work() as uow:
        workspace = (await uow.session.scalars(select(Workspace))).one()
        person = (await uow.session.scalars(
            select(Person).where(Person.external_id == LEE))).one()
        actor = resolve_actor(person, workspace)
        article = await articles.load(uow, workspace.id, "KB-1")
        assert await articles.edit_article(uow, actor, article, "Wifi", "Reboot the router.")
        assert not await articles.edit_article(uow, actor, article, "Wifi",
                                               "Reboot the router.")
        with pytest.raises(DeskbotError):
            await articles.edit_article(uow, actor, article, "", "x")
        await uow.commit()
    [row] = await chat.all(KbArticle)
    assert row.body == "Reboot the router."
    kinds = [e.kind for e in await chat.all(Event, Event.kind.like("kb.%"), order=Event.id)]
    assert kinds == ["kb.article_added", "kb.article_edited"]


async def test_an_article_is_found_by_search_until_it_is_removed(helpdesk: Chat) -> None:
    """Articles are indexed as they are written, edited and removed (one transaction)."""
    chat = helpdesk
    ref = await asked(chat, "IT printer jammed")
    await save(chat, DANA, ref, "Printer paper jams", "Open tray 2 and pull the sheet out.")
    assert "Printer paper jams" in plain(await chat.ok(ELI, "search printer jam"))
    assert "Printer paper jams" in plain(await chat.ok(ELI, "search tray"))
    await chat.ok(LEE, "kb remove KB-1")
    assert "Printer paper jams" not in plain(await chat.ok(ELI, "search printer jam"))
