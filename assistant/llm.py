"""Answers written by a language model over an OpenAI-compatible endpoint, checked against their sources.

The offline answer is always computed first (assistant.answer). The model gets the same numbered
sources and exact figures, and what it writes is kept only when it is grounded
(:func:`check_llm_answer`): citation keys must point at a source, every number must stand in a cited
source or the question, and a table figure must be stated exactly. Otherwise the offline answer
is shown unchanged. When the endpoint fails (down, slow, wrong key, server error, garbage), the
offline answer is shown with :data:`UNAVAILABLE_NOTE` as its first line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import SecretStr

import prompts
from assistant.query import is_follow_up
from assistant.text import numbers_in, split_sentences, without_instructions
from assistant.types import Answer, Citation
from ingest.report import format_number
from prompts import REFUSAL

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.facts import Figure
    from assistant.types import Evidence

log = logging.getLogger(__name__)

UNAVAILABLE_NOTE = (
    "（语言模型暂时不可用，以下为离线检索答案。"
    "The language model was unavailable; this is the offline answer.）"
)

HISTORY_MESSAGES = 6  # the last three exchanges go to the model
HISTORY_CHARS = 600  # each earlier message is cut to this length
QUOTE_CHARS = 1200  # each source's quote is cut to this length in the prompt

# Errors that say the endpoint cannot be reached at all: no point in a second call after them.
_ENDPOINT_DOWN = (openai.APIConnectionError, openai.AuthenticationError, openai.PermissionDeniedError)

# A citation key group: [1], [1,2], [1, 3], [1、2], 【1】. Four-digit brackets such as [2019] are text.
_KEYS = re.compile(r"\s?[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
# Reasoning models behind some OpenAI-compatible servers put their thinking in the content.
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_REFUSAL_MARKS = (REFUSAL.split("。")[0], "do not hold the answer")
_BLANK_WORDS = ("空白", "未填", "没有填写", "未列数")


# --------------------------------------------------------------------------- the model


def make_chat_model(base_url: str, model: str, api_key: str, timeout: float) -> BaseChatModel:
    """A LangChain chat model for an OpenAI-compatible endpoint (no retries: we fall back)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model or "default",
        api_key=SecretStr(api_key or "none"),
        timeout=timeout,
        max_retries=0,
        temperature=0,
        # `streaming` is left unset: invoke() asks for one JSON reply and stream() streams
        # (setting streaming=False would make stream() fall back to a single reply).
    )


# --------------------------------------------------------------------------- prompts


def fill(template: str, **values: str) -> str:
    """Fill {name} placeholders in one pass (text inside the values is never filled again)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), template)


def format_sources(sources: Sequence[Citation]) -> str:
    """The numbered sources as the model sees them: '[1] 《title》 section' then the quote."""
    blocks = []
    for n, source in enumerate(sources, start=1):
        quote = without_instructions(source.quote).strip()
        if len(quote) > QUOTE_CHARS:
            quote = quote[:QUOTE_CHARS] + "……"
        blocks.append(f"[{n}] 《{source.title}》 {source.section}\n{quote}")
    return "\n\n".join(blocks) or "（无）"


def format_figures(figures: Sequence[Figure]) -> str:
    """One line per exact table figure: '彭阳县小岔乡人民政府2022年 表三 … （总计）：0件（8项合计）'."""
    lines = []
    for fig in figures:
        doc = fig.document
        who = f"{doc.agency or doc.title}{f'{doc.year}年' if doc.year else ''}"
        how = f"（{fig.how}）" if fig.how else ""
        lines.append(f"{who} {fig.section}（{fig.column}）：{fig.text}{how}")
    return "\n".join(lines) or "（无）"


def history_messages(history: Sequence[dict[str, Any]]) -> list[BaseMessage]:
    """The last few turns of the conversation, earlier answers without their old citation keys."""
    out: list[BaseMessage] = []
    for turn in list(history)[-HISTORY_MESSAGES:]:
        content = str(turn.get("content") or "").strip()
        if not content:
            continue
        if turn.get("role") == "user":
            out.append(HumanMessage(content=content[:HISTORY_CHARS]))
        elif turn.get("role") == "assistant":
            out.append(AIMessage(content=_KEYS.sub("", content)[:HISTORY_CHARS]))
    return out


def build_messages(evidence: Evidence, question: str, history: Sequence[dict[str, Any]]) -> list[BaseMessage]:
    """System prompt, the last turns of the conversation, then the question with its numbered sources."""
    prompt = fill(
        prompts.load("answer"),
        question=question,
        sources=format_sources(evidence.citations),
        figures=format_figures(evidence.figures),
    )
    return [
        SystemMessage(content=prompts.load("system")),
        *history_messages(history),
        HumanMessage(content=prompt),
    ]


def rewrite_question(model: BaseChatModel, question: str, history: Sequence[dict[str, Any]]) -> str:
    """The model's standalone form of a follow-up question (one short call). Raises on endpoint errors."""
    lines = []
    for turn in list(history)[-HISTORY_MESSAGES:]:
        role = {"user": "用户", "assistant": "助手"}.get(str(turn.get("role")))
        content = str(turn.get("content") or "").strip()
        if role and content:
            lines.append(f"{role}：{_KEYS.sub('', content)[:HISTORY_CHARS]}")
    prompt = fill(prompts.load("rewrite"), history="\n".join(lines), question=question)
    reply = message_text(model.invoke([HumanMessage(content=prompt)]))
    first = next((line for line in reply.splitlines() if line.strip()), "")
    return re.sub(r"^(改写后的问题|问题)[:：]\s*", "", first.strip()).strip("“”\"' ")


