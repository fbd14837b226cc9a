"""Command line: gongkai ingest | ask | eval | check | list | remove | serve."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.service import Assistant, DraftReport
    from assistant.types import Answer


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def _assistant(args: argparse.Namespace) -> Assistant:
    from assistant.service import Assistant

    return Assistant(_settings(args))


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.service import Assistant

    assistant = Assistant(_settings(args).for_bulk_ingest())
    results = assistant.ingest_paths(args.paths, progress=not args.quiet, on_wait=_say_waiting)
    failed = 0
    for r in results:
        if r.status == "error":
            failed += 1
            print(f"ERROR     {r.message_en}", file=sys.stderr)
            continue
        what = f"{r.kind}, {r.agency or '-'} {r.year or ''}".strip()
        print(f"{r.status:<9} {r.source}  ({what}; {r.chunks} chunks, {r.facts} facts)")
        if args.verbose and r.recognition:
            for line in r.recognition:  # the failed checks and format problems are among these lines
                print(f"          {line}")
            shown = "\n".join(r.recognition)
            for warning in r.warnings:  # checks against the agency's other years are not
                if warning not in shown:
                    print(f"          warning: {warning}")
            continue
        for warning in r.warnings:
            print(f"          warning: {warning}")
        if args.verbose and r.status == "unchanged":
            print("          (unchanged: not parsed again)")
    if not results:
        print("no files found", file=sys.stderr)
        return 1
    print(f"{len(results) - failed} ingested or unchanged, {failed} failed", file=sys.stderr)
    return 1 if failed and failed == len(results) else 0


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    if args.question:
        answer = assistant.ask(" ".join(args.question), agency=args.agency, year=args.year)
        _print_answer(answer, args.json)
        return 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
            answer = assistant.ask(
                item.get("question", ""), item.get("history") or [], item.get("agency"), item.get("year")
            )
            print(json.dumps(answer.model_dump(), ensure_ascii=False), flush=True)
        except (json.JSONDecodeError, AttributeError) as exc:
            print(
                json.dumps(
                    {"status": "not_found", "answer": f"invalid input line: {exc}", "citations": []},
                    ensure_ascii=False,
                ),
                flush=True,
            )
    return 0


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.model_dump(), ensure_ascii=False))
        return
    print(answer.answer)
    for i, c in enumerate(answer.citations, start=1):
        print(f"  [{i}] {c.source} · {c.section}\n      {c.quote[:200]}")


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluate import format_classes, load_questions, run_eval

    report = run_eval(_assistant(args), Path(args.file))
    print(report.format())
    classes = format_classes(report, load_questions(Path(args.file)))
    if classes:
        print(classes)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Pick the answerability thresholds on question sets (gate open, every search a trial)."""
    from dataclasses import asdict, replace

    from assistant.answerability import DEFAULT_PATH, OPEN, calibrate, save_thresholds
    from assistant.evaluate import load_questions, observe

    assistant = _assistant(args)
    items = [item for f in args.files for item in load_questions(Path(f))]
    ctx = replace(assistant.context(), thresholds=OPEN, explore=True)
    observations = observe(ctx, items)
    note = "calibrated by `gongkai calibrate` on " + ", ".join(Path(f).name for f in args.files)
    thresholds = calibrate(observations, note=note)
    print(json.dumps(asdict(thresholds), ensure_ascii=False, indent=2))
    if args.write:
        save_thresholds(thresholds, Path(args.write) if args.write != "-" else DEFAULT_PATH)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Documents, one a line (each warning on a line after it); then each agency: its canonical name,
    its reports' years and its aliases."""
    assistant = _assistant(args)
    docs = assistant.documents()
    for d in docs:
        print(
            f"{d['source']}\t{d['kind']}\t{d['agency'] or '-'}\t{d['year'] or '-'}\t{d['facts']} facts\t{d['title']}"
        )
        for warning in d["warnings"]:  # failed checks (own, narrative, other years) and format problems
            print(f"\twarning: {warning}")
    if not docs:
        print("the store is empty", file=sys.stderr)
        return 0
    aliases = assistant.store.agency_aliases()
    if aliases:
        print("\nagencies (canonical name, years, aliases):")
    for canonical, names in sorted(aliases.items()):
        years = sorted({str(d["year"]) for d in docs if d["agency"] == canonical and d["year"]})
        others = [a for a in names if a != canonical]
        print(f"{canonical}\t{','.join(years) or '-'}\t{'、'.join(others) or '-'}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check draft reports without adding them: format, arithmetic, narrative against tables, and
    against the stored reports of the same agency. Exit 0 when all pass, 1 when any warns."""
    assistant = _assistant(args)
    status = 0
    for path in [Path(p) for p in args.files]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(
                f"ERROR     {path.name}: cannot read the file ({exc.strerror}) / 无法读取文件",
                file=sys.stderr,
            )
            status = 2
            continue
        report = assistant.check_draft(path.name, data)
        if args.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False))
        else:
            _print_draft(report)
        if report.error_en:
            status = 2
        elif not report.ok:
            status = max(status, 1)
    return status


def _print_draft(report: DraftReport) -> None:
    if report.error_en:
        print(f"ERROR     {report.error_zh} / {report.error_en}")
        return
    failed = [c for c in report.checks if not c.ok]
    who = " ".join(str(x) for x in (report.agency, report.year) if x)
    print(
        f"{report.source}  ({who or '-'})：{len(report.problems)} 个格式问题，{len(failed)} 处数字不符，"
        f"{len(report.checks) - len(failed)} 项核对相符"
    )
    for problem in report.problems:
        print(f"  格式：{problem}")
    for check in failed:
        print(f"  不符 [{check.rule}] {check.row}：{check.message_zh}")


def cmd_remove(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    status = 0
    for name in args.names:
        removed = assistant.remove(name)
        if removed:
            print(f"removed {', '.join(removed)}")
        else:
            print(f"no document named {name}", file=sys.stderr)
            status = 1
    return status


def cmd_serve(args: argparse.Namespace) -> int:
    from app import main as serve

    settings = _settings(args)
    if args.port:
        settings.port = args.port
    if args.host:
        settings.host = args.host
    serve(settings)  # same as `python app.py`: first start ingests the bundled corpus
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gongkai", description="政府信息公开年报问答 / Q&A over disclosure reports"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest files or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--data-dir")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true", help="show what each report gave")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ask a question (or JSON lines on stdin)")
    p.add_argument("question", nargs="*")
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.add_argument("--agency")
    p.add_argument("--year", type=int)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="grade a question set (dev.jsonl form)")
    p.add_argument("file")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="pick the answerability thresholds on question sets")
    p.add_argument("files", nargs="+")
    p.add_argument("--data-dir")
    p.add_argument("--write", nargs="?", const="-", help="save them (default: data/answerability.json)")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("list", help="list ingested documents")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "check", help="check draft reports (not added): format, arithmetic, narrative, other years"
    )
    p.add_argument("files", nargs="+")
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("remove", help="remove documents by file name")
    p.add_argument("names", nargs="+")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--data-dir")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    return parser


def _say_waiting() -> None:
    from assistant.datadir import WAITING_MESSAGE

    print(WAITING_MESSAGE, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run one command; an unusable or busy data dir is a bilingual message and exit status 2."""
    import sqlite3

    from assistant.datadir import DataDirError, unusable

    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except DataDirError as exc:
        print(exc, file=sys.stderr)
    except (OSError, sqlite3.OperationalError) as exc:  # a data dir we may not create, read or write
        print(unusable(_settings(args).data_dir, exc), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
