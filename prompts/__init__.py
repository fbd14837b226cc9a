"""Prompt texts, kept as files in this folder and loaded by name. The refusal phrase is defined once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent

REFUSAL = "资料库中的文件没有这个问题的答案。The documents do not hold the answer to this question."


@cache
def load(name: str) -> str:
    """The text of prompts/<name>.txt, with {refusal} filled in."""
    path = _DIR / f"{name}.txt"
    if not path.is_file():
        raise KeyError(f"no prompt named {name!r} in {_DIR}")
    return path.read_text(encoding="utf-8").replace("{refusal}", REFUSAL)
