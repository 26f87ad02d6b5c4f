"""Labelled name pairs in the style of the OpenSanctions matcher benchmarks (issue 12).

The pairs of :func:`datasets.labelled_pairs` are built from the UN list's own style: Arabic
names, transliterations, typos. A bank's lists hold much more: companies with legal forms
written out or abbreviated, numbered funds and trusts, Western nicknames, Chinese and Korean
romanisations, Baltic and Slavic surname endings. This module builds pairs for each of those
categories from the four real lists and the negatives, by rules written down here before the
matcher was tuned on them:

======================  =====  ==========================================================
category                match  how the pair is made
======================  =====  ==========================================================
legal_form              yes    an organisation's name with two renderings of one legal form
                               (GmbH / Gesellschaft mit beschränkter Haftung, JSC / OAO /
                               Joint Stock Company, L.L.C. / LLC, & / and)
nickname                yes    a Western given name against its short form (Robert / Bob)
typo_long_surname       yes    one edit in a surname of eight letters or more
split_joined            yes    a surname split in two or two words joined
cjk_romanisation        yes    a Chinese or Korean name in another romanisation
                               (Hsi / Xi, Jong-rin / Jong Rin, Choe / Choi)
slavic_ending           yes    a Russian name in its Latvian or Lithuanian form
                               (Lavrov / Lavrovs / Lavrovas, Sergei / Sergejs)
reordered               yes    a name of three words or more in another order
numbered_series         no     the same fund, trust or company with another number
                               (Fund III / Fund IV, Trust 2004-1 / 2005-1)
arabic_middle           no     a long Arabic name with one middle element replaced
                               (… Abdul … / … Wali …): another person
nickname_lookalike      no     a given name swapped for a different name that looks alike
                               (Ted / Fred) with the same surname
other_legal_entity      no     two organisations sharing a distinctive word and a legal form
======================  =====  ==========================================================

Every pair carries a ``split``: ``dev`` or ``held``, from a hash of its source name, so a
tuning loop can look at ``dev`` only and report ``held``.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from counterflow.model import Entity

SEED = 20261207

# renderings of one legal form: each row's spellings are the same form
LEGAL_FORM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("GmbH", "Gesellschaft mit beschränkter Haftung", "G.m.b.H."),
    ("LLC", "L.L.C.", "Limited Liability Company"),
    ("Ltd", "Ltd.", "Limited"),
    ("JSC", "Joint Stock Company", "AO", "OAO", "Open Joint Stock Company"),
    ("CJSC", "ZAO", "Closed Joint Stock Company"),
    ("OOO", "Obshchestvo s ogranichennoy otvetstvennostyu", "LLC"),
    ("Inc", "Inc.", "Incorporated"),
    ("Corp", "Corp.", "Corporation"),
    ("Co", "Co.", "Company"),
    ("SA", "S.A.", "Sociedad Anónima"),
    ("SARL", "S.A.R.L.", "Société à responsabilité limitée"),
    ("PJSC", "Public Joint Stock Company", "PAO"),
    ("FZE", "Free Zone Establishment"),
    ("Pte Ltd", "Private Limited"),
    ("AG", "Aktiengesellschaft"),
)
_ALL_FORMS = sorted({f for group in LEGAL_FORM_GROUPS for f in group}, key=len, reverse=True)
_FORM_TAIL = re.compile(
    r"[\s,]+(?:" + "|".join(re.escape(f) for f in _ALL_FORMS) + r")[\s.,]*$", re.IGNORECASE
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Theodore": ("Ted", "Teddy", "Theo"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy"),
    "Michael": ("Mike", "Mick"),
    "Elizabeth": ("Liz", "Beth", "Betty"),
    "Margaret": ("Peggy", "Maggie", "Meg"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Kate"),
    "Jennifer": ("Jen", "Jenny"),
    "Thomas": ("Tom", "Tommy"),
    "Charles": ("Charlie", "Chuck"),
    "Joseph": ("Joe", "Joey"),
    "Anthony": ("Tony",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Christopher": ("Chris",),
    "Alexander": ("Alex", "Sasha"),
    "Nicholas": ("Nick",),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Susan": ("Sue", "Suzy"),
    "Deborah": ("Debbie", "Deb"),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Jonathan": ("Jon",),
    "Andrew": ("Andy", "Drew"),
    "Steven": ("Steve",),
    "Stephen": ("Steve",),
    "Timothy": ("Tim",),
    "Gregory": ("Greg",),
    "Lawrence": ("Larry",),
    "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don",),
    "Kenneth": ("Ken", "Kenny"),
    "Vladimir": ("Volodya", "Vova"),
    "Aleksandr": ("Sasha",),
    "Dmitry": ("Dima",),
    "Yekaterina": ("Katya",),
    "Francisco": ("Paco", "Pancho"),
    "José": ("Pepe",),
    "Abigail": ("Abby",),
    "Rebecca": ("Becky",),
    "Victoria": ("Vicky",),
}
#: a different given name that looks like a short form (not a match)
LOOKALIKES: dict[str, tuple[str, ...]] = {
    "Ted": ("Fred", "Tad"),
    "Bob": ("Rob",),
    "Bill": ("Will", "Phil"),
    "Jim": ("Tim", "Kim"),
    "Tom": ("Tim", "Tony"),
    "Dan": ("Don", "Dean"),
    "Ron": ("Don", "Jon"),
    "Kate": ("Katya", "Kat"),
    "Ken": ("Ben", "Len"),
    "Mike": ("Mark",),
    "Steve": ("Stan",),
    "Greg": ("Craig",),
    "Larry": ("Harry", "Barry"),
    "Ben": ("Len", "Ken"),
    "Sam": ("Pam", "Dan"),
}

# Chinese: (pinyin, Wade-Giles) syllables; Korean: variants of one syllable
CHINESE_ROMANISATION = {
    "xi": "hsi", "zhou": "chou", "zhang": "chang", "qing": "ch'ing", "jin": "chin",
    "cai": "tsai", "zheng": "cheng", "zhu": "chu", "xu": "hsu", "xiao": "hsiao",
    "jiang": "chiang", "qian": "ch'ien", "zhao": "chao", "xie": "hsieh", "guo": "kuo",
    "dong": "tung", "deng": "teng", "li": "lee", "jun": "chun", "ping": "p'ing",
    "zhong": "chung", "xin": "hsin", "xiong": "hsiung", "rong": "jung", "ren": "jen",
}  # fmt: skip
KOREAN_SYLLABLES = (
    ("Choe", "Choi", "Chey"), ("Ri", "Lee", "Yi", "Rhee"), ("Pak", "Park", "Bak"),
    ("Jong", "Chong", "Jung"), ("Kim", "Gim"), ("Kang", "Gang"), ("Han", "Hahn"),
    ("Yun", "Yoon"), ("Chol", "Cheol", "Chul"), ("Song", "Seong", "Sung"),
)  # fmt: skip

BALTIC_GIVEN = {
    "Sergei": ("Sergejs", "Sergejus"), "Sergey": ("Sergejs", "Sergejus"),
    "Aleksandr": ("Aleksandrs", "Aleksandras"), "Alexander": ("Aleksandrs", "Aleksandras"),
    "Vladimir": ("Vladimirs", "Vladimiras"), "Dmitry": ("Dmitrijs", "Dmitrijus"),
    "Dmitri": ("Dmitrijs", "Dmitrijus"), "Andrei": ("Andrejs", "Andrejus"),
    "Andrey": ("Andrejs", "Andrejus"), "Igor": ("Igors", "Igoris"), "Yuri": ("Jurijs", "Jurijus"),
    "Yury": ("Jurijs", "Jurijus"), "Mikhail": ("Mihails", "Michailas"), "Oleg": ("Olegs", "Olegas"),
    "Viktor": ("Viktors", "Viktoras"), "Nikolai": ("Nikolajs", "Nikolajus"),
    "Ivan": ("Ivans", "Ivanas"), "Boris": ("Boriss", "Borisas"), "Pavel": ("Pavels", "Pavelas"),
    "Roman": ("Romans", "Romanas"), "Denis": ("Deniss", "Denisas"), "Anatoly": ("Anatolijs",),
    "Gennady": ("Genadijs",), "Yevgeny": ("Jevgenijs",), "Vitaly": ("Vitalijs", "Vitalijus"),
}  # fmt: skip

ARABIC_MIDDLE_SWAPS = (
    ("Abdul", "Wali"), ("Abdul", "Gul"), ("Mohammad", "Ahmad"), ("Rahman", "Rahim"),
    ("Karim", "Hakim"), ("Hassan", "Hussein"), ("Ali", "Omar"), ("Nur", "Gul"),
    ("Abdullah", "Abdulrahman"), ("Khalil", "Jamil"),
)  # fmt: skip

FUND_WORDS = ("Fund", "Trust", "Partners", "Holdings", "Capital", "Investments", "Ventures")


@dataclass(frozen=True, slots=True)
class Pair:
    id: str
    name1: str
    name2: str
    schema: str
    match: bool
    category: str
    split: str


def _split_of(seed: str) -> str:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return "held" if digest[0] % 2 else "dev"


def _latin(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _names(entities: Iterable[Entity], schema: str) -> list[str]:
    out = []
    for entity in entities:
        if entity.schema.name != schema and not (
            schema == "Organization" and entity.schema.name == "Company"
        ):
            continue
        for prop, value in entity.names():
            if prop in ("name", "alias") and _latin(value.value):
                out.append(value.value)
    return sorted(set(out))


def _person_parts(name: str) -> list[str]:
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    return [w for w in name.split() if w]


def _title(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    neighbours = "aeiou" if word[i].lower() in "aeiou" else "bdgklmnprst"
    return word[:i] + rng.choice([c for c in neighbours if c != word[i].lower()]) + word[i + 1 :]


def os_style_pairs(
    entities: Sequence[Entity], negatives: Sequence[dict[str, str]], seed: int = SEED
) -> list[Pair]:
    """Labelled pairs per category (see the module docstring), at most 120 per category."""
    rng = random.Random(seed)
    made: dict[str, list[tuple[str, str, str, bool, str]]] = defaultdict(list)
    persons = _names(entities, "Person")

    # companies: strip a legal form, add two renderings of one form
    bases: list[str] = []
    owner: dict[str, str] = {}
    for entity in entities:
        if entity.schema.name not in ("Organization", "Company"):
            continue
        for prop, value in entity.names():
            name = value.value
            if prop not in ("name", "alias") or not _latin(name):
                continue
            stripped = _FORM_TAIL.sub("", name).strip(" ,.")
            if len(stripped.split()) >= 2 and stripped != name and not re.search(r"\d", stripped):
                base = _title_words(stripped)
                if base not in owner:
                    owner[base] = entity.id
                    bases.append(base)
    bases.sort()
    rng.shuffle(bases)
    for base in bases[:200]:
        group = rng.choice(LEGAL_FORM_GROUPS)
        a, b = rng.sample(group, 2)
        made["legal_form"].append((f"{base} {a}", f"{base} {b}", "Company", True, base))
        if "&" not in base and " and " in f" {base.lower()} ":
            made["legal_form"].append(
                (base, re.sub(r"(?i)\band\b", "&", base), "Company", True, base + "&")
            )
    # two companies of different entries sharing their first word and a legal form, each with
    # a distinctive word the other lacks: different legal entities
    by_word: dict[str, list[str]] = defaultdict(list)
    for base in bases:
        first = base.split()[0]
        if len(first) >= 5:
            by_word[first.lower()].append(base)
    for group in by_word.values():
        if len(group) < 2:
            continue
        a, b = rng.sample(group, 2)
        words_a, words_b = set(a.lower().split()), set(b.lower().split())
        only_a, only_b = words_a - words_b, words_b - words_a
        distinct = [
            (x, y) for x in only_a for y in only_b if x[:3] == y[:3]
        ]  # a shared beginning may be one word spelled two ways
        if owner[a] != owner[b] and only_a and only_b and not distinct:
            form = rng.choice(("LLC", "Ltd", "GmbH", "JSC"))
            made["other_legal_entity"].append(
                (f"{a} {form}", f"{b} {form}", "Company", False, a + b)
            )

    # numbered series: the same name, another number
    for base in bases[:150]:
        word = rng.choice(FUND_WORDS)
        style = rng.choice(("roman", "digit", "year"))
        if style == "roman":
            n = rng.randrange(1, 9)
            romans = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
            a, b = romans[n - 1], romans[n]
        elif style == "digit":
            n = rng.randrange(1, 20)
            a, b = str(n), str(n + rng.randrange(1, 4))
        else:
            y = rng.randrange(1995, 2024)
            k = rng.randrange(1, 4)
            a, b = f"{y}-{k}", f"{y + 1}-{k}" if rng.random() < 0.5 else f"{y}-{k + 1}"
        made["numbered_series"].append(
            (f"{base} {word} {a}", f"{base} {word} {b}", "Company", False, base + word)
        )

    # persons from the negatives: nicknames and look-alikes, long-surname typos, splits
    western = [r for r in negatives if _latin(r.get("full_name", "")) and r.get("first_name")]
    rng.shuffle(western)
    for row in western:
        first, last = row["first_name"].split()[0], row.get("last_name", "")
        if not last:
            continue
        if first in NICKNAMES and len(made["nickname"]) < 150:
            short = rng.choice(NICKNAMES[first])
            made["nickname"].append((f"{first} {last}", f"{short} {last}", "Person", True, last))
            if short in LOOKALIKES:
                other = rng.choice(LOOKALIKES[short])
                made["nickname_lookalike"].append(
                    (f"{short} {last}", f"{other} {last}", "Person", False, last)
                )
        surname = last.split()[-1]
        if len(surname) >= 8 and surname.isalpha() and len(made["typo_long_surname"]) < 150:
            made["typo_long_surname"].append(
                (f"{first} {last}", f"{first} {_typo(surname, rng)}", "Person", True, surname)
            )
        if len(surname) >= 8 and surname.isalpha() and len(made["split_joined"]) < 150:
            cut = rng.randrange(3, len(surname) - 3)
            split = f"{surname[:cut]} {_title(surname[cut:])}"
            made["split_joined"].append(
                (f"{first} {surname}", f"{first} {split}", "Person", True, surname + "s")
            )
    for name in persons:
        parts = _person_parts(name)
        if len(parts) == 3 and all(p.isalpha() for p in parts) and rng.random() < 0.05:
            # a given name and a surname written joined ("Abdulkarim" style)
            joined = f"{parts[0]} {parts[1]}{parts[2].lower()}"
            made["split_joined"].append((" ".join(parts), joined, "Person", True, name))

    # Chinese and Korean romanisations
    for name in persons:
        parts = [p.strip("-") for p in re.split(r"[\s-]+", _person_parts_text(name)) if p]
        lowered = [p.lower() for p in parts]
        if 2 <= len(parts) <= 4 and all(p in CHINESE_ROMANISATION for p in lowered):
            other = [_title(CHINESE_ROMANISATION[p]) for p in lowered]
            made["cjk_romanisation"].append(
                (" ".join(map(_title, parts)), " ".join(other), "Person", True, name)
            )
        korean = _korean_variant(parts, rng)
        if korean:
            made["cjk_romanisation"].append((name, korean, "Person", True, name))

    # Russian names in Latvian and Lithuanian forms
    for name in persons:
        parts = _person_parts(name)
        if len(parts) < 2:
            continue
        given, surname = _title(parts[0]), _title(parts[-1])
        if given in BALTIC_GIVEN and re.search(r"(ov|ev|in|sky|enko|uk)$", surname.lower()):
            forms = BALTIC_GIVEN[given]
            i = rng.randrange(len(forms))
            ending = "s" if i == 0 else "as"
            baltic_surname = surname + (ending if not surname.endswith("y") else "s")
            made["slavic_ending"].append(
                (f"{given} {surname}", f"{forms[i]} {baltic_surname}", "Person", True, name)
            )

    # long names reordered; long Arabic names with one middle element replaced
    for name in persons:
        parts = _person_parts(name)
        if len(parts) >= 3 and all(p.replace("-", "").isalpha() for p in parts):
            if rng.random() < 0.1:
                moved = parts[-1:] + parts[:-1]
                made["reordered"].append((" ".join(parts), " ".join(moved), "Person", True, name))
            if len(parts) >= 4:
                middle = range(1, len(parts) - 1)
                for i in middle:
                    word = _title(parts[i])
                    for a, b in ARABIC_MIDDLE_SWAPS:
                        if word in (a, b):
                            other = b if word == a else a
                            changed = [*parts[:i], other.upper() if parts[i].isupper() else other]
                            changed += parts[i + 1 :]
                            made["arabic_middle"].append(
                                (" ".join(parts), " ".join(changed), "Person", False, name)
                            )
                            break

    out: list[Pair] = []
    for category in sorted(made):
        rows = made[category]
        seen: set[tuple[str, str]] = set()
        unique = []
        for a, b, schema, match, source in rows:
            key = (a.lower(), b.lower())
            if key in seen or a.lower() == b.lower():
                continue
            seen.add(key)
            unique.append((a, b, schema, match, source))
        rng.shuffle(unique)
        for a, b, schema, match, source in unique[:120]:
            out.append(
                Pair(f"os{len(out) + 1:05d}", a, b, schema, match, category, _split_of(source))
            )
    return out


def _title_words(text: str) -> str:
    return " ".join(w if not w.isupper() or len(w) <= 3 else _title(w) for w in text.split())


def _person_parts_text(name: str) -> str:
    return " ".join(_person_parts(name))


def _korean_variant(parts: Sequence[str], rng: random.Random) -> str | None:
    """A Korean name in another romanisation, or None when it does not look Korean."""
    if not 2 <= len(parts) <= 3:
        return None
    changed = False
    out = []
    for part in parts:
        syllables = part.split("-")
        new = []
        for syllable in syllables:
            for group in KOREAN_SYLLABLES:
                if _title(syllable) in group:
                    choices = [s for s in group if s != _title(syllable)]
                    syllable = rng.choice(choices)
                    changed = True
                    break
            new.append(syllable)
        if len(new) == 2 and rng.random() < 0.5:
            out.append(f"{new[0]} {new[1].lower()}")  # Jong-rin -> Jong rin
            changed = True
        else:
            out.append("-".join(new))
    surname_first = _title(parts[0].split("-")[0]) in {s for g in KOREAN_SYLLABLES for s in g}
    if not changed or not surname_first:
        return None
    return " ".join(out)
