"""The data dir as a shared resource: one writer at a time, and clear messages when it is unusable.

Embedded Chroma keeps its index in the process that opened it, so two processes writing one data
dir at once damage it (and both parse the same files, storing their facts twice). Every writer —
`gongkai ingest`, `gongkai remove`, a staff upload, the first-start ingest — holds an exclusive
file lock on `<data dir>/writer.lock` while it writes; a second writer waits for it, then sees what
the first stored. Readers take no lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = "writer.lock"


class DataDirError(Exception):
    """The data dir cannot be used: message in English and Chinese."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh

    def __str__(self) -> str:
        return f"{self.message_zh}\n{self.message_en}"


def unusable(data_dir: Path, exc: BaseException) -> DataDirError:
    """The bilingual error for a data dir that cannot be created, read or written (`exc` the cause)."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return DataDirError(
        f"gongkai: cannot use the data dir {data_dir} ({reason}). Check that it exists or can be "
        "created, and that this user may read and write it (GONGKAI_DATA_DIR or --data-dir).",
        f"gongkai：无法使用资料库目录 {data_dir}（{reason}）。请确认该目录存在或可以创建，且当前用户有读写权限"
        "（GONGKAI_DATA_DIR 或 --data-dir）。",
    )


def busy(data_dir: Path, waited: float) -> DataDirError:
    """The bilingual error for a writer that waited `waited` seconds for another one."""
    return DataDirError(
        f"gongkai: another ingest is writing to {data_dir} and did not finish within {waited:g} s; "
        "nothing was stored. Try again when it is done (GONGKAI_INGEST_LOCK_TIMEOUT sets the wait).",
        f"gongkai：另一个导入正在写入资料库目录 {data_dir}，{waited:g} 秒内未结束，本次未保存任何内容。"
        "请等它完成后再试（等待时间由 GONGKAI_INGEST_LOCK_TIMEOUT 设置）。",
    )


WAITING_MESSAGE = "gongkai：另一个导入正在写入同一资料库，等待其完成… / another ingest is writing to this data dir, waiting…"


class WriterLock:
    """Exclusive writer lock on one data dir: across processes a file lock, within one a thread lock.

    Re-entrant in the thread that holds it, so an ingest of a folder can hold it throughout while
    each file's ingest takes it again.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._threads = threading.RLock()
        self._file = FileLock(str(self.data_dir / LOCK_NAME), thread_local=False)

    @contextmanager
    def hold(self, timeout: float, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the lock; wait at most `timeout` seconds (calling `on_wait` once if it must wait).
        DataDirError when another writer kept it that long or the lock file cannot be made."""
        if not self._threads.acquire(blocking=False):
            if on_wait is not None:
                on_wait()
                on_wait = None
            if not self._threads.acquire(timeout=timeout if timeout > 0 else 0.001):
                raise busy(self.data_dir, timeout)
        try:
            self._acquire_file(timeout, on_wait)
            try:
                yield
            finally:
                self._file.release()
        finally:
            self._threads.release()

    def _acquire_file(self, timeout: float, on_wait: Callable[[], None] | None) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                self._file.acquire(timeout=0)
                return
            except Timeout:
                if on_wait is not None:
                    on_wait()
            self._file.acquire(timeout=timeout)
        except Timeout:
            raise busy(self.data_dir, timeout) from None
        except OSError as exc:
            raise unusable(self.data_dir, exc) from exc

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._file.is_locked
