"""`gongkai eval`: run a question set and grade it by the rules of data/eval/README.md."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answerability import Observation
from assistant.text import is_year
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.answer import Context
    from assistant.service import Assistant

MAX_NUMBERS = 8


def _numbers(text: str) -> set[str]:
    return {m for m in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", text.replace(",", ""))}


def holds_number(text: str, number: str) -> bool:
    """`number` stands in `text` as a whole number, not inside a longer one."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)", text) is not None


@dataclass
class Grade:
    id: str
    question: str
    expected_status: str
    status_ok: bool
    answer_ok: bool
    evidence_ok: bool
    reasons: list[str] = field(default_factory=list)
    answer: Answer | None = None


def grade(item: dict[str, Any], answer: Answer) -> Grade:
    expect = item.get("expect", {})
    cite = item.get("cite") or {}
    g = Grade(
        id=item.get("id", ""),
        question=item.get("question", ""),
        expected_status=expect.get("status", "answered"),
        status_ok=answer.status == expect.get("status", "answered"),
        answer_ok=False,
        evidence_ok=False,
        answer=answer,
    )
    if not g.status_ok:
        g.reasons.append(f"status {answer.status}, expected {g.expected_status}")
        return g
    if g.expected_status == "not_found":
        g.answer_ok = g.evidence_ok = True
        return g
    numbers = expect.get("numbers", [])
    any_text = expect.get("any_text", [])
    ok = all(holds_number(answer.answer, n) for n in numbers)
    if not ok:
        g.reasons.append(f"answer lacks {numbers}")
    if any_text and not any(t in answer.answer for t in any_text):
        ok = False
        g.reasons.append(f"answer lacks any of {any_text}")
    distinct = {n for n in _numbers(answer.answer) if not is_year(n)}
    if len(distinct) > MAX_NUMBERS:
        ok = False
        g.reasons.append(f"answer has {len(distinct)} distinct numbers (> {MAX_NUMBERS})")
    g.answer_ok = ok
    source, keys = cite.get("source", ""), cite.get("keys", [])
    for c in answer.citations:
        if source and source not in c.source and source not in c.title:
            continue
        text = c.section + c.quote
        if keys and not any(k in text for k in keys):
            continue
        if numbers and not all(holds_number(text, n) for n in numbers):
            continue
        if any_text and not numbers and not any(t in text for t in any_text):
            continue
        g.evidence_ok = True
        break
    if not g.evidence_ok:
        g.reasons.append(f"no citation of {source} with {keys} holding the expected figure")
    return g


@dataclass
class EvalReport:
    grades: list[Grade]

    @property
    def answerable(self) -> list[Grade]:
        return [g for g in self.grades if g.expected_status == "answered"]

    @property
    def refusals(self) -> list[Grade]:
        return [g for g in self.grades if g.expected_status == "not_found"]

    @property
    def answer_accuracy(self) -> float:
        a = self.answerable
        return sum(g.answer_ok for g in a) / len(a) if a else 1.0

    @property
    def evidence_accuracy(self) -> float:
        a = self.answerable
        return sum(g.evidence_ok for g in a) / len(a) if a else 1.0

    @property
    def refusal_accuracy(self) -> float:
        r = self.refusals
        return sum(g.status_ok for g in r) / len(r) if r else 1.0

    def by_class(self, classes: dict[str, str]) -> dict[str, tuple[int, float, float]]:
        """{class: (questions, answer accuracy, evidence accuracy)}, refusals counted as right when
        refused; `classes` maps question id → class (the set's optional "class" field)."""
        out: dict[str, tuple[int, float, float]] = {}
        for name in sorted(set(classes.values())):
            grades = [g for g in self.grades if classes.get(g.id) == name]
            ok = [g.status_ok and g.answer_ok for g in grades]
            ev = [g.status_ok and g.evidence_ok for g in grades]
            out[name] = (len(grades), sum(ok) / len(grades), sum(ev) / len(grades))
        return out

    def format(self) -> str:
        lines = []
        for g in self.grades:
            if g.answer_ok and g.evidence_ok and g.status_ok:
                continue
            lines.append(f"FAIL {g.id}: {g.question}")
            for reason in g.reasons:
                lines.append(f"     - {reason}")
            if g.answer is not None:
                lines.append(f"     answer: {g.answer.answer[:300]!r}")
        lines.append(
            f"answer accuracy {self.answer_accuracy:.3f} ({sum(g.answer_ok for g in self.answerable)}/"
            f"{len(self.answerable)}), evidence accuracy {self.evidence_accuracy:.3f} "
            f"({sum(g.evidence_ok for g in self.answerable)}/{len(self.answerable)}), refusal accuracy "
            f"{self.refusal_accuracy:.3f} ({sum(g.status_ok for g in self.refusals)}/{len(self.refusals)})"
        )
        return "\n".join(lines)


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def format_classes(report: EvalReport, items: list[dict[str, Any]]) -> str:
    """One line per class of the set: questions, answer and evidence accuracy."""
    classes = {item.get("id", ""): item["class"] for item in items if item.get("class")}
    if not classes:
        return ""
    rows = [
        f"  {name:<14} {n:>4}  answer {a:.3f}  evidence {e:.3f}"
        for name, (n, a, e) in report.by_class(classes).items()
    ]
    return "by class:\n" + "\n".join(rows)


def observe(ctx: Context, items: list[dict[str, Any]]) -> list[Observation]:
    """Run each question with the gates open (ctx.thresholds = OPEN, ctx.explore = True); every
    search of a question decided by retrieval is one observation for
    :func:`assistant.answerability.calibrate`."""
    from assistant.answer import offline_answer

    out = []
    for item in items:
        _, evidence = offline_answer(ctx, item["question"], item.get("history") or [])
        answerable = item.get("expect", {}).get("status") != "not_found"
        for signals, answer in evidence.trials:  # none: facts, a check or a missing report decided
            g = grade(item, answer)
            out.append(Observation(signals, answerable, bool(g.status_ok and g.answer_ok and g.evidence_ok)))
    return out


def run_eval(assistant: Assistant, path: Path) -> EvalReport:
    grades = []
    for item in load_questions(path):
        answer = assistant.ask(item["question"], item.get("history") or [])
        grades.append(grade(item, answer))
    return EvalReport(grades)
