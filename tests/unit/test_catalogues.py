"""The catalogues against each other and against HEBREW.md: same keys, same placeholders,
same markup, isolates where a value sits inside a Hebrew sentence, the style rules that a
machine can check, Babel's plural forms, and dates per language."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cards import dates
from cards.i18n import plural_form, t
from cards.text import FSI, PDI, UserText, isolates_per_line

LOCALES = Path(__file__).resolve().parents[2] / "cards" / "locales"
PLURAL = re.compile(r"\.(zero|one|two|few|many|other)$")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# HEBREW.md §4.2: placeholders that can hold letters, isolated inside a sentence (and
# the later ones of the same sort: people, duration).
WRAP = frozenset({"desk", "from_desk", "to_desk", "subject", "requester", "person", "agent",
                  "assignee", "by", "name", "mentions", "when", "due", "day", "opened",
                  "updated", "age", "status", "target", "label", "kind", "slug", "usage",
                  "people", "duration", "author", "setting", "title", "incident"})
MARKUP = "*_~`>"
HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")
AVOIDED = ("כרטיס", "לקוח", "סוכן", "קריאה", "קריאת", "אנא", "בבקשה", "פניה", "משוייך")


def load(name: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{name}.json").read_text(encoding="utf-8"))


EN, HE = load("en"), load("he")


def family(key: str) -> str:
    return PLURAL.sub("", key)


def families(catalogue: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key in catalogue:
        found.setdefault(family(key), set()).add(key)
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def family_placeholders(catalogue: dict[str, str], keys: set[str]) -> set[str]:
    # A plural form may leave `{count}` out ("one request"; "שתי פניות"); the others not.
    return {name for key in keys for name in placeholders(catalogue[key])} | (
        {"count"} if len(keys) > 1 or any(PLURAL.search(key) for key in keys) else set())


# ---------------------------------------------------------------- (a) the same keys


def test_every_english_key_is_in_hebrew_and_back() -> None:
    en, he = families(EN), families(HE)
    assert sorted(set(en) - set(he)) == [], "missing from he.json"
    assert sorted(set(he) - set(en)) == [], "in he.json but not in en.json"


def test_hebrew_keeps_english_order() -> None:
    order = {name: index for index, name in enumerate(dict.fromkeys(map(family, EN)))}
    positions = [order[family(key)] for key in HE]
    assert positions == sorted(positions)


@pytest.mark.parametrize("name", sorted(families(EN)))
def test_placeholders_and_plural_forms_match(name: str) -> None:
    en_keys, he_keys = families(EN)[name], families(HE)[name]
    assert family_placeholders(EN, en_keys) == family_placeholders(HE, he_keys)
    for keys in (en_keys, he_keys):
        if keys != {name}:  # a plural family ends in `.other` (or keeps its bare key)
            assert f"{name}.other" in keys or name in keys, keys
    if f"{name}.zero" in en_keys:
        assert f"{name}.zero" in he_keys
    for key in he_keys:
        english = EN.get(key) or EN.get(f"{name}.other") or EN[next(iter(en_keys))]
        hebrew = HE[key]
        assert hebrew.count("\n") == english.count("\n"), key
        assert hebrew.count("`") == english.count("`"), key
        assert hebrew.count("*") % 2 == 0 and hebrew.count("*") == english.count("*"), key
        assert emoji(hebrew) == emoji(english), key
        assert hebrew.strip() or not english.strip(), key


def emoji(text: str) -> list[str]:
    return sorted(char for char in text if unicodedata.category(char) == "So")


def test_the_catalogues_are_valid_format_strings() -> None:
    for catalogue in (EN, HE):
        for key, value in catalogue.items():
            names = placeholders(value)
            value.format(**dict.fromkeys(names, "x"))
            assert set(re.findall(r"\{([^{}]*)\}", value)) == names, key


# ---------------------------------------------------------------- (b) isolates


def lines_of(value: str) -> list[str]:
    return value.split("\n")


def in_sentence(line: str, start: int, end: int) -> bool:
    """Words of ours (a letter, digit or punctuation, or another placeholder) on the
    line besides this placeholder, its isolate and markup."""
    rest = (line[:start] + line[end:]).replace(FSI, "").replace(PDI, "")
    if PLACEHOLDER.search(rest):
        return True
    return any(unicodedata.category(char)[0] in "LNP" for char in rest if char not in MARKUP)


def isolated(line: str, start: int, end: int) -> bool:
    """The placeholder at line[start:end] sits in an isolate with only markup beside it."""
    before, after = line[:start], line[end:]
    opened = before.rfind(FSI)
    if opened == -1 or opened < before.rfind(PDI):
        return False
    closed = after.find(PDI)
    if closed == -1 or FSI in after[:closed]:
        return False
    return all(char in MARKUP for char in before[opened + 1:] + after[:closed])


# HEBREW.md §4.3: `{subject}` under a ref in the card's header sets the header's direction.
SETS_ITS_LINE = {"card.header"}


def value_lines(value: str) -> list[str]:
    """The lines a value owns: those under a field's "*Title*" line (§4.3)."""
    lines = lines_of(value)
    return lines[1:] if re.fullmatch(r"\*[^*]+\*", lines[0]) else []


