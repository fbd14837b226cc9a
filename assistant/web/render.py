"""Text → safe chat HTML/Markdown: answers, questions and citation cards, every string escaped."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.types import Answer, Citation
from assistant.web.charts import series_spec

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

    A cited table row is shown as a small table (header row with the applicant columns, then the
    row); a cited article names its chapter and number; the card links to the cited section or row
    on the document's page (new tab). Kept on one line: a blank line would end the HTML block in the
    Markdown renderer. Inside the block no Markdown is applied, so HTML escaping is enough.
    """
    quote = (
        citation.quote if len(citation.quote) <= MAX_QUOTE_CHARS else citation.quote[:MAX_QUOTE_CHARS] + "…"
    )
    table = quote_table(citation.quote)
    if table is not None:
        body = table_html(table)
    else:
        quote_html = "<br>".join(html.escape(line) for line in quote.splitlines() if line.strip())
        body = f'<blockquote class="gk-cite-quote">{quote_html}</blockquote>'
    summary = f"[{number}] {html.escape(citation.source)}"
    if citation.section:
        summary += f" · {html.escape(citation.section)}"
    title = f'<div class="gk-cite-title">{html.escape(citation.title)}{_article_html(citation)}</div>'
    if not citation.title and not _article_html(citation):
        title = ""
    link = ""
    if citation.url:
        link = (
            f'<div class="gk-cite-link"><a href="{html.escape(citation.url, quote=True)}" target="_blank" '
            'rel="noopener">在报告中查看 ↗</a></div>'
        )
    return f'<details class="gk-cite"><summary>{summary}</summary>{title}{body}{link}</details>'


_ARTICLE = re.compile(r"^(?:(第[一二三四五六七八九十百]+章[^/]*?)\s*/\s*)?(第[一二三四五六七八九十百零]+条)$")


def _article_html(citation: Citation) -> str:
    """「 · 第三章 主动公开 · 第二十条」 for a cited article (chapter when the section names one)."""
    m = _ARTICLE.match(citation.section.strip())
    if not m:
        return ""
    chapter = f'<span class="gk-chapter">{html.escape(m.group(1))}</span> · ' if m.group(1) else ""
    return f' · {chapter}<b class="gk-article">{html.escape(m.group(2))}</b>'


@dataclass
class QuoteTable:
    """A quoted table row (or rows of one column) as cells: header, rows, and a note under it."""

    header: list[str]
    rows: list[list[str]]
    note: str = ""


_CELL = re.compile(r"^(.+?) (\S+)$")
_NOTE_TAIL = re.compile(r"（([^（）]*：[^（）]*)）$")


def quote_table(quote: str) -> QuoteTable | None:
    """A table row quote → cells, or None when the quote is not one. Two forms are read:
    「PATH：自然人 0；商业企业 0；…；总计 0」 (one row, as the facts and the row chunks quote it, with
    an optional 「（how：value）」 after it), and 「1.属于国家秘密 总计 0；…；8项合计：0件」 (rows of one
    column, as a group figure quotes it)."""
    text = quote.strip()
    if "\n" in text or "；" not in text:
        return None
    note = ""
    tail = _NOTE_TAIL.search(text)
    if tail:
        note, text = tail.group(1), text[: tail.start()]
    head, sep, rest = text.partition("：")
    cells = [c.strip() for c in rest.split("；")] if sep else []
    parsed = [_CELL.match(c) for c in cells]
    if sep and len(cells) >= 2 and all(parsed) and "：" not in rest:
        label = head.split(" / ")[-1]
        return QuoteTable(["", *[m.group(1) for m in parsed]], [[label, *[m.group(2) for m in parsed]]], note)  # type: ignore[union-attr]
    parts = [p.strip() for p in quote.strip().split("；")]
    last = parts[-1]
    rows = [p.rsplit(" ", 2) for p in parts[:-1]]
    if len(rows) < 2 or "：" not in last or any(len(r) != 3 for r in rows):
        return None
    if len({r[1] for r in rows}) != 1:
        return None
    return QuoteTable(["", rows[0][1]], [[r[0], r[2]] for r in rows], last)


def table_html(table: QuoteTable) -> str:
    """A small HTML table: header row, then the rows (first cell a row label), every cell escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<t{'h' if i == 0 else 'd'}>{html.escape(c)}</t{'h' if i == 0 else 'd'}>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    note = f'<div class="gk-cite-note">{html.escape(table.note)}</div>' if table.note else ""
    return f'<table class="gk-cite-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}'


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


def render_answer_content(answer: Answer) -> str | list[Any]:
    """The chat message of a final answer: its text, its chart when it states a series (a gr.Plot
    message holding the Vega-Lite spec of assistant.web.charts), then its source cards; only the
    text and cards when there is no chart."""
    spec = series_spec(answer.series)
    if spec is None:
        return render_answer(answer)
    cards = render_citations(answer.citations)
    return [escape_text(answer.answer), plot_message(spec), *([cards] if cards else [])]


PLOT_ARGS: dict[str, Any] = {"show_label": False, "container": False, "elem_classes": ["gk-chart"]}
# Made at import: a component made inside a running event does not finish its set-up.
PLOT_PROPS: dict[str, Any] = gr.Plot(None, **PLOT_ARGS, render=False).get_config()


def plot_message(spec: dict[str, Any]) -> dict[str, Any]:
    """A chatbot message part showing a Vega-Lite spec with Gradio's Plot component: the form
    gr.Chatbot gives a gr.Plot(altair chart), made without rebuilding the chart on every update."""
    value = {"type": "altair", "plot": json.dumps(spec, ensure_ascii=False)}
    return {
        "type": "component",
        "component": "plot",
        "value": value,
        "constructor_args": {**PLOT_ARGS, "render": False},
        "props": {**PLOT_PROPS, "value": value},
    }


def render_partial(text: str) -> str:
    """Answer text while it is still streaming in."""
    return escape_text(text)
