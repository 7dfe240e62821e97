"""Words for the search index: the same normalising for what is indexed and what is asked.

Hebrew and English, often mixed in one sentence. A text becomes a list of *words*,
each with its *forms* (the alternatives any of which may match):

- Unicode NFKC, case folded; niqqud, cantillation and direction marks dropped;
  Hebrew final letters (ך ם ן ף ץ) written as the regular ones;
- hyphens, maqaf and apostrophes join (wi-fi → wifi, וי-פי → ויפי, צ'אט → צאט);
  a Hebrew prefix hyphened to a word goes (ב-VPN → vpn);
- Hebrew one-letter prefixes (ו ה ב ל מ ש כ, and runs of them: וב, שה, כש…) stripped
  as extra forms: במדפסת → במדפסת, מדפסת (and דפסת: the letters cannot tell a
  prefix from the root, so both sides expand alike and the extra forms cancel out);
- English light stemming (printers → printer, crashing → crash, locked → lock);
- a small table of IT words (`CONCEPTS`): each spelling in either language adds the
  concept's own form, so וויפי, וי-פי and wi-fi all meet at "wifi".

A document indexes every form of every word (`index_tokens`); a question asks for
any form of each word (`query_words`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

HEBREW_PREFIXES = "והבלמשכ"
# At most this many prefix letters are stripped (וכשה… is rare; three covers ושב, וכש).
MAX_PREFIX_LETTERS = 3
# Stripping leaves at least this many letters (a Hebrew root has three; ב+ית → "ית" no).
MIN_STEM = 3
FINALS = str.maketrans("ךםןףץ", "כמנפצ")
JOINERS = "-\u05be'\u2019\u05f3\u05f4\""  # hyphen, maqaf, apostrophes, geresh, gershayim
WORD = re.compile(r"[\w" + re.escape(JOINERS) + r"]+")

_STOP_WORDS_TEXT = ("""
a an and are as at be but by can do does for from has have how i i'm im in is it its
me my no not of on or our please so that the this to was we what when where which why
will with you your hi hello thanks thank
את של על זה זו זאת אני אנחנו יש אין לא כן עם לי לו לה שלי שלנו גם מה איך אם או כי
הוא היא הם הן אבל רק עוד כבר כל מאוד היי שלום תודה בבקשה אפשר צריך רוצה עובד עובדת
""")

# IT words and their spellings, in both languages: each line one concept, the first
# word its own form. Spellings are written as people type them; they are normalised
# like everything else (finals, prefixes, stems) when the table is read.
CONCEPTS_TEXT = """
wifi wi-fi wireless וויפי ויפי וי-פי ווי-פי ווייפיי אלחוטי אלחוטית
vpn ויפיאן וי.פי.אן
printer print מדפסת מדפסות הדפסה להדפיס
scanner scan סורק סריקה
password passwd סיסמה סיסמא סיסמאות סיסמאות
computer laptop notebook pc desktop מחשב מחשבים לפטופ נייד
screen monitor display מסך מסכים מוניטור
keyboard מקלדת
mouse עכבר
phone mobile cellphone טלפון סלולרי פלאפון
email mail e-mail inbox מייל אימייל דואל דואר
outlook אאוטלוק אוטלוק
teams טימס
zoom זום
excel אקסל
login log-in signin sign-in logon התחברות להתחבר מתחבר כניסה להיכנס
account חשבון משתמש
locked lockout lock נעול נעולה ננעל ננעלתי נחסם חסום
internet אינטרנט
network רשת
permission access הרשאה הרשאות גישה
install installation setup התקנה להתקין התקין
slow sluggish איטי איטית לאט איטיות
crash freeze frozen stuck hang קורס קורסת קרס קרסה תקוע תקועה נתקע נתקעה
update upgrade עדכון לעדכן
backup גיבוי
license licence רישיון רשיון
headset headphones אוזניות
battery סוללה
charger מטען
salary payslip paycheck משכורת תלוש שכר
vacation leave holiday חופשה חופש
expense reimbursement הוצאות החזר
badge card תג כרטיס
microphone mic מיקרופון
camera webcam מצלמה
meeting פגישה ישיבה
room חדר
sharepoint שרפוינט
drive onedrive כונן דרייב
folder תיקייה תיקיה
file קובץ קבצים
reset איפוס לאפס
""".strip()


@dataclass(frozen=True)
class Word:
    """One word of a text, as written (normalised), with every form it may match by."""

    text: str
    forms: tuple[str, ...]
    concept: str | None = None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Niqqud, cantillation (Mn) and direction marks (Cf) go; final letters become regular.
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    return text.translate(FINALS)


def _is_hebrew(word: str) -> bool:
    return any("\u05d0" <= c <= "\u05ea" for c in word)


def _join(raw: str) -> str:
    parts = [p for p in re.split("[" + re.escape(JOINERS) + "]+", raw) if p]
    # A Hebrew prefix hyphened to a word (ב-VPN, ה-wifi, וה-IT) is a prefix, not a word.
    if len(parts) > 1 and len(parts[0]) <= MAX_PREFIX_LETTERS \
            and all(c in HEBREW_PREFIXES for c in parts[0]):
        parts = parts[1:]
    return "".join(parts)


def stem_english(word: str) -> str:
    """A light English stem: plural s/es/ies, -ing, -ed (printers → printer)."""
    if not word.isascii() or not word.isalpha():
        return word
    for suffix, keep, replace in (("ies", 4, "y"), ("sses", 4, "ss"), ("ing", 5, ""),
                                  ("ed", 4, ""), ("es", 4, ""), ("s", 3, "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep - len(replace) - 1:
            if suffix == "es" and not word[:-2].endswith(("sh", "ch", "x", "ss", "z")):
                continue
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            stem = word[: -len(suffix)] + replace
            # crashing → crash, locked → lock; "stopped" → "stop"
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2] \
                    and stem[-1] not in "ls":
                stem = stem[:-1]
            return stem
    return word


def hebrew_forms(word: str) -> list[str]:
    """`word` and what is left after stripping one, two or three prefix letters."""
    forms = [word]
    rest = word
    for _ in range(MAX_PREFIX_LETTERS):
        if rest[:1] in HEBREW_PREFIXES and len(rest) - 1 >= MIN_STEM:
            rest = rest[1:]
            forms.append(rest)
        else:
            break
    # A Hebrew prefix glued to a Latin word (בvpn, הwifi): the Latin word too.
    latin = word.lstrip(HEBREW_PREFIXES)
    if latin and latin != word and latin.isascii():
        forms.append(latin)
    return forms


def _plain_forms(raw: str) -> list[str]:
    word = _join(raw)
    if not word:
        return []
    if _is_hebrew(word):
        return hebrew_forms(word)
    return [stem_english(word)]


def _read_concepts() -> dict[str, str]:
    concepts: dict[str, str] = {}
    for line in CONCEPTS_TEXT.splitlines():
        spellings = line.split()
        own = _plain_forms(_clean(spellings[0]))[0]
        for spelling in spellings:
            form = _plain_forms(_clean(spelling))
            if form:
                concepts.setdefault(form[0], own)
    return concepts


CONCEPTS = _read_concepts()
STOP_WORDS = frozenset(_join(_clean(w)) for w in _STOP_WORDS_TEXT.split())


def words(text: str) -> list[Word]:
    """The words of `text` worth searching by (no stop words), each with its forms."""
    found: list[Word] = []
    for raw in WORD.findall(_clean(text)):
        forms = _plain_forms(raw)
        if not forms or forms[0] in STOP_WORDS or _join(raw) in STOP_WORDS:
            continue
        if len(forms[0]) < 2 and not forms[0].isdigit():
            continue
        concept = next((CONCEPTS[f] for f in forms if f in CONCEPTS), None)
        all_forms = list(dict.fromkeys([*forms, *([concept] if concept else [])]))
        found.append(Word(forms[0], tuple(all_forms), concept))
    return found


def index_tokens(text: str) -> list[str]:
    """Every form of every word of `text`, in order, for a document's index."""
    return [form for word in words(text) for form in word.forms]


def query_words(text: str) -> list[Word]:
    """The distinct words of a question (the first of each), for a query."""
    seen: dict[str, Word] = {}
    for word in words(text):
        seen.setdefault(word.concept or word.text, word)
    return list(seen.values())
