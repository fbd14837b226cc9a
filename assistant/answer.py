"""Question → Answer: facts for table quantities, else hybrid retrieval and an extractive answer.

With an LLM configured, the model writes the answer from the same numbered sources, and
assistant.llm checks what it wrote; the offline answer is always computed first, as the fallback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant import glossary
from assistant.answerability import Thresholds, load_thresholds
from assistant.facts import Figure, column_parts, figure, figure_quote
from assistant.lexicon import Quantity, find_column, find_quantity
from assistant.named_rules import RuleMarks, named_first, named_rules, regulation_marks, without_rule_years
from assistant.plainwords import plain_english, plain_sentence
from assistant.query import (
    AgencyNames,
    Slots,
    asks_for_count,
    asks_for_name,
    match_agencies,
    standalone_question,
    unheld_instrument,
    with_glossary,
    with_history,
)
from assistant.retrieval import (
    Candidate,
    SearchFilter,
    asked_counter,
    asked_measure,
    best_passage,
    defined_term,
    distinct_numbers,
    question_terms,
    rarest_term,
    relevance,
    rerank_score,
    states_count,
    states_measure,
    word_share,
)
from assistant.retrieval import (
    found as found_in,
)
from assistant.series import (
    RESULTS_TOTAL,
    asks_breakdown,
    asks_ranking,
    breakdown_answer,
    figure_series,
    ranking_answer,
)
from assistant.text import everyday_word, is_english, simplified, without_instructions
from assistant.types import Answer, Citation, Evidence, SearchScope, Signals
from assistant.typos import corrected
from ingest.claims import Cell
from ingest.classify import agency_aliases
from ingest.report import format_number
from ingest.template import table3_path
from ingest.types import Chunk, Document
from prompts import REFUSAL

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.store import Store
    from assistant.wordings import Wording

log = logging.getLogger(__name__)

MAX_ANSWER_NUMBERS = 8
NARRATIVE_LOOK = 5  # passages searched for a count the narrative states (_counted_in_narrative)
# The wording signal adds the share of the question's words its closest wording holds: the
# embedder alone rates 「哪些信息应当公开」 and 「哪些信息不予公开」 as alike.
WORDING_MATCH_WEIGHT = 0.1


@dataclass
class Context:
    """What answering uses: the store, the language model (None = offline), how many passages to
    keep as sources, and the calibrated answerability thresholds."""

    store: Store
    llm: BaseChatModel | None = None
    top_k: int = 5
    thresholds: Thresholds = field(default_factory=load_thresholds)
    explore: bool = False  # calibration: answer from every search and record each as a trial
    held: _Held | None = field(default=None, init=False, repr=False, compare=False)  # see _held


@dataclass(frozen=True)
class _Held:
    """What every question reads of the catalog, at one catalog generation: the documents (by
    source), the reports and their (agency, year) pairs, the agency table and its names prepared for
    matching, the latest year, the marks of the regulations."""

    generation: int
    documents: list[Document]
    reports: list[Document]
    reported: frozenset[tuple[str | None, int | None]]
    agencies: dict[str, list[str]]
    names: AgencyNames
    latest: int | None
    rules: list[RuleMarks]  # the held regulations' marks (assistant.named_rules)


def _held(ctx: Context) -> _Held:
    """The catalog as questions read it, derived again only when the catalog's generation changed
    (an ingest, removal or merge here or in another process sharing the database), the signal the
    store's BM25 index follows. Read at every question, it took 30–40 ms at N = 10 000."""
    store = ctx.store
    generation = store.catalog.generation()
    held = ctx.held
    if held is None or held.generation != generation:
        documents = store.documents()  # read after the generation, so never older than it
        reports = [d for d in documents if d.kind == "report"]
        agencies = _agency_table(store, reports)
        latest = max((d.year for d in reports if d.year), default=None)
        reported = frozenset((d.agency, d.year) for d in reports)
        names = AgencyNames(agencies)
        rules = regulation_marks(store, [d for d in documents if d.kind != "report"])
        held = ctx.held = _Held(generation, documents, reports, reported, agencies, names, latest, rules)
    return held


