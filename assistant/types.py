"""Domain types of the question side: the answer object of DESIGN.md and its citations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    source: str = Field(description="File name as ingested.")
    title: str = Field(description="Document title, read from the document itself.")
    section: str = Field(
        description="Section path, table row or article, e.g. '表三 三、本年度办理结果 / （三）不予公开'."
    )
    quote: str = Field(description="The cited text as it stands in the source.")


class Answer(BaseModel):
    status: Literal["answered", "not_found"]
    answer: str
    citations: list[Citation] = Field(default_factory=list)

    def to_json_dict(self) -> dict:
        return self.model_dump()


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str
