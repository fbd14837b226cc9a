"""The embeddable widget: GET /widget.js, and the snippets a portal pastes into its pages."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

WIDGET_JS = Path(__file__).resolve().parent / "static" / "widget.js"

router = APIRouter()


@lru_cache(maxsize=1)
def widget_source() -> bytes:
    """The widget script, read once."""
    return WIDGET_JS.read_bytes()


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> Response:
    """The script that adds the 「政务问答」 button and the chat iframe to any page."""
    return Response(
        widget_source(),
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "Cross-Origin-Resource-Policy": "cross-origin"},
    )


def chat_url(base_url: str, agency: str = "", year: int | None = None, embed: bool = False) -> str:
    """URL of the chat scoped to an agency/year, e.g. https://host/?agency=小岔乡&embed=1."""
    params: dict[str, str] = {}
    if agency:
        params["agency"] = agency
    if year:
        params["year"] = str(year)
    if embed:
        params["embed"] = "1"
    query = "&".join(f"{key}={_query_value(value)}" for key, value in params.items())
    return base_url.rstrip("/") + "/" + (f"?{query}" if query else "")


def script_snippet(base_url: str, agency: str = "") -> str:
    """The <script> tag that embeds the floating chat button."""
    attr = f' data-agency="{agency}"' if agency else ""
    return f'<script src="{base_url.rstrip("/")}/widget.js"{attr} defer></script>'


def iframe_snippet(base_url: str, agency: str = "") -> str:
    """A plain <iframe> embedding the chat in the page itself."""
    src = chat_url(base_url, agency, embed=True)
    return f'<iframe src="{src}" title="政务问答" style="width:100%;height:640px;border:0" loading="lazy"></iframe>'


def _query_value(value: str) -> str:
    """Percent-encode only what would break a query string, so Chinese names stay readable in snippets."""
    return re.sub(r"[\x00-\x20&#=?%+\"'<>\\]", lambda m: quote(m.group(), safe=""), value)
