"""Retrieval as small pure functions: filters, reciprocal-rank fusion, passage relevance, re-ranking."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from assistant.text import is_year, numbers_in, speaks_to_a_model, split_sentences, tokenize
from ingest.types import Chunk

RRF_K = 60


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float


@dataclass
class SearchFilter:
    """Restrict a search to some agencies, years and document kinds (empty = no restriction)."""

    agencies: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def accepts(self, chunk: Chunk) -> bool:
        if self.agencies and chunk.agency not in self.agencies:
            return False
        if self.years and chunk.year not in self.years:
            return False
        if self.kinds and chunk.kind not in self.kinds:
            return False
        return True

    def chroma_where(self) -> dict | None:
        clauses: list[dict] = []
        if self.agencies:
            clauses.append({"agency": {"$in": list(self.agencies)}})
        if self.years:
            clauses.append({"year": {"$in": list(self.years)}})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def fuse(rankings: list[list[Hit]], weights: list[float] | None = None, k: int = RRF_K) -> list[Hit]:
    """Weighted reciprocal-rank fusion: score(d) = Σ w_i / (k + rank_i(d)), rank from 1."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (k + rank)
    return [Hit(cid, s) for cid, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def weighted_fusion(rankings: dict[str, list[Hit]], weights: dict[str, float], k: int = RRF_K) -> list[Hit]:
    """`fuse` over named rankings (dense, sparse, wordings) with a weight per name."""
    names = [n for n in rankings if rankings[n]]
    return fuse([rankings[n] for n in names], [weights.get(n, 1.0) for n in names], k)


# --------------------------------------------------------------------------- question words

_QUESTION_WORDS = re.compile(
    r"多少|几次|几个|几件|几起|是谁|哪些|哪个|哪一|什么|怎么|怎样|如何|是否|吗|呢|请问|有没有|能不能|可不可以|"
    r"\bhow\s*many\b|\bhow\s*much\b|\bwhat\b|\bwhich\b|\bwho\b|\bwhen\b|\bdoes\b|\bdid\b|\bis\b|\bare\b"
)
_DEFINITION = re.compile(r"^(?:什么是|何为|何谓)(.{2,12}?)[？?]?$|^(.{2,12}?)(?:是什么|指什么|的定义|的含义)")


def defined_term(question: str) -> str | None:
    """'什么是政府信息？' → '政府信息'."""
    m = _DEFINITION.search(question.strip().rstrip("？?。"))
    return (m.group(1) or m.group(2)).strip() if m else None


def question_terms(question: str, agency_names: Iterable[str] = (), extra: Iterable[str] = ()) -> list[str]:
    """Content words of a question: tokens less agency names, years and question words.

    `extra` adds words from elsewhere (the Chinese terms of an English question's glossary entries).
    """
    text = question
    for name in sorted(agency_names, key=len, reverse=True):  # 与 / 和 / 及 alike, as agencies are matched
        text = re.sub("[与和及]".join(map(re.escape, re.split("[与和及]", name))), " ", text)
    # a year with its 年报 / 年度报告: 「2024年报里」 leaves no 「报里」
    text = re.sub(r"(?:19|20)\d{2}\s*(?:年度报告|年报|年度|年)?", " ", text)
    text = _QUESTION_WORDS.sub(" ", text)
    terms = [t for t in tokenize(text) if len(t) >= 2 or re.match(r"[A-Za-z0-9]", t)]
    terms += [t for t in extra if t]
    # Search mode yields sub-words too; keep the longest forms and let found() give partial credit.
    longest = [t for t in terms if not any(t != o and t in o for o in terms)]
    return list(dict.fromkeys(longest))


# Everyday words and the words the documents use for the same thing: one signal among several
# (the common wordings and the embeddings bridge the rest).
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
    "邮箱": ("电子邮箱", "邮箱", "mail"),
    "负责人": ("组长", "负责"),
    "网上": ("互联网", "网站", "数据电文"),
}


def found(term: str, text: str) -> float:
    """How far a passage holds one question word: 1 whole (or a synonym), partial bigram credit, else 0."""
    if term in text:
        return 1.0
    if any(alt in text for alt in SYNONYMS.get(term, ())):
        return 1.0
    if len(term) >= 3 and re.match(r"[\u4e00-\u9fff]", term):
        grams = [term[i : i + 2] for i in range(len(term) - 1)]
        return sum(1 for g in grams if g in text) / len(grams) * 0.8
    return 0.0