def message_text(message: Any) -> str:
    """The text of a chat message or chunk, whatever shape its content has."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", "")) if isinstance(part, dict) else ""
            for part in content
        )
    raise TypeError(f"unexpected reply from the model: {type(message).__name__}")


# --------------------------------------------------------------------------- checking what the model wrote


@dataclass
class CheckedAnswer:
    """A model answer that passed the checks: keys renumbered 1..m over the sources it cites."""

    text: str
    citations: list[Citation]
    dropped_keys: list[int] = field(default_factory=list)  # keys that pointed at no source


def check_llm_answer(
    raw: str, sources: Sequence[Citation], question: str, figures: Sequence[Figure] = ()
) -> CheckedAnswer | None:
    """The grounded form of a model answer, or None when it must not be shown (see review_llm_answer)."""
    return review_llm_answer(raw, sources, question, figures)[0]


def review_llm_answer(
    raw: str, sources: Sequence[Citation], question: str, figures: Sequence[Figure] = ()
) -> tuple[CheckedAnswer | None, str]:
    """Check a model answer against its numbered sources; (answer, "") or (None, reason).

    - keys [n] that point at no source are deleted; the cited sources are renumbered 1..m in
      order of first use and are the answer's citations; no valid key left → not grounded;
    - every number (years too) must stand in a cited source (title, section or quote) or in the
      question; a sentence with keys is held to the sources it cites;
    - the refusal phrase is not an answer here (the offline answer found one);
    - each exact table figure must be stated, with its value, and not as another number.

    A leading <think>…</think> block (reasoning models) is removed first.
    """
    text = _THINKING.sub("", raw or "").strip()
    if not text:
        return None, "the model returned an empty answer"
    if any(mark in text for mark in _REFUSAL_MARKS):
        return None, "the model refused although the sources hold an answer"
    renumber: dict[int, int] = {}
    dropped: list[int] = []

    def rewrite_keys(match: re.Match[str]) -> str:
        new = []
        for key in (int(k) for k in re.split(r"\s*[,，、]\s*", match[1].strip())):
            if 1 <= key <= len(sources):
                new.append(renumber.setdefault(key, len(renumber) + 1))
            else:
                dropped.append(key)
        return "".join(f"[{n}]" for n in dict.fromkeys(new))

    text = _KEYS.sub(rewrite_keys, text).strip()
    if not renumber:
        why = (
            f"it cites only keys with no source ({_keys_text(dropped)})" if dropped else "it cites no source"
        )
        return None, f"the model answer is not grounded: {why}"
    cited = [sources[old - 1] for old in sorted(renumber, key=renumber.__getitem__)]
    problem = _number_problem(text, cited, question) or _figure_problem(text, figures)
    if problem:
        return None, problem
    return CheckedAnswer(text=text, citations=cited, dropped_keys=dropped), ""


def _keys_text(keys: Sequence[int]) -> str:
    return "".join(f"[{k}]" for k in keys)


def _sentences_with_keys(text: str) -> list[tuple[str, list[int]]]:
    """Sentences and the (renumbered) keys each cites; a key after the full stop belongs to its sentence."""
    pieces: list[str] = []
    for sentence in split_sentences(text):
        lead = re.match(r"^(?:\s*\[\d+\])+", sentence)
        if lead and pieces:
            pieces[-1] += lead[0]
            sentence = sentence[lead.end() :]
        if sentence.strip():
            pieces.append(sentence)
    return [(s, [int(k) for k in re.findall(r"\[(\d+)\]", s)]) for s in pieces]


def source_numbers(source: Citation) -> set[str]:
    """The numbers a source holds, in digits or in Chinese numerals (第三十三条, 二十个工作日)."""
    text = f"{source.title} {source.section} {without_instructions(source.quote)}"
    return set(numbers_in(text)) | chinese_numbers(text)


def _number_problem(text: str, cited: Sequence[Citation], question: str) -> str:
    asked = set(numbers_in(question)) | chinese_numbers(question)
    held = [source_numbers(c) for c in cited]
    anywhere = set().union(*held)
    for sentence, keys in _sentences_with_keys(text):
        allowed = set().union(*(held[k - 1] for k in keys)) if keys else anywhere
        for number in numbers_in(re.sub(r"\[\d+\]", " ", sentence)):
            if number not in allowed and number not in asked:
                named = [cited[k - 1] for k in keys] or list(cited)
                where = "; ".join(f"{c.source} {c.section}" for c in named)
                return (
                    f"number {number} in {sentence.strip()!r} stands neither in its sources ({where}) "
                    "nor in the question"
                )
    return ""


def _figure_problem(text: str, figures: Sequence[Figure]) -> str:
    """Table questions keep the exact figure from the facts table whatever the model writes."""
    plain = re.sub(r"\[\d+\]", " ", text)
    years = {f.document.year for f in figures if f.document.year}
    by_year = len(years) == len(figures) > 1  # one figure a year: each year's figure has its own stretch
    for fig in figures:
        scope, scoped = plain, len(figures) == 1
        if by_year and str(fig.document.year) in plain:
            scope, scoped = _year_stretch(plain, fig.document.year, years), True  # type: ignore[arg-type]
        label = f"{fig.document.year or ''}年 {fig.section}"
        if fig.value is None:
            if not any(word in scope for word in _BLANK_WORDS):
                return f"the figure for {label} is blank in the report, and the answer does not say so"
            continue
        value = format_number(fig.value)
        if value not in numbers_in(scope):
            return f"the exact figure {value}{fig.unit} for {label} is missing from the answer"
        stated = re.findall(rf"(\d+(?:\.\d+)?)\s*{re.escape(fig.unit)}", scope) if fig.unit else []
        if scoped and stated and numbers_in(stated[0])[0] != value:
            return f"the answer states {stated[0]}{fig.unit} for {label}, the table says {value}{fig.unit}"
    return ""


def _year_stretch(text: str, year: int, years: set[int]) -> str:
    """The parts of a text from each mention of `year` up to the next mention of another figure's year."""
    marks = sorted((m.start(), int(m[0])) for m in re.finditer(r"(?:19|20)\d{2}", text) if int(m[0]) in years)
    parts = []
    for i, (start, y) in enumerate(marks):
        if y == year:
            end = next((s for s, other in marks[i + 1 :] if other != year), len(text))
            parts.append(text[start:end])
    return " ".join(parts)