@pytest.mark.parametrize("key", sorted(HE))
def test_hebrew_isolates_values_inside_sentences_and_only_there(key: str) -> None:
    for line in lines_of(HE[key]):
        if key in SETS_ITS_LINE or line in value_lines(HE[key]):
            assert FSI not in line, key
            continue
        for match in PLACEHOLDER.finditer(line):
            name = match.group(1)
            wrapped = isolated(line, match.start(), match.end())
            if name in WRAP and in_sentence(line, match.start(), match.end()):
                assert wrapped, f"{key}: {{{name}}} sits in a sentence without FSI…PDI"
            elif not in_sentence(line, match.start(), match.end()):
                assert not wrapped, f"{key}: {{{name}}} stands alone: it sets its line"
            elif name not in WRAP:
                assert not wrapped, f"{key}: {{{name}}} is digits: no isolate"
        depth = 0
        for char in line:  # balanced on their line, never nested
            depth += (char == FSI) - (char == PDI)
            assert depth in (0, 1), key
        assert depth == 0, key


@pytest.mark.parametrize("key", sorted(HE))
def test_isolates_stay_outside_code_spans(key: str) -> None:
    code = HE[key].split("`")[1::2]
    assert not any(FSI in span or PDI in span for span in code), key
    assert not any(span.startswith("/") for span in code) or all(
        f"{FSI}`{span}`{PDI}" in HE[key] for span in code), key


# ---------------------------------------------------------------- (c) style


def strong(line: str) -> str | None:
    """The line's first strong direction outside isolates and placeholders (UAX #9 P2)."""
    bare = re.sub(f"{FSI}[^{PDI}]*{PDI}", "", line)
    bare = PLACEHOLDER.sub("", bare)
    for char in bare:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return "L" if kind == "L" else "R"
    return None


@pytest.mark.parametrize("key", sorted(HE))
def test_hebrew_lines_start_with_a_hebrew_word(key: str) -> None:
    english = EN.get(key) or EN.get(f"{family(key)}.other") or EN[family(key)]
    for he_line, en_line in zip(lines_of(HE[key]), lines_of(english), strict=True):
        if he_line == en_line or strong(en_line) is None:
            continue  # the same product words, or a line the user's text sets
        assert strong(he_line) == "R", f"{key}: {he_line!r}"


def test_no_ascii_quotes_and_one_kind_of_geresh() -> None:
    joined = "\n".join(HE.values())
    assert '"' not in joined and "'" not in joined
    assert "״" not in joined or "\u05f4" in joined  # gershayim, never ASCII


@pytest.mark.parametrize("key", sorted(HE))
def test_prefixes_never_glue_to_a_placeholder(key: str) -> None:
    value = HE[key]
    assert not re.search(f"[\u05d0-\u05ea]-?{FSI}?\\{{", value), key
    assert not re.search(r"(?:^|\s)[הובלמשכ]{1,3}- ", value), key  # "וה- SLA"
    assert not re.search(r"\s[,.;:]", value.replace(" …", "")), key  # no space before
    assert not re.search(r"[,;](?=\S)", PLACEHOLDER.sub("x", value)), key


def test_the_words_hebrew_md_avoids_are_not_used() -> None:
    for key, value in HE.items():
        for word in AVOIDED:
            if word == "כרטיס" and "card" in EN.get(key, "").lower():
                continue  # the UI card is a כרטיס; a ticket never is (HEBREW.md §2.13)
            assert word not in value, (key, word)


def test_paging_arrows_point_the_hebrew_way() -> None:
    assert HE["home.previous"].startswith("→") and HE["home.next"].endswith("←")


