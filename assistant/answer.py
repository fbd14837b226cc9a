"""Question → Answer: facts for table quantities, else hybrid retrieval and an extractive answer.

With an LLM configured, the model writes the answer from the same numbered sources, and
assistant.llm checks what it wrote; the offline answer is always computed first, as the fallback.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.facts import Figure, figure, figure_quote
from assistant.query import Slots, match_agencies, standalone_question, with_history
from assistant.retrieval import SearchFilter
from assistant.text import is_year, numbers_in, split_sentences, tokenize
from assistant.types import Answer, Citation
from ingest.classify import agency_aliases
from ingest.report import format_number
from ingest.template import table3_path
from ingest.types import Chunk, Document
from prompts import REFUSAL

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

RELEVANCE_THRESHOLD = 0.55
MAX_ANSWER_NUMBERS = 8


@dataclass
class Evidence:
    """What an answer stands on: numbered sources (citations with their full text) and the figures."""

    question: str  # standalone form of the question
    slots: Slots
    citations: list[Citation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    path: str = "retrieval"  # facts | retrieval | check | not_found
    asked: str = ""  # the question as the user typed it


# --------------------------------------------------------------------------- entry points


def answer_question(
    assistant: Assistant,
    question: str,
    history: list[dict],
    agency: str | None = None,
    year: int | None = None,
) -> Answer:
    offline, evidence = offline_answer(assistant, question, history, agency, year)
    if assistant.llm is None or offline.status == "not_found" or evidence.path == "check":
        return offline
    from assistant.llm import llm_answer

    return llm_answer(assistant, evidence, offline, history)


def stream_answer(
    assistant: Assistant,
    question: str,
    history: list[dict],
    agency: str | None = None,
    year: int | None = None,
) -> Iterator[str | Answer]:
    offline, evidence = offline_answer(assistant, question, history, agency, year)
    if assistant.llm is None or offline.status == "not_found" or evidence.path == "check":
        yield offline.answer
        yield offline
        return
    from assistant.llm import llm_stream

    yield from llm_stream(assistant, evidence, offline, history)


def offline_answer(
    assistant: Assistant,
    question: str,
    history: list[dict],
    agency: str | None = None,
    year: int | None = None,
) -> tuple[Answer, Evidence]:
    """The answer without any language model, and the evidence it stands on."""
    question = (question or "").strip()
    store = assistant.store
    documents = store.documents()
    reports = [d for d in documents if d.kind == "report"]
    agencies = sorted({d.agency for d in reports if d.agency})
    slots = with_history(question, history, agencies)
    if agency and not slots.agencies:
        scoped, _ = match_agencies(agency, agencies)
        slots.agencies = scoped
        if not scoped:
            slots.unknown_place = agency
    if year and not slots.years:
        slots.years = [int(year)]
    evidence = Evidence(question=standalone_question(slots, question), slots=slots, asked=question)
    if not question:
        return Answer(status="not_found", answer="请输入问题。Please type a question."), evidence

    if slots.wants_check and (slots.agencies or slots.years):
        return _check_answer(assistant, reports, slots, evidence), evidence

    if slots.unknown_place and not slots.agencies and (slots.quantity or slots.years):
        evidence.path = "not_found"
        return _not_found(f"资料库中没有“{slots.unknown_place}”的政府信息公开工作年度报告。"), evidence

    if slots.quantity and (slots.agencies or slots.years):
        answer = _facts_answer(assistant, reports, slots, question, evidence)
        if answer is not None:
            return answer, evidence

    if slots.agencies and slots.years:
        have = {(d.agency, d.year) for d in reports}
        missing = [y for y in slots.years if not any((a, y) in have for a in slots.agencies)]
        if len(missing) == len(slots.years):
            evidence.path = "not_found"
            return _not_found(_missing_years_text(slots.agencies, missing, reports)), evidence

    return _retrieval_answer(assistant, slots, evidence), evidence


# --------------------------------------------------------------------------- facts


def _facts_answer(
    assistant: Assistant, reports: list[Document], slots: Slots, question: str, evidence: Evidence
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
        fig = figure(doc, assistant.store.catalog.facts(doc.doc_id), quantity, slots.column, question)
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
        n = len(citations)
        what = quantity.label if fig.column == "总计" else f"{quantity.label}（{fig.column}）"
        detail = f"（{fig.section}{('，' + fig.how) if fig.how else ''}）"
        lines.append(f"{_who(fig.document)}{fig.document.year}年{what}{fig.text}{detail}[{n}]")
    text = "；\n".join(lines) + "。"
    if is_english(question):
        english = "; ".join(
            f"{fig.document.agency or fig.document.title} {fig.document.year}: {fig.text} ({fig.section})"
            for fig in figures
        )
        text = f"{english}.\n{text}"
    if slots.years:
        have_years = {f.document.year for f in figures}
        missing = [y for y in slots.years if y not in have_years]
        if missing:
            text += f"\n资料库中没有{'、'.join(f'{y}年' for y in missing)}的相应年度报告，无法回答这些年份。"
    text += _aggregate_text(figures, slots)
    if quantity.neighbour and len(figures) <= 3:
        text += _neighbour_text(assistant, figures, quantity.neighbour, slots.column or "总计", citations)
    evidence.citations = citations
    return Answer(status="answered", answer=text, citations=citations)


def is_english(question: str) -> bool:
    """Mostly Latin letters: the user wrote in English (agency names may stay in Chinese)."""
    letters = sum(ch.isascii() and ch.isalpha() for ch in question)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in question)
    return letters > 3 * cjk and letters >= 8


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
    assistant: Assistant, figures: list[Figure], neighbour: str, column: str, citations: list[Citation]
) -> str:
    from assistant.lexicon import Quantity

    q = Quantity("表三", neighbour, table3_path(neighbour).split(" / ")[-1])
    bits = []
    for fig in figures:
        other = figure(fig.document, assistant.store.catalog.facts(fig.document.doc_id), q, column, "")
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
    return f"\n另：若把“{label[3:]}”也算作拒绝，{label}为" + "、".join(bits) + "。"


def _missing_years_text(agencies: list[str], years: list[int], reports: list[Document]) -> str:
    have = sorted({d.year for d in reports if d.agency in agencies and d.year})
    who = "、".join(agencies)
    asked = "、".join(f"{y}年" for y in years) if years else ""
    have_text = "、".join(str(y) for y in have) if have else "无"
    return f"资料库中没有{who}{asked}的政府信息公开工作年度报告（已收录年份：{have_text}），无法回答。"


# --------------------------------------------------------------------------- consistency checks


def _check_answer(assistant: Assistant, reports: list[Document], slots: Slots, evidence: Evidence) -> Answer:
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
    for doc in docs:
        checks = assistant.store.catalog.checks(doc.doc_id)
        failed = [c for c in checks if not c.ok]
        problems = assistant.store.catalog.problems(doc.doc_id)
        if not failed and not problems:
            lines.append(
                f"{_who(doc)}{doc.year}年报告：表三、表四的勾稽关系和总计核对无误（共核对{len(checks)}项）。"
            )
            continue
        for check in failed:
            facts = assistant.store.catalog.facts(doc.doc_id, "表三" if check.rule != "表四总计" else "表四")
            quote = _check_quote(check.rule, facts)
            citations.append(
                Citation(source=doc.source, title=doc.title, section=f"核对：{check.row}", quote=quote)
            )
            lines.append(f"{_who(doc)}{doc.year}年报告：{check.message_zh}[{len(citations)}]")
        for problem in problems:
            lines.append(f"{_who(doc)}{doc.year}年报告：{problem}")
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


def _retrieval_answer(assistant: Assistant, slots: Slots, evidence: Evidence) -> Answer:
    store = assistant.store
    question = evidence.question
    k = assistant.settings.top_k
    years = slots.years if slots.agencies else []
    if slots.agencies or years:
        filters = [SearchFilter(agencies=slots.agencies, years=years)]
    else:
        # Questions that name no agency are about the rules first, then about anything.
        filters = [SearchFilter(kinds=["regulation"]), SearchFilter()]
    terms = question_terms(question, slots)
    weights = store_idf(store, terms)
    defined = defined_term(question)
    best: list[tuple[float, Chunk, list[str]]] = []
    for flt in filters:
        # A wider pool than shown: relevance re-ranks it, then the best k are kept as sources.
        hits = store.hybrid_search(question, flt, max(20, 4 * k))
        scored = []
        for rank, (chunk, _score) in enumerate(hits):
            rel = relevance(terms, chunk, weights)
            # The regulation's own articles come before notices that restate them,
            # and for "什么是X" the passage that defines X comes first.
            primary = 0.05 if chunk.chunk_type == "article" else 0.0
            if defined and re.search(
                rf"{re.escape(defined)}[，,]?(是指|指的是)|所称{re.escape(defined)}", chunk.text
            ):
                primary += 0.1
            scored.append((rel + primary - 0.01 * rank, chunk, best_passage(terms, chunk.text, weights)))
        scored.sort(key=lambda x: -x[0])
        if scored and scored[0][0] >= RELEVANCE_THRESHOLD:
            best = scored
            break
    if not best:
        evidence.path = "not_found"
        return _not_found()
    evidence.path = "retrieval"
    top = best[0]
    chosen = [top]
    for cand in best[1:]:
        if cand[1].chunk_id != top[1].chunk_id and cand[0] >= max(0.7, 0.95 * top[0]):
            chosen.append(cand)
            break
    citations = [
        Citation(source=c.source, title=c.title, section=c.section, quote=c.text) for _, c, _ in chosen
    ]
    # Numbered sources for an LLM: the chosen passages first, then the rest of what was retrieved.
    evidence.citations = citations + [
        Citation(source=c.source, title=c.title, section=c.section, quote=c.text)
        for _, c, _ in best[len(chosen) : k]
        if c.chunk_id not in {x[1].chunk_id for x in chosen}
    ]
    parts = []
    for i, (_, chunk, sentences) in enumerate(chosen, start=1):
        quote = "".join(sentences) or chunk.text[:200]
        if chunk.chunk_type == "article" and len(chunk.text) <= 350:
            quote = chunk.text.replace("\n", "")  # an article is quoted whole when it is short
        parts.append(f"根据《{chunk.title}》“{chunk.section}”：{quote}[{i}]")
    text = "\n".join(parts)
    if _distinct_numbers(text) > MAX_ANSWER_NUMBERS and len(parts) > 1:
        text = parts[0]
        citations = citations[:1]
    return Answer(status="answered", answer=text, citations=citations)


_QUESTION_WORDS = re.compile(
    r"多少|几次|几个|几件|几起|是谁|哪些|哪个|哪一|什么|怎么|怎样|如何|是否|吗|呢|请问|有没有|能不能|可不可以|"
    r"how\s*many|how\s*much|what|which|who|when|does|did|is|are"
)


_DEFINITION = re.compile(r"^(?:什么是|何为|何谓)(.{2,12}?)[？?]?$|^(.{2,12}?)(?:是什么|指什么|的定义|的含义)")


def defined_term(question: str) -> str | None:
    """'什么是政府信息？' → '政府信息'."""
    m = _DEFINITION.search(question.strip().rstrip("？?。"))
    return (m.group(1) or m.group(2)).strip() if m else None


def question_terms(question: str, slots: Slots) -> list[str]:
    """Content words of a question: tokens less agency names, years and question words."""
    text = question
    for agency in slots.agencies:
        for alias in agency_aliases(agency):
            text = text.replace(alias, " ")
    text = re.sub(r"(19|20)\d{2}\s*年?度?", " ", text)
    text = _QUESTION_WORDS.sub(" ", text)
    terms = [t for t in tokenize(text) if len(t) >= 2 or re.match(r"[A-Za-z0-9]", t)]
    # Search mode yields sub-words too; keep the longest forms and let found() give partial credit.
    longest = [t for t in terms if not any(t != o and t in o for o in terms)]
    return list(dict.fromkeys(longest))


def store_idf(store, terms: list[str]) -> dict[str, float]:
    index, chunks = store._bm25_index()
    n = max(1, len(chunks))
    weights: dict[str, float] = {}
    for term in terms:
        df = sum(1 for c in chunks if term in c.text) if n <= 20000 else 1
        weights[term] = math.log(1 + n / (df + 0.5))
    return weights


# Everyday words and the words the documents use for the same thing.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "交费": ("收费", "费用", "缴纳"),
    "缴费": ("收费", "费用", "缴纳"),
    "付费": ("收费", "费用"),
    "花钱": ("收费", "费用"),
    "收钱": ("收费", "费用"),
    "拒绝": ("不予公开",),
    "多久": ("期限", "日内"),
    "时限": ("期限", "日内"),
    "电话": ("电话", "联系方式"),
    "负责人": ("组长", "负责"),
    "口头": ("口头",),
    "网上": ("互联网", "网站", "数据电文"),
}


def found(term: str, text: str) -> float:
    if term in text:
        return 1.0
    if any(alt in text for alt in SYNONYMS.get(term, ())):
        return 1.0
    if len(term) >= 3 and re.match(r"[\u4e00-\u9fff]", term):
        grams = [term[i : i + 2] for i in range(len(term) - 1)]
        return sum(1 for g in grams if g in text) / len(grams) * 0.8
    return 0.0


def relevance(terms: list[str], chunk: Chunk, weights: dict[str, float]) -> float:
    """IDF-weighted share of the question's content words that the passage holds."""
    if not terms:
        return 0.0
    text = f"{chunk.section} {chunk.text}"
    total = sum(weights.get(t, 1.0) for t in terms)
    return sum(weights.get(t, 1.0) * found(t, text) for t in terms) / total if total else 0.0