_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", [0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9], strict=True))
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(r"(第)?([零〇一二两三四五六七八九十百千万]+)")
_COUNTED = set("个日天年月周件条项次名人万元倍款章节")


def chinese_numbers(text: str) -> set[str]:
    """Numbers written in Chinese numerals, where they count something (第…条, …个工作日, …日)."""
    out = set()
    for match in _CN_NUMBER.finditer(text):
        counted = match.end() < len(text) and text[match.end()] in _COUNTED
        if match[1] or counted:
            value = chinese_to_int(match[2])
            if value is not None:
                out.add(str(value))
    return out


def chinese_to_int(numeral: str) -> int | None:
    """三十三 → 33, 二十 → 20, 两 → 2, 一百零五 → 105, 二〇二二 → 2022; None when it is not a number."""
    if not any(ch in _CN_UNITS or ch == "万" for ch in numeral):
        digits = [_CN_DIGITS.get(ch) for ch in numeral]
        return int("".join(str(d) for d in digits)) if None not in digits else None
    total = section = digit = 0
    for ch in numeral:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
    return total + section + digit


# --------------------------------------------------------------------------- answering


def unavailable_answer(offline: Answer) -> Answer:
    """The offline answer, saying first that the language model could not be used."""
    return offline.model_copy(update={"answer": f"{UNAVAILABLE_NOTE}\n{offline.answer}"})