# HEBREW.md §4.8: the samples of §3 as he.json writes them.
SAMPLES = {
    "receipt.line": "קיבלנו! הפנייה שלכם היא *#{ref}* בדסק *\u2068{desk}\u2069*.",
    "receipt.expected": "מענה ראשון צפוי: \u2068{when}\u2069.",
    "picker.no_desks": "עדיין אין דסקים. פנו למנהלי המערכת ובקשו ליצור דסק.",
    "update.picked_up": "👋 הפנייה שלכם #{ref} בטיפול של *\u2068{agent}\u2069* מדסק "
                        "\u2068{desk}\u2069.",
    "update.status_on_hold": "⏸️ הפנייה #{ref} מושהית כרגע; דסק \u2068{desk}\u2069 יחזור "
                             "אליה בהמשך.",
    "alert.sla_warning": "⚠️ פנייה *#{ref}* (\u2068{desk}\u2069): יעד \u2068{target}\u2069 "
                         "מתקרב – עד \u2068{due}\u2069.",
    "alert.sla_breach": "🔴 פנייה *#{ref}* (\u2068{desk}\u2069): חריגה מיעד "
                        "\u2068{target}\u2069 (המועד היה \u2068{due}\u2069).",
    "digest.line": "☀️ דסק *\u2068{desk}\u2069* היום (\u2068{day}\u2069)",
    "resolve.question": "הפנייה #{ref} (\u2068{desk}\u2069) סומנה כפתורה. *האם הבעיה נפתרה?*",
    "resolve.rate": "איך הייתה העזרה? דרגו מ-1 עד 5:",
    "home.how_to_ask": "כדי לפנות לדסק: שלחו לי הודעה פרטית, השתמשו ב-\u2068`/desk ask`\u2069 "
                       "או בחרו *Send to helpdesk* בתפריט של כל הודעה.",
    "config.archived": "🗄️ הדסק הועבר לארכיון: הוא לא מקבל פניות חדשות.",
    "update.status_resolved": "✅ הפנייה #{ref} סומנה כפתורה.",
    "resolve.yes": "כן, נפתרה",
    "resolve.no": "לא, הבעיה עדיין קיימת",
    "alert.target_first_response": "מענה ראשון",
    "alert.target_resolution": "פתרון",
    "alert.target_other": "SLA",
    "update.an_agent": "נציג/ה",
    "help.title": "הפקודות של deskbot",
    "card.close_confirm_title": "לסגור את הפנייה?",
    "card.close_confirm_yes": "סגירה",
    "card.close_confirm_no": "להשאיר פתוחה",
    "card.earlier_requests.zero": "פנייה ראשונה",
    "card.earlier_requests.one": "פנייה קודמת אחת",
    "card.earlier_requests.two": "שתי פניות קודמות",
    "card.earlier_requests.other": "{count} פניות קודמות",
    "home.previous": "→ הקודם",
    "home.next": "הבא ←",
}


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_the_samples_are_as_hebrew_md_writes_them(key: str) -> None:
    assert HE[key] == SAMPLES[key]


# ---------------------------------------------------------------- (d) plurals


@pytest.mark.parametrize(("count", "form"), [(0, "other"), (1, "one"), (2, "two"), (3, "other"),
                                            (10, "other"), (20, "other"), (101, "other")])
def test_babel_gives_hebrew_its_plural_forms(count: int, form: str) -> None:
    assert plural_form("he", count) == form


@pytest.mark.parametrize(("count", "expected"), [
    (0, "פנייה ראשונה"), (1, "פנייה קודמת אחת"), (2, "שתי פניות קודמות"),
    (3, "3 פניות קודמות"), (10, "10 פניות קודמות"), (20, "20 פניות קודמות")])
def test_a_counted_hebrew_phrase_picks_its_form(count: int, expected: str) -> None:
    assert t("card.earlier_requests", "he", count=count) == expected


def test_english_plurals_are_as_before() -> None:
    assert [t("card.earlier_requests", "en", count=n) for n in (0, 1, 2, 21)] == [
        "first request", "1 earlier request", "2 earlier requests", "21 earlier requests"]
    assert plural_form("en", 2) == "other"
    assert plural_form("zz", 1) == "one"  # a language Babel does not know counts as English


def test_a_line_that_isolates_a_value_itself_is_not_isolated_twice() -> None:
    line = t("receipt.line", "he", ref=7, desk=UserText("IT (2)"))
    assert line.count(FSI) == line.count(PDI) == 1 and f"{FSI}IT (2){PDI}" in line
    usage = t("reply.usage", "he", usage=UserText("/desk ask DESK text"))
    assert usage == f"שימוש: {FSI}`/desk ask DESK text`{PDI}"
    # English, which has no isolates of its own, still gets them from `UserText`.
    assert t("reply.usage", "en", usage=UserText("x y")) == f"Usage: `{FSI}x y{PDI}`"


