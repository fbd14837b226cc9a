"""Text from outside (a question, the conversation, a scope, a file name) made safe to process.

A JSON body may carry a lone UTF-16 surrogate (`"\\ud83d"`): Python holds it in a str, but it
cannot be encoded, so the embedder, the tokenizer or the JSON encoder of a reply fails on it.
NUL and other control characters have no meaning in a question or a file name either.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """`text` without lone surrogates and control characters (tab and line breaks kept)."""
    return _CONTROLS.sub("", _SURROGATES.sub("", text))


def clean_history(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Conversation turns with their `content` cleaned (other keys unchanged)."""
    return [
        {**turn, "content": clean_text(turn["content"])} if isinstance(turn.get("content"), str) else turn
        for turn in history
        if isinstance(turn, dict)
    ]


def clean_name(name: str) -> str:
    """A file name as stored: cleaned, and no folder part (either slash)."""
    return clean_text(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
