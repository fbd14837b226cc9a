"""Series, ranking and result-row questions with their charts: answer time and chart time.

    .venv/bin/python -m bench.series_bench DATA_DIR [--repeat 5]

The questions are built from the catalog of DATA_DIR (an ingested data dir, e.g. the bundled
corpus): for every agency with two or more years one quantity over its years, for every year
with two or more agencies a ranking, for every report its result rows. Each is asked `repeat`
times after one warm-up round; the figures are the time of `Assistant.ask` and of building the
chart's Vega-Lite spec from the answer's series (what the chat draws with gr.Plot).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from bench.common import machine, percentile, save


def questions(documents: list) -> list[str]:
    """Series questions over the reports a catalog holds (no question names a corpus file)."""
    years: dict[str, set[int]] = defaultdict(set)
    agencies: dict[int, set[str]] = defaultdict(set)
    for d in documents:
        if d.kind == "report" and d.agency and d.year:
            years[d.agency].add(d.year)
            agencies[d.year].add(d.agency)
    out = [f"{a}这几年被行政复议的次数有什么变化？" for a, ys in sorted(years.items()) if len(ys) >= 2]
    out += [f"{y}年各单位谁收到的申请最多？" for y, names in sorted(agencies.items()) if len(names) >= 2]
    out += [f"{a}{y}年的申请办理结果是怎样的？" for a, ys in sorted(years.items()) for y in sorted(ys)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from assistant.config import Settings
    from assistant.service import Assistant
    from assistant.web.charts import series_spec

    assistant = Assistant(Settings(data_dir=Path(args.data_dir)))
    asked = questions(assistant.store.documents())
    answer_ms: list[float] = []
    chart_ms: list[float] = []
    charted = 0
    for round_ in range(args.repeat + 1):
        for question in asked:
            t0 = time.perf_counter()
            answer = assistant.ask(question)
            t1 = time.perf_counter()
            spec = series_spec(answer.series)
            t2 = time.perf_counter()
            if round_ == 0:  # warm-up round: caches, the embedder, Altair's chart templates
                charted += spec is not None
                continue
            answer_ms.append((t1 - t0) * 1000)
            chart_ms.append((t2 - t1) * 1000)
    total = [a + c for a, c in zip(answer_ms, chart_ms)]
    result = {
        "machine": machine(),
        "questions": len(asked),
        "with_chart": charted,
        "answer_ms": {"p50": round(percentile(answer_ms, 50), 1), "p95": round(percentile(answer_ms, 95), 1)},
        "chart_ms": {"p50": round(percentile(chart_ms, 50), 1), "p95": round(percentile(chart_ms, 95), 1)},
        "answer_and_chart_ms": {
            "p50": round(percentile(total, 50), 1),
            "p95": round(percentile(total, 95), 1),
        },
    }
    path = save("series", result)
    print(
        f"{len(asked)} series questions ({charted} with a chart), {args.repeat} rounds: "
        f"answer p50 {result['answer_ms']['p50']} ms, p95 {result['answer_ms']['p95']} ms; "
        f"chart spec p95 {result['chart_ms']['p95']} ms; answer + chart p95 {result['answer_and_chart_ms']['p95']} ms"
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