def _describe(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message[:200]}" if message else type(exc).__name__


def _asked(evidence: Evidence) -> str:
    # The question as typed, when Evidence carries it; else its standalone form.
    return evidence.asked or evidence.question


def question_for_model(model: BaseChatModel, evidence: Evidence, history: Sequence[dict[str, Any]]) -> str:
    """The question the model answers: a follow-up is rewritten by the model into a standalone question.

    Retrieval was already done offline with slot carry-over; this only changes the wording the
    model sees. If the rewrite fails, the offline standalone question is used; if the endpoint is
    down altogether, the error propagates (a second call would only fail the same way).
    """
    asked = _asked(evidence)
    has_history = any(t.get("role") == "user" and t.get("content") for t in history)
    if not has_history or not (evidence.slots.carried or is_follow_up(asked, evidence.slots)):
        return evidence.question
    try:
        rewritten = rewrite_question(model, asked, history)
    except _ENDPOINT_DOWN:
        raise
    except Exception as exc:  # noqa: BLE001 - any other failure: the offline question will do
        log.warning("follow-up rewrite failed (%s); using the offline standalone question", _describe(exc))
        return evidence.question
    if not rewritten or len(rewritten) > 4 * len(asked) + 120:
        log.warning("follow-up rewrite unusable (%r); using the offline standalone question", rewritten[:80])
        return evidence.question
    return rewritten


def _final_answer(raw: str, evidence: Evidence, offline: Answer) -> Answer:
    question = " ".join(dict.fromkeys([_asked(evidence), evidence.question]))
    checked, reason = review_llm_answer(raw, evidence.citations, question, evidence.figures)
    if checked is None and offline.status == "not_found":
        log.info("LLM answer not used (%s); the documents do not hold the answer", reason)
        return offline
    if checked is None:
        log.warning("LLM answer rejected, showing the offline answer: %s", reason)
        return offline
    if checked.dropped_keys:
        log.warning("LLM answer cited keys with no source, removed: %s", _keys_text(checked.dropped_keys))
    return Answer(status="answered", answer=checked.text, citations=checked.citations)


def llm_answer(
    model: BaseChatModel, evidence: Evidence, offline: Answer, history: Sequence[dict[str, Any]]
) -> Answer:
    """The model's answer from the numbered sources when it is grounded, else the offline answer."""
    try:
        question = question_for_model(model, evidence, history)
        raw = message_text(model.invoke(build_messages(evidence, question, history)))
        if not raw.strip():
            raise ValueError("empty reply")
    except Exception as exc:  # noqa: BLE001 - down, slow, wrong key, 5xx, garbage: never break the answer
        log.warning("language model unavailable (%s); answering offline", _describe(exc))
        return unavailable_answer(offline)
    return _final_answer(raw, evidence, offline)


def llm_stream(
    model: BaseChatModel, evidence: Evidence, offline: Answer, history: Sequence[dict[str, Any]]
) -> Iterator[str | Answer]:
    """Yield the model's text pieces as they arrive, then the checked final Answer (or the offline one).

    The final Answer replaces the streamed text: it may be the offline answer when the model's
    text did not pass the checks, or the offline answer with UNAVAILABLE_NOTE on an error.
    """
    pieces: list[str] = []
    try:
        question = question_for_model(model, evidence, history)
        for chunk in model.stream(build_messages(evidence, question, history)):
            piece = message_text(chunk)
            if piece:
                pieces.append(piece)
                yield piece
        if not "".join(pieces).strip():
            raise ValueError("empty reply")
    except Exception as exc:  # noqa: BLE001 - as in llm_answer
        log.warning(
            "language model unavailable (%s) after %d pieces; answering offline", _describe(exc), len(pieces)
        )
        yield unavailable_answer(offline)
        return
    yield _final_answer("".join(pieces), evidence, offline)


__all__ = [
    "UNAVAILABLE_NOTE",
    "CheckedAnswer",
    "build_messages",
    "check_llm_answer",
    "llm_answer",
    "llm_stream",
    "make_chat_model",
    "review_llm_answer",
]