def rarest_term(terms: list[str], weights: dict[str, float], skip: Collection[str] = ()) -> str | None:
    """The question's Chinese content word with the highest IDF (English words never stand in the
    Chinese passages, so they are not looked for), leaving out the words in `skip` (see
    answer._rarest: everyday words no document uses)."""
    chinese = [t for t in terms if re.search(r"[\u4e00-\u9fff]", t) and t not in skip]
    return max(chinese, key=lambda t: (weights.get(t, 1.0), len(t)), default=None)


def word_share(terms: list[str], text: str, weights: dict[str, float]) -> float:
    """IDF-weighted share of the question's content words that a text holds (0-1)."""
    total = sum(weights.get(t, 1.0) for t in terms)
    return sum(weights.get(t, 1.0) * found(t, text) for t in terms) / total if total else 0.0


def relevance(terms: list[str], chunk: Chunk, weights: dict[str, float]) -> float:
    """IDF-weighted share of the question's content words that the passage (section and text) holds."""
    return word_share(terms, f"{chunk.section} {chunk.text}", weights)


def distinct_numbers(text: str) -> int:
    """How many different numbers (years aside) a text states."""
    return len({n for n in numbers_in(text) if not is_year(n)})


_COUNTERS = "人次|期|篇|次|场|条|个|件|项|家|批|名|人|份|万元|元"
_ASKED_COUNTER = re.compile(rf"(?:几|多少)({_COUNTERS})")
_NUMERAL = r"[\d一二三四五六七八九十两百千万〇零]+"


def asked_counter(question: str) -> str | None:
    """The counter word a count question asks for: '公开了几期政府常务会议' → '期'."""
    m = _ASKED_COUNTER.search(question)
    return m.group(1) if m else None


def states_count(text: str, counter: str | None) -> bool:
    """Whether a text states a count with that counter word ('7期', '四次')."""
    return bool(counter) and re.search(rf"{_NUMERAL}\s*{re.escape(counter or '')}", text) is not None


