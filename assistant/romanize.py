"""Chinese names romanized for English questions (「Junshan」 for 君山), by pypinyin in a child process.

pypinyin's phrase and character tables take about 40 MB of a process that imports it, and a worker
needs them only for the names of the agencies and regulations it holds, which change when the
catalog does. So a worker never imports pypinyin: the names it has not romanized yet go to one
short-lived `python -c` child (about 0.5 s), in one batch per catalog generation (every agency's
aliases at the first English question, every regulation's places when the regulations' marks are
read), and the results are kept by name. A child that fails is logged and the names are romanized
in this process instead, the same result at the old cost in memory.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

# the child computes what in_process does (a test compares them)
_CHILD = (
    "import json, sys\n"
    "from pypinyin import lazy_pinyin\n"
    "names = json.loads(sys.stdin.buffer.read().decode('utf-8'))\n"
    "out = [''.join(lazy_pinyin(name)).lower() for name in names]\n"
    "sys.stdout.buffer.write(json.dumps(out).encode('utf-8'))\n"
)
TIMEOUT_S = 60.0

_known: dict[str, str] = {}
_lock = threading.Lock()


def romanized(names: Iterable[str]) -> dict[str, str]:
    """{name: its toneless pinyin, lower case, as `"".join(pypinyin.lazy_pinyin(name)).lower()`
    gives it} for every name; those not romanized before in this process in one child."""
    wanted = list(dict.fromkeys(names))
    with _lock:  # one child at a time; a second thread waits for the names the first is asking for
        missing = [name for name in wanted if name not in _known]
        if missing:
            _known.update(zip(missing, _romanize(missing), strict=True))
        return {name: _known[name] for name in wanted}


def _romanize(names: list[str]) -> list[str]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=json.dumps(names).encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_S,
            check=True,
        )
        out = json.loads(done.stdout.decode("utf-8"))
        if isinstance(out, list) and len(out) == len(names) and all(isinstance(r, str) for r in out):
            return out
        log.warning("romanizing %d names in a child gave %r; romanizing them here", len(names), out)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        log.warning(
            "romanizing %d names in a child failed (%s %s); romanizing them here",
            len(names),
            exc,
            stderr[-500:],
        )
    return in_process(names)


def in_process(names: list[str]) -> list[str]:
    """The same romanization in this process (imports pypinyin and its tables here)."""
    from pypinyin import lazy_pinyin

    return ["".join(lazy_pinyin(name)).lower() for name in names]


__all__ = ["in_process", "romanized"]