# --------------------------------------------------------------------------- entry points


def _model_may_answer(ctx: Context, offline: Answer, evidence: Evidence) -> bool:
    """The model writes the answer when the offline path answered from passages or figures, and also
    when it found passages too weak to answer alone (the model sees them and may answer or refuse).
    A missing report, an unknown agency and the consistency checks stay offline."""
    if ctx.llm is None or evidence.path == "check":
        return False
    return offline.status == "answered" or (evidence.refused_by_gate and bool(evidence.citations))


def answer_question(
    ctx: Context,
    question: str,
    history: list[dict],
    agency: str | None = None,
    year: int | None = None,
    on_evidence: Callable[[Evidence], None] | None = None,
) -> Answer:
    """The answer to a question; `on_evidence` is called with the evidence it stands on, its path
    "llm" when the model wrote the answer (the question log records it)."""
    offline, evidence = offline_answer(ctx, question, history, agency, year)
    final = offline
    if ctx.llm is not None and _model_may_answer(ctx, offline, evidence):
        from assistant.llm import llm_answer

        final = llm_answer(ctx.llm, evidence, offline, history)
    _report_path(evidence, offline, final, on_evidence)
    return final


def stream_answer(
    ctx: Context,
    question: str,
    history: list[dict],
    agency: str | None = None,
    year: int | None = None,
    on_evidence: Callable[[Evidence], None] | None = None,
) -> Iterator[str | Answer]:
    """Text pieces as they are written, then the final Answer; `on_evidence` as in answer_question,
    called before the final Answer is yielded."""
    offline, evidence = offline_answer(ctx, question, history, agency, year)
    if ctx.llm is None or not _model_may_answer(ctx, offline, evidence):
        yield offline.answer
        _report_path(evidence, offline, offline, on_evidence)
        yield offline
        return
    from assistant.llm import llm_stream

    for piece in llm_stream(ctx.llm, evidence, offline, history):
        if isinstance(piece, Answer):
            _report_path(evidence, offline, piece, on_evidence)
        yield piece


def _report_path(
    evidence: Evidence, offline: Answer, final: Answer, on_evidence: Callable[[Evidence], None] | None
) -> None:
    """Mark the evidence's path "llm" when the model's checked answer replaced the offline one
    (not when it fell back to it, with or without the unavailable note), and pass it on."""
    if on_evidence is None:
        return
    if final is not offline:  # only then did the model run (and assistant.llm load)
        from assistant.llm import UNAVAILABLE_NOTE

        if not final.answer.startswith(UNAVAILABLE_NOTE):
            evidence.path = "llm"
    on_evidence(evidence)


