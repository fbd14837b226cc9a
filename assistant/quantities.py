"""Table quantities by meaning: a question the lexicon does not resolve is matched to the national
format's row and column labels and their plain-language glosses (data/table_labels.tsv) by
embedding, so that 「没法提供是因为机关没有」 or 'requests denied' find their cells.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.lexicon import QUANTITIES, Quantity
from assistant.text import tokenize

LABELS_PATH = Path(__file__).resolve().parent.parent / "data" / "table_labels.tsv"

# A gloss must be this close to the question, closer by MARGIN than any other quantity's, and
# share a distinctive word with the question: the embedder alone finds 「政府网站发布了多少条信息」
# as close to 「今年收到多少件信息公开申请」 (0.90) as true paraphrases are to their glosses.
MIN_SIMILARITY = 0.88
MARGIN = 0.01
GENERIC_SHARE = 0.2  # a word in the glosses of more than this share of the keys is not distinctive


@dataclass(frozen=True)
class Gloss:
    """One plain-language wording of a table quantity (key = the lexicon label) or column (col:…)."""

    key: str
    text: str


def load_glosses(path: Path = LABELS_PATH) -> list[Gloss]:
    """Glosses of data/table_labels.tsv: 'key<TAB>gloss|gloss|…', lines starting with # are comments."""
    out: list[Gloss] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        key, glosses = line.split("\t", 1)
        out.extend(Gloss(key.strip(), g.strip()) for g in glosses.split("|") if g.strip())
    return out


def quantity_by_label() -> dict[str, Quantity]:
    """The lexicon's quantities by label (the first entry of a label wins)."""
    out: dict[str, Quantity] = {}
    for _, quantity in QUANTITIES:
        out.setdefault(quantity.label, quantity)
    return out


class QuantityIndex:
    """Gloss vectors (query-side embeddings) and a nearest-quantity lookup. `common` are words too
    frequent in the corpus to tell quantities apart (政府, 信息, 机关)."""

    def __init__(
        self, glosses: list[Gloss], vectors: np.ndarray, common: AbstractSet[str] = frozenset()
    ) -> None:
        self.glosses = glosses
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(glosses) else np.ones((0, 1))
        self.matrix = vectors / np.where(norms > 0, norms, 1.0) if len(glosses) else vectors
        self.quantities = quantity_by_label()
        words: dict[str, set[str]] = {}
        for gloss in glosses:
            words.setdefault(gloss.key, set()).update(_words(gloss.text))
        counts: dict[str, int] = {}
        for key_words in words.values():
            for word in key_words:
                counts[word] = counts.get(word, 0) + 1
        generic = {w for w, n in counts.items() if n > GENERIC_SHARE * max(1, len(words))} | set(common)
        self.distinctive = {key: key_words - generic for key, key_words in words.items()}

    def supported(self, key: str, question: str) -> bool:
        """Whether the question shares a distinctive word with the key's glosses."""
        return bool(self.distinctive.get(key, set()) & set(_words(question)))

    def nearest(self, vector: list[float], columns: bool = False) -> tuple[str, float, float] | None:
        """(key, similarity, margin over the next key) among quantities (or among columns)."""
        if not self.glosses:
            return None
        query = np.asarray(vector, dtype=np.float32)
        scores = self.matrix @ (query / (np.linalg.norm(query) or 1.0))
        best: dict[str, float] = {}
        for gloss, score in zip(self.glosses, scores):
            if gloss.key.startswith("col:") != columns:
                continue
            best[gloss.key] = max(best.get(gloss.key, -1.0), float(score))
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        margin = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0.0)
        return ranked[0][0], ranked[0][1], margin

    def match(self, vector: list[float], question: str) -> Quantity | None:
        """The quantity a question means, when one gloss is close enough, clearly the closest, and
        shares a distinctive word with the question."""
        found = self.nearest(vector)
        if found is None:
            return None
        key, similarity, margin = found
        if similarity < MIN_SIMILARITY or margin < MARGIN or not self.supported(key, question):
            return None
        return self.quantities.get(key)

    def match_column(self, vector: list[float], question: str) -> str | None:
        """The table-3 applicant column a question means, under the same rule."""
        found = self.nearest(vector, columns=True)
        if found is None or found[1] < MIN_SIMILARITY or found[2] < MARGIN:
            return None
        if not self.supported(found[0], question):
            return None
        return found[0].removeprefix("col:")


def _words(text: str) -> list[str]:
    """Content words of a gloss or question: jieba tokens of 2+ characters, English words of 4+ letters."""
    return [t for t in tokenize(text) if len(t) >= 2 and (not t.isascii() or len(t) >= 4)]
