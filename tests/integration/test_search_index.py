"""The search index on both databases: requests indexed in the same transaction as
their writes, similar resolved requests, suggestions, and who may find what."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy import text as sql_text

from conversations import commands
from conversations.knowledge import indexing, similar
from desks.directory import StaticDirectory
from storage import search
from storage.database import Database
from storage.models import Conversation, Message, SearchDocument
from tests.integration.test_commands import (
    ADA,
    DANA,
    ELI,
    LEE,
    MAYA,
    NOA,
    OMER,
    PROFILES,
    Chat,
    asked,
    at,
)


@pytest.fixture
async def helpdesk(db: Database) -> Chat:
    return await set_up(db)


async def set_up(db: Database) -> Chat:
    """IT (agents Dana, Lee; lead Noa) and HR (agent Omer)."""
    chat = Chat(db, StaticDirectory(PROFILES))
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, VPN, accounts")
    await chat.ok(ADA, "admin create HR <#C_HR|hr-agents> Leave and payroll")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)} {at(LEE)}")
    await chat.ok(ADA, f"admin leads IT add {at(NOA)}")
    await chat.ok(ADA, f"admin agents HR add {at(OMER)}")
    return chat


async def _document(chat: Chat, ref: int) -> SearchDocument:
    conversation = await chat.conversation(ref)
    [document] = await chat.all(SearchDocument, SearchDocument.ref_id == conversation.id)
    return document


async def _resolved(chat: Chat, text: str, note: str, who: str = ELI) -> int:
    ref = await asked(chat, text, who=who)
    await chat.ok(DANA, f"claim {ref}")
    await chat.ok(DANA, f"close {ref} {note}")
    return ref


async def test_opening_following_up_and_closing_keep_the_document_in_step(helpdesk: Chat):
    ref = await asked(helpdesk, "IT the wifi on floor 3 keeps dropping")
    document = await _document(helpdesk, ref)
    assert (document.kind, document.ref, document.resolved) == ("request", ref, False)
    assert "wifi" in document.body.split() and document.answer is None

    async with helpdesk.db.unit_of_work() as uow:  # a follow-up
        await commands.requester_message(uow, await helpdesk.person(ELI), ref,
                                         "also the printer")
        await uow.commit()
    assert "printer" in (await _document(helpdesk, ref)).body.split()

    await helpdesk.ok(DANA, f"claim {ref}")
    await helpdesk.ok(DANA, f"close {ref} Restarted the access point\nthen checked")
    document = await _document(helpdesk, ref)
    assert document.resolved and document.status == "closed"
    assert document.answer == "Restarted the access point"
    assert document.resolver_id == (await helpdesk.person(DANA)).id
    assert "restart" in document.body.split()


async def test_similar_resolved_finds_hebrew_spellings_and_prefixes(helpdesk: Chat):
    wifi = await _resolved(helpdesk, "IT הוויפי בקומה 3 לא מתחבר", "אתחלנו את הנתב")
    await _resolved(helpdesk, "IT the printer is out of toner", "Replaced the toner")
    await asked(helpdesk, "IT wifi is down again")  # not resolved: never suggested
    it = (await helpdesk.desk("IT")).id
    async with helpdesk.db.unit_of_work(readonly=True) as uow:
        found = await similar.similar_resolved(uow, [it], "בווי-פי אין חיבור")
        english = await similar.similar_resolved(uow, [it], "Wi-Fi not connecting")
        nothing = await similar.suggestions(uow, [it], "salary slip for March")
        other_desk = await similar.similar_resolved(uow, [(await helpdesk.desk("HR")).id],
                                                    "wifi")
    assert [f.ref for f in found] == [wifi]
    assert [f.ref for f in english][:1] == [wifi]
    assert found[0].answer == "אתחלנו את הנתב"
    assert nothing == [] and other_desk == []


async def test_articles_and_solved_counts(helpdesk: Chat):
    it = (await helpdesk.desk("IT")).id
    async with helpdesk.db.unit_of_work() as uow:
        await indexing.index_article(uow, 7, it, "Connecting to the VPN",
                                     "Open GlobalProtect and sign in")
        await uow.commit()
    async with helpdesk.db.unit_of_work(readonly=True) as uow:
        [found] = await similar.suggestions(uow, [it], "how do I connect to vpn")
    assert (found.kind, found.ref_id, found.answer) == ("article", 7,
                                                       "Open GlobalProtect and sign in")
    async with helpdesk.db.unit_of_work() as uow:
        await indexing.count_solved(uow, search.ARTICLE, 7)
        await uow.commit()
    [document] = await helpdesk.all(SearchDocument, SearchDocument.kind == "article")
    assert document.solved_count == 1
    async with helpdesk.db.unit_of_work() as uow:
        await indexing.remove_article(uow, 7)
        await uow.commit()
    assert await helpdesk.all(SearchDocument, SearchDocument.kind == "article") == []


async def test_search_respects_who_may_see_what(helpdesk: Chat):
    elis = await _resolved(helpdesk, "IT my vpn token expired", "Issued a new token")
    mayas = await _resolved(helpdesk, "IT vpn disconnects every hour", "Updated the client",
                            who=MAYA)
    hr = await asked(helpdesk, "HR vpn for payroll system", who=MAYA)

    async def refs(who: str, words: str) -> set[int | None]:
        async with helpdesk.db.unit_of_work(readonly=True) as uow:
            person = await helpdesk.person(who)
            return {f.ref for f in await similar.search_for(uow, person, words)}

    assert await refs(ELI, "vpn") == {elis}
    assert await refs(MAYA, "vpn") == {mayas, hr}
    assert await refs(DANA, "vpn") == {elis, mayas}  # IT's agent: IT's requests only
    assert await refs(OMER, "vpn") == {hr}
    assert await refs(NOA, "vpn") == {elis, mayas}
    assert await refs(LEE, "nothing like it") == set()


async def test_reindex_rebuilds_missing_documents(helpdesk: Chat):
    ref = await asked(helpdesk, "IT keyboard is broken")
    async with helpdesk.db.unit_of_work() as uow:
        conversation = (await uow.session.scalars(
            select(Conversation).where(Conversation.ref == ref))).one()
        await search.remove(uow, search.REQUEST, conversation.id)
        await uow.commit()
    assert await helpdesk.all(SearchDocument) == []
    async with helpdesk.db.unit_of_work() as uow:
        last, count = await indexing.reindex_requests(uow)
        await uow.commit()
    assert (last, count) == ((await helpdesk.conversation(ref)).id, 1)
    assert "keyboard" in (await _document(helpdesk, ref)).body.split()


async def test_desk_search_command_shows_only_what_the_caller_may_see(helpdesk: Chat):
    elis = await _resolved(helpdesk, "IT הוויפי בקומה 3 לא מתחבר", "אתחלנו את הנתב")
    mayas = await _resolved(helpdesk, "IT wifi drops in room 4", "New access point", who=MAYA)

    answer = await helpdesk.ok(ELI, "search wi-fi")
    assert f"#{elis}" in answer and f"#{mayas}" not in answer  # never another's request
    agent = await helpdesk.ok(LEE, "search בווי-פי IT")
    assert f"#{elis}" in agent and f"#{mayas}" in agent and "(closed)" in agent
    assert "Nothing found" in await helpdesk.ok(OMER, "search wifi")  # HR's agent
    assert "Nothing found" in await helpdesk.ok(LEE, "search wifi HR")
    refusal = await helpdesk.refused(ELI, "search", "Say what to look for")
    assert refusal.usage == "/desk search WORDS [DESK]"


async def test_deskbot_search_reindex_backfills_every_request(tmp_path, clock):
    """`deskbot search reindex` (the backfill after migration 0020) on a migrated file."""
    import subprocess
    import sys

    from storage import migrate
    from tests.integration.test_cli import clean_env

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reindex.db'}", clock=clock)
    try:
        await migrate.upgrade(db)
        chat = await set_up(db)
        refs = [await asked(chat, f"IT printer {n} is jammed") for n in range(3)]
        async with db.unit_of_work() as uow:
            await uow.session.execute(SearchDocument.__table__.delete())
            await uow.commit()
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", "search", "reindex", "--database-url", db.url],
            cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr
        assert "3 requests indexed" in result.stderr
        assert sorted(d.ref for d in await chat.all(SearchDocument)) == refs
    finally:
        await db.dispose()


async def test_solved_counts_and_recency_weigh_a_match_up(helpdesk: Chat, clock):
    older = await _resolved(helpdesk, "IT outlook does not sync", "Rebuilt the profile")
    clock.advance(days=200)
    newer = await _resolved(helpdesk, "IT outlook does not sync", "Repaired the OST file")
    it = (await helpdesk.desk("IT")).id

    async def order() -> list[int | None]:
        async with helpdesk.db.unit_of_work(readonly=True) as uow:
            return [f.ref for f in await similar.similar_resolved(uow, [it], "outlook sync")]

    assert await order() == [newer, older]  # the same words: the newer first
    async with helpdesk.db.unit_of_work() as uow:
        for _ in range(3):
            await indexing.count_solved(uow, search.REQUEST,
                                        (await helpdesk.conversation(older)).id)
        await uow.commit()
    assert await order() == [older, newer]  # "this solved it" three times


async def test_the_index_follows_a_document_resolved_reopened_and_moved(helpdesk: Chat):
    """The index's desk terms (storage.search.desk_terms) follow `resolved` and `desk_id`
    even when the words stay the same."""
    it, hr = (await helpdesk.desk("IT")).id, (await helpdesk.desk("HR")).id
    dana = (await helpdesk.person(DANA)).id

    async def put(desk_id: int, resolved: bool) -> None:
        async with helpdesk.db.unit_of_work() as uow:
            await search.put(uow, search.Document(
                kind=search.REQUEST, ref_id=4242, workspace_id=1, desk_id=desk_id,
                status="closed" if resolved else "open", resolved=resolved,
                title="printer jams", body="printer jam paper tray", answer="Cleaned it",
                opened_at=uow.clock.now(), updated_at=uow.clock.now(), requester_id=dana))
            await uow.commit()

    async def found(desk_id: int, resolved_only: bool) -> list[int]:
        async with helpdesk.db.unit_of_work(readonly=True) as uow:
            return [c.document.ref_id for c in await search.candidates(
                uow, [("printer",), ("jam",)], desk_ids=[desk_id], least=2,
                resolved_only=resolved_only)]

    await put(it, resolved=False)
    assert (await found(it, False), await found(it, True)) == ([4242], [])
    await put(it, resolved=True)
    assert (await found(it, False), await found(it, True)) == ([4242], [4242])
    await put(hr, resolved=True)
    assert (await found(it, False), await found(hr, True)) == ([], [4242])
    await put(hr, resolved=False)
    assert (await found(hr, False), await found(hr, True)) == ([4242], [])
    async with helpdesk.db.unit_of_work() as uow:
        await search.remove(uow, search.REQUEST, 4242)
        await uow.commit()
    assert await found(hr, False) == []


async def test_many_matches_give_the_newest_and_rare_ones_are_found_however_old(
        helpdesk: Chat, monkeypatch: pytest.MonkeyPatch):
    """`search.candidates` hands over the newest matches, whether the words are common
    among the desks' newest documents (PostgreSQL: read newest first) or rare (the
    full-text index); other desks' and unresolved documents stay out."""
    monkeypatch.setattr(search, "RECENT", 8)
    monkeypatch.setattr(search, "DENSE", 3)
    it, hr = (await helpdesk.desk("IT")).id, (await helpdesk.desk("HR")).id

    async with helpdesk.db.unit_of_work() as uow:
        for ref_id in range(9000, 9040):
            # The oldest two hold "fuser"; every third "toner"; HR's as many.
            words = ["printer", "toner" if ref_id % 3 == 0 else "paper"]
            words += ["fuser"] if ref_id < 9002 else []
            for desk_id, offset in ((it, 0), (hr, 100)):
                await search.put(uow, search.Document(
                    kind=search.REQUEST, ref_id=ref_id + offset, workspace_id=1,
                    desk_id=desk_id, status="closed", resolved=ref_id != 9039,
                    title="printer", body=" ".join(words), answer="Fixed",
                    opened_at=uow.clock.now(), updated_at=uow.clock.now()))
        await uow.commit()

    async def found(groups: list[tuple[str, ...]], desk_ids: list[int], limit: int,
                    least: int = 1) -> list[int]:
        async with helpdesk.db.unit_of_work(readonly=True) as uow:
            return [c.document.ref_id for c in await search.candidates(
                uow, groups, desk_ids=desk_ids, resolved_only=True, least=least,
                limit=limit)]

    assert await found([("printer",)], [it], 3) == [9038, 9037, 9036]
    assert await found([("printer",)], [it, hr], 4) == [9138, 9038, 9137, 9037]
    assert await found([("toner",)], [it], 2) == [9036, 9033]
    assert await found([("fuser",), ("nothing",)], [it], 5) == [9001, 9000]
    assert await found([("fuser",), ("printer",)], [it], 5, least=2) == [9001, 9000]
    assert await found([("fuser",)], [it, hr], 5) == [9101, 9001, 9100, 9000]
    assert await found([("toner",)], [it, hr], 3) == [9136, 9036, 9133]