def offline_answer(
    ctx: Context,
    question: str,
    history: list[dict],
    agency: str | None = None,
    year: int | None = None,
) -> tuple[Answer, Evidence]:
    """The answer without any language model, and the evidence it stands on."""
    asked = (question or "").strip()
    question = corrected(simplified(asked))  # 繁体 to 简体, then homophone typos (「行政复意」)
    history = [{**turn, "content": simplified(str(turn.get("content") or ""))} for turn in history]
    store = ctx.store
    held = _held(ctx)
    documents, reports, latest = held.documents, held.reports, held.latest
    slots = with_history(question, history, held.names, latest)
    if not slots.agencies and slots.years:  # 「2021年版年报格式」 names a regulation, not a report year
        slots.years = without_rule_years(question, slots.years, held.rules)
    if slots.quantity is None and (slots.agencies or slots.years) and asks_for_count(question):
        _quantity_by_meaning(store, question, slots)
    if agency and not slots.agencies:
        scoped, _ = match_agencies(agency, held.names)
        slots.agencies = scoped
        if not scoped:
            slots.unknown_place = agency
    if year and not slots.years:
        slots.years = [int(year)]
    evidence = Evidence(question=standalone_question(slots, question), slots=slots, asked=asked)
    if not question:
        return Answer(status="not_found", answer="请输入问题。Please type a question."), evidence

    if slots.wants_check and (slots.agencies or slots.years):
        return _check_answer(store, reports, slots, evidence), evidence

    if slots.quantity and asks_ranking(question):  # 「哪一年复议最多」, 「各片区谁最多」, 「A和B比一比」
        ranked = ranking_answer(store, reports, slots, question, evidence, lambda figs: _flagged(store, figs))
        if ranked is not None:
            return ranked, evidence

    # 「办理结果是怎样的」: the result rows of one report, not their total
    if slots.quantity and slots.quantity.row == RESULTS_TOTAL and asks_breakdown(question):
        broken = breakdown_answer(store, reports, slots, evidence, lambda figs: _flagged(store, figs))
        if broken is not None:
            return broken, evidence

    if slots.unknown_place and not slots.agencies and (slots.quantity or slots.years):
        evidence.path = "not_found"
        return _not_found(f"资料库中没有“{slots.unknown_place}”的政府信息公开工作年度报告。"), evidence

    counting = "quantity" in slots.carried or slots.aggregate is not None or asks_for_count(question)
    if slots.quantity and (slots.agencies or slots.years) and counting:
        if _counted_in_narrative(ctx, question, slots, held):
            trial = replace(evidence, citations=[], trials=[])
            narrated = _retrieval_answer(ctx, slots, trial, held)
            if narrated.status == "answered":
                return narrated, trial
        answer = _facts_answer(store, reports, slots, question, evidence)
        if answer is not None:
            return answer, evidence

    if slots.agencies and slots.years:
        missing = [y for y in slots.years if not any((a, y) in held.reported for a in slots.agencies)]
        if len(missing) == len(slots.years):
            evidence.path = "not_found"
            return _not_found(_missing_years_text(slots.agencies, missing, reports)), evidence

    if not slots.agencies:  # 「信访条例规定…」: a law or regulation the library does not hold
        unheld = unheld_instrument(question, [d.title for d in documents if d.kind != "report"])
        if unheld:
            evidence.path = "not_found"
            return _not_found(f"资料库中没有《{unheld}》，只收录了{_held_rules(documents)}。"), evidence

    return _retrieval_answer(ctx, slots, evidence, held), evidence


def _held_rules(documents: list[Document]) -> str:
    """The held regulations and notices, named shortly: 「《中华人民共和国政府信息公开条例》等4件规定」."""
    rules = sorted(d.title for d in documents if d.kind != "report")
    if not rules:
        return "政府信息公开工作年度报告"
    first = next((t for t in rules if t.endswith("条例")), rules[0])
    return f"《{first}》" + (f"等{len(rules)}件规定" if len(rules) > 1 else "")


def _quantity_by_meaning(store: Store, question: str, slots: Slots) -> None:
    """A table quantity (and column) the lexicon did not find, matched to the format's labels and
    glosses by embedding (assistant.quantities)."""
    index = store.quantity_index()
    vector = store.query_vector(question)
    quantity = index.match(vector, question)
    if quantity is None:
        return
    slots.quantity = quantity
    if quantity.table == "表三" and slots.column is None:
        slots.column = find_column(question, "表三") or index.match_column(vector, question)


def _agency_table(store: Store, reports: list[Document]) -> dict[str, list[str]]:
    """Every agency with a report, and the names a question may use for it (catalog aliases and
    the forms derived from each name)."""
    table = store.agency_aliases()
    return {
        agency: table.get(agency) or agency_aliases(agency)
        for agency in sorted({d.agency for d in reports if d.agency})
    }


# --------------------------------------------------------------------------- facts


