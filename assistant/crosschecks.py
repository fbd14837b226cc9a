"""Checks across documents, computed from the catalog when they are asked for.

A report is compared with the reports of the same canonical agency for the year before and the
year after (ingest.crosschecks.year_checks), so a check runs whichever of the two is ingested
first, shows on both, follows a staff merge of two agencies and goes when a report is removed.
Nothing is stored: the catalog's facts are the only input. A draft is compared the same way
without being added (its agency is resolved by the identity rule, not recorded).

For answers, `contradictions` says which failed check (narrative against tables, or across
years) concerns the cells behind a figure, with a citation of what it contradicts.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.types import Citation
from ingest.agencies import resolve
from ingest.claims import Cell
from ingest.crosschecks import NarrativeCheck, YearCheck, narrative_checks, year_checks
from ingest.report import format_number
from ingest.types import CheckResult, Document, Fact, ParsedDocument

if TYPE_CHECKING:
    from assistant.catalog import Catalog


@dataclass
class YearPair:
    """Two reports of one agency a year apart, and the checks between them."""

    earlier: Document
    later: Document
    checks: list[YearCheck]


@dataclass
class Contradiction:
    """A failed check that concerns a figure: one line, and a citation of what it contradicts."""

    summary: str
    other: Citation


def _label(doc: Document) -> str:
    return f"{doc.year}年报告（{doc.source}）"


def _reports_by_year(catalog: Catalog, agencies: set[str]) -> dict[tuple[str, int], Document]:
    """One report per (agency, year) of the given agencies (the first by file name)."""
    out: dict[tuple[str, int], Document] = {}
    for doc in sorted(catalog.documents(), key=lambda d: d.source):
        if doc.kind == "report" and doc.agency in agencies and doc.year is not None:
            out.setdefault((doc.agency, doc.year), doc)
    return out


def year_pairs(catalog: Catalog, doc: Document, facts: list[Fact] | None = None) -> list[YearPair]:
    """The checks between a stored report (its `facts`, when already read) and its agency's reports
    of the year before and after."""
    if doc.kind != "report" or not doc.agency or doc.year is None:
        return []
    held = _reports_by_year(catalog, {doc.agency})
    facts = catalog.facts(doc.doc_id) if facts is None else facts
    pairs: list[YearPair] = []
    before, after = held.get((doc.agency, doc.year - 1)), held.get((doc.agency, doc.year + 1))
    if before is not None and before.doc_id != doc.doc_id:
        pairs.append(_pair(before, catalog.facts(before.doc_id), doc, facts))
    if after is not None and after.doc_id != doc.doc_id:
        pairs.append(_pair(doc, facts, after, catalog.facts(after.doc_id)))
    return pairs


def _pair(earlier: Document, earlier_facts: list[Fact], later: Document, later_facts: list[Fact]) -> YearPair:
    return YearPair(earlier, later, year_checks(earlier_facts, later_facts, _label(earlier), _label(later)))


def year_warnings(catalog: Catalog, doc: Document) -> list[str]:
    """The failed checks between a report and its agency's neighbouring years, as messages."""
    return [c.message_zh for pair in year_pairs(catalog, doc) for c in pair.checks if not c.ok]


def all_year_warnings(catalog: Catalog) -> dict[str, list[str]]:
    """{doc_id: failed year checks} for every stored report, each pair compared once."""
    reports = [d for d in catalog.documents() if d.kind == "report" and d.agency and d.year is not None]
    held = _reports_by_year(catalog, {d.agency for d in reports})
    out: dict[str, list[str]] = {}
    facts: dict[str, list[Fact]] = {}

    def facts_of(d: Document) -> list[Fact]:
        if d.doc_id not in facts:
            facts[d.doc_id] = catalog.facts(d.doc_id)
        return facts[d.doc_id]

    for (agency, year), later in held.items():
        earlier = held.get((agency, year - 1))
        if earlier is None:
            continue
        failed = [
            c.message_zh for c in _pair(earlier, facts_of(earlier), later, facts_of(later)).checks if not c.ok
        ]
        for d in (earlier, later):
            out.setdefault(d.doc_id, []).extend(failed)
    # A second file of the same report (PDF beside text) shows what its twin shows.
    for d in reports:
        twin = held[(d.agency, d.year)]  # type: ignore[index]
        if twin.doc_id != d.doc_id:
            out[d.doc_id] = list(out.get(twin.doc_id, []))
    return out


def draft_year_checks(catalog: Catalog, parsed: ParsedDocument) -> list[CheckResult]:
    """A draft (not stored) against the stored reports of its agency for the year before and after."""
    doc = parsed.document
    if doc.kind != "report" or not doc.agency or doc.year is None:
        return []
    names = {doc.agency: doc.agency_names.get(doc.agency, "title"), **doc.agency_names}
    plan = resolve(names, catalog.agencies(), catalog.pinned_agencies())
    held = _reports_by_year(catalog, {plan.canonical, *plan.folded})
    label = f"{doc.year}年草稿（{doc.source}）"
    results: list[CheckResult] = []
    for agency in {plan.canonical, *plan.folded}:
        before, after = held.get((agency, doc.year - 1)), held.get((agency, doc.year + 1))
        if before is not None:
            checks = year_checks(catalog.facts(before.doc_id), parsed.facts, _label(before), label)
            results += [c.result() for c in checks]
        if after is not None:
            checks = year_checks(parsed.facts, catalog.facts(after.doc_id), label, _label(after))
            results += [c.result() for c in checks]
    return results


