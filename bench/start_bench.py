"""What a worker's start costs in BM25, three ways, at the bundled corpus and at generated sizes.

For each corpus a catalog is written the way an ingest writes it (parse, `Catalog.replace_document`,
the chunks' tokens into the token cache), without embedding: the BM25 start does not touch
vectors, and embedding N = 1000 takes half an hour on this machine. Then each of three fresh
processes opens a `Store` on it and times the BM25 index until it answers one sparse search:

- `jieba`: no stored tokens and no saved index: every chunk tokenized, then indexed (the old start);
- `tokens`: tokens read from the catalog, then indexed (a worker with no saved index);
- `saved`: the index loaded from the worker's data dir (a restart with no ingest in between).

Then, in one more fresh process per code version, what a worker pays when the catalog changes under
it (`pickup`): a second `Store` over the same catalog (another worker, or `gongkai ingest`) removes
one report, then ingests it again (its tokens are in the token cache, as an ingest leaves them); the
reader's next sparse search is timed each time, and sparse_search's latency over the corpus's
questions before and after. With `--before-tree PATH` (the code before the incremental index, e.g.
`git archive 45322a3 assistant ingest prompts data | tar -x -C PATH`) the same is measured with that code, which
rebuilt the whole bm25s index from stored tokens.

With `--data-dir` (an ingested data dir), also a whole first answer in a fresh process, cold and
after `Assistant.warm_up`; with `--serve`, a real worker (`gongkai serve` on a copy of that data
dir): seconds from launch until it listens, the first /api/ask sent the moment it listens, with the
start's warm-up off and on, and one sent once /api/health says `"warm": true`.

    .venv/bin/python -m bench.start_bench --sizes 200
    .venv/bin/python -m bench.start_bench --sizes 200 1000 --reuse --before-tree /tmp/before
    .venv/bin/python -m bench.start_bench --sizes --data-dir .gongkai --serve   # + a whole first answer
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import OUT, ROOT, corpus_names, corpus_paths, question_file

MODES = ("jieba", "tokens", "saved")

MEASURE = """
import json, resource, sys, time
t0 = time.perf_counter()
import assistant.sparse as sparse
from assistant.retrieval import SearchFilter
from assistant.store import Store
mode, data_dir = sys.argv[1], sys.argv[2]
if mode == "jieba":
    sparse.tokenizer_fingerprint = lambda: "bench-no-stored-tokens"
    real = sparse.chunk_tokens
    sparse.chunk_tokens = lambda catalog, chunks, write_back=True: real(catalog, chunks, write_back=False)
    import assistant.store as store_module
    store_module.chunk_tokens = sparse.chunk_tokens
import jieba, bm25s
from assistant.text import tokenize
t1 = time.perf_counter()
jieba.initialize()  # jieba's dictionary: every worker loads it once, whatever the BM25 path
tokenize("政府信息公开")
t2 = time.perf_counter()
store = Store(data_dir)
chunks = len(store.catalog.chunk_ids())
t3 = time.perf_counter()
store.sparse_search("政府信息公开申请 行政复议", SearchFilter(), 10)
t4 = time.perf_counter()
store.sparse_search("主动公开 规范性文件", SearchFilter(), 10)
t5 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "jieba_init_s": t2 - t1, "open_s": t3 - t2,
                  "bm25_first_search_s": t4 - t3, "next_search_ms": (t5 - t4) * 1000, "chunks": chunks,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


FIRST_ANSWER = """
import json, resource, sys, time
t0 = time.perf_counter()
from assistant.config import Settings
from assistant.service import Assistant
assistant = Assistant(Settings(data_dir=sys.argv[1], ingest_bundled=False))
t1 = time.perf_counter()
warm_up_s = assistant.warm_up() if sys.argv[3] == "warm" else None
t1b = time.perf_counter()
answer = assistant.ask(sys.argv[2])
t2 = time.perf_counter()
again = assistant.ask(sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"imports_and_open_s": t1 - t0, "warm_up_s": warm_up_s, "first_answer_s": t2 - t1b,
                  "second_answer_ms": (t3 - t2) * 1000, "status": answer.status,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
FIRST_QUESTION = "小岔乡政务公开领导小组的组长是谁？"


PICKUP = """
import json, resource, sys, time
import numpy as np
from assistant.retrieval import SearchFilter
from assistant.sparse import chunk_tokens
from assistant.store import Store
from ingest.pipeline import PARSER_VERSION, parse_bytes
data_dir, report, questions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
reader = Store(data_dir)
t0 = time.perf_counter()
reader.sparse_search(questions[0], SearchFilter(), 10)
start_s = time.perf_counter() - t0

def latencies():
    for q in questions[:5]:  # warm (and, for the new index, its column cache)
        reader.sparse_search(q, SearchFilter(), 100)
    out = []
    for q in questions:
        t = time.perf_counter()
        reader.sparse_search(q, SearchFilter(), 100)
        out.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": float(np.percentile(out, 50)), "p95_ms": float(np.percentile(out, 95))}

