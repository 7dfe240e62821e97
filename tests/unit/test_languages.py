"""Who is written to in which language (desks/languages.py)."""

from __future__ import annotations

from importlib import resources

import pytest

from desks.languages import LANGUAGES, desk_locale, language_of, person_locale
from storage.models import Desk, Person


def test_the_languages_spoken_are_the_catalogues() -> None:
    found = {entry.name.removesuffix(".json")
             for entry in resources.files("cards").joinpath("locales").iterdir()
             if entry.name.endswith(".json")}
    assert set(LANGUAGES) <= found | {"he"}  # he.json lands with the Hebrew catalogue
    assert "en" in found


@pytest.mark.parametrize(("locale", "language"), [
    ("he-IL", "he"), ("he", "he"), ("iw_IL", "he"), ("en-US", "en"), ("EN", "en"),
    ("fr-FR", None), ("", None), (None, None)])
def test_a_platform_locale_maps_to_a_catalogue_language(locale: str | None,
                                                        language: str | None) -> None:
    assert language_of(locale) == language


def test_a_persons_own_choice_wins_over_the_platform() -> None:
    assert person_locale(Person(locale="he-IL", language=None)) == "he"
    assert person_locale(Person(locale="he-IL", language="en")) == "en"
    assert person_locale(Person(locale="fr-FR", language=None)) == "en"
    assert person_locale(None) == "en"


def test_a_desk_speaks_its_language() -> None:
    assert desk_locale(Desk(language="he")) == "he"
    assert desk_locale(Desk(language="xx")) == "en"
    assert desk_locale(None) == "en"


def test_the_pseudo_locale_marks_the_catalogues_words_only() -> None:
    from cards.i18n import PSEUDO_LOCALE, t
    from cards.text import UserText

    text = t("receipt.line", PSEUDO_LOCALE, ref=1042, desk=UserText("Printers"))
    assert "⟦" in text and "Printers" in text
    assert "Printers" not in "".join(text.split("⟦")[i].split("⟧")[0]
                                     for i in range(1, text.count("⟦") + 1))
