"""Several app processes sharing one index: a real Chroma server (`chroma run`) on 127.0.0.1 and one
data dir for the SQLite catalog, as "Running several app workers" in the README sets it up.

Two reports are ingested through the server; then two separate `gongkai ask --json` processes,
started at the same time with GONGKAI_CHROMA_URL set, answer the same questions (a table figure
and a narrative one) with the same answers and citations. A third process checks that dense
search in an app process really goes to the server (the data dir holds no embedded Chroma).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import REPORTS, own_vectors

XIAOCHA = REPORTS / "彭阳县小岔乡人民政府_2022.txt"
PINGTAN = REPORTS / "平潭综合实验区管委会_2022.txt"
QUESTIONS = [
    "2022年小岔乡拒绝了多少政府信息公开申请？",  # facts: 表三 不予公开
    "小岔乡政务公开领导小组的组长是谁？",  # retrieval: narrative of section 一
    "平潭综合实验区2022年新收政府信息公开申请多少件？",  # facts, the other report
]
STARTUP_TIMEOUT = 60.0
APP_TIMEOUT = 120.0

DENSE_CHECK = """
import json, sys
from assistant.config import Settings
from assistant.retrieval import SearchFilter
from assistant.service import Assistant
store = Assistant(Settings()).store
hits = store.dense_search(sys.argv[1], SearchFilter(), 10)
by_id = store.catalog.chunks_by_id([h.chunk_id for h in hits])
print(json.dumps({"count": store.collection.count(), "texts": [by_id[h.chunk_id].text for h in hits if h.chunk_id in by_id]},
                 ensure_ascii=False))
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chroma_command(path: Path, port: int) -> list[str]:
    """`chroma run` from the same environment as this Python (the script next to sys.executable)."""
    args = ["run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    script = Path(sys.executable).with_name("chroma")
    if script.exists():
        return [str(script), *args]
    # chromadb.cli.cli has no __main__: call its entry point, as the installed script does.
    return [
        sys.executable,
        "-c",
        "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()",
        *args,
    ]


def _wait_for_heartbeat(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"chroma server exited with {server.returncode}:\n{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(
        f"chroma server did not answer within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-2000:]}"
    )


@pytest.fixture
def chroma_server(tmp_path):
    """A Chroma server on a free port of 127.0.0.1; yields its URL; terminated at the end."""
    port = _free_port()
    log = tmp_path / "chroma.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("wb") as out:
        server = subprocess.Popen(
            _chroma_command(tmp_path / "chroma-server", port), stdout=out, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _app_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(
        {
            "GONGKAI_CHROMA_URL": url,
            "GONGKAI_INGEST_BUNDLED": "false",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
    )
    return env


def test_two_app_processes_share_one_chroma_server(chroma_server, tmp_path):
    import chromadb

    from assistant.config import Settings
    from assistant.service import Assistant

    shared = tmp_path / "shared"
    assistant = Assistant(Settings(data_dir=shared, chroma_url=chroma_server, ingest_bundled=False))
    results = assistant.ingest_paths([XIAOCHA, PINGTAN])
    assert [r.status for r in results] == ["added", "added"], [(r.source, r.message_en) for r in results]
    chunks = sum(r.chunks for r in results)
    in_chroma = own_vectors(assistant.store.catalog)  # table rows share their labels' vectors
    assert 0 < in_chroma < chunks
    assistant.store.catalog.close()
    assert not (shared / "chroma").exists(), "vectors must go to the server, not to an embedded Chroma"

    host, port = chroma_server.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port))
    (collection,) = client.list_collections()
    assert client.get_collection(collection.name).count() == in_chroma

    stdin = "".join(json.dumps({"question": q, "history": []}, ensure_ascii=False) + "\n" for q in QUESTIONS)
    command = [sys.executable, "-m", "assistant.cli", "ask", "--json", "--data-dir", str(shared)]
    workers = [
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_app_env(chroma_server),
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for worker in workers:
            out, err = worker.communicate(stdin, timeout=APP_TIMEOUT)
            assert worker.returncode == 0, err[-2000:]
            outputs.append([json.loads(line) for line in out.strip().splitlines()])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)

    first, second = outputs
    assert first == second, "two app processes over one server and one catalog must give the same answers"
    assert [a["status"] for a in first] == ["answered"] * 3
    refused, leader, received = first
    assert "0件" in refused["answer"]
    assert refused["citations"][0]["source"] == XIAOCHA.name
    assert "不予公开" in refused["citations"][0]["section"]
    assert "罗金彩" in leader["answer"]
    assert any("罗金彩" in c["quote"] and c["source"] == XIAOCHA.name for c in leader["citations"])
    assert "74件" in received["answer"]
    assert received["citations"][0]["source"] == PINGTAN.name

    # Dense search in a separate app process goes to the server (there is no other index to read).
    env = {**_app_env(chroma_server), "GONGKAI_DATA_DIR": str(shared)}
    proc = subprocess.run(
        [sys.executable, "-c", DENSE_CHECK, QUESTIONS[1]],
        capture_output=True,
        text=True,
        env=env,
        timeout=APP_TIMEOUT,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dense = json.loads(proc.stdout.strip().splitlines()[-1])
    assert dense["count"] == in_chroma
    assert any("罗金彩" in text for text in dense["texts"]), dense["texts"]
    assert not (shared / "chroma").exists()


# --------------------------------------------------------------------------- several machines, simulated

ADMIN_TOKEN = "two-machines-token"
VISIBLE_WITHIN_S = 30.0  # from the upload's response to the other worker's first answer from it
PINGTAN_QUESTION = QUESTIONS[2]


def _start_worker(
    data_dir: Path, database_url: str, chroma_url: str, log: Path
) -> tuple[subprocess.Popen, str]:
    """An app process (uvicorn app:create_app) with its own data dir, on a free port."""
    port = _free_port()
    env = {
        **_app_env(chroma_url),
        "GONGKAI_DATA_DIR": str(data_dir),
        "GONGKAI_DATABASE_URL": database_url,
        "GONGKAI_ADMIN_TOKEN": ADMIN_TOKEN,
        "GONGKAI_RATE_LIMIT_PER_MINUTE": "10000",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    command = [sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=data_dir.parent,
        )
    return proc, f"http://127.0.0.1:{port}"


def _wait_for_health(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + APP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"app did not start within {APP_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _ask(url: str, question: str) -> dict:
    body = json.dumps({"question": question}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        f"{url}/api/ask", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=APP_TIMEOUT) as resp:
        return json.loads(resp.read())


def _upload(url: str, path: Path) -> dict:
    """POST one file to the staff API (multipart, by hand: urllib has no multipart encoder)."""
    boundary = "gongkai-boundary-7f3a"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{url}/api/admin/documents",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Bearer {ADMIN_TOKEN}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=APP_TIMEOUT * 3) as resp:
        return json.loads(resp.read())


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_two_machines_one_ingests_while_the_other_answers(chroma_server, tmp_path):
    """Two app processes with separate data dirs (no shared file), one PostgreSQL catalog and one
    Chroma server: worker A ingests a report through the staff API while worker B answers the
    question it answers; B answers it within VISIBLE_WITHIN_S of A's response, and every answer
    B gives meanwhile is the refusal or the whole answer (74件 cited to the report's table),
    never a report half there."""
    from test_postgres import start_postgres

    postgres = start_postgres()
    workers: list[subprocess.Popen] = []
    try:
        database_url = postgres.create_database("machines")
        dirs = [tmp_path / "machine-a" / "data", tmp_path / "machine-b" / "data"]
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        urls = []
        for data_dir, log in zip(dirs, logs):
            data_dir.mkdir(parents=True)
            proc, url = _start_worker(data_dir, database_url, chroma_server, log)
            workers.append(proc)
            urls.append(url)
        for proc, url, log in zip(workers, urls, logs):
            _wait_for_health(url, proc, log)
        a, b = urls

        first = _upload(a, XIAOCHA)["results"]
        assert [r["status"] for r in first] == ["added"]
        before = _ask(b, PINGTAN_QUESTION)
        assert before["status"] == "not_found", before
        assert "罗金彩" in _ask(b, QUESTIONS[1])["answer"]  # B reads what A ingested

        import threading

        uploaded: dict = {}
        thread = threading.Thread(target=lambda: uploaded.update(_upload(a, PINGTAN)))
        thread.start()
        seen: list[tuple[float, dict]] = []
        done_at: float | None = None
        deadline = time.monotonic() + APP_TIMEOUT * 3
        while time.monotonic() < deadline:
            answer = _ask(b, PINGTAN_QUESTION)
            seen.append((time.monotonic(), answer))
            if done_at is None and not thread.is_alive():
                done_at = time.monotonic()
            if answer["status"] == "answered" and done_at is not None:
                break
            time.sleep(0.2)
        thread.join(timeout=APP_TIMEOUT)
        assert [r["status"] for r in uploaded["results"]] == ["added"], uploaded

        for _, answer in seen:
            if answer["status"] == "not_found":
                continue
            assert answer["status"] == "answered", answer
            assert "74件" in answer["answer"], answer
            assert answer["citations"][0]["source"] == PINGTAN.name
            assert (
                "本年新收" in answer["citations"][0]["section"]
                or "本年新收" in answer["citations"][0]["quote"]
            )
        final_time, final = seen[-1]
        assert final["status"] == "answered", [s[1]["status"] for s in seen]
        assert done_at is not None and final_time - done_at <= VISIBLE_WITHIN_S
        # No shared files: each machine's data dir holds neither a catalog nor vectors.
        for data_dir in dirs:
            assert not (data_dir / "gongkai.sqlite").exists() and not (data_dir / "chroma").exists()
    finally:
        for proc in workers:
            _stop(proc)
        postgres.stop()