def _counted_in_narrative(ctx: Context, question: str, slots: Slots, held: _Held) -> bool:
    """「2020年《问政平潭之有事你说》收到群众诉求多少件」 reads as 表三's 收到申请, but its rarest word
    (诉求) is no word of the report's tables, and a passage of the report holds it and states a
    count of what was asked: that count is the narrative's, not the table's."""
    counter = asked_counter(question)
    if counter is None or slots.quantity is None:
        return False
    terms = question_terms(question, _agency_names(slots, held.agencies))
    rare = _rarest(ctx.store, terms, ctx.store.term_weights(terms))
    if rare is None or find_quantity(rare) or find_column(rare, slots.quantity.table):
        return False
    docs = [
        d for d in held.reports if d.agency in slots.agencies and (not slots.years or d.year in slots.years)
    ]
    labels = " ".join(f"{f.row_path} {f.column}" for doc in docs for f in ctx.store.catalog.facts(doc.doc_id))
    if not docs or found_in(rare, f"{slots.quantity.label} {labels}"):
        return False
    flt = SearchFilter(agencies=slots.agencies, years=slots.years)
    passages = ctx.store.retrieve(question, flt, NARRATIVE_LOOK).chunks
    return any(
        c.chunk_type != "table_row" and found_in(rare, c.text) == 1.0 and states_count(c.text, counter)
        for c in passages
    )


def _facts_answer(
    store: Store, reports: list[Document], slots: Slots, question: str, evidence: Evidence
) -> Answer | None:
    quantity = slots.quantity
    assert quantity is not None
    years = list(slots.years)
    if slots.aggregate == "diff" and len(years) == 1:
        years = [years[0] - 1, years[0]]  # "比上一年多多少" needs the year before too
    docs = [
        d
        for d in reports
        if (not slots.agencies or d.agency in slots.agencies) and (not years or d.year in years)
    ]
    docs = _latest_per_agency_year(docs)
    if not docs:
        evidence.path = "not_found"
        if slots.agencies:
            return _not_found(_missing_years_text(slots.agencies, slots.years, reports))
        return _not_found(f"资料库中没有{'、'.join(f'{y}年' for y in slots.years)}的年度报告。")
    figures: list[Figure] = []
    for doc in docs:
        fig = figure(doc, store.catalog.facts(doc.doc_id), quantity, slots.column, with_glossary(question))
        if fig is not None:
            figures.append(fig)
    if not figures:
        return None
    evidence.path = "facts"
    evidence.figures = figures
    citations: list[Citation] = []
    lines: list[str] = []
    for fig in figures:
        citations.append(
            Citation(
                source=fig.document.source,
                title=fig.document.title,
                section=fig.section,
                quote=figure_quote(fig),
            )
        )
        lines.append(f"{plain_sentence(fig)}[{len(citations)}]")  # the table path is in the card
    text = "；\n".join(lines) + "。"
    if is_english(question):
        text = "; ".join(plain_english(fig) for fig in figures) + f".\n{text}"
    if slots.years:
        have_years = {f.document.year for f in figures}
        missing = [y for y in slots.years if y not in have_years]
        if missing:
            text += f"\n资料库中没有{'、'.join(f'{y}年' for y in missing)}的相应年度报告，无法回答这些年份。"
    text += _aggregate_text(figures, slots)
    text += "".join(f"\n{note}" for note in _flagged(store, figures, citations))
    if quantity.neighbour and len(figures) <= 3:
        text += _neighbour_text(store, figures, quantity.neighbour, slots.column or "总计", citations)
    evidence.citations = citations
    series = figure_series(figures, [bool(_flagged(store, [fig])) for fig in figures])
    return Answer(status="answered", answer=text, citations=citations, series=series)


