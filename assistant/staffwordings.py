"""Common wordings (常见问法) as staff manage them: list, add, edit and remove, checked against the corpus.

The bundled wordings (data/wordings/) are read-only. Staff wordings live as JSON lines in
<data dir>/wordings/*.jsonl; those added here go to `staff.jsonl` with an id of their own.
Every change rewrites its file in one step (a new file moved into place), and the store rebuilds
its wording index when the folder changes (assistant.wordings.folder_signature), so the next
question is matched against it without a restart.

A wording names its passage as citations do: `source` is the file name, `section` the section
path, article or table row. A short form that ends the path is accepted (「第三十一条」 for
「第四章 依申请公开 / 第三十一条」) and stored in full.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant.text import is_english
from assistant.wordings import BUNDLED_WORDINGS, Wording, load_wordings, wording_files, wording_id
from ingest.types import Chunk, Document

STAFF_FILE = "staff.jsonl"
MAX_QUESTION_CHARS = 200
MAX_SUGGESTIONS = 10
_LOCK = threading.RLock()


class PassageCatalog(Protocol):
    """What checking a wording's passage needs of the catalog."""

    def documents_by_source(self, source: str) -> list[Document]: ...

    def chunks(self, doc_ids: list[str] | None = None) -> list[Chunk]: ...


class WordingError(Exception):
    """A wording that cannot be stored: HTTP-like status (404, 403, 409, 422) and a bilingual message."""

    def __init__(self, status_code: int, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.status_code = status_code
        self.message = f"{message_zh}{message_en}"


@dataclass(frozen=True)
class StaffWording:
    """A wording as the staff area shows it."""

    id: str
    question: str
    source: str
    section: str
    contains: str
    origin: str  # bundled | staff
    file: str = ""  # the staff file holding it

    @property
    def editable(self) -> bool:
        return self.origin == "staff"

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "source": self.source,
            "section": self.section,
            "contains": self.contains,
            "origin": self.origin,
            "editable": self.editable,
        }


