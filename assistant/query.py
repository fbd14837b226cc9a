"""Question → slots (agency, years, quantity, column), with follow-up carry-over from the history."""

from __future__ import annotations

import bisect
import io
import re
import sys
import threading
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from assistant.glossary import chinese_terms
from assistant.lexicon import Quantity, find_column, find_quantity, normalize_question
from assistant.romanize import romanized
from assistant.text import is_english
from ingest.classify import agency_aliases, arabic_years

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


# Questions about who, why or what a case was about: a count from the tables does not answer them.
_NOT_A_COUNT = re.compile(
    r"是谁|哪些|什么人|什么事|什么内容|为什么|原因|怎么回事|\bwho\b|\bwhy\b|\bwhich\b|\bwhat\s+(kind|sort|type)"
)
_COUNT_CUE = re.compile(
    r"多少|几|幾|数量|數量|总数|合计|一共|有没有|是否|有无|吗|嗎|\bhow\s+(many|much)\b|\bnumber\b|\bcount\b|"
    r"\btotal\b|\bany\b|\bamount\b"
)


_WHO = re.compile(r"是谁|叫什么|名字|姓名|哪位|\bwho\b|\bname\s+of\b|\bnamed?\b")


def asks_for_name(question: str) -> bool:
    """「组长是谁」, 「乡长叫什么名字」, 'who is …'."""
    return bool(_WHO.search(question.lower()))


def asks_for_count(question: str) -> bool:
    """Whether a question asks how many (or whether any): 「被起诉了几次」, 「有没有被复议」. Not
    「那12件行政诉讼的原告都是谁」 or 「收费由哪些项目构成」: a figure does not answer who, why or which."""
    q = question.lower()
    return bool(_COUNT_CUE.search(q)) and not _NOT_A_COUNT.search(q)


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


_RELATIVE_YEARS = {"去年": 0, "上一年": 0, "上年度": 0, "last year": 0, "前年": 1, "the year before last": 1}


def relative_years(question: str, latest: int | None) -> list[int]:
    """「去年」 is the year of the latest report held (reports come out the year after), 「前年」 the one before."""
    if latest is None:
        return []
    text = question.lower()
    return [latest - back for word, back in _RELATIVE_YEARS.items() if word in text]


def parse_years(question: str, latest: int | None = None) -> list[int]:
    """Years a question names, in order: 2022, 二〇二二年, ranges (2019到2021), and relative years."""
    question = arabic_years(question)
    m = _RANGE.search(question)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b and b - a <= 30:
            return list(range(a, b + 1))
    years = [int(y) for y in re.findall(r"(?<!\d)" + _YEAR + r"(?!\d)", question)]
    if not years:
        years = relative_years(question, latest)
    return sorted(set(years), key=years.index)


# Words no place name holds: a match that contains one ran across words of the question.
_NOT_A_NAME = re.compile(r"政府|部门|单位|机关|.[和的及与或在向对把被]")  # 和平区 keeps its 和


def _without_dates(question: str) -> str:
    """The question with years and dates blanked, so 「2019年XX市」 does not read as a place 「年XX市」."""
    text = arabic_years(question)
    text = re.sub(r"\d+\s*(?:年度|年|月|日|号)?", " ", text)
    return re.sub(r"(去年|前年|今年|明年|上一?年度?|本年度?)", " ", text)


_UNIT_SUFFIX = re.compile(
    r"(人民政府|政府|管委会|管理委员会|管理局|办公室|办公厅|综合实验区|实验区|片区|街道|局|乡|镇|县|区|市|省)+$"
)


ROMAN_MIN = 6  # letters of a romanized name at least


def roman_forms(aliases: tuple[str, ...]) -> list[str]:
    """The Chinese forms roman_names romanizes: each alias and its name without the unit or organ
    word, when two Han characters or more."""
    return [
        form
        for alias in aliases
        for form in {alias, _UNIT_SUFFIX.sub("", alias)}
        if re.fullmatch(r"[\u4e00-\u9fff]{2,}", form)
    ]