def _flagged(store: Store, figures: list[Figure], citations: list[Citation] | None = None) -> list[str]:
    """One line per figure that a failed check concerns: the figure stays as published, and the
    answer says which of the report's own rules it breaks (no computed numbers), or what it
    contradicts — the report's narrative, or the agency's report of the year before or after —
    with that source added to `citations` (figure i is citation i+1)."""
    from assistant.crosschecks import contradictions

    notes: list[str] = []
    for i, fig in enumerate(figures, start=1):
        for check in store.catalog.checks(fig.document.doc_id):
            if check.ok or not _concerns(check.rule, check.row, fig):
                continue
            what = check.message_zh.split("：")[0]
            notes.append(
                f"注意：{_who(fig.document)}{fig.document.year}年报告{what}的数字彼此不符"
                f"（报告自身的勾稽关系不成立），以上按报告原文提供。"
            )
        for found in contradictions(store.catalog, fig.document, _figure_cells(fig)):
            if citations is None:  # no citation list to add to: the line without its marks
                notes.append(f"注意：{found.summary}；以上按报告原文提供。")
                continue
            if found.other not in citations:
                citations.append(found.other)
            k = citations.index(found.other) + 1
            notes.append(f"注意：{found.summary}[{i}][{k}]；以上按报告原文提供。")
    return list(dict.fromkeys(notes))


def _figure_cells(fig: Figure) -> set[Cell]:
    """The table cells a figure was read from (the columns it adds up, in every row it sums)."""
    columns = set(column_parts(fig.column))
    return {Cell(f.table, f.row_key, f.column) for _, row in fig.rows for f in row if f.column in columns}


def _concerns(rule: str, row: str, fig: Figure) -> bool:
    """Whether a check's rule and row concern the figure (表四 totals of its row; 表三 （七）总计 in
    its column)."""
    if rule == "表四总计":
        return fig.quantity.table == "表四" and row.split(" / ")[0] in fig.section
    if rule == "办理结果合计":
        return fig.quantity.row == "三.7" and row.endswith(f"{fig.column}列")
    return False


def _latest_per_agency_year(docs: list[Document]) -> list[Document]:
    seen: dict[tuple[str, int | None], Document] = {}
    for doc in docs:
        seen.setdefault((doc.agency, doc.year), doc)
    return sorted(seen.values(), key=lambda d: (d.agency, d.year or 0))


def _who(doc: Document) -> str:
    return doc.agency or doc.title


def _aggregate_text(figures: list[Figure], slots: Slots) -> str:
    valued = [f for f in figures if f.value is not None]
    if len(valued) < 2:
        return ""
    by_agency: dict[str, list[Figure]] = {}
    for fig in valued:
        by_agency.setdefault(fig.document.agency, []).append(fig)
    parts: list[str] = []
    for agency, figs in by_agency.items():
        figs.sort(key=lambda f: f.document.year or 0)
        if len(figs) < 2:
            continue
        if slots.aggregate in ("max", "min"):
            pick = max if slots.aggregate == "max" else min
            best = pick(figs, key=lambda f: f.value)  # type: ignore[arg-type,return-value]
            word = "最多" if slots.aggregate == "max" else "最少"
            parts.append(f"{agency}{best.document.year}年{word}（{best.text}）")
        elif slots.aggregate == "diff":
            for prev, cur in zip(figs, figs[1:]):
                if (cur.document.year or 0) - (prev.document.year or 0) != 1:
                    continue
                delta = (cur.value or 0) - (prev.value or 0)
                change = "增加" if delta > 0 else "减少" if delta < 0 else "持平"
                amount = f"{format_number(abs(delta))}{cur.unit}" if delta else ""
                parts.append(f"{agency}{cur.document.year}年比{prev.document.year}年{change}{amount}")
    return ("\n" + "；".join(parts) + "。") if parts else ""


def _neighbour_text(
    store: Store, figures: list[Figure], neighbour: str, column: str, citations: list[Citation]
) -> str:
    q = Quantity("表三", neighbour, table3_path(neighbour).split(" / ")[-1])
    bits = []
    for fig in figures:
        other = figure(fig.document, store.catalog.facts(fig.document.doc_id), q, column, "")
        if other is None or other.value is None:
            continue
        citations.append(
            Citation(
                source=fig.document.source,
                title=fig.document.title,
                section=other.section,
                quote=figure_quote(other),
            )
        )
        when = f"{fig.document.year}年" if len(figures) > 1 else ""
        bits.append(f"{when}{other.text}[{len(citations)}]")
    if not bits:
        return ""
    label = table3_path(neighbour).split(" / ")[-1]
    return f"\n另：若把“{label[3:]}”也算作拒绝，{label[3:]}的申请为" + "、".join(bits) + "。"