# A question asking for a period, an amount or a count, and the figures that state one: a passage
# that states no such figure cannot answer 「起诉期限是几个月」 or 「火星上有多少申请」 however close its
# words are.
_ASKED_MEASURE = (
    (
        "contact",
        re.compile(
            r"(?:电话|联系方式|热线|邮箱|传真)(?:号码?)?是?(?:多少|几号|什么)|(?:哪个|什么|哪一个)(?:电话|邮箱|热线)|"
            r"怎么联系|联系谁|(?:phone|telephone|fax)\s+number|e-?mail\s+address|"
            r"contact\s+(?:number|details|information|phone)|how\s+(?:can|do)\s+i\s+(?:contact|reach|call)",
            re.I,
        ),
    ),
    (
        "day",
        re.compile(
            r"(?:多少|几)个?工作日|(?:多少|几)[天日]|how\s+many\s+(?:working\s+|business\s+)?days", re.I
        ),
    ),
    ("month", re.compile(r"(?:多少|几)个?月|how\s+many\s+months", re.I)),
    ("year", re.compile(r"(?:多少|几)年|how\s+many\s+years", re.I)),
    ("money", re.compile(r"多少钱|几块钱?|(?:多少|几)元|收多少|how\s+much\s+(?:is|does|do|will)", re.I)),
    ("period", re.compile(r"多久|多长时间|how\s+long|within\s+how|by\s+when", re.I)),
    ("count", re.compile(rf"多少(?:{_COUNTERS})?|(?<!哪)几(?:{_COUNTERS}|种)|how\s+many", re.I)),
)
_MEASURE_STATED = {
    "day": re.compile(rf"{_NUMERAL}\s*个?(?:工作日|日|天)"),
    "month": re.compile(rf"{_NUMERAL}\s*个月|{_NUMERAL}月{_NUMERAL}日"),
    "year": re.compile(r"(?<!\d)(?:\d{1,2}|[一二三四五六七八九十两]+)\s*年(?!度)"),
    "money": re.compile(rf"{_NUMERAL}\s*(?:元|角)"),
}
_MEASURE_STATED["count"] = re.compile(
    rf"(?<![第\d一二三四五六七八九十两百千万〇零]){_NUMERAL}\s*(?:{_COUNTERS}|种)"
)
_MEASURE_STATED["contact"] = re.compile(
    r"(?<!\d)(?:0\d{2,3}[-－—–]?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
_MEASURE_STATED["period"] = re.compile("|".join(_MEASURE_STATED[k].pattern for k in ("day", "month", "year")))


def asked_measure(question: str) -> str | None:
    """The kind of figure a question asks for: 'contact' (a phone number or an email address, asked
    before any count: 「电话多少」), 'day', 'month', 'year', 'money', 'period' (any length of time),
    'count' (「有多少申请」, 「几次」), or None."""
    return next((kind for kind, pattern in _ASKED_MEASURE if pattern.search(question)), None)


def states_measure(text: str, kind: str | None) -> bool:
    """Whether a text states a figure of that kind ('20个工作日', '3个月', '100元'); True for None."""
    return kind is None or _MEASURE_STATED[kind].search(text) is not None


def best_passage(
    terms: list[str],
    text: str,
    weights: dict[str, float],
    max_chars: int = 260,
    max_numbers: int = 8,
    counter: str | None = None,
) -> list[str]:
    """The sentence(s) of a passage that hold the question's words best, in reading order; for a
    count question (`counter`), sentences stating such a count come first."""
    sentences = [s for s in split_sentences(text) if not speaks_to_a_model(s)]
    if not sentences:
        return []

    def score(sentence: str) -> float:
        return word_share(terms, sentence, weights) + (0.5 if states_count(sentence, counter) else 0.0)

    ranked = sorted(range(len(sentences)), key=lambda i: (-score(sentences[i]), i))
    chosen = [ranked[0]]
    used = len(sentences[ranked[0]])
    for i in ranked[1:3]:
        if score(sentences[i]) <= 0 or used + len(sentences[i]) > max_chars:
            continue
        trial = "".join(sentences[j] for j in sorted(chosen + [i]))
        if distinct_numbers(trial) > max_numbers:
            continue
        chosen.append(i)
        used += len(sentences[i])
    picked = [sentences[i] for i in sorted(chosen)]
    if distinct_numbers("".join(picked)) > max_numbers:
        picked = [clause_window(picked[0], terms)]
    return picked


def clause_window(sentence: str, terms: list[str]) -> str:
    """Cut an overlong sentence to the clauses around the question's words."""
    clauses = re.split(r"(?<=[，,、])", sentence)
    hits = [i for i, c in enumerate(clauses) if any(t in c for t in terms)] or [0]
    lo, hi = max(0, hits[0] - 1), min(len(clauses), hits[0] + 2)
    return "".join(clauses[lo:hi]).rstrip("，,、") + "……"


# --------------------------------------------------------------------------- re-ranking


@dataclass
class Candidate:
    """A retrieved passage with what re-ranking knows of it."""

    chunk: Chunk
    rank: int  # 0-based position in the fused list
    coverage: float
    dense: float
    wording: float
    wording_match: float = 0.0  # share of the question's words that its closest wording holds
    heading: float = 0.0  # share of the question's words that its section heading holds
    score: float = 0.0


HEADING_WEIGHT = 0.5
CONTACT_WEIGHT = 0.3  # for 「电话多少」, a passage that states a phone number or an email address
# A province's rules restate the national regulation for their own province: a question that names
# no place they are for gets the national article first when both hold its words.
LOCAL_WEIGHT = 0.15


def rerank_score(
    cand: Candidate,
    dense_mean: float,
    defined: str | None = None,
    counter: str | None = None,
    english: bool = False,
    measure: str | None = None,
    local: bool = False,
) -> float:
    """Order of the passages shown: words held, how far the passage stands out by meaning, a close
    common wording; the regulation's own articles before notices that restate them, for
    「什么是X」 the passage that defines X, for 「几期/多少篇」 a passage stating such a count, and
    for 「电话多少」 a passage stating a phone number or an email address; a passage of a province's
    rules the question does not name (`local`) counts LOCAL_WEIGHT less.
    For an English question the words held are the glossary's Chinese terms, a rougher measure,
    so they count half."""
    score = (0.5 if english else 1.0) * cand.coverage + 2.0 * max(0.0, cand.dense - dense_mean)
    score += HEADING_WEIGHT * cand.heading
    score += 1.5 * max(0.0, cand.wording - 0.85) * (0.5 + cand.wording_match)
    if cand.chunk.chunk_type == "article":
        score += 0.05
    if states_count(cand.chunk.text, counter):
        score += 0.15
    if measure == "contact" and states_measure(cand.chunk.text, measure):
        score += CONTACT_WEIGHT
    if defined and re.search(
        rf"{re.escape(defined)}[，,]?(是指|指的是)|所称{re.escape(defined)}", cand.chunk.text
    ):
        score += 0.1
    return score - 0.01 * cand.rank - (LOCAL_WEIGHT if local else 0.0)
