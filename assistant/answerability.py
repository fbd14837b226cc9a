"""Answer or not_found, from calibrated evidence rather than one word-share gate.

A retrieved passage answers the question offline when one signal is strong enough (see
:class:`assistant.types.Signals`): it holds the question's content words (coverage), it stands out
from the other passages by meaning (dense_gap, cross-lingual) while still holding some of the
question's words (gap_coverage, calibrated too: 0 lets meaning alone answer), or the question is close to a
common wording attached to it (wording). Each search scope (the rules, everything, a named
agency's reports) has three gates: one for passages that hold the question's rarest content word
(or whose wording does), one, stricter, for passages that do not, and one for passages that state
no figure of the kind the question asks for (a period, an amount, a count); questions asking for a name
(「组长是谁」) have one gate of their own. The thresholds are not hand-set: `gongkai calibrate` runs
question sets with the gates open and picks them (:func:`calibrate`) so that no question of the
sets' not_found class is answered and as many answerable ones as possible are answered with the
right evidence. They live in data/answerability.json with how they were found.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.types import Signals

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "answerability.json"
SCOPES = ("rules", "all", "agency")


RARE_HELD = 0.5  # the passage (or its wording) holds the question's rarest word at least this far


@dataclass(frozen=True)
class Gate:
    """One scope's and tier's thresholds: admitted when coverage, dense_gap or wording reaches its own."""

    coverage: float = 0.55
    dense_gap: float = 1.0  # 1.0 = never by this signal alone
    wording: float = 1.01
    counted_coverage: float = 1.01  # coverage enough when the passage states the asked count
    gap_coverage: float = 0.0  # the coverage a passage admitted by its dense_gap must still have
    measured: dict = field(default_factory=dict)

    def admits(self, s: Signals) -> bool:
        if s.counted and s.coverage >= self.counted_coverage:
            return True
        by_gap = s.dense_gap >= self.dense_gap and s.coverage >= self.gap_coverage
        return s.coverage >= self.coverage or by_gap or s.wording >= self.wording


TIERS = ("held", "missing", "unstated")


def tier(signals: Signals) -> str:
    """'unstated' when the question asks for a period or an amount the passage does not state, else
    'held' when the passage holds the question's rarest word, else 'missing'."""
    if signals.unstated:
        return "unstated"
    return "held" if signals.rare >= RARE_HELD else "missing"


def gate_key(signals: Signals) -> str:
    """Which gate decides: 'who' for questions asking a name, else scope/tier ('agency/held', …)."""
    return "who" if signals.who else f"{signals.scope}/{tier(signals)}"


@dataclass(frozen=True)
class Thresholds:
    """A gate per search scope and tier ("rules/held", "agency/missing", ...), and how they were found."""

    gates: dict[str, Gate] = field(default_factory=dict)
    note: str = "uncalibrated defaults"

    def admits(self, signals: Signals) -> bool:
        return self.gates.get(gate_key(signals), Gate()).admits(signals)


OPEN_GATE = Gate(coverage=0.0, dense_gap=0.0, wording=0.0, counted_coverage=0.0)
KEYS = (*(f"{scope}/{t}" for scope in SCOPES for t in TIERS), "who")
OPEN = Thresholds(gates={key: OPEN_GATE for key in KEYS}, note="gates open (calibration runs)")


def load_thresholds(path: Path = DEFAULT_PATH) -> Thresholds:
    """The calibrated thresholds, or the defaults when the file is missing."""
    if not path.is_file():
        return Thresholds()
    data = json.loads(path.read_text(encoding="utf-8"))
    gates = {scope: Gate(**values) for scope, values in data.get("gates", {}).items()}
    return Thresholds(gates=gates, note=str(data.get("note", "")))


def save_thresholds(thresholds: Thresholds, path: Path = DEFAULT_PATH) -> None:
    path.write_text(json.dumps(asdict(thresholds), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass
class Observation:
    """One search of one question, run with the gate open: its signals, whether the question should
    be answered, and whether the answer from this search was right (answer and evidence)."""

    signals: Signals
    answerable: bool
    right: bool


_GRID = {
    "coverage": np.round(np.arange(0.30, 1.0001, 0.025), 3),
    "dense_gap": np.round(np.arange(0.0, 0.1501, 0.0025), 4),
    "wording": np.round(np.arange(0.85, 1.1001, 0.0025), 4),
    "counted_coverage": np.round(np.append(np.arange(0.30, 1.0001, 0.05), 1.01), 3),
    "gap_coverage": np.round(np.arange(0.0, 0.5001, 0.05), 3),
}


def calibrate_gate(observations: list[Observation]) -> Gate:
    """The gate that admits no search of a not_found question, then the most right answers; a right
    answer counts 1 and a wrong answer to an answerable question costs 0.5 (refusing it costs 0).
    Among equals the most cautious (highest) thresholds win."""
    if not observations:  # nothing seen in this scope and tier: refuse rather than guess
        return Gate(coverage=1.01, dense_gap=1.0, wording=1.01, measured={"searches": 0})
    cov = np.array([o.signals.coverage for o in observations])
    gap = np.array([o.signals.dense_gap for o in observations])
    word = np.array([o.signals.wording for o in observations])
    counted = np.array([o.signals.counted for o in observations])
    answerable = np.array([o.answerable for o in observations])
    right = np.array([o.right for o in observations]) & answerable
    words = _GRID["wording"]
    by_word = word[None, :] >= words[:, None]
    best: tuple[float, ...] | None = None
    grid = itertools.product(
        _GRID["counted_coverage"], _GRID["coverage"], _GRID["dense_gap"], _GRID["gap_coverage"]
    )
    for k, c, g, f in grid:
        by_count = counted & (cov >= k)
        admitted = (by_count | (cov >= c) | ((gap >= g) & (cov >= f)))[None, :] | by_word
        leaks = np.any(admitted & ~answerable[None, :], axis=1)
        gain = (admitted & right).sum(axis=1) - 0.5 * (admitted & answerable & ~right).sum(axis=1)
        gain = np.where(leaks, -np.inf, gain)
        i = len(gain) - 1 - int(np.argmax(gain[::-1]))  # highest wording threshold among the best
        if not np.isfinite(gain[i]):
            continue
        key = (float(gain[i]), float(k), float(c), float(g), float(f), float(words[i]))
        if best is None or key > best:
            best = key
    if best is None:
        return Gate(coverage=1.01, dense_gap=1.0, wording=1.01, measured={"note": "nothing admissible"})
    _, k, c, g, f, w = best
    gate = Gate(coverage=c, dense_gap=g, wording=w, counted_coverage=k, gap_coverage=f)
    admitted = np.array([gate.admits(o.signals) for o in observations])
    measured = {
        "searches": len(observations),
        "answered_right": int((admitted & right).sum()),
        "answered_wrong": int((admitted & answerable & ~right).sum()),
        "refused_answerable": int((~admitted & answerable).sum()),
        "refused_not_found": int((~admitted & ~answerable).sum()),
        "answered_not_found": int((admitted & ~answerable).sum()),
    }
    return Gate(coverage=c, dense_gap=g, wording=w, counted_coverage=k, gap_coverage=f, measured=measured)


def calibrate(observations: list[Observation], note: str = "") -> Thresholds:
    """One gate per scope and tier, each calibrated on the searches made there."""
    gates = {key: calibrate_gate([o for o in observations if gate_key(o.signals) == key]) for key in KEYS}
    return Thresholds(gates=gates, note=note)