def _missing_years_text(agencies: list[str], years: list[int], reports: list[Document]) -> str:
    have = sorted({d.year for d in reports if d.agency in agencies and d.year})
    who = "、".join(agencies)
    asked = "、".join(f"{y}年" for y in years) if years else ""
    have_text = "、".join(str(y) for y in have) if have else "无"
    return f"资料库中没有{who}{asked}的政府信息公开工作年度报告（已收录年份：{have_text}），无法回答。"


# --------------------------------------------------------------------------- consistency checks


def _check_answer(store: Store, reports: list[Document], slots: Slots, evidence: Evidence) -> Answer:
    docs = _latest_per_agency_year(
        [
            d
            for d in reports
            if (not slots.agencies or d.agency in slots.agencies)
            and (not slots.years or d.year in slots.years)
        ]
    )
    evidence.path = "check"
    if not docs:
        return _not_found(_missing_years_text(slots.agencies, slots.years, reports))
    lines: list[str] = []
    citations: list[Citation] = []
    from assistant.crosschecks import narrative_quote, year_contradictions
    from ingest.crosschecks import NARRATIVE_RULE

    for doc in docs:
        checks = store.catalog.checks(doc.doc_id)
        failed = [c for c in checks if not c.ok]
        problems = store.catalog.problems(doc.doc_id)
        across_years = year_contradictions(store.catalog, doc)
        if not failed and not problems and not across_years:
            lines.append(
                f"{_who(doc)}{doc.year}年报告：表三、表四的勾稽关系和总计核对无误（共核对{len(checks)}项）。"
            )
            continue
        for check in failed:
            facts = store.catalog.facts(doc.doc_id, "表三" if check.rule != "表四总计" else "表四")
            quote = _check_quote(check.rule, facts)
            if check.rule == NARRATIVE_RULE:
                quote = narrative_quote(store.catalog, doc, check.message_zh)
            citations.append(
                Citation(source=doc.source, title=doc.title, section=f"核对：{check.row}", quote=quote)
            )
            lines.append(f"{_who(doc)}{doc.year}年报告：{check.message_zh}[{len(citations)}]")
        for problem in problems:
            lines.append(f"{_who(doc)}{doc.year}年报告：{problem}")
        for found in across_years:  # against the agency's report of the year before or after
            citations.append(found.other)
            lines.append(f"{_who(doc)}{doc.year}年报告：{found.summary}[{len(citations)}]")
    if citations:
        lines.append("以上数据按报告原文提供，未作更正。")
    else:
        for doc in docs:
            citations.append(
                Citation(source=doc.source, title=doc.title, section="表三", quote="勾稽关系核对无误")
            )
    return Answer(status="answered", answer="\n".join(lines), citations=citations)


def _check_quote(rule: str, facts: list) -> str:
    wanted = {"收支平衡": ("一", "二", "三.7", "四"), "办理结果合计": ("三.7",)}.get(rule)
    rows: dict[str, list] = {}
    for f in facts:
        if wanted is None or f.row_key in wanted or (rule == "办理结果合计" and f.row_key.startswith("三.")):
            rows.setdefault(f.row_path, []).append(f)
    parts = [f"{path}：总计 {next((x.raw for x in r if x.column == '总计'), '')}" for path, r in rows.items()]
    return "；".join(parts)[:600]


# --------------------------------------------------------------------------- retrieval


_ABOUT_REPORTS = re.compile(r"年报|年度报告|工作报告|报告里|报告中|annual\s+report", re.I)


def _search_filters(slots: Slots, question: str) -> list[SearchFilter]:
    """Where to look: the named agencies (and years); else the rules, and then everything only when
    the question names a year or the reports (a report's narrative does not answer 「怎么申请低保」)."""
    years = slots.years if slots.agencies else []
    if slots.agencies or years:
        return [SearchFilter(agencies=slots.agencies, years=years)]
    filters = [SearchFilter(kinds=["regulation"])]
    if slots.years or _ABOUT_REPORTS.search(question):
        filters.append(SearchFilter())
    return filters


