"""Helpers for the web tests: a fake assistant (for web-layer tests only) and a real server thread."""

from __future__ import annotations

import http.server
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

from assistant.store import IngestResult
from assistant.types import Answer, Citation

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # app.py lives at the top level, outside the installed packages
    sys.path.insert(0, str(ROOT))

XSS = "<script>alert(1)</script>"


@dataclass
class FakeDraft:
    source: str

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "problems": [],
            "checks": [],
            "ok": True,
            "error_en": "",
            "error_zh": "",
        }


@dataclass
class FakeAssistant:
    """Stands in for assistant.service.Assistant where a test is about the web layer only."""

    answer: Answer = field(
        default_factory=lambda: Answer(
            status="answered",
            answer=f"答案 {XSS} 0件[1]",
            citations=[Citation(source=f"{XSS}.txt", title=XSS, section=f"表三 {XSS}", quote=f"引文 {XSS}")],
        )
    )
    fail: bool = False
    calls: list[dict] = field(default_factory=list)
    ingested: list[str] = field(default_factory=list)

    def ask(self, question: str, history: list[dict] | None = None, agency=None, year=None) -> Answer:
        self.calls.append({"question": question, "history": history or [], "agency": agency, "year": year})
        if self.fail:
            raise RuntimeError("/srv/secret/path/gongkai.sqlite is locked")
        return self.answer

    def ask_stream(
        self, question: str, history: list[dict] | None = None, agency=None, year=None
    ) -> Iterator:
        answer = self.ask(question, history, agency, year)
        half = len(answer.answer) // 2
        yield answer.answer[:half]
        yield answer.answer[half:]
        yield answer

    def health_problem(self) -> str | None:
        return None

    def documents(self) -> list[dict]:
        return [
            {
                "source": "彭阳县小岔乡人民政府_2022.txt",
                "title": "彭阳县小岔乡人民政府2022年政府信息公开工作年度报告",
                "kind": "report",
                "agency": "彭阳县小岔乡人民政府",
                "year": 2022,
                "format": "text",
                "doc_id": "x",
                "facts": 1,
                "warnings": [XSS],
            }
        ]

    def public_documents(self) -> list[dict]:
        keys = ("source", "title", "kind", "agency", "year")
        return [{k: d[k] for k in keys} for d in self.documents()]

    def scope_options(self) -> dict:
        return {"agencies": ["平潭综合实验区", "彭阳县小岔乡人民政府"], "years": [2021, 2022]}

    def ingest_bytes(self, name: str, data: bytes) -> IngestResult:
        self.ingested.append(name)
        return IngestResult(source=name, status="added", kind="report")

    def check_draft(self, name: str, data: bytes) -> FakeDraft:
        return FakeDraft(name)

    def remove(self, source: str) -> list[str]:
        return [source] if source == "彭阳县小岔乡人民政府_2022.txt" else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """A real uvicorn server for an ASGI app on 127.0.0.1 in a daemon thread."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class StaticPageServer:
    """A plain http.server on 127.0.0.1 serving one HTML page at / (a stand-in for a portal)."""

    def __init__(self, html: str) -> None:
        body = html.encode("utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticPageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_report(path: Path, source: Path, replacements: dict[str, str]) -> Path:
    """A new report file made from a bundled one with some text replaced."""
    text = source.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path
