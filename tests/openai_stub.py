"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests of the LLM client.

It speaks the real protocol over real HTTP (``POST /v1/chat/completions`` and ``/chat/completions``),
plain JSON or server-sent events when the request has ``"stream": true``. Each request takes the
next scripted step from a queue::

    with OpenAIStub() as server:
        server.enqueue("应当自收到申请之日起20个工作日内予以答复[1]。")
        server.enqueue_error(500)
        server.enqueue_delay(3.0, "too late")
        server.enqueue_raw(b"not json")
        ... point a client at server.base_url ...
        server.requests  # what the server received, as StubRequest records

With ``api_key`` set, a request without ``Authorization: Bearer <api_key>`` gets a 401 (and does
not use up a scripted step). A request that finds the queue empty gets a 500 saying so.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass
class Step:
    """One scripted reply: text (split into stream chunks), an HTTP error, or raw body bytes."""

    text: str = ""
    chunks: list[str] | None = None  # stream pieces; default: the text in pieces of 2 characters
    status: int = 200
    raw: bytes | None = None
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class StubRequest:
    """A request the stub received."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt_text(self) -> str:
        """All message contents joined, for asserting what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def streamed(self) -> bool:
        return bool(self.body.get("stream"))


@dataclass
class OpenAIStub:
    """The server: start() binds a free port on 127.0.0.1 and serves in a daemon thread."""

    api_key: str | None = None
    model: str = "stub"
    requests: list[StubRequest] = field(default_factory=list)
    _steps: deque[Step] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # ------------------------------------------------------------------ script

    def enqueue(self, text: str, chunks: list[str] | None = None) -> None:
        """The next request gets this reply (streamed in ``chunks`` when the client asks to stream)."""
        self._push(Step(text=text, chunks=chunks))

    def enqueue_error(self, status: int, message: str = "scripted error") -> None:
        """The next request gets an HTTP error with an OpenAI-style error body."""
        body = json.dumps({"error": {"message": message, "type": "server_error", "code": status}}).encode()
        self._push(Step(status=status, raw=body))

    def enqueue_delay(self, seconds: float, text: str) -> None:
        """The next request waits ``seconds`` before replying (for client timeouts)."""
        self._push(Step(text=text, delay=seconds))

    def enqueue_raw(self, body: bytes, status: int = 200) -> None:
        """The next request gets these bytes as the body, as is (malformed replies)."""
        self._push(Step(raw=body, status=status))

    def clear(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._steps.clear()
            self.requests.clear()

    @property
    def pending(self) -> int:
        """Scripted steps not used yet."""
        with self._lock:
            return len(self._steps)

    def _push(self, step: Step) -> None:
        with self._lock:
            self._steps.append(step)

    def _next(self) -> Step | None:
        with self._lock:
            return self._steps.popleft() if self._steps else None

    # ------------------------------------------------------------------ server

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> Self:
        stub = self

        class Handler(_Handler):
            server_stub = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    server_stub: OpenAIStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(
                200, {"object": "list", "data": [{"id": self.server_stub.model, "object": "model"}]}
            )
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        stub = self.server_stub
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0].rstrip("/")
        if path not in CHAT_PATHS:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw_body or b"{}")
        except ValueError:
            self._send_json(
                400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}}
            )
            return
        with stub._lock:
            headers = {name.lower(): value for name, value in self.headers.items()}
            stub.requests.append(StubRequest(path=path, headers=headers, body=body))
        if stub.api_key is not None and self.headers.get("Authorization") != f"Bearer {stub.api_key}":
            self._send_json(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
            return
        step = stub._next()
        if step is None:
            self._send_json(
                500, {"error": {"message": "openai_stub: no scripted reply left", "type": "server_error"}}
            )
            return
        if step.delay:
            time.sleep(step.delay)
        if step.raw is not None:
            self._send_bytes(step.status, step.raw, "application/json")
        elif body.get("stream"):
            self._send_stream(step, body.get("model") or stub.model)
        else:
            self._send_json(200, _completion(step.text, body.get("model") or stub.model))

    # ------------------------------------------------------------------ replies

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send_bytes(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def _send_stream(self, step: Step, model: str) -> None:
        chunks = (
            step.chunks
            if step.chunks is not None
            else [step.text[i : i + 2] for i in range(0, len(step.text), 2)]
        )
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            first = {"role": "assistant", "content": ""}
            self._event(_chunk(first, None, model))
            for piece in chunks:
                self._event(_chunk({"content": piece}, None, model))
            self._event(_chunk({}, "stop", model))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n\n")
        self.wfile.flush()


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(delta: dict[str, Any], finish_reason: str | None, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
