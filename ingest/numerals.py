"""Chinese numerals, read once for the whole project: 十一 → 11, 二十 → 20, 一百零五 → 105.

Section headings (一、), sub-headings (（十一）), 第二十条第（六）项, article numbers (第五十六条)
and counts in the narrative (发布调查问卷四次) all come through `cn_to_int`.
"""

from __future__ import annotations

DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

# Every character a Chinese numeral may use, for character classes in patterns.
NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS) + "".join(BIG_UNITS)
NUMERAL = f"[{NUMERAL_CHARS}]+"


def cn_to_int(text: str) -> int | None:
    """The value of a Chinese numeral, or None when `text` is not one.

    Positional (十一 = 11, 二十 = 20, 一百零五 = 105, 两千 = 2000, 三万五千 = 35000) and
    digit-by-digit forms (二〇二二 = 2022) are both read; arabic digits pass through ('12' → 12).
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(ch not in DIGITS and ch not in UNITS and ch not in BIG_UNITS for ch in text):
        return None
    if all(ch in DIGITS for ch in text):
        if len(text) == 1:
            return DIGITS[text]
        return int("".join(str(DIGITS[ch]) for ch in text))
    total = 0
    for big, factor in sorted(BIG_UNITS.items(), key=lambda item: -item[1]):
        if big in text:
            head, _, text = text.partition(big)
            value = _below_10000(head) if head else 1
            if value is None:
                return None
            total += value * factor
    if text:
        rest = _below_10000(text)
        if rest is None:
            return None
        total += rest
    return total


def _below_10000(text: str) -> int | None:
    """十一 → 11, 一百零五 → 105, 三千零二十 → 3020; None on a malformed numeral."""
    total = 0
    digit: int | None = None
    last_unit = 10_000
    for ch in text:
        if ch in DIGITS:
            if digit is not None and DIGITS[ch] != 0:
                return None  # two digits in a row: not positional
            digit = DIGITS[ch] if DIGITS[ch] != 0 else None
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit = None
            last_unit = unit
        else:
            return None
    if digit is not None:
        total += digit
    return total


def to_int(text: str) -> int | None:
    """A count printed in arabic digits ('903', '1,234') or in Chinese numerals ('四', '十二')."""
    text = text.strip().replace(",", "").replace("，", "")
    if text.isdigit():
        return int(text)
    return cn_to_int(text)
