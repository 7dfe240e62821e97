"""Which language deskbot speaks to whom.

A message to one person is in their language: their own choice (`/desk language`),
else what their platform reports (Slack's `users.info` locale, Teams' activity locale),
else English. A card or digest in a desk's channel is in the desk's language. Only
the languages with a catalogue in `cards/locales/` are spoken (`LANGUAGES`, kept equal to
the catalogues by a test); others fall back to English.
"""

from __future__ import annotations

from desks.errors import InvalidInput
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Desk, Person

DEFAULT_LOCALE = "en"
# The languages deskbot speaks: one catalogue each in cards/locales/.
LANGUAGES = frozenset({"en", "he"})
# Old codes some platforms still send for Hebrew.
_ALIASES = {"iw": "he"}


def language_of(locale: str | None) -> str | None:
    """The catalogue language of a platform locale ("he-IL" → "he"), or None when
    deskbot has no catalogue for it."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    language = _ALIASES.get(language, language)
    return language if language in LANGUAGES else None


def person_locale(person: Person | None) -> str:
    """The language to write to `person` in."""
    if person is None:
        return DEFAULT_LOCALE
    return (language_of(person.language) or language_of(person.locale)
            or DEFAULT_LOCALE)


def desk_locale(desk: Desk | None) -> str:
    """The language of a desk's channel: its cards, alerts and digests."""
    return (language_of(desk.language) if desk is not None else None) or DEFAULT_LOCALE


AUTO = "auto"  # `/desk language auto`: follow the platform again


def choose_language(uow: UnitOfWork, person: Person, choice: str) -> str | None:
    """`/desk language he|en|auto`: the person's own language (None: the platform's),
    recorded; refuses a language deskbot does not speak."""
    wanted = (choice or "").strip().lower()
    if wanted != AUTO and wanted not in LANGUAGES:
        raise InvalidInput("language.unknown", got=wanted[:20])
    old, person.language = person.language, (None if wanted == AUTO else wanted)
    record_event(uow, workspace_id=person.workspace_id, actor_id=person.id,
                 kind="person.language", old=old, new=person.language)
    return person.language
