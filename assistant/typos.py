"""Homophone typos put right: 「行政复意」 → 行政复议, 「答付期限」 → 答复期限.

Chinese is typed by its sound, so most typos are another character of the same pinyin. A stretch
of the question that sounds like a term of the documents' vocabulary — the glossary's Chinese terms
and the format's table labels, both data files staff extend — but is written otherwise and is no
word of its own (not in jieba's dictionary, so 「权力」 never becomes 「权利」), is replaced by the term
before the question is read.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

from assistant.glossary import entries
from assistant.quantities import load_glosses

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
MIN_CHARS = 2


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    """The terms typos are put right to: glossary terms and table labels (and the parts of a label
    in brackets: 「不予公开（属于国家秘密）」 gives 不予公开 and 属于国家秘密), longest first."""
    terms = {zh for zh, _ in entries()}
    for label in {gloss.key.removeprefix("col:") for gloss in load_glosses()}:
        terms.update(part for part in re.split(r"[（）()“”]", label) if part)
    return tuple(
        sorted((t for t in terms if len(t) >= MIN_CHARS and _HAN.match(t)), key=lambda t: (-len(t), t))
    )


SOUNDS_PATH = Path(__file__).resolve().parent.parent / "data" / "sounds.tsv"
FIRST, LAST = 0x4E00, 0x9FFF  # the characters _HAN matches: the only ones whose sounds are compared


def pypinyin_sound(char: str) -> str:
    """A character's toneless pinyin as an input method would type it (its most common reading),
    as pypinyin gives it; the character itself when pypinyin has none."""
    from pypinyin import Style, lazy_pinyin

    found = lazy_pinyin(char, style=Style.NORMAL, errors="default")
    return found[0] if found else char


@lru_cache(maxsize=1)
def sounds() -> tuple[str, ...]:
    """pypinyin_sound of every character FIRST..LAST, read from data/sounds.tsv (made by
    `python -m assistant.typos`; one line per sound: the sound, a tab, its characters): a worker
    holds these 20 992 references instead of pypinyin's tables (about 40 MB)."""
    table = [chr(code) for code in range(FIRST, LAST + 1)]
    for line in SOUNDS_PATH.read_text(encoding="utf-8").splitlines():
        sound, chars = line.split("\t")
        sound = sys.intern(sound)
        for char in chars:
            table[ord(char) - FIRST] = sound
    return tuple(table)


def _sound(char: str) -> str:
    code = ord(char)
    return sounds()[code - FIRST] if FIRST <= code <= LAST else pypinyin_sound(char)


def write_sounds(path: Path = SOUNDS_PATH) -> None:
    """Write data/sounds.tsv from the installed pypinyin (again after an upgrade; a test compares)."""
    by_sound: dict[str, list[str]] = {}
    for code in range(FIRST, LAST + 1):
        sound = pypinyin_sound(chr(code))
        if sound != chr(code):
            by_sound.setdefault(sound, []).append(chr(code))
    path.write_text("".join(f"{s}\t{''.join(cs)}\n" for s, cs in sorted(by_sound.items())), encoding="utf-8")


def _sounds_alike(stretch: str, term: str) -> bool:
    return all(_sound(a) == _sound(b) for a, b in zip(stretch, term))


def _is_word(text: str) -> bool:
    import jieba

    jieba.dt.check_initialized()
    frequency: int = jieba.dt.FREQ.get(text, 0)
    return frequency > 0


def corrected(question: str) -> str:
    """The question with homophone typos of vocabulary terms put right (unchanged when none)."""
    terms = vocabulary()
    bounds = _word_bounds(question)
    out: list[str] = []
    i = 0
    while i < len(question):
        exact = next((t for t in terms if question.startswith(t, i)), None)
        typo = (
            None
            if exact or i not in bounds
            else next(
                (t for t in terms if i + len(t) in bounds and _typo_of(question[i : i + len(t)], t, terms)),
                None,
            )
        )
        if exact or typo:
            out.append(typo or question[i : i + len(exact or "")])
            i += len(exact or typo or "")
        else:
            out.append(question[i])
            i += 1
    return "".join(out)


def _word_bounds(question: str) -> set[int]:
    """Where jieba's words start and end: a typo is a whole word of its own (「复意」 in 「行政复意」),
    never the end of one word and the start of the next (「始施」 in 「开始施行」)."""
    import jieba

    bounds, at = {0}, 0
    for word in jieba.lcut(question, HMM=False):
        at += len(word)
        bounds.add(at)
    return bounds


def _typo_of(stretch: str, term: str, terms: tuple[str, ...]) -> bool:
    """`stretch` is `term` mistyped: as long, one character in three at most differs, each sounding
    like the right one, and it is neither a word of its own nor a term."""
    if len(stretch) != len(term) or not _HAN.match(stretch):
        return False
    if sum(a != b for a, b in zip(stretch, term)) > max(1, len(term) // 3):
        return False
    return _sounds_alike(stretch, term) and not _is_word(stretch) and stretch not in terms


if __name__ == "__main__":
    write_sounds()