def best_passage(terms: list[str], text: str, weights: dict[str, float], max_chars: int = 260) -> list[str]:
    """The sentence(s) of a passage that hold the question's words best, in reading order."""
    sentences = split_sentences(text)
    if not sentences:
        return []

    def score(sentence: str) -> float:
        total = sum(weights.get(t, 1.0) for t in terms) or 1.0
        return sum(weights.get(t, 1.0) * found(t, sentence) for t in terms) / total

    ranked = sorted(range(len(sentences)), key=lambda i: (-score(sentences[i]), i))
    chosen = [ranked[0]]
    used = len(sentences[ranked[0]])
    for i in ranked[1:3]:
        if score(sentences[i]) <= 0 or used + len(sentences[i]) > max_chars:
            continue
        trial = "".join(sentences[j] for j in sorted(chosen + [i]))
        if _distinct_numbers(trial) > MAX_ANSWER_NUMBERS:
            continue
        chosen.append(i)
        used += len(sentences[i])
    picked = [sentences[i] for i in sorted(chosen)]
    if _distinct_numbers("".join(picked)) > MAX_ANSWER_NUMBERS:
        picked = [_clause_window(picked[0], terms)]
    return picked


def _clause_window(sentence: str, terms: list[str]) -> str:
    """Cut an overlong sentence to the clauses around the question's words."""
    clauses = re.split(r"(?<=[，,、])", sentence)
    hits = [i for i, c in enumerate(clauses) if any(t in c for t in terms)] or [0]
    lo, hi = max(0, hits[0] - 1), min(len(clauses), hits[0] + 2)
    return "".join(clauses[lo:hi]).rstrip("，,、") + "……"


def _distinct_numbers(text: str) -> int:
    return len({n for n in numbers_in(text) if not is_year(n)})


def _not_found(reason: str = "") -> Answer:
    return Answer(status="not_found", answer=(reason + "\n" if reason else "") + REFUSAL, citations=[])
