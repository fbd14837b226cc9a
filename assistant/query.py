"""Question → slots (agency, years, quantity, column), with follow-up carry-over from the history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.lexicon import Quantity, find_column, find_quantity, normalize_question
from ingest.classify import agency_aliases, arabic_years, pinyin_aliases

_YEAR = r"((?:19|20)\d{2})"
_RANGE = re.compile(_YEAR + r"\s*年?\s*(?:到|至|—|–|-|~|～|to)\s*" + _YEAR)
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:省|市|县|区|乡|镇|街道|旗))")
_GENERIC_PLACES = {
    "本区",
    "我区",
    "全区",
    "各区",
    "地区",
    "市区",
    "辖区",
    "社区",
    "景区",
    "园区",
    "城区",
    "片区",
    "县区",
    "本市",
    "全市",
    "我市",
    "各市",
    "本县",
    "全县",
    "我县",
    "各县",
    "本乡",
    "全乡",
    "我乡",
    "各乡",
    "乡镇",
    "本镇",
    "全镇",
    "我镇",
    "城市",
    "省市",
    "行政区",
    "自治区",
    "试验区",
    "实验区",
    "开发区",
    "新区",
    "街道",
    "全省",
    "本省",
    "各省",
    "专区",
    "政区",
    "人民政府所在县",
    "上级县",
    "县级",
    "市级",
    "省级",
    "区级",
}
_FOLLOW_UP = re.compile(r"^(那|那么|还有|同样|再问|and\b|what\s+about|how\s+about)|呢[？?]?$", re.I)
_AGGREGATE = [
    (re.compile(r"哪一?年.*最多|最多的.*年|which\s+year.*most"), "max"),
    (re.compile(r"哪一?年.*最少|最少的.*年|which\s+year.*(least|fewest)"), "min"),
    (
        re.compile(
            r"比上一?年|较上一?年|同比|增加了?多少|减少了?多少|多了多少|少了多少|变化|than\s+the\s+year\s+before"
        ),
        "diff",
    ),
    (re.compile(r"每年|各年|历年|逐年|每一年|each\s+year|per\s+year"), "each"),
]
_CHECK = re.compile(
    r"(数据|表格|报告|统计).*(有问题|有没有问题|有错|对不对|对吗|准确吗|一致|矛盾|核对|勾稽)|勾稽关系|数据问题|consisten"
)


@dataclass
class Slots:
    agencies: list[str] = field(default_factory=list)  # canonical agency names (as ingested)
    unknown_place: str | None = None  # a named place that matches no ingested agency
    years: list[int] = field(default_factory=list)
    quantity: Quantity | None = None
    column: str | None = None
    aggregate: str | None = None  # max | min | diff | each
    wants_check: bool = False
    carried: list[str] = field(default_factory=list)  # which slots came from the history


def parse_years(question: str) -> list[int]:
    question = arabic_years(question)
    m = _RANGE.search(question)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b and b - a <= 30:
            return list(range(a, b + 1))
    years = [int(y) for y in re.findall(r"(?<!\d)" + _YEAR + r"(?!\d)", question)]
    return sorted(set(years), key=years.index)


def match_agencies(question: str, agencies: list[str]) -> tuple[list[str], str | None]:
    """Ingested agencies the question names (by any alias), and a named place that matches none.

    The longest name wins: in 「清河县乌江镇」 the aliases 清河县 (of 清河县人民政府) and 乌江镇 (of
    another county's 乌江镇) stand inside the matched 清河县乌江镇, so they name no agency of their own.
    """
    text = normalize_question(question)
    spans: dict[str, list[tuple[int, int]]] = {}
    matched_spans: list[str] = []
    letters = re.sub(r"[^a-z]", "", text)
    for agency in agencies:
        for alias in agency_aliases(agency):  # longest first
            needle = alias.lower()
            if needle in text:
                spans[agency] = [
                    (m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), text)
                ]
                matched_spans.append(alias)
                break
        else:
            if any(roman in letters for roman in pinyin_aliases(agency)):
                spans[agency] = []
    every = [span for agency_spans in spans.values() for span in agency_spans]

    def covered(span: tuple[int, int]) -> bool:
        return any(s <= span[0] and span[1] <= e and e - s > span[1] - span[0] for s, e in every)

    found = [
        agency
        for agency, agency_spans in spans.items()
        if not agency_spans or not all(map(covered, agency_spans))
    ]
    unknown = None
    for place in _PLACE.findall(re.sub(r"\d", " ", question)):
        place = place.strip()
        if place in _GENERIC_PLACES or any(place in span or span in place for span in matched_spans):
            continue
        if any(place.endswith(g) for g in ("实验区", "开发区", "自治区", "行政区")) and len(place) <= 4:
            continue
        if not any(place in alias or alias in place for a in agencies for alias in agency_aliases(a)):
            unknown = place
            break
    return found, unknown


def parse(question: str, agencies: list[str]) -> Slots:
    found, unknown = match_agencies(question, agencies)
    quantity = find_quantity(question)
    slots = Slots(
        agencies=found,
        unknown_place=unknown,
        years=parse_years(question),
        quantity=quantity,
        column=find_column(question, quantity.table) if quantity else None,
        wants_check=bool(_CHECK.search(normalize_question(question))),
    )
    for pattern, name in _AGGREGATE:
        if pattern.search(normalize_question(question)):
            slots.aggregate = name
            break
    return slots


def is_follow_up(question: str, slots: Slots) -> bool:
    q = question.strip()
    return bool(_FOLLOW_UP.search(q)) or (len(q) <= 12 and slots.quantity is None and not slots.wants_check)


def with_history(question: str, history: list[dict], agencies: list[str]) -> Slots:
    """Slots of the question, with agency, years and quantity carried over from earlier user turns."""
    slots = parse(question, agencies)
    previous = [t.get("content", "") for t in history if t.get("role") == "user" and t.get("content")]
    if not previous:
        return slots
    follow_up = is_follow_up(question, slots)
    for earlier in reversed(previous):
        before = parse(earlier, agencies)
        if not slots.agencies and before.agencies and (follow_up or slots.quantity or slots.wants_check):
            slots.agencies = before.agencies
            slots.carried.append("agency")
        if follow_up and slots.quantity is None and before.quantity is not None:
            slots = replace(slots, quantity=before.quantity, column=slots.column or before.column)
            slots.carried.append("quantity")
        if not slots.years and before.years and (follow_up or slots.quantity or slots.wants_check):
            slots.years = before.years
            slots.carried.append("year")
        if slots.agencies and slots.quantity and slots.years:
            break
    return slots


def standalone_question(slots: Slots, question: str) -> str:
    """A follow-up rewritten with its carried-over slots, for retrieval and for the LLM."""
    if not slots.carried:
        return question
    parts = []
    if "agency" in slots.carried and slots.agencies:
        parts.append("、".join(slots.agencies))
    if "year" in slots.carried and slots.years:
        parts.append("、".join(f"{y}年" for y in slots.years))
    prefix = "".join(parts)
    if "quantity" in slots.carried and slots.quantity:
        return f"{prefix}{slots.quantity.label}的数量是多少？（追问：{question}）"
    return f"{prefix}{question}"
