"""Common wordings (常见问法): plain-language questions attached to passages, searched by embedding.

A citizen asks 「交了申请要等多久才答复」; the 条例 says 「行政机关不能当场答复的，应当自收到申请之日起
20个工作日内予以答复」. The two share few words, but the question is close in meaning to a wording
attached to 第三十三条. Wordings are data (JSON lines, see data/wordings/README.md): the project ships
them for the 条例 and the format notices, and staff add their own in <data dir>/wordings/.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.retrieval import Hit, SearchFilter
from ingest.types import Chunk

log = logging.getLogger(__name__)

BUNDLED_WORDINGS = Path(__file__).resolve().parent.parent / "data" / "wordings"


@dataclass(frozen=True)
class Wording:
    """One wording and the passage it belongs to (source file + section, `contains` to tell apart
    several chunks of one section)."""

    question: str
    source: str
    section: str
    contains: str = ""
    lang: str = "zh"
    origin: str = "bundled"  # bundled | staff
    id: str = ""  # staff wordings added through the staff area carry one; else see wording_id


def wording_id(wording: Wording) -> str:
    """A wording's id: the one its line carries, else a stable hash of what it says and where
    ("b-…" bundled, "s-…" staff)."""
    if wording.id:
        return wording.id
    key = "\n".join((wording.source, wording.section, wording.contains, wording.question))
    prefix = "b" if wording.origin == "bundled" else "s"
    return f"{prefix}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def folder_signature(folder: Path) -> tuple[tuple[str, int, int, int], ...]:
    """What the *.jsonl files of a folder look like on disk (name, inode, size, mtime): it changes
    whenever staff add, edit or remove a wording, so the index is rebuilt without a restart."""
    out = []
    for path in wording_files(folder):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((path.name, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def wording_files(*folders: Path) -> list[Path]:
    """The *.jsonl files of the given folders that exist, in a stable order."""
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.jsonl")))
    return files


def load_wordings(paths: Iterable[Path], origin: str = "bundled") -> list[Wording]:
    """Wordings from JSON-lines files; a malformed line is logged and skipped, never fatal."""
    out: list[Wording] = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(
                    Wording(
                        question=str(row["question"]).strip(),
                        source=str(row["source"]).strip(),
                        section=str(row["section"]).strip(),
                        contains=str(row.get("contains") or "").strip(),
                        lang=str(row.get("lang") or "zh"),
                        origin=str(row.get("origin") or origin),
                        id=str(row.get("id") or ""),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s line %d: not a wording (%s)", path, n, exc)
    return [w for w in out if w.question]


def attach(wordings: Iterable[Wording], chunks: Iterable[Chunk]) -> list[tuple[Wording, Chunk]]:
    """Pair each wording with the live chunks it names (by source and section, and `contains`)."""
    by_place: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in chunks:
        by_place.setdefault((chunk.source, chunk.section), []).append(chunk)
    pairs: list[tuple[Wording, Chunk]] = []
    for wording in wordings:
        for chunk in by_place.get((wording.source, wording.section), []):
            if not wording.contains or wording.contains in chunk.text:
                pairs.append((wording, chunk))
    return pairs


class WordingIndex:
    """Wording vectors (embedded as queries) and the chunk each belongs to."""

    def __init__(self, pairs: list[tuple[Wording, Chunk]], vectors: np.ndarray) -> None:
        self.pairs = pairs
        self.matrix: np.ndarray = (
            vectors.astype(np.float32) if len(pairs) else np.zeros((0, 1), dtype=np.float32)
        )
        norms = np.linalg.norm(self.matrix, axis=1, keepdims=True) if len(pairs) else None
        if norms is not None:
            self.matrix = self.matrix / np.where(norms > 0, norms, 1.0)

    def __len__(self) -> int:
        return len(self.pairs)

    def search(
        self,
        vector: list[float],
        flt: SearchFilter,
        k: int,
        bonus: Callable[[str], float] | None = None,
    ) -> list[tuple[Hit, Wording]]:
        """The k chunks whose closest wording is nearest the question, one hit per chunk; the hit's
        score is the cosine similarity. `bonus(wording text)` is added for the order only (a small
        lexical term: the embedder finds 「哪些信息应当公开」 and 「哪些信息不予公开」 alike)."""
        if not self.pairs:
            return []
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        scores = self.matrix @ query
        order_by = scores
        if bonus is not None:
            order_by = scores + np.fromiter((bonus(w.question) for w, _ in self.pairs), dtype=np.float32)
        best: dict[str, tuple[float, Wording]] = {}
        for i in np.argsort(-order_by, kind="stable"):
            wording, chunk = self.pairs[i]
            if chunk.chunk_id in best or not flt.accepts(chunk):
                continue
            best[chunk.chunk_id] = (float(scores[i]), wording)
            if len(best) >= k:
                break
        return [(Hit(cid, score), wording) for cid, (score, wording) in best.items()]
