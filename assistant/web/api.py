"""The public JSON API: POST /api/ask, GET /api/documents, GET /api/health."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.inputs import clean_text
from assistant.types import Answer
from assistant.web.security import RATE_LIMITED_EN, RATE_LIMITED_ZH, client_key

if TYPE_CHECKING:
    pass

MAX_HISTORY_MESSAGES = 40
MAX_HISTORY_CHARS = 8000

router = APIRouter(prefix="/api", tags=["public"])


class HistoryMessage(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=MAX_HISTORY_CHARS)


class AskRequest(BaseModel):
    """A question, the conversation so far, and an optional agency/year scope."""

    model_config = ConfigDict(extra="ignore")

    question: str = Field(description="The question, in Chinese or English.")
    history: list[HistoryMessage] = Field(
        default_factory=list, max_length=MAX_HISTORY_MESSAGES, description="Earlier messages, oldest first."
    )
    agency: str | None = Field(default=None, max_length=100, description="Limit the answer to this agency.")
    year: int | None = Field(
        default=None, ge=1900, le=2100, description="Limit the answer to this report year."
    )


class PublicDocument(BaseModel):
    """A document in the corpus, as the public sees it."""

    source: str
    title: str
    kind: str
    agency: str = ""
    year: int | None = None


class Health(BaseModel):
    status: Literal["ok"]
    documents: int
    warm: bool = Field(
        description="The start's warm-up has finished: the first question pays no import or index load."
    )


def rate_limited(request: Request) -> None:
    """Dependency: 429 with a Chinese message when this client asked too often in the last minute."""
    limiter = request.app.state.limiter
    key = client_key(request)
    if not limiter.hit(key):
        raise HTTPException(
            status_code=429,
            detail=f"{RATE_LIMITED_ZH}{RATE_LIMITED_EN}",
            headers={"Retry-After": str(limiter.retry_after(key) or 60)},
        )


@router.post(
    "/ask",
    response_model=Answer,
    responses={
        422: {"description": "Invalid body or question too long"},
        429: {"description": "Rate limited"},
    },
)
def ask(body: AskRequest, request: Request) -> Answer:
    """Answer one question with its citations: {status, answer, citations[{source,title,section,quote}]}."""
    settings = request.app.state.settings
    question = clean_text(body.question).strip()
    if not question:
        raise HTTPException(status_code=422, detail="请输入问题。The question is empty.")
    if len(question) > settings.max_question_chars:
        limit = settings.max_question_chars
        raise HTTPException(
            status_code=422,
            detail=f"问题过长，请不要超过 {limit} 个字。The question is too long (at most {limit} characters).",
        )
    rate_limited(request)  # after the checks above: a refused question costs no turn
    history = [m.model_dump() for m in body.history]
    agency = (body.agency or "").strip() or None
    answer: Answer = request.app.state.assistant.ask(question, history, agency=agency, year=body.year)
    return answer


class Feedback(BaseModel):
    """A citizen's 👍 / 👎 on one answer (the answer's "id"), with an optional comment."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="The answer's id, as /api/ask returned it.")
    rating: Literal["up", "down"]
    comment: str | None = Field(
        default=None, max_length=1000, description="What was wrong or missing (optional)."
    )


@router.post(
    "/feedback",
    dependencies=[Depends(rate_limited)],
    responses={404: {"description": "No answer with this id"}, 422: {"description": "Invalid body"}},
)
def feedback(body: Feedback, request: Request) -> dict[str, str]:
    """Store a 👍 / 👎 (and a comment) with the logged answer; the last rating given counts."""
    qlog = getattr(request.app.state.assistant, "question_log", None)
    if qlog is None or not qlog.feedback(body.id, body.rating, body.comment):
        raise HTTPException(status_code=404, detail="没有这个回答。No answer with this id.")
    return {"status": "ok"}


@router.get("/documents", response_model=list[PublicDocument])
def documents(request: Request) -> list[PublicDocument]:
    """The documents the assistant answers from."""
    fields = PublicDocument.model_fields
    return [
        PublicDocument.model_validate({k: v for k, v in d.items() if k in fields and v is not None})
        for d in request.app.state.assistant.public_documents()
    ]


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"description": "Questions cannot be answered: the catalog or the index is broken"}},
)
def health(request: Request) -> Health | JSONResponse:
    """The number of documents, "ok" only when a search over the index runs (503 otherwise), and
    whether the start's warm-up has finished."""
    try:
        documents = len(request.app.state.assistant.public_documents())
        problem = request.app.state.assistant.health_problem()
    except Exception as exc:  # the catalog itself cannot be read
        problem = (
            f"资料库无法读取（{type(exc).__name__}）。The catalog cannot be read ({type(exc).__name__})."
        )
        documents = 0
    warm = bool(getattr(request.app.state.assistant, "warm", False))
    if problem:
        return JSONResponse(
            {"status": "error", "documents": documents, "warm": warm, "detail": problem}, status_code=503
        )
    return Health(status="ok", documents=documents, warm=warm)
