"""Series and rankings over the facts table: the figures of one quantity for several years, agencies
or rows, as chart points; and ranking or comparison questions (「哪一年复议最多」, 「2022年各片区谁
收到的申请最多」, 「小岔乡和平潭的不予公开比一比」) answered with a sorted list from the facts.

Every value is a cell of the facts table (or the sum the facts layer states for a group row), and
every figure of a ranking is cited. Blank cells stay blank (None): never ranked as 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.facts import Figure, column_parts, figure, figure_quote, row_value
from assistant.lexicon import Quantity
from assistant.query import Slots, with_glossary
from assistant.text import is_english
from assistant.types import Answer, Citation, Evidence, SeriesPoint
from ingest.report import format_number
from ingest.template import RESULT_GROUPS, TABLE3_BY_KEY
from ingest.types import Document

if TYPE_CHECKING:
    from assistant.store import Store

_RANKING = re.compile(
    r"最多|最少|最高|最低|最大|最小|排名|排序|排行|从多到少|从少到多|从高到低|从低到高|比一比|比较|对比|相比|"
    r"谁多|谁少|哪个多|哪个少|多还是少|\bmost\b|\bleast\b|\bfewest\b|\brank|\bcompar"
)
_ASCENDING = re.compile(r"最少|最低|最小|从少到多|从低到高|谁少|哪个少|\bleast\b|\bfewest\b")
_BY_YEAR = re.compile(r"哪一?年|哪个年|哪些年|历年|每年|各年|which\s+year")
_GROUP = re.compile(r"^(?:各个?|每个|每一个|哪一?个|哪些|哪家)(.{1,6})$")
# 「办理结果是怎样的」, 「各类结果分别多少」: the result rows of table 3, not their total.
_BREAKDOWN = re.compile(r"分别|各类|各项|各种|分布|构成|明细|breakdown|outcomes")
_RESULTS = re.compile(r"办理结果|处理结果|结果")
_TOTAL = re.compile(r"总计|总数|一共|总共|合计|办结|办理完|处理完|多少|几")
RESULTS_TOTAL = "三.7"
# The result rows in plain words (what happened to the applications), after the report's word.
RESULT_WORDS = {
    "三.1": "全部公开",
    "三.2": "公开一部分",
    "三.3": "拒绝公开",
    "三.4": "信息无法提供",
    "三.5": "未作为信息公开申请处理",
    "三.6": "",
}
ALL_AGENCIES_NOTE = "资料库中名称含“{word}”的机构{have}，以下比较{when}已收录年度报告的全部机构。"


def asks_ranking(question: str) -> bool:
    """Whether a question asks which is most or least, or to compare figures (a sorted list answers)."""
    return bool(_RANKING.search(question.lower()))


def group_word(slots: Slots) -> str | None:
    """The kind of agency a question ranks over: 「各片区」 / 「哪个片区」 → 片区 (read as an unknown place)."""
    m = _GROUP.match(slots.unknown_place or "")
    return m.group(1) if m else None


def figure_series(figures: list[Figure], flagged: list[bool]) -> list[SeriesPoint] | None:
    """Chart points of a facts answer: one per figure when there are several (years or agencies);
    for one figure that adds up rows (不予公开's eight reasons, 行政诉讼's two parts), one per row
    when any of them is not 0. None when the answer states a single figure."""
    if len(figures) >= 2:
        return [_point(fig, fig.quantity.label, fig.value, flag) for fig, flag in zip(figures, flagged)]
    if len(figures) != 1 or len(figures[0].rows) < 2 or len(column_parts(figures[0].column)) > 1:
        return None
    fig = figures[0]
    values = [row_value(row, fig.column) for _, row in fig.rows]
    if not any(values):
        return None
    return [
        _point(fig, path.split(" / ")[-1], value, flagged[0]) for (path, _), value in zip(fig.rows, values)
    ]


def _point(fig: Figure, label: str, value: float | None, flagged: bool) -> SeriesPoint:
    doc = fig.document
    return SeriesPoint(
        agency=doc.agency or doc.title,
        year=doc.year or 0,
        label=label,
        value=value,
        source=doc.source,
        flagged=flagged,
    )


@dataclass
class Ranking:
    """What a ranking question compares: the reports (one per agency and year) and along which axis."""

    docs: list[Document]
    by: str  # "year" | "agency"
    note: str = ""


def ranking_scope(slots: Slots, question: str, reports: list[Document]) -> Ranking | None:
    """The reports a ranking compares, or None when the question names nothing to rank over.

    Over years when the question asks which year (or names one agency and no single year); over
    agencies when it names several, a kind of agency (「各片区」: those whose name holds 片区, else all),
    or none. Without a year, agencies are compared in the latest year that two of them report on."""
    word = group_word(slots)
    if slots.unknown_place and word is None and not slots.agencies:
        return None
    by_year = bool(_BY_YEAR.search(question.lower())) or (len(slots.agencies) == 1 and len(slots.years) != 1)
    pool = [d for d in reports if d.year and (not slots.years or d.year in slots.years)]
    note = ""
    if slots.agencies:
        pool = [d for d in pool if d.agency in slots.agencies]
    elif word:
        named = [d for d in pool if word in d.agency]
        if len({d.agency for d in named}) >= 2:
            pool = named
        else:
            have = "只有" + "、".join(sorted({d.agency for d in named})) if named else "没有"
            when = "、".join(f"{y}年" for y in slots.years)
            note = ALL_AGENCIES_NOTE.format(word=word, have=have, when=when)
    if by_year and not slots.agencies:
        counts: dict[str, int] = {}
        for d in pool:
            counts[d.agency] = counts.get(d.agency, 0) + 1
        pool = [d for d in pool if counts[d.agency] >= 2]  # agencies with several years to compare
    if not by_year and not slots.years:
        held = sorted({d.year for d in pool if d.year is not None}, reverse=True)
        shared = [y for y in held if _agencies_in(pool, y) >= 2]
        if shared:
            pool = [d for d in pool if d.year == shared[0]]
    docs = _one_per_agency_year(pool)
    if len(docs) < 2:
        return None
    return Ranking(docs, "year" if by_year else "agency", note)


def _agencies_in(docs: list[Document], year: int | None) -> int:
    return len({d.agency for d in docs if d.year == year})


def _one_per_agency_year(docs: list[Document]) -> list[Document]:
    seen: dict[tuple[str, int | None], Document] = {}
    for doc in docs:
        seen.setdefault((doc.agency, doc.year), doc)
    return sorted(seen.values(), key=lambda d: (d.agency, d.year or 0))


def ranking_answer(
    store: Store,
    reports: list[Document],
    slots: Slots,
    question: str,
    evidence: Evidence,
    notes: Callable[[list[Figure]], list[str]],
) -> Answer | None:
    """A ranking or comparison answered from the facts: the plain answer first (who or which year is
    most or least), then every figure sorted, each cited; blank cells listed last, unranked.
    `notes(figures)` gives the lines about failed checks that concern figures (one figure → its flag)."""
    quantity = slots.quantity
    scope = ranking_scope(slots, question, reports) if quantity is not None else None
    if quantity is None or scope is None:
        return None
    worded = with_glossary(question)
    figures = [
        fig
        for doc in scope.docs
        if (fig := figure(doc, store.catalog.facts(doc.doc_id), quantity, slots.column, worded)) is not None
    ]
    valued = [f for f in figures if f.value is not None]
    if len(valued) < 2:
        return None
    ascending = bool(_ASCENDING.search(question.lower()))
    ranked = sorted(valued, key=lambda f: (f.value if ascending else -(f.value or 0), _name(f, scope.by)))
    ordered = ranked + [f for f in figures if f.value is None]
    what = quantity.label if ranked[0].column == "总计" else f"{quantity.label}（{ranked[0].column}）"
    citations = [
        Citation(source=f.document.source, title=f.document.title, section=f.section, quote=figure_quote(f))
        for f in ordered
    ]
    lines = [_lead(ranked, scope, what, ascending)]
    if is_english(question):
        lines.insert(0, _english_lead(ranked, scope, ascending))
    if scope.note:
        lines.append(scope.note)
    order = "从少到多" if ascending else "从多到少"
    lines.append(f"{what}{order}：")
    for i, fig in enumerate(ordered, start=1):
        rank = f"{i}." if fig.value is not None else "—"
        lines.append(f"{rank} {_name(fig, 'both')} {fig.text}[{i}]")  # the table path is in the card
    lines.extend(notes(figures))
    evidence.path = "facts"
    evidence.figures = ordered
    evidence.citations = citations
    by_axis = sorted(ordered, key=lambda f: f.document.year or 0) if scope.by == "year" else ordered
    series = figure_series(by_axis, [bool(notes([f])) for f in by_axis])
    return Answer(status="answered", answer="\n".join(lines), citations=citations, series=series)


def _name(fig: Figure, by: str) -> str:
    doc = fig.document
    who = doc.agency or doc.title
    if by == "year":
        return f"{doc.year}年"
    return who if by == "agency" else f"{who}{doc.year}年"


def _lead(ranked: list[Figure], scope: Ranking, what: str, ascending: bool) -> str:
    """The plain answer: who (or which year) has the most (least), with ties named together."""
    top = [f for f in ranked if f.value == ranked[0].value]
    word = "最少" if ascending else "最多"
    names = "和".join(_name(f, scope.by) for f in top)
    value = ranked[0].text
    if scope.by == "year":
        who = ranked[0].document.agency or ranked[0].document.title
        each = "均为" if len(top) > 1 else ""
        return f"{who}{what}{names}{word}（{each}{value}）。"
    years = sorted({f.document.year for f in ranked if f.document.year is not None})
    when = "、".join(f"{y}年" for y in years) if len(years) == 1 else ""
    if len(ranked) == 2 and len(top) == 1:
        first, second = ranked
        more = "少于" if ascending else "多于"
        return f"{when}{what}：{_name(first, 'agency')}（{first.text}）{more}{_name(second, 'agency')}（{second.text}）。"
    if len(top) == len(ranked):
        return f"{when}{what}：各机构相同，均为{value}。"
    each = "均为" if len(top) > 1 else ""
    return f"{when}{what}{word}的是{names}（{each}{value}）。"


def _english_lead(ranked: list[Figure], scope: Ranking, ascending: bool) -> str:
    top = ranked[0]
    word = "fewest" if ascending else "most"
    name = f"{top.document.year}" if scope.by == "year" else top.document.agency or top.document.title
    listed = "; ".join(f"{_name(f, 'both')}: {format_number(f.value or 0)}{f.unit}" for f in ranked)
    return f"The {word}: {name} ({top.text}). {listed}."


def asks_breakdown(question: str) -> bool:
    """Whether a question about the results of table 3 asks how they divide (「办理结果是怎样的」,
    「各类办理结果分别有多少」) rather than their total (「办结了多少」, 「办理结果总计」)."""
    text = question.lower()
    return bool(_BREAKDOWN.search(text)) or (bool(_RESULTS.search(text)) and not _TOTAL.search(text))


def breakdown_answer(
    store: Store,
    reports: list[Document],
    slots: Slots,
    evidence: Evidence,
    notes: Callable[[list[Figure]], list[str]],
) -> Answer | None:
    """The result rows of table 3 (予以公开, 部分公开, 不予公开, 无法提供, 不予处理, 其他处理) of one
    report, each cited, after the total in plain words; a bar chart over the rows. None unless the
    question names exactly one report (one agency and one year) that has them."""
    docs = _one_per_agency_year([d for d in reports if d.agency in slots.agencies and d.year in slots.years])
    if len(docs) != 1:
        return None
    doc = docs[0]
    facts = store.catalog.facts(doc.doc_id)
    rows = [
        fig
        for key in RESULT_GROUPS
        if (fig := figure(doc, facts, _result_quantity(key), slots.column, "")) is not None
    ]
    if len(rows) < 2:
        return None
    total = figure(doc, facts, Quantity("表三", RESULTS_TOTAL, "本年度办理结果总计"), slots.column, "")
    from assistant.plainwords import plain_sentence

    figures = ([total] if total is not None else []) + rows
    citations = [
        Citation(source=f.document.source, title=f.document.title, section=f.section, quote=figure_quote(f))
        for f in figures
    ]
    lines = []
    if total is not None:
        lines.append(f"{plain_sentence(total)}[1]，办理结果如下：")
    else:
        lines.append(f"{doc.year}年{doc.agency or doc.title}的政府信息公开申请办理结果如下：")
    offset = len(figures) - len(rows)
    items = []
    for i, fig in enumerate(rows, start=offset + 1):
        plain = RESULT_WORDS.get(fig.quantity.row, "")
        items.append(f"{fig.quantity.label}{f'（{plain}）' if plain else ''}{fig.text}[{i}]")
    lines.append("；\n".join(items) + "。")
    flags = notes(figures)
    lines.extend(flags)
    evidence.path = "facts"
    evidence.figures = figures
    evidence.citations = citations
    series = figure_series(rows, [bool(flags)] * len(rows))
    return Answer(status="answered", answer="\n".join(lines), citations=citations, series=series)


def _result_quantity(key: str) -> Quantity:
    """A result row of table 3 as a quantity, named by its short label (「（二）部分公开（区分处理的…）」
    → 部分公开)."""
    label = TABLE3_BY_KEY[key].label
    return Quantity("表三", key, re.sub(r"^（[一二三四五六七八九十]+）|（.*）$", "", label) or label)