def _ranked(
    store: Store,
    question: str,
    flt: SearchFilter,
    k: int,
    terms: list[str],
    weights: dict[str, float],
    extra: tuple[str, ...],
    local: frozenset[str] = frozenset(),
) -> tuple[list[Candidate], Signals]:
    """The passages of one search in re-ranked order, and the signals of the best one. `local`: the
    regulations of a province the question does not name (see rerank_score)."""

    def bonus(text: str) -> float:
        return 0.1 * word_share(terms, text, weights)

    found = store.retrieve(question, flt, max(20, 4 * k), extra, bonus)
    floor = min(found.dense.values(), default=0.0)
    candidates = [
        Candidate(
            chunk=chunk,
            rank=rank,
            coverage=relevance(terms, chunk, weights),
            dense=found.dense.get(chunk.chunk_id, floor),
            wording=found.wording[chunk.chunk_id][0] if chunk.chunk_id in found.wording else 0.0,
            wording_match=_wording_match(terms, weights, found.wording.get(chunk.chunk_id)),
            heading=_heading_share(terms, chunk, weights),
        )
        for rank, chunk in enumerate(found.chunks)
    ]
    defined, counter, measure = defined_term(question), asked_counter(question), asked_measure(question)
    for cand in candidates:
        cand.score = rerank_score(
            cand,
            found.dense_mean,
            defined,
            counter,
            is_english(question),
            measure,
            cand.chunk.source in local,
        )
    candidates.sort(key=lambda c: -c.score)
    scope: SearchScope = "agency" if flt.agencies else "rules" if flt.kinds == ["regulation"] else "all"
    if not candidates:
        return [], Signals(english=is_english(question), scope=scope)
    top = candidates[0]
    hit = found.wording.get(top.chunk.chunk_id)
    rarest = _rarest(store, terms, weights)
    held = f"{top.chunk.section} {top.chunk.text} {hit[1].question if hit else ''}"
    signals = Signals(
        coverage=top.coverage,
        dense=top.dense,
        dense_gap=top.dense - found.dense_mean,
        wording=top.wording + WORDING_MATCH_WEIGHT * top.wording_match if top.wording else 0.0,
        rare=found_in(rarest, held) if rarest else 1.0,
        counted=states_count(top.chunk.text, counter)
        or (measure == "contact" and states_measure(top.chunk.text, measure)),
        unstated=not states_measure(top.chunk.text, measure),
        who=asks_for_name(question),
        scope=scope,
        english=is_english(question),
    )
    return candidates, signals


def _rarest(store: Store, terms: list[str], weights: dict[str, float]) -> str | None:
    """The question's rarest word that a passage could hold. A word no passage uses is the rarest
    by its weight, and it is the topic when it is rare in Chinese too (「驾照」, 「低保」: nothing here
    answers it); when it is everyday Chinese (「那个」, 「告诉」, 「打算」) it only says how the
    question is put, so the next rarest word stands for the question."""
    return rarest_term(terms, weights, skip={t for t in store.unused_words(terms) if everyday_word(t)})


def _heading_share(terms: list[str], chunk: Chunk, weights: dict[str, float]) -> float:
    """The share of the question's words that a report passage's own heading holds: the national
    format's headings name what a section is about (「五、存在的主要问题及改进情况」), where a long
    opening passage holds every word by its length alone. An article's heading is only its number."""
    if chunk.kind != "report":
        return 0.0
    return word_share(terms, chunk.section.rsplit(" / ", 1)[-1], weights)


def _wording_match(terms: list[str], weights: dict[str, float], hit: tuple[float, Wording] | None) -> float:
    """IDF-weighted share of the question's words that the closest wording holds: tells apart
    wordings the embedder finds alike (「哪些信息应当公开」 / 「哪些信息不予公开」)."""
    return word_share(terms, hit[1].question, weights) if hit is not None else 0.0