class WordingManager:
    """The bundled and staff wordings of one data dir, checked against `catalog`'s passages."""

    def __init__(self, folder: Path, catalog: PassageCatalog, bundled: Path = BUNDLED_WORDINGS) -> None:
        self.folder = folder
        self.catalog = catalog
        self.bundled = bundled

    # ------------------------------------------------------------------ reads

    def all(self) -> list[StaffWording]:
        """Every wording: the staff's first (newest last within a file), then the bundled ones."""
        staff = [w for path in wording_files(self.folder) for w, _ in _read_staff(path)]
        bundled = [_view(w) for w in load_wordings(wording_files(self.bundled))]
        return staff + bundled

    def find(
        self, source: str = "", section: str = "", origin: str = "", text: str = ""
    ) -> list[StaffWording]:
        """Wordings of one source / section (part of it) / origin, or holding `text`."""
        return [
            w
            for w in self.all()
            if (not source or w.source == source)
            and (not section or section in w.section)
            and (not origin or w.origin == origin)
            and (not text or text in w.question)
        ]

    def get(self, wording_id_: str) -> StaffWording | None:
        return next((w for w in self.all() if w.id == wording_id_), None)

    # ------------------------------------------------------------------ writes

    def add(self, question: str, source: str, section: str, contains: str = "") -> StaffWording:
        """Attach a new wording to a passage (WordingError 422 for a passage that is not there,
        409 for a wording it has already)."""
        with _LOCK:
            row = self._checked_row(question, source, section, contains)
            row["id"] = _new_id()
            path = self.folder / STAFF_FILE
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            _write_lines(path, [*lines, json.dumps(row, ensure_ascii=False)])
            return _view(_from_row(row), path.name)

    def update(
        self, wording_id_: str, question: str, source: str, section: str, contains: str = ""
    ) -> StaffWording:
        """Change a staff wording (its text or its passage); the id stays."""
        with _LOCK:
            current = self._editable(wording_id_)
            row = self._checked_row(question, source, section, contains, ignore=wording_id_)
            row["id"] = current.id
            self._rewrite(current, json.dumps(row, ensure_ascii=False))
            return _view(_from_row(row), current.file)

    def delete(self, wording_id_: str) -> StaffWording:
        """Remove a staff wording."""
        with _LOCK:
            current = self._editable(wording_id_)
            self._rewrite(current, None)
            return current

    def _editable(self, wording_id_: str) -> StaffWording:
        current = self.get(wording_id_)
        if current is None:
            raise WordingError(404, "没有这个问法。", "No such wording.")
        if not current.editable:
            raise WordingError(403, "内置问法只读，不能修改或删除。", "Bundled wordings are read-only.")
        return current

    def _rewrite(self, current: StaffWording, replacement: str | None) -> None:
        path = self.folder / current.file
        kept: list[str] = []
        for wording, line in _read_staff(path, keep_bad=True):
            if wording is not None and wording.id == current.id:
                if replacement is not None:
                    kept.append(replacement)
            else:
                kept.append(line)
        _write_lines(path, kept)

    def _checked_row(
        self, question: str, source: str, section: str, contains: str, ignore: str = ""
    ) -> dict[str, str]:
        question, source, section, contains = (x.strip() for x in (question, source, section, contains))
        if not 2 <= len(question) <= MAX_QUESTION_CHARS:
            raise WordingError(
                422,
                f"问法须为 2 至 {MAX_QUESTION_CHARS} 个字。",
                f"A wording has 2 to {MAX_QUESTION_CHARS} characters.",
            )
        full_section = self.resolve(source, section, contains)
        row = {"question": question, "source": source, "section": full_section}
        if contains:
            row["contains"] = contains
        row["lang"] = "en" if is_english(question) else "zh"
        for other in self.all():
            same = (other.question, other.source, other.section, other.contains)
            if other.id != ignore and same == (question, source, full_section, contains):
                raise WordingError(409, "这个段落已有相同的问法。", "The passage has this wording already.")
        return row

    def resolve(self, source: str, section: str, contains: str = "") -> str:
        """The full section path of the passage a wording names (WordingError 422 when the
        document or the section is not there, or the short form fits several sections)."""
        docs = self.catalog.documents_by_source(source)
        if not source or not docs:
            raise WordingError(
                422, f"资料库中没有文件“{source}”。", f"No document named {source!r} in the corpus."
            )
        chunks = self.catalog.chunks([d.doc_id for d in docs])
        sections = list(dict.fromkeys(c.section for c in chunks))
        found = [s for s in sections if s == section] or [
            s for s in sections if section and (s.endswith(" / " + section) or section in s.split(" / "))
        ]
        if len(found) != 1:
            close = found or [s for s in sections if section and section in s] or sections
            listed = "；".join(close[:MAX_SUGGESTIONS])
            what = "对应多个章节" if found else "不是这个文件的章节"
            raise WordingError(
                422,
                f"“{section}”{what}。可选：{listed}",
                f" Section {section!r} {'is ambiguous' if found else 'not found'} in {source}.",
            )
        if contains and not any(c.section == found[0] and contains in c.text for c in chunks):
            raise WordingError(
                422, f"该章节中没有“{contains}”这段文字。", f" The section does not hold {contains!r}."
            )
        return found[0]


def _read_staff(path: Path, keep_bad: bool = False) -> list[tuple[Any, str]]:
    """(wording view, raw line) for each line of a staff file; unreadable lines as (None, line)
    when `keep_bad`, so a rewrite keeps them."""
    out: list[tuple[Any, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            wording = _from_row(json.loads(line), origin="staff")
        except (ValueError, KeyError, TypeError, AttributeError):
            if keep_bad and line.strip():
                out.append((None, line))
            continue
        out.append((_view(wording, path.name), line))
    return out


def _from_row(row: dict[str, Any], origin: str = "staff") -> Wording:
    return Wording(
        question=str(row["question"]).strip(),
        source=str(row["source"]).strip(),
        section=str(row["section"]).strip(),
        contains=str(row.get("contains") or "").strip(),
        lang=str(row.get("lang") or "zh"),
        origin=origin,
        id=str(row.get("id") or ""),
    )


def _view(wording: Wording, file: str = "") -> StaffWording:
    return StaffWording(
        id=wording_id(wording),
        question=wording.question,
        source=wording.source,
        section=wording.section,
        contains=wording.contains,
        origin=wording.origin,
        file=file,
    )


def _new_id() -> str:
    return "w-" + os.urandom(6).hex()


def _write_lines(path: Path, lines: list[str]) -> None:
    """Replace a file's lines in one step (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".wordings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["STAFF_FILE", "StaffWording", "WordingError", "WordingManager"]