async def test_follow_ups_add_their_words_as_a_rebuild_would_write_them(helpdesk: Chat):
    """A follow-up adds only its own words (an earlier message is not read again), and
    the document, its tsvector on PostgreSQL and its FTS5 terms on SQLite are those of
    a full rebuild."""
    ref = await asked(helpdesk, "IT the wifi on floor 3 keeps dropping")
    eli = await helpdesk.person(ELI)
    it = (await helpdesk.desk("IT")).id

    async def follow_up(*texts: str) -> None:
        async with helpdesk.db.unit_of_work() as uow:
            for text in texts:
                await commands.requester_message(uow, eli, ref, text)
            await uow.commit()

    async def state() -> tuple[str, str | None]:
        document = await _document(helpdesk, ref)
        words = None
        if helpdesk.db.is_postgresql:
            async with helpdesk.db.unit_of_work(readonly=True) as uow:
                words = (await uow.session.execute(sql_text(
                    "SELECT words::text FROM search_document WHERE id = :id"),
                    {"id": document.id})).scalar_one()
        return document.body, words

    async def found(word: str) -> list[int]:
        async with helpdesk.db.unit_of_work(readonly=True) as uow:
            return [c.document.ref for c in await search.candidates(
                uow, [(word,)], desk_ids=[it])]

    await follow_up("also the printer on floor 3")
    await follow_up("והמדפסת לא מדפיסה", "and the scanner's tray, too!")
    await follow_up("...")  # no words at all
    appended = await state()
    assert appended[0].split()[-3:] == ["scanner", "tray", "too"]
    async with helpdesk.db.unit_of_work() as uow:
        await indexing.refresh_request(uow, (await helpdesk.conversation(ref)).id)
        await uow.commit()
    assert await state() == appended
    assert [await found(w) for w in ("wifi", "printer", "מדפסת", "scanner")] == [[ref]] * 4

    # An earlier message changed behind the index's back stays as it was indexed.
    async with helpdesk.db.unit_of_work() as uow:
        await uow.session.execute(update(Message).where(
            Message.conversation_id == (await helpdesk.conversation(ref)).id,
            Message.body == "also the printer on floor 3").values(body="the toaster"))
        await uow.commit()
    await follow_up("and the keyboard")
    assert (await found("keyboard"), await found("toaster")) == ([ref], [])
    assert (await _document(helpdesk, ref)).body == appended[0] + " keyboard"