def _citation(chunk: Chunk) -> Citation:
    return Citation(source=chunk.source, title=chunk.title, section=chunk.section, quote=chunk.text)


def _agency_names(slots: Slots, aliases: dict[str, list[str]]) -> list[str]:
    """Every name of the agencies the question names (`aliases`: each agency's names)."""
    return [alias for agency in slots.agencies for alias in aliases.get(agency) or agency_aliases(agency)]


def _retrieval_answer(ctx: Context, slots: Slots, evidence: Evidence, held: _Held) -> Answer:
    """The best passage's sentences, when the calibrated evidence admits it; else not_found (and
    an LLM, if configured, still sees the passages)."""
    question = evidence.question
    extra = tuple(glossary.chinese_terms(question)) if is_english(question) else ()
    terms = question_terms(question, _agency_names(slots, held.agencies), extra)
    weights = ctx.store.term_weights(terms)
    chosen: tuple[Answer, list[Citation]] | None = None
    fallback: list[Candidate] = []
    named = [] if slots.agencies else named_rules(question, held.rules)
    local = frozenset(r.source for r in held.rules if r.places and r.source not in named)
    for flt in _search_filters(slots, question):
        candidates, signals = _ranked(ctx.store, question, flt, ctx.top_k, terms, weights, extra, local)
        candidates = named_first(candidates, named)
        fallback = fallback or candidates
        if not candidates:
            continue
        admitted = chosen is None and ctx.thresholds.admits(signals)
        composed = _compose(ctx, candidates, terms, weights, question) if admitted or ctx.explore else None
        if ctx.explore and composed:  # calibration: every search is a trial, answered with the gate open
            evidence.trials.append((signals, composed[0]))
        if admitted:
            evidence.signals = signals
            chosen = composed
            if not ctx.explore:
                break
        elif chosen is None:
            evidence.signals = signals
    if chosen is None:
        evidence.path = "not_found"
        evidence.refused_by_gate = bool(fallback)
        evidence.citations = [_citation(c.chunk) for c in fallback[: ctx.top_k]]
        return _not_found()
    evidence.path = "retrieval"
    answer, evidence.citations = chosen
    return answer


def _compose(
    ctx: Context, candidates: list[Candidate], terms: list[str], weights: dict[str, float], question: str
) -> tuple[Answer, list[Citation]]:
    """The extractive answer from re-ranked passages, and the numbered sources an LLM would see."""
    top = candidates[0]
    chosen = [top]
    for cand in candidates[1:]:
        if cand.chunk.chunk_id != top.chunk.chunk_id and cand.score >= max(0.7, 0.95 * top.score):
            chosen.append(cand)
            break
    citations = [_citation(c.chunk) for c in chosen]
    shown = {c.chunk.chunk_id for c in chosen}
    # Numbered sources for an LLM: the chosen passages first, then the rest of what was retrieved.
    sources = citations + [
        _citation(c.chunk) for c in candidates[len(chosen) : ctx.top_k] if c.chunk.chunk_id not in shown
    ]
    counter = asked_counter(question)
    parts = []
    for i, cand in enumerate(chosen, start=1):
        chunk = cand.chunk
        quote = "".join(best_passage(terms, chunk.text, weights, counter=counter)) or chunk.text[:200]
        if chunk.chunk_type == "article" and len(chunk.text) <= 350:
            quote = without_instructions(chunk.text).replace("\n", "")  # a short article is quoted whole
        parts.append(f"根据《{chunk.title}》“{chunk.section}”：{quote}[{i}]")
    if distinct_numbers("\n".join(parts)) > MAX_ANSWER_NUMBERS and len(parts) > 1:
        parts, citations = parts[:1], citations[:1]
    text = "\n".join(parts)
    if is_english(question):
        text = glossary.english_lead(top.chunk) + "\n" + text
    return Answer(status="answered", answer=text, citations=citations), sources


def _not_found(reason: str = "") -> Answer:
    return Answer(status="not_found", answer=(reason + "\n" if reason else "") + REFUSAL, citations=[])
