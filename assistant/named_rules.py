"""Which of the held regulations a question names: 「江苏那个答复规范说…」, 「按2021年的年报格式通知…」,
「条例怎么规定的」, 「according to the Jiangsu reply norms…」.

Each regulation's marks come from its own title and opening passage, never from a list of known
documents: the places in its title (江苏省 → 江苏, jiangsu), the years of the dates in its title and
opening (a notice's signing date, a regulation's revision date) and the kind of instrument its title
ends in (条例, 格式, 规范, 通知 …). A question names the regulations that hold every mark of these
three kinds the question uses, when it uses at least one and they do not take in every regulation:
「2021年的年报格式」 names the notice that holds both 2021 and 格式; 「2019年版格式」, held by no single
notice, names nothing and the search stays over all the regulations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant import glossary
from assistant.query import roman_forms, roman_names
from assistant.romanize import romanized

if TYPE_CHECKING:
    from assistant.retrieval import Candidate
    from assistant.store import Store
    from ingest.types import Document

_PLACE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:省|自治区|市)")
_NOT_PLACES = {"城市", "省市", "县市"}
_DATE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年\s*\d{1,2}\s*月|〔((?:19|20)\d{2})〕|((?:19|20)\d{2})\s*年")
_QUESTION_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_INNER_NAME = re.compile(r"《([^》]{2,60})》")
_TITLE_TAIL = re.compile(r"(?:（[^）]*）|\([^)]*\)|的?函|》|\s)+$")
_LATIN = re.compile(r"[A-Za-z]{3}")


@dataclass(frozen=True)
class RuleMarks:
    """One held regulation's marks: where it applies, its years, and the kind of instrument it is."""

    source: str
    places: frozenset[str]
    years: frozenset[int]
    kinds: frozenset[str]


def _places(text: str) -> list[re.Match[str]]:
    return [
        m
        for m in _PLACE.finditer(text)
        if m.group(0) not in _NOT_PLACES and not m.group(1).startswith(("中华", "人民"))
    ]


def _title_places(title: str) -> list[re.Match[str]]:
    return [m for name in [title, *_INNER_NAME.findall(title)] for m in _places(name)]


def rule_marks(source: str, title: str, opening: str) -> RuleMarks:
    """The marks of one regulation, from its title and the text of its first passage."""
    names = [title, *_INNER_NAME.findall(title)]
    places: set[str] = set()
    for m in _title_places(title):
        places |= {m.group(1), m.group(0), *roman_names((m.group(1),))}
    years = {int(next(g for g in m.groups() if g)) for m in _DATE_YEAR.finditer(f"{title}\n{opening[:600]}")}
    kinds = set()
    for name in names:
        tail = _TITLE_TAIL.sub("", name.strip())
        if len(tail) >= 2:
            kinds.add(tail[-2:])
    return RuleMarks(source=source, places=frozenset(places), years=frozenset(years), kinds=frozenset(kinds))


def named_rules(question: str, rules: list[RuleMarks]) -> list[str]:
    """The sources of the regulations the question names (see the module text), or [] for none."""
    if len(rules) < 2:
        return []
    text = f"{question} {' '.join(glossary.chinese_terms(question))}" if _LATIN.search(question) else question
    words = set(_words(text))
    lowered = text.lower()
    every_place = set().union(*(r.places for r in rules))
    every_kind = set().union(*(r.kinds for r in rules))
    places = {p for p in every_place if (p in text if not p.isascii() else re.search(rf"\b{p}\b", lowered))}
    if any(m.group(0) not in every_place for m in _places(question)):
        return []  # 「福建省…办法」: a place no held regulation is for
    kinds = every_kind & words
    years = {int(y) for y in _QUESTION_YEAR.findall(text)}
    if not places and not kinds:  # a year alone is a report's year more often than a regulation's
        return []
    held = [
        r.source for r in rules if (not places or places & r.places) and kinds <= r.kinds and years <= r.years
    ]
    return held if 0 < len(held) < len(rules) else []


def _words(text: str) -> tuple[str, ...]:
    import jieba

    return tuple(jieba.lcut(text))


def regulation_marks(store: Store, regulations: list[Document]) -> list[RuleMarks]:
    """The marks of the store's regulations, each from its title and first passage (their places
    romanized in one child process, assistant.romanize)."""
    romanized(f for doc in regulations for m in _title_places(doc.title) for f in roman_forms((m.group(1),)))
    marks = []
    for doc in regulations:
        chunks = sorted(store.catalog.chunks([doc.doc_id]), key=lambda c: c.ordinal)
        marks.append(rule_marks(doc.source, doc.title, chunks[0].text if chunks else ""))
    return marks


def named_first(candidates: list[Candidate], named: list[str]) -> list[Candidate]:
    """The passages of the regulations the question names first, each group in its own order.

    Whether the rules answer at all is still decided on the search's best passage (its signals):
    naming 「江苏规范」 or 「2021年的格式」 chooses among passages, it is no evidence of its own."""
    if not named:
        return candidates
    return sorted(candidates, key=lambda c: c.chunk.source not in named)


def without_rule_years(question: str, years: list[int], rules: list[RuleMarks]) -> list[int]:
    """The question's years less those that mark a regulation it names: 「2021年版年报格式里…」
    names a notice, not the reports of 2021."""
    named = named_rules(question, rules)
    marks = {year for r in rules if r.source in named for year in r.years}
    return [y for y in years if y not in marks]


__all__ = ["RuleMarks", "named_first", "named_rules", "regulation_marks", "rule_marks", "without_rule_years"]
