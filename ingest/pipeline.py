"""File → ParsedDocument: load, classify, parse into chunks and facts, check the arithmetic."""

from __future__ import annotations

from pathlib import Path

from ingest.checks import check_report
from ingest.classify import META_LINE, classify
from ingest.loaders import DEFAULT_MAX_BYTES, load_bytes
from ingest.regulation import heading_chunks, parse_regulation
from ingest.report import parse_report, required_tables_missing
from ingest.types import Document, LoadedFile, ParsedDocument

# Bump when parsing changes what a file becomes: stored documents of an older version are
# parsed again on the next ingest even though their bytes are unchanged.
PARSER_VERSION = 7  # 7: table rows carry their labels, which their vectors are made from


def parse_loaded(loaded: LoadedFile) -> ParsedDocument:
    """Classify a loaded file and parse it into chunks, facts, checks and what was recognised."""
    info = classify(loaded)
    document = Document(
        doc_id=loaded.content_hash,
        source=loaded.name,
        title=info.title,
        kind=info.kind,
        agency=info.agency,
        year=info.year,
        format=loaded.format,
        agency_names=info.names,
    )
    parsed = ParsedDocument(document=document)
    if info.kind == "report":
        report = parse_report(loaded, document)
        parsed.chunks = report.chunks
        parsed.facts = report.facts
        parsed.checks = check_report(report.facts, report.chunks, document.year)
        parsed.problems = report.problems + required_tables_missing(report)
        recognition = report.recognition()
        recognition.add_checks(parsed.checks)
        recognition.problems = list(parsed.problems)
        document.recognition = recognition
    elif info.kind == "regulation":
        parsed.chunks = parse_regulation(loaded, document)
    else:
        lines = [ln.strip() for ln in loaded.text().splitlines() if ln.strip() and not META_LINE.match(ln)]
        parsed.chunks = heading_chunks(lines, document, "other")
    for i, chunk in enumerate(parsed.chunks):
        chunk.ordinal = i
    return parsed


def parse_bytes(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    return parse_loaded(load_bytes(data, name, max_bytes))


def parse_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    path = Path(path)
    return parse_bytes(path.read_bytes(), path.name, max_bytes)