async def test_follow_ups_past_the_indexed_length_add_what_a_rebuild_would(
        helpdesk: Chat, monkeypatch: pytest.MonkeyPatch):
    """The text is cut at MAX_INDEXED characters, here in the middle of a follow-up's
    word: follow-ups add words up to the cut (a cut word's start too), none after."""
    ref = await asked(helpdesk, "IT the wifi drops")
    conversation_id = (await helpdesk.conversation(ref)).id
    eli = await helpdesk.person(ELI)
    conversation = await helpdesk.conversation(ref)
    # refresh_request's text: subject, category, the messages; the cut in "keyboard".
    opening = f"{conversation.subject} \n{conversation.category or ''} \nthe wifi drops \n"
    cut = len(opening + "printer \nkeyb")
    monkeypatch.setattr(indexing, "MAX_INDEXED", cut)

    async def rebuilt() -> str:
        async with helpdesk.db.unit_of_work() as uow:  # not committed
            await indexing.refresh_request(uow, conversation_id)
            await uow.session.flush()
            document = await search.get(uow, search.REQUEST, conversation_id)
            assert document is not None
            return document.body

    bodies = []
    for text in ("printer", "keyboard", "mouse"):
        async with helpdesk.db.unit_of_work() as uow:
            await commands.requester_message(uow, eli, ref, text)
            await uow.commit()
        bodies.append((await _document(helpdesk, ref)).body)
        assert bodies[-1] == await rebuilt()
    assert [body.split()[-1] for body in bodies] == ["printer", "keyb", "keyb"]
