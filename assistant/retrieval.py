"""Retrieval as small pure functions: filters, reciprocal-rank fusion, passage relevance."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.text import bigrams, split_sentences
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


def coverage(question_terms: set[str], text: str, weights: dict[str, float] | None = None) -> float:
    """Share of the question's content bigrams found in a text (weighted when weights are given)."""
    if not question_terms:
        return 0.0
    grams = bigrams(text)
    weights = weights or {}
    total = sum(weights.get(t, 1.0) for t in question_terms)
    found = sum(weights.get(t, 1.0) for t in question_terms if t in grams)
    return found / total if total else 0.0


def best_sentences(question_terms: set[str], text: str, limit: int = 2, max_chars: int = 220) -> list[str]:
    """The sentences of a passage that cover the question best, in their original order."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    scored = [(coverage(question_terms, s), -i, s) for i, s in enumerate(sentences)]
    scored.sort(reverse=True)
    chosen: list[tuple[int, str]] = []
    used = 0
    for score, neg_i, sentence in scored:
        if score <= 0 and chosen:
            break
        if chosen and used + len(sentence) > max_chars:
            continue
        chosen.append((-neg_i, sentence))
        used += len(sentence)
        if len(chosen) >= limit:
            break
    return [s for _, s in sorted(chosen)]