def picked_up():
    t = time.perf_counter()
    reader.sparse_search(questions[0], SearchFilter(), 10)
    return time.perf_counter() - t

query_before = latencies()
writer = Store(data_dir)  # elsewhere: its own catalog connection
parsed = parse_bytes(open(report, "rb").read(), report.rsplit("/", 1)[-1])
(doc,) = [d for d in writer.catalog.documents() if d.source == parsed.document.source]
writer.catalog.delete_document(doc.doc_id)
removed_s = picked_up()
chunk_tokens(writer.catalog, parsed.chunks)  # what the ingest stores (cached already: no jieba)
writer.catalog.replace_document(parsed.document, parsed.chunks, parsed.facts, parsed.checks,
                                parsed.problems, (), PARSER_VERSION)
added_s = picked_up()
query_after = latencies()
print(json.dumps({"start_s": start_s, "removed_s": removed_s, "added_s": added_s,
                  "report_chunks": len(parsed.chunks), "query_before_change": query_before,
                  "query_after_changes": query_after, "questions": len(questions),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def first_answer(data_dir: Path, saved: bool, warm: bool = False) -> dict:
    """A fresh process over a real data dir (vectors and all): time to its first whole answer, with
    the saved BM25 index or without it (built from stored tokens), asked cold or after the warm-up."""
    if not saved:
        shutil.rmtree(data_dir / "bm25", ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_ANSWER, str(data_dir), FIRST_QUESTION, "warm" if warm else "cold"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_json(url: str, body: dict | None = None, timeout: float = 600) -> dict:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 503 from /api/health still has a body
        return json.loads(exc.read())


def served_first_answer(data_dir: Path, warm_up: bool, wait_warm: bool) -> dict:
    """`gongkai serve` on a copy of `data_dir`: seconds from launch until it listens, then the first
    /api/ask (sent at once, or once /api/health says warm), its latency and when the warm-up ended."""
    with tempfile.TemporaryDirectory(prefix="start-bench-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy)
        port = _free_port()
        env = {
            **os.environ,
            "GONGKAI_DATA_DIR": str(copy),
            "GONGKAI_PORT": str(port),
            "GONGKAI_INGEST_BUNDLED": "false",
            "GONGKAI_LOG_DAYS": "0",
            "GONGKAI_WARM_UP": "true" if warm_up else "false",
        }
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:  # listening: a TCP connection is accepted
                if proc.poll() is not None:
                    raise RuntimeError(f"gongkai serve exited with {proc.returncode}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            listening = time.perf_counter() - started
            warm_at = None
            if wait_warm:
                while not _get_json(f"{url}/api/health").get("warm"):
                    time.sleep(0.2)
                warm_at = time.perf_counter() - started
            asked = time.perf_counter()
            answer = _get_json(f"{url}/api/ask", {"question": FIRST_QUESTION})
            answered = time.perf_counter()
            if warm_up and warm_at is None:
                while not _get_json(f"{url}/api/health").get("warm"):
                    time.sleep(0.2)
                warm_at = time.perf_counter() - started
            again = time.perf_counter()
            _get_json(f"{url}/api/ask", {"question": FIRST_QUESTION})
            second = time.perf_counter() - again
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    return {
        "warm_up": warm_up,
        "asked": "when warm" if wait_warm else "when listening",
        "listening_s": listening,
        "warm_s_after_launch": warm_at,
        "first_answer_s": answered - asked,
        "first_answer_s_after_launch": answered - started,
        "second_answer_ms": second * 1000,
        "status": answer.get("status"),
    }


def write_catalog(name: str, folder: Path) -> dict:
    """Parse the corpus and write its catalog (documents, chunks, facts, checks, tokens)."""
    from assistant.catalog import Catalog
    from assistant.sparse import chunk_tokens
    from ingest.pipeline import PARSER_VERSION, parse_bytes

    shutil.rmtree(folder, ignore_errors=True)
    catalog = Catalog(folder / "gongkai.sqlite")
    started = time.perf_counter()
    files = sorted(p for root in corpus_paths(name) for p in sorted(root.rglob("*")) if p.is_file())
    documents = chunks = 0
    tokens_s = 0.0
    for path in files:
        try:
            parsed = parse_bytes(path.read_bytes(), path.name)
        except Exception:  # not a document (questions, summaries)
            continue
        t = time.perf_counter()
        chunk_tokens(catalog, parsed.chunks)
        tokens_s += time.perf_counter() - t
        catalog.replace_document(
            parsed.document, parsed.chunks, parsed.facts, parsed.checks, parsed.problems, (), PARSER_VERSION
        )
        documents += 1
        chunks += len(parsed.chunks)
    catalog.close()
    return {
        "documents": documents,
        "chunks": chunks,
        "write_s": time.perf_counter() - started,
        "tokenize_at_ingest_s": tokens_s,
    }


def measure(folder: Path, mode: str) -> dict:
    """One fresh process: open the store and time BM25 to its first search."""
    if mode != "saved":
        shutil.rmtree(folder / "bm25", ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pickup(name: str, folder: Path, tree: Path = ROOT) -> dict:
    """One fresh process running the code in `tree` over a copy of `folder` (no saved index): a
    report removed and ingested again elsewhere, and the time the reader takes to follow each."""
    questions = [
        json.loads(line)["question"] for line in question_file(name).read_text(encoding="utf-8").splitlines()
    ]
    files = sorted(p for root in corpus_paths(name) for p in sorted(root.rglob("*")) if p.suffix == ".txt")
    report = [p for p in files if "reports" in p.parts][-1]
    with tempfile.TemporaryDirectory(prefix="pickup-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("bm25"))
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                PICKUP,
                str(copy),
                str(report),
                json.dumps(questions[:200], ensure_ascii=False),
            ],
            capture_output=True,
            text=True,
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            timeout=1800,
        )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[200], help="generated corpus sizes")
    parser.add_argument("--no-bundled", action="store_true", help="skip the bundled corpus")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="also time a whole first answer over this ingested data dir",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="with --data-dir: also time a real worker (gongkai serve) to its first answer",
    )
    parser.add_argument("--reuse", action="store_true", help="keep a catalog written by an earlier run")
    parser.add_argument(
        "--before-tree",
        type=Path,
        default=None,
        help="also time the pickup with the code in this folder (assistant/ and ingest/ of an older commit)",
    )
    parser.add_argument("--pickup-only", action="store_true", help="skip the three start paths")
    args = parser.parse_args(argv)
    if args.data_dir:
        firsts = {}
        for saved, warm in ((False, False), (True, False), (True, True)):
            label = ("saved index" if saved else "stored tokens") + (", after warm-up" if warm else ", cold")
            firsts[label] = first_answer(args.data_dir, saved, warm)
            print("first answer", label, json.dumps(firsts[label]), flush=True)
        if args.serve:
            for warm_up, wait_warm in ((False, False), (True, False), (True, True)):
                row = served_first_answer(args.data_dir, warm_up, wait_warm)
                firsts[f"served, warm-up {'on' if warm_up else 'off'}, asked {row['asked']}"] = row
                print("served", json.dumps(row), flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "start_first_answer.json").write_text(json.dumps(firsts, indent=2), encoding="utf-8")
    rows = {}
    for name in corpus_names(args):
        folder = OUT / "start" / name
        if args.reuse and (folder / "gongkai.sqlite").exists():
            row: dict = {"catalog": "reused"}
        else:
            row = {"catalog": write_catalog(name, folder)}
        for mode in () if args.pickup_only else MODES:  # jieba first: it leaves the index `saved` loads
            row[mode] = measure(folder, mode)
        row["pickup"] = pickup(name, folder)
        if args.before_tree:
            row["pickup_before"] = pickup(name, folder, args.before_tree)
        row["load"] = os.getloadavg()
        rows[name] = row
        print(name, json.dumps(row, ensure_ascii=False), flush=True)
    (OUT / "start_bench.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    if not args.pickup_only:
        print(format_table(rows))
    print(format_pickup(rows))
    return 0


def format_pickup(rows: dict) -> str:
    """A Markdown table: a reader following one removed and one added report, before and after."""
    names = list(rows)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key, label in (("pickup_before", "before"), ("pickup", "after")):
        if not all(key in rows[n] for n in names):
            continue
        runs = [rows[n][key] for n in names]
        cells = {
            f"report removed elsewhere, next search ({label})": [f"{r['removed_s']:.3f} s" for r in runs],
            f"report added elsewhere, next search ({label})": [f"{r['added_s']:.3f} s" for r in runs],
            f"sparse_search p50 / p95 ({label})": [
                f"{r['query_after_changes']['p50_ms']:.2f} / {r['query_after_changes']['p95_ms']:.2f} ms"
                for r in runs
            ],
            f"RSS at the end ({label})": [f"{r['rss_mb']:.0f} MB" for r in runs],
        }
        lines.extend(f"| {k} | " + " | ".join(v) + " |" for k, v in cells.items())
    lines.append(
        "| load average (1 min) after | " + " | ".join(f"{rows[n]['load'][0]:.1f}" for n in names) + " |"
    )
    return "\n".join(lines)


def format_table(rows: dict) -> str:
    """A Markdown table: BM25 to the first search, per start path and corpus."""
    names = list(rows)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines.append("| chunks | " + " | ".join(f"{rows[n]['jieba']['chunks']:,}" for n in names) + " |")
    for mode, label in (
        ("jieba", "tokenize + index (before)"),
        ("tokens", "stored tokens + index"),
        ("saved", "saved index loaded"),
    ):
        cells = [f"{rows[n][mode]['bm25_first_search_s']:.2f} s" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| imports | " + " | ".join(f"{rows[n]['saved']['imports_s']:.2f} s" for n in names) + " |")
    lines.append(
        "| jieba dictionary load | "
        + " | ".join(f"{rows[n]['saved']['jieba_init_s']:.2f} s" for n in names)
        + " |"
    )
    lines.append(
        "| RSS after, saved index (MB) | "
        + " | ".join(f"{rows[n]['saved']['rss_mb']:.0f}" for n in names)
        + " |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
