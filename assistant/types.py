"""Domain types of the question side: the answer object of DESIGN.md, its citations, and the evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from assistant.facts import Figure
from assistant.links import document_url
from assistant.query import Slots

# How an answer was reached (the question log records it).
AnswerPath = Literal["facts", "retrieval", "check", "not_found", "llm"]
# Where a question's passages were searched (Signals.scope; each has its own gates).
SearchScope = Literal["rules", "all", "agency"]


class Citation(BaseModel):
    source: str = Field(description="File name as ingested.")
    title: str = Field(description="Document title, read from the document itself.")
    section: str = Field(
        description="Section path, table row or article, e.g. '表三 三、本年度办理结果 / （三）不予公开'."
    )
    quote: str = Field(description="The cited text as it stands in the source.")
    url: str = Field(
        default="",
        description="The cited section or row on the document's page: /documents/{source}#anchor, "
        "relative to the app.",
    )

    @model_validator(mode="after")
    def _link(self) -> Citation:
        if not self.url and self.source:
            self.url = document_url(self.source, self.section)
        return self


class SeriesPoint(BaseModel):
    """One figure of a series (one quantity over years, agencies or rows), for drawing a chart."""

    agency: str = Field(description="Agency (canonical name) whose report states the figure.")
    year: int = Field(description="Report year.")
    label: str = Field(description="The quantity, or the row within it, e.g. '行政复议'.")
    value: float | None = Field(description="The figure; null for a blank cell (blank is not 0).")
    source: str = Field(description="File name of the report the figure comes from (as in citations).")
    flagged: bool = Field(
        default=False,
        description="A failed check of the report's own arithmetic concerns this figure (served as published).",
    )


class Answer(BaseModel):
    status: Literal["answered", "not_found"]
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    id: str | None = Field(
        default=None,
        description="The question-log entry of this answer, for POST /api/feedback; only present "
        "when the question log is on (GONGKAI_LOG_DAYS > 0).",
        exclude_if=lambda value: value is None,
    )
    series: list[SeriesPoint] | None = Field(
        default=None,
        description="When the answer states figures of one quantity for several years, agencies or rows: "
        "one point each, so a page can draw its own chart; absent otherwise.",
        exclude_if=lambda value: value is None,
    )

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump()


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


@dataclass
class Signals:
    """The evidence a retrieved passage gives that it answers the question (see assistant.answerability).

    - coverage: IDF-weighted share of the question's content words that the passage holds (0-1);
    - dense: cosine similarity of question and passage; dense_gap: that similarity minus the mean
      similarity of the question to the passages searched (how far the passage stands out);
    - wording: cosine similarity of the question to the closest common wording (常见问法)
      attached to the passage, plus a tenth of the share of the question's words that wording
      holds (0 when none is attached);
    - rare: how far the passage (or its closest wording) holds the question's rarest content word
      (1 when the question has no Chinese content word to look for);
    - counted: the question asks 「几期/多少篇」 and the passage states a count with that word;
    - unstated: the question asks for a period, an amount or a count (「几个月」, 「多少钱」, 「有多少申请」) and the passage
      states no figure of that kind: close words, but not the answer, so these have their own gate;
    - who: the question asks for a name (「组长是谁」, 「叫什么名字」): passages that hold the
      question's words but not the name are common, so these have a gate of their own;
    - scope: where the passage was searched: "rules" (regulations, no agency named), "all"
      (everything, no agency named) or "agency" (the named agencies' reports).
    """

    coverage: float = 0.0
    dense: float = 0.0
    dense_gap: float = 0.0
    wording: float = 0.0
    rare: float = 1.0
    counted: bool = False
    unstated: bool = False
    who: bool = False
    scope: SearchScope = "all"
    english: bool = False

    def as_dict(self) -> dict[str, float | bool]:
        return asdict(self)


@dataclass
class Evidence:
    """What an answer stands on: numbered sources (citations with their full text) and the figures."""

    question: str  # standalone form of the question
    slots: Slots
    citations: list[Citation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    path: AnswerPath = "retrieval"  # llm: the model wrote the answer
    asked: str = ""  # the question as the user typed it
    signals: Signals | None = None  # for the retrieval path: the evidence of the best passage
    refused_by_gate: bool = False  # retrieval found passages, but too weak to answer offline
    trials: list[tuple[Signals, Answer]] = field(default_factory=list)  # calibration runs only
