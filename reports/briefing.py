"""Build the meeting pre-read (briefing pack) from the command line, e.g. for a scheduled run:

    python -m reports.briefing --scope 760 --period 2026-Q3 --format pptx --out pack.pptx
        [--url DB_URL] [--lang vi|en] [--compare prev|yoy] [--meeting-date 2026-11-24]

PERIOD: 2025-09, 2025-Q3, 2025-H1, 2025-9M, 2025, R2025-09 or 2025-03-01..2025-04-15.
An unknown scope code or a bad period exits with code 2 and writes nothing; the file is
written to a temporary name beside --out and renamed at the end, so a failed run never
leaves half a file. `--out` may be a directory: the file is then named like
giao-ban_Quan-1_2026-Q3.pptx.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from reports import content

FORMATS = ("pptx", "pdf")


def build(
    engine, scope_code: str, period, fmt: str, lang: str = "vi", compare_mode: str = "prev", meeting_date: date | None = None, progress=None, *, viewer
) -> tuple[bytes, str]:
    """The pack as bytes and its file name, as `viewer` (domain.access.Viewer) may see it.
    Raises content.BriefingError, or access.OutOfScope for a scope outside the viewer's."""
    if fmt not in FORMATS:
        raise content.BriefingError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    report = progress or (lambda fraction, message: None)
    briefing = content.build_briefing(engine, scope_code, period, lang, compare_mode, meeting_date, progress=lambda f, m: report(0.5 * f, m), viewer=viewer)

    def stage(fraction, message):
        report(0.5 + 0.5 * fraction, message)

    if fmt == "pptx":
        from reports.pptx_pack import build_pptx

        data = build_pptx(briefing, stage)
    else:
        from reports.pdf_pack import build_pdf

        data = build_pdf(briefing, stage)
    return data, content.pack_filename(briefing.scope_name if not briefing.is_city else briefing.scope_name.split(" (")[0], period, fmt)


def write_atomically(path: Path, data: bytes) -> None:
    """Write next to `path` and rename: readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    from metrics.periods import parse_period

    parser = argparse.ArgumentParser(prog="python -m reports.briefing", description="Build the review-meeting briefing pack (PowerPoint or PDF).")
    parser.add_argument("--scope", required=True, help="unit code: the city (79) or a district (e.g. 760)")
    parser.add_argument("--period", required=True, help="2025-09, 2025-Q3, 2025-H1, 2025-9M, 2025, R2025-09 or 2025-03-01..2025-04-15")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, help="output file (or an existing directory)")
    parser.add_argument("--url", default=None, help="database URL (default: the app's database_url())")
    parser.add_argument("--lang", default="vi", choices=("vi", "en"))
    parser.add_argument("--compare", default="prev", choices=("prev", "yoy"))
    parser.add_argument("--meeting-date", default=None, help="the meeting day, YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)

    try:
        period = parse_period(args.period)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        meeting = date.fromisoformat(args.meeting_date) if args.meeting_date else None
    except ValueError:
        print(f"error: --meeting-date {args.meeting_date!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2

    from sqlalchemy.exc import DBAPIError, OperationalError

    from domain.access import SYSTEM
    from data_access.db import make_engine

    started = time.perf_counter()
    engine = make_engine(args.url)
    try:
        data, name = build(engine, args.scope, period, args.format, args.lang, args.compare, meeting, viewer=SYSTEM)  # an operator's command: full access
    except content.BriefingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OperationalError, DBAPIError) as error:
        print(f"error: cannot read the database: {str(error.orig or error).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    out = Path(args.out)
    if out.is_dir():
        out = out / name
    write_atomically(out, data)
    print(f"{out} ({len(data):,} bytes) in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