# One entry per catalog agency, read for every English question: a bound below the number of
# agencies made every question romanize them all again (3 600 agencies at N = 10 000: 1.9 s a question).
@cache
def roman_names(aliases: tuple[str, ...]) -> tuple[str, ...]:
    """Romanized names for English questions: each alias and its name without the unit or organ
    word (君山片区管理局 → junshan, 小岔乡 → xiaocha); only forms of ROMAN_MIN+ letters, so that short
    syllables never match ordinary English words. Romanized by pypinyin in a child process
    (assistant.romanize); AgencyNames.romanize asks for every agency's forms at once."""
    out = {roman for roman in romanized(roman_forms(aliases)).values() if len(roman) >= ROMAN_MIN}
    return tuple(sorted(out, key=len, reverse=True))


# A department named right after a known agency: 「平潭综合实验区公安局」 is not 平潭综合实验区.
_DEPARTMENT = re.compile(r"^[\u4e00-\u9fff]{1,8}?(?:局|委员会|办公厅|中心|大队|支队)")
_NOT_DEPARTMENTS = re.compile(r"^(?:人民政府|政府|管委会|管理委员会|办公室|政府办|党工委)")


def _sub_agency(
    text: str, spans: dict[str, list[tuple[int, int]]], table: dict[str, list[str]]
) -> tuple[str | None, str | None]:
    """A department named right after a matched agency: (the held agency it abbreviates, None) —
    「平潭资源生态局」 for 平潭综合实验区自然资源与生态环境局 — or (None, the unknown department) —
    「平潭综合实验区交通与建设局」 when only 平潭综合实验区 is held; (None, None) when there is none."""
    for agency, agency_spans in spans.items():
        for start, end in agency_spans:
            rest = text[end:]
            m = None if _NOT_DEPARTMENTS.match(rest) else _DEPARTMENT.match(rest)
            if m is None:
                continue
            name = text[start:end] + m.group(0)
            if any(
                name in alias or alias.startswith(name) for aliases in table.values() for alias in aliases
            ):
                continue
            held = _abbreviated(m.group(0), agency, table)
            return (held, None) if held else (None, name)
    return None, None


def _abbreviated(department: str, parent: str, table: dict[str, list[str]]) -> str | None:
    """The held agency under `parent` whose own name holds every character of `department`
    (资源生态局 → 自然资源与生态环境局), when exactly one does."""
    chars = set(department)
    found = [
        other
        for other in table
        if other != parent and other.startswith(parent) and chars <= set(other[len(parent) :])
    ]
    return found[0] if len(found) == 1 else None


_ENGLISH_WORDS = set(
    "how what when where which who why whose is are was were do does did can could may must should will "
    "would has have had under in according the a an by for if on at among as of to from with and or but "
    "regulation regulations disclosure government information article chapter annual report format notice "
    "i covid wechat chinese english people's congress state council general office january february march "
    "april may june july august september october november december".split()
)


def _english_place(question: str) -> str | None:
    """A capitalized name in an English question (not a sentence's first word, not a common word): a
    place or agency the question names, e.g. 'Shanghai Pudong'. None for Chinese questions."""
    if not is_english(question):
        return None
    text = question.strip()
    for m in re.finditer(r"\b[A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})*", text):
        if m.start() == 0 or re.search(r"[.?!:]\s*$", text[: m.start()]):
            continue  # a sentence's first word
        words = [w for w in m.group(0).split() if w.lower() not in _ENGLISH_WORDS]
        if words:
            return " ".join(words)
    return None


