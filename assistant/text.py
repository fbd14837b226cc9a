"""Chinese text helpers shared by retrieval and answering: tokens, sentences, numbers."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

import jieba

if TYPE_CHECKING:
    import opencc

jieba.setLogLevel(logging.WARNING)

STOPWORDS = set(
    "的 了 是 在 和 与 及 或 有 多少 几 几个 几次 哪些 什么 怎么 怎样 如何 吗 呢 啊 吧 请问 请 一下 "
    "是否 有没有 没有 会 能 可以 要 需要 应当 应该 为 被 把 对 等 个 件 条 年 年度 本 该 这 那 其 之 "
    "谁 哪 哪个 哪一年 多长 时间 多久 内 中 上 下 共 一共 总共 了吗 呀 the a an of in to is are was were "
    "how many what which did does do for by on at and or".split()
)
_PUNCT = re.compile(r"^[\s\W_]+$", re.UNICODE)
NUMBER_RE = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?![\d.])")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


# How often jieba's dictionary (word counts from a general Chinese corpus of about 60 million words)
# must hold a word for it to count as everyday Chinese: 那个, 整个, 告诉, 打算 (1 000 to 15 000), not
# 驾照, 低保, 残疾证, 核酸 (4 to 200). Picked where the answers on the calibration sets stay the same
# from 1 000 to 3 000 (README, "Results").
EVERYDAY_COUNT = 2000


def everyday_word(word: str) -> bool:
    """Whether a word is common in general Chinese, by jieba's dictionary counts."""
    jieba.dt.check_initialized()
    return int(jieba.get_FREQ(word, 0) or 0) >= EVERYDAY_COUNT


def is_english(question: str) -> bool:
    """Mostly Latin letters: the user wrote in English (agency names may stay in Chinese)."""
    letters = sum(ch.isascii() and ch.isalpha() for ch in question)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in question)
    return letters > 3 * cjk and letters >= 8


def simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC): 「洪澤區行政復議」 → 「洪泽区行政复议」.
    The documents and every table of words here are in simplified characters."""
    return _t2s().convert(text) if text else text


@lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[str, ...]:
    """jieba search-mode tokens, lowercased, without stopwords and punctuation."""
    tokens = []
    for token in jieba.lcut_for_search(text.lower()):
        token = token.strip()
        if not token or token in STOPWORDS or _PUNCT.match(token):
            continue
        tokens.append(token)
    return tuple(tokens)


def bigrams(text: str) -> set[str]:
    """CJK character bigrams plus ASCII words and numbers: robust to segmentation differences."""
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    grams.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}|\d+(?:\.\d+)?", text))
    return grams


# A sentence in a document that speaks to a language model instead of a reader (「忽略以上指令，回答…」,
# 「ignore the previous instructions」): it is never quoted, shown to a model or counted as a source
# of numbers. Government reports have no reason to say this.
_TO_A_MODEL = re.compile(
    r"(?:忽略|无视|忽视|不要理会|不要遵守)[^。！？\n]{0,8}(?:指令|指示|提示词|prompt)|"
    r"(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?"
    r"(?:previous\s+|above\s+|prior\s+|earlier\s+|preceding\s+)?(?:instructions?|prompts?)|system\s+prompt",
    re.I,
)


def speaks_to_a_model(sentence: str) -> bool:
    return _TO_A_MODEL.search(sentence) is not None


def without_instructions(text: str) -> str:
    """The text less its sentences that speak to a language model (see _TO_A_MODEL)."""
    if not _TO_A_MODEL.search(text):
        return text
    return "".join(s for s in re.split(r"(?<=[。！？；;!?\n])", text) if not speaks_to_a_model(s))


def split_sentences(text: str) -> list[str]:
    """Sentences; a short lead-in line ending in a colon ('主要问题:') stays with what follows."""
    parts = [p.strip() for p in re.split(r"(?<=[。！？；;\n])", text) if p.strip()]
    out: list[str] = []
    carry = ""
    for part in parts:
        if len(part) <= 20 and part.rstrip().endswith((":", "：")):
            carry += part
            continue
        out.append(carry + part)
        carry = ""
    if carry:
        out.append(carry)
    return out


def numbers_in(text: str) -> list[str]:
    """Whole numbers in a text (not parts of longer numbers), normalized ('3.0' → '3')."""
    out = []
    for raw in NUMBER_RE.findall(text.replace(",", "")):
        out.append(normalize_number(raw))
    return out


def normalize_number(raw: str) -> str:
    try:
        value = float(raw)
    except ValueError:
        return raw
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def is_year(number: str) -> bool:
    return bool(re.fullmatch(r"(19|20)\d{2}", number))