def test_a_value_of_several_lines_in_a_lines_own_isolate_is_isolated_line_by_line() -> None:
    line = t("receipt.line", "he", ref=7, desk=UserText("IT\nHR"))
    assert line == f"קיבלנו! הפנייה שלכם היא *#7* בדסק *{FSI}IT{PDI}\n{FSI}HR{PDI}*."
    assert isolates_per_line(f"a {FSI}b\n\nc{PDI} d") == f"a {FSI}b{PDI}\n{FSI}{PDI}\n{FSI}c{PDI} d"
    assert isolates_per_line("no isolate\nhere") == "no isolate\nhere"


# ---------------------------------------------------------------- dates per language

MOMENT = datetime(2026, 12, 13, 8, 5, tzinfo=UTC)  # a Sunday


def test_hebrew_dates_and_times_come_from_babel() -> None:
    assert dates.short_time(MOMENT, "he") == "8:05"
    assert dates.short_time(MOMENT.replace(hour=18, minute=0), "he") == "18:00"
    assert dates.short_date(MOMENT.date(), "he") == "13.12.2026"
    assert dates.full_date(MOMENT.date(), "he") == "יום ראשון, 13 בדצמבר 2026"
    assert dates.weekday(MOMENT.date(), "he") == "יום ראשון"
    assert dates.service_day("2026-12-13", "he") == "יום ראשון, 13 בדצמבר 2026"


def test_english_dates_keep_their_own_formats() -> None:
    assert dates.short_time(MOMENT) == "08:05"
    assert dates.short_date(MOMENT.date()) == "2026-12-13"
    assert dates.weekday(MOMENT.date()) == "Sunday"
    assert dates.service_day("2026-12-13", "en") == "2026-12-13"
    assert dates.service_day("2026-12-13", "qps-ploc") == "2026-12-13"
    assert dates.service_day("not a day", "he") == "not a day"


@pytest.mark.parametrize(("seconds", "en", "he"), [
    (5, "now", "עכשיו"), (300, "5m", "5 דק׳"), (3600, "1h", "שעה"), (7200, "2h", "שעתיים"),
    (5 * 3600, "5h", "5 שע׳"), (86400, "1d", "יום"), (2 * 86400, "2d", "יומיים"),
    (3 * 86400, "3d", "3 ימים")])
def test_ages_per_language(seconds: int, en: str, he: str) -> None:
    since = MOMENT - timedelta(seconds=seconds)
    assert dates.age(since, MOMENT) == en
    assert dates.age(since, MOMENT, "he") == he


@pytest.mark.parametrize(("minutes", "he"), [
    (1, "דקה אחת"), (2, "שתי דקות"), (15, "15 דקות"), (60, "שעה אחת"), (120, "שעתיים"),
    (150, "שעתיים ועוד 30 דקות"), (2 * 1440, "יומיים"), (3 * 1440 + 61, "3 ימים ועוד שעה אחת "
                                                                    "ועוד דקה אחת")])
def test_hebrew_durations_use_the_dual(minutes: int, he: str) -> None:
    assert dates.duration(timedelta(minutes=minutes), "he") == he


@pytest.mark.parametrize("minutes", [1, 2, 15, 59, 60, 61, 150, 1440, 1441, 3 * 1440 + 61])
def test_english_durations_and_promises_read_as_the_calendar_wrote_them(minutes: int) -> None:
    from scheduling.desk_calendar import _spelled
    delta = timedelta(minutes=minutes)
    assert dates.duration(delta) == _spelled(delta)
    assert dates.expected_response("within", target=delta) == f"within {_spelled(delta)}"


def test_promises_per_language() -> None:
    assert dates.expected_response("by", moment=MOMENT) == f"by {MOMENT:%A %H:%M}"
    assert dates.expected_response("when_opens", moment=MOMENT) == \
        f"when the desk opens {MOMENT:%A %H:%M}"
    assert dates.expected_response("on_call") == "from the on-call agent, as this is critical"
    assert dates.expected_response("within", "he", target=timedelta(minutes=15)) == \
        f"תוך {FSI}15 דקות{PDI}"
    assert dates.expected_response("when_opens", "he", moment=MOMENT) == \
        f"כשהדסק ייפתח, {FSI}יום ראשון{PDI} בשעה 8:05"


@pytest.mark.parametrize("key", sorted(HE))
def test_hebrew_bold_turns_bold_on_teams_too(key: str) -> None:
    """HEBREW.md §4.7: bold markers touch a space or punctuation (Teams' converter counts
    Hebrew letters as word characters), so every `*…*` of he.json becomes `**…**`."""
    from cards.teams.markdown import from_mrkdwn
    converted = from_mrkdwn(PLACEHOLDER.sub("x", HE[key]))
    assert "*" not in converted.replace("**", ""), (key, converted)
    english = from_mrkdwn(PLACEHOLDER.sub("x", EN.get(key) or HE[key]))
    assert converted.count("**") == english.count("**") or key not in EN, key