# --------------------------------------------------------------------------- answers


@dataclass
class _Failed:
    """A failed cross check of one report: the report's cells it concerns, and what it contradicts."""

    cells: frozenset[Cell]
    contradiction: Contradiction


_FAILED_CACHE: OrderedDict[tuple[int, int, str], list[_Failed]] = OrderedDict()
_FAILED_CACHE_SIZE = 256


def contradictions(catalog: Catalog, doc: Document, cells: set[Cell]) -> list[Contradiction]:
    """Failed checks of a stored report that concern the given cells (a figure's): its narrative
    stating another number, or the neighbouring year's report disagreeing."""
    if not cells:
        return []
    return [f.contradiction for f in _failed_cross_checks(catalog, doc) if f.cells & cells]


def _failed_cross_checks(catalog: Catalog, doc: Document) -> list[_Failed]:
    """Every failed narrative and year check of a report, remembered per catalog generation (an
    answer asks for them once per figure; any ingest, removal or merge makes them new)."""
    key = (id(catalog), catalog.generation(), doc.doc_id)
    if key in _FAILED_CACHE:
        _FAILED_CACHE.move_to_end(key)
        return _FAILED_CACHE[key]
    facts = catalog.facts(doc.doc_id)
    statements = [c for c in catalog.chunks([doc.doc_id]) if c.chunk_type == "statement"]
    out = [
        _Failed(frozenset(check.cells), _narrative_contradiction(doc, check))
        for check in narrative_checks(statements, facts, doc.year)
        if not check.ok
    ]
    for pair in year_pairs(catalog, doc, facts):
        later = pair.later.doc_id == doc.doc_id
        other = pair.earlier if later else pair.later
        for check in pair.checks:
            mine, theirs = (check.cells, check.earlier_cells) if later else (check.earlier_cells, check.cells)
            if not check.ok:
                found = Contradiction(check.message_zh, _row_citation(catalog, other, theirs))
                out.append(_Failed(frozenset(mine), found))
    _FAILED_CACHE[key] = out
    while len(_FAILED_CACHE) > _FAILED_CACHE_SIZE:
        _FAILED_CACHE.popitem(last=False)
    return out


def year_contradictions(catalog: Catalog, doc: Document) -> list[Contradiction]:
    """Every failed check between a stored report and its agency's neighbouring years, with a
    citation of the other report's rows."""
    out: list[Contradiction] = []
    for pair in year_pairs(catalog, doc):
        later = pair.later.doc_id == doc.doc_id
        other = pair.earlier if later else pair.later
        for check in pair.checks:
            if not check.ok:
                theirs = check.earlier_cells if later else check.cells
                out.append(Contradiction(check.message_zh, _row_citation(catalog, other, theirs)))
    return out


def narrative_quote(catalog: Catalog, doc: Document, message: str) -> str:
    """The sentence a stored 正文与表格 check quotes (its message holds it), as the report prints it."""
    for chunk in catalog.chunks([doc.doc_id]):
        if chunk.chunk_type == "statement" and f"“{chunk.text}”" in message:
            return chunk.text
    return message


def _narrative_contradiction(doc: Document, check: NarrativeCheck) -> Contradiction:
    claim = check.claim
    figures = "、".join(f"{r.label}{format_number(v)}{claim.unit}" for r, v, _ in check.compared)
    both = "均" if len(check.compared) > 1 else ""
    summary = f"{doc.year}年报告正文称“{claim.phrase}”（{claim.what}），与{figures}{both}不符"
    return Contradiction(
        summary, Citation(source=doc.source, title=doc.title, section=claim.section, quote=claim.sentence)
    )


def _row_citation(catalog: Catalog, doc: Document, cells: tuple[Cell, ...]) -> Citation:
    """The rows of another report that hold the given cells, quoted as published."""
    wanted = {(c.table, c.row_key) for c in cells}
    rows: dict[tuple[str, str], list[Fact]] = {}
    for fact in catalog.facts(doc.doc_id):
        if (fact.table, fact.row_key) in wanted:
            rows.setdefault((fact.table, fact.row_path), []).append(fact)
    quote = "；".join(
        f"{path}：" + "；".join(f"{f.column} {f.raw or '（空白）'}" for f in facts)
        for (_, path), facts in rows.items()
    )
    section = " / ".join(f"{table} {path}" for table, path in rows) or cells[0].table
    return Citation(source=doc.source, title=doc.title, section=section, quote=quote)


__all__ = [
    "Contradiction",
    "YearPair",
    "all_year_warnings",
    "contradictions",
    "draft_year_checks",
    "narrative_quote",
    "year_contradictions",
    "year_pairs",
    "year_warnings",
]