def _english_departments(question: str, found: list[str], table: dict[str, list[str]]) -> list[str]:
    """In an English question, 'Pingtan Natural Resources and Ecological Environment Bureau' names
    the department of Pingtan whose Chinese name holds the glossary terms the question uses in English
    (自然资源, 生态环境), not the government of Pingtan: the department replaces its parent."""
    if not found or not is_english(question):
        return found
    words = set(chinese_terms(question))
    out = []
    for agency in found:
        best, best_hits = agency, 0
        for other in table:
            if other == agency or not other.startswith(agency):
                continue
            hits = len({zh for zh in words if len(zh) >= 2 and zh in other[len(agency) :]})
            if hits > best_hits:
                best, best_hits = other, hits
        out.append(best)
    return list(dict.fromkeys(out))


def _names(place: str, alias: str) -> bool:
    """Whether a place named in a question is that agency: the alias itself, inside it as its own
    unit (小岔乡 in 彭阳县小岔乡), or with its government word (洪泽区 for 洪泽区人民政府); a parent
    region alone (彭阳县 of 彭阳县小岔乡) is another agency."""
    if place == alias or alias in place:
        return True
    if alias.startswith(place):
        return bool(re.fullmatch(r"(人民政府|政府|管委会|管理委员会|党工委管委会)?", alias[len(place) :]))
    return place in alias and alias.endswith(place)


def _conjunctions(name: str) -> str:
    """和 / 及 read as 与 in names: 自然资源和生态环境局 is 自然资源与生态环境局."""
    return re.sub(r"[和及]", "与", name)


def match_agencies(question: str, agencies: Agencies) -> tuple[list[str], str | None]:
    """Ingested agencies the question names (by any alias), and a named place that matches none.

    The longest name wins: in 「清河县乌江镇」 the aliases 清河县 (of 清河县人民政府) and 乌江镇 (of
    another county's 乌江镇) stand inside the matched 清河县乌江镇, so they name no agency of their own.
    """
    names = agencies if isinstance(agencies, AgencyNames) else AgencyNames(agencies)
    table = names.table
    text = _conjunctions(normalize_question(question))
    spans: dict[str, list[tuple[int, int]]] = {}
    matched_spans: list[str] = []
    letters = re.sub(r"[^a-z]", "", text)
    english = len(letters) >= ROMAN_MIN  # else no romanized name can stand in the question
    if english:
        names.romanize()
    for agency in names.candidates(text, every=english):
        aliases = table[agency]
        for alias, needle in names.needles[agency]:  # longest first
            if needle in text:
                spans[agency] = [
                    (m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), text)
                ]
                matched_spans.append(alias)
                break
        else:
            if english and any(roman in letters for roman in roman_names(tuple(aliases))):
                spans[agency] = []
    every = [span for agency_spans in spans.values() for span in agency_spans]

    def covered(span: tuple[int, int]) -> bool:
        return any(s <= span[0] and span[1] <= e and e - s > span[1] - span[0] for s, e in every)

    found = [
        agency
        for agency, agency_spans in spans.items()
        if not agency_spans or not all(map(covered, agency_spans))
    ]
    found = _english_departments(question, found, table)
    held, sub = _sub_agency(text, {a: spans[a] for a in found if a in spans}, table)
    if sub is not None:
        return [], sub
    if held is not None:
        found = [held if a == held or table.get(a) and held.startswith(a) else a for a in found]
        found = list(dict.fromkeys(found))
    unknown = None if found else _english_place(question)
    for place in _PLACE.findall(_without_dates(question)):
        place = place.strip()
        if place in _GENERIC_PLACES or any(place in span or span in place for span in matched_spans):
            continue
        if _NOT_A_NAME.search(place):
            continue  # 「县级政府汇总部门和乡」 runs across words: no place name holds these
        if any(place.endswith(g) for g in ("实验区", "开发区", "自治区", "行政区")) and len(place) <= 4:
            continue
        if not names.name_place(place):
            unknown = place
            break
    return found, unknown


def _alias_table(agencies: list[str] | dict[str, list[str]]) -> dict[str, list[str]]:
    if isinstance(agencies, dict):
        return {a: sorted(set(aliases) | {a}, key=len, reverse=True) for a, aliases in agencies.items()}
    return {a: agency_aliases(a) for a in agencies}


