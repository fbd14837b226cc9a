"""Text → safe chat HTML/Markdown: answers, questions and citation cards, every string escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from assistant.types import Answer, Citation

# Markdown that could turn text into formatting, code, tables or HTML, escaped wherever it stands;
# link brackets only where a link or a reference definition could start (so "[1]" markers stay clean);
# block markers (#, lists, setext underlines) only at the start of a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_~|$])")
_LINK_CLOSE = re.compile(r"\](?=[(\[:])")
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
_LINE_START = re.compile(r"^[ \t]*(?:([#+=\-])|(\d+)([.)]))", re.MULTILINE)
MAX_QUOTE_CHARS = 1200


def escape_text(text: str) -> str:
    """Plain text → Markdown/HTML that displays exactly that text (no tags, links or formatting).

    Markdown syntax is backslash-escaped first, then `& < > " '` become HTML entities, so
    `<script>` shows as the characters `<script>` and never becomes an element. Leading indentation
    is dropped (it would make a code block).
    """
    text = _INDENT.sub("", text or "")
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _LINK_CLOSE.sub(r"\\]", text)
    text = _LINE_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text
    )
    return html.escape(text, quote=True)


def render_question(question: str) -> str:
    """A citizen's question as chat content (shown as typed)."""
    return escape_text(question)


def render_citation(number: int, citation: Citation) -> str:
    """One source card: `<details>` with file · section in the summary and the quoted text inside.

    Kept on one line: a blank line would end the HTML block in the Markdown renderer. Inside the
    block no Markdown is applied, so plain HTML escaping is enough and line breaks become <br>.
    """
    quote = (
        citation.quote if len(citation.quote) <= MAX_QUOTE_CHARS else citation.quote[:MAX_QUOTE_CHARS] + "…"
    )
    quote_html = "<br>".join(html.escape(line) for line in quote.splitlines() if line.strip())
    summary = f"[{number}] {html.escape(citation.source)}"
    if citation.section:
        summary += f" · {html.escape(citation.section)}"
    title = f'<div class="gk-cite-title">{html.escape(citation.title)}</div>' if citation.title else ""
    return (
        f'<details class="gk-cite"><summary>{summary}</summary>{title}'
        f'<blockquote class="gk-cite-quote">{quote_html}</blockquote></details>'
    )


def render_citations(citations: Iterable[Citation]) -> str:
    """All source cards of an answer, numbered from 1 like the [n] markers in the answer text."""
    cards = [render_citation(i, c) for i, c in enumerate(citations, start=1)]
    if not cards:
        return ""
    return '<div class="gk-cites"><div class="gk-cites-head">来源</div>' + "".join(cards) + "</div>"


def render_answer(answer: Answer) -> str:
    """The chat content of a final answer: its text (escaped), then the source cards."""
    parts = [escape_text(answer.answer)]
    cards = render_citations(answer.citations)
    if cards:
        parts.append(cards)
    return "\n\n".join(parts)


def render_partial(text: str) -> str:
    """Answer text while it is still streaming in."""
    return escape_text(text)