_GOVERNMENT_WORDS = ("", "人民政府", "政府", "管委会", "管理委员会", "党工委管委会")  # as in _names


class AgencyNames:
    """The agencies a question may name (canonical names, or canonical name → aliases), prepared
    once so that matching a question costs about its length, not the number of agencies: each
    alias's search form, the agencies by the first two characters of their forms, and every alias
    by itself and reversed (for `name_place`). assistant.answer keeps one per catalog generation.
    Matching gives what it gives over the plain table."""

    def __init__(self, agencies: list[str] | dict[str, list[str]]) -> None:
        self.table = _alias_table(agencies)
        self.needles = {
            agency: [(alias, _conjunctions(alias.lower())) for alias in aliases]
            for agency, aliases in self.table.items()
        }
        self._order = {agency: i for i, agency in enumerate(self.table)}
        self._by_start: dict[str, set[str]] = {}
        self._always: set[str] = set()  # a form under two characters: tried at every question
        for agency, needles in self.needles.items():
            for _, needle in needles:
                if len(needle) < 2:
                    self._always.add(agency)
                else:
                    self._by_start.setdefault(needle[:2], set()).add(agency)
        self._aliases = {alias for aliases in self.table.values() for alias in aliases}
        self._reversed = sorted(alias[::-1] for alias in self._aliases)
        self._romanized = False

    def romanize(self) -> None:
        """Romanize every agency's forms now, in one child process (assistant.romanize) instead of
        one an agency: what the first English question at this catalog generation needs."""
        if not self._romanized:
            romanized(form for aliases in self.table.values() for form in roman_forms(tuple(aliases)))
            self._romanized = True

    def candidates(self, text: str, every: bool = False) -> list[str]:
        """The agencies, in table order, with a form that may stand in `text` (its first two
        characters do); all of them when `every`."""
        if every:
            return list(self.table)
        found = set(self._always)
        for i in range(len(text) - 1):
            found.update(self._by_start.get(text[i : i + 2], ()))
        return sorted(found, key=self._order.__getitem__)

    def name_place(self, place: str) -> bool:
        """Whether any alias names `place` (`_names`): an alias inside it, the place with a
        government word, or an alias that ends with the place without starting with it."""
        if "" in self._aliases or any(
            place[i:j] in self._aliases for i in range(len(place)) for j in range(i + 1, len(place) + 1)
        ):
            return True
        if any(place + word in self._aliases for word in _GOVERNMENT_WORDS):
            return True
        back, i = place[::-1], bisect.bisect_left(self._reversed, place[::-1])
        while i < len(self._reversed) and self._reversed[i].startswith(back):
            if not self._reversed[i].endswith(back):  # the alias does not start with the place
                return True
            i += 1
        return False


Agencies = list[str] | dict[str, list[str]] | AgencyNames  # canonical names, or name → aliases


def with_glossary(question: str) -> str:
    """An English question with the Chinese terms it names appended (for the lexicon's patterns)."""
    terms = chinese_terms(question) if is_english(question) else []
    return f"{question} {' '.join(terms)}" if terms else question


def parse(question: str, agencies: Agencies, latest: int | None = None) -> Slots:
    """Slots of one question; `latest` is the year of the newest report held (for 「去年」)."""
    found, unknown = match_agencies(question, agencies)
    worded = with_glossary(question)
    quantity = find_quantity(worded)
    slots = Slots(
        agencies=found,
        unknown_place=unknown,
        years=parse_years(question, latest),
        quantity=quantity,
        column=find_column(worded, quantity.table) if quantity else None,
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


def with_history(question: str, history: list[dict], agencies: Agencies, latest: int | None = None) -> Slots:
    """Slots of the question, with agency, years and quantity carried over from earlier user turns."""
    slots = parse(question, agencies, latest)
    previous = [t.get("content", "") for t in history if t.get("role") == "user" and t.get("content")]
    if not previous:
        return slots
    follow_up = is_follow_up(question, slots)
    for earlier in reversed(previous):
        before = parse(earlier, agencies, latest)
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


# --------------------------------------------------------------------------- named instruments

_INSTRUMENT_WORDS = ("条例", "办法", "法")
_NOT_INSTRUMENTS = {
    "方法",
    "办法",
    "依法",
    "违法",
    "合法",
    "无法",
    "没法",
    "说法",
    "做法",
    "想法",
    "看法",
    "非法",
}
_GENERIC_PREFIXES = {"国家", "国务院", "现行", "新版", "旧版", "这个", "那个", "我国", "中国"}
_NAME_STOP_FLAGS = {"p", "r", "uj", "ul", "u", "x", "m", "c", "d", "y", "f", "q", "zg", "a"}


_POS_LOCK = threading.Lock()


@cache
def pos_tagger() -> Any:
    """jieba's part-of-speech tokenizer (`jieba.posseg.dt`) with its word → tag table keyed by the
    very strings of jieba's dictionary (`jieba.dt.FREQ`) and the tags interned: the same table,
    read from the same file the same way (the last line of a word wins), without a second copy of
    349 045 words and a string per tag, which jieba.posseg's import made (40 MB of a worker's RSS;
    about 11 MB this way). The import itself is given an empty file so it never builds its own."""
    import jieba

    with _POS_LOCK:  # the warm-up thread and a question may both come here first
        jieba.dt.check_initialized()  # reads its dictionary (or cache) now, not through the stub below
        if "jieba.posseg" not in sys.modules:
            jieba.dt.get_dict_file = lambda: io.BytesIO()
            try:
                import jieba.posseg
            finally:
                del jieba.dt.get_dict_file
        import jieba.posseg as pseg

        same = {word: word for word in jieba.dt.FREQ}
        table: dict[str, str] = {}
        with jieba.dt.get_dict_file() as f:
            for line_bytes in f:
                line = line_bytes.strip().decode("utf-8")
                if line:
                    word, _, tag = line.split(" ")
                    table[same.get(word, word)] = sys.intern(tag)
        del same
        pseg.dt.word_tag_tab = table
        return pseg.dt


def named_instruments(question: str) -> list[str]:
    """Laws and regulations a question names: 「信访条例规定…」 → ['信访条例'], 「按照保密法」 → ['保密法'].

    A name is the run of nouns (jieba's parts of speech) that ends in 条例, 办法 or 法; a verb may
    stand only right before the ending (信访条例). 「这个条例」, 「按条例」, 「国家条例」 name nothing."""
    words = [(w.word, w.flag) for w in pos_tagger().cut(question)]
    names = []
    for i, (word, _) in enumerate(words):
        whole = word in _INSTRUMENT_WORDS
        if not whole and not (
            word.endswith(_INSTRUMENT_WORDS) and len(word) >= 3 and word not in _NOT_INSTRUMENTS
        ):
            continue
        j = i
        while j > 0:
            _, flag = words[j - 1]
            if flag in _NAME_STOP_FLAGS or (flag.startswith("v") and flag != "vn" and j != i):
                break
            j -= 1
        name = "".join(w for w, _ in words[j : i + 1])
        prefix = name[: -len(next(e for e in _INSTRUMENT_WORDS if name.endswith(e)))]
        if len(prefix) >= 2 and prefix not in _GENERIC_PREFIXES:  # not 「报条例」, 「国家条例」
            names.append(name)
    return names


def _bigram_share(name: str, title: str) -> float:
    grams = [name[i : i + 2] for i in range(len(name) - 1)]
    return sum(g in title for g in grams) / len(grams) if grams else 1.0


def unheld_instrument(question: str, titles: list[str], share: float = 0.75) -> str | None:
    """The first law or regulation the question names that no held document's title names
    (most of the name's character pairs in one title), or None: 「行政复议法规定…」 with only the
    政府信息公开条例 held → '行政复议法'."""
    for name in named_instruments(question):
        if max((_bigram_share(name, title) for title in titles), default=0.0) < share:
            return name
    return None
