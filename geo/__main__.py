"""Command line: import a boundary file, or generate approximate boundaries.

    python -m geo import FILE --level ward|district [--code-field F] [--name-field F]
                                [--parent-field F] [--min-match 0.9] [--layer L] [--on DAY] [--url DB_URL]
    python -m geo generate [--url DB_URL]
    python -m geo simplify SOURCE OUT [--budget BYTES]     (a simplified copy of a boundary file)

The shipped HCMC layer is made by:
    python -m geo simplify ../shared/geo/hcmc_wards_2025.geojson geo/data/hcmc_wards_2025/hcmc_wards_2025.geojson

Exit status: 0 imported/generated, 2 refused (the database is unchanged), 1 other error.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date


def _engine(url):
    from data_access.db import make_engine

    return make_engine(url)


def cmd_import(args) -> int:
    from geo.importer import ImportRefused, import_boundaries

    engine = _engine(args.url)
    try:
        report = import_boundaries(
            engine,
            args.file,
            args.level,
            min_match=args.min_match,
            code_field=args.code_field,
            name_field=args.name_field,
            parent_field=args.parent_field,
            layer=args.layer,
            on=args.on,
        )
    except ImportRefused as exc:
        if exc.report is not None:
            print(exc.report.text())
        print(str(exc), file=sys.stderr)
        return 2
    print(report.text())
    print(f"Imported {report.matched} {args.level} boundaries from {args.file}.")
    return 0


def cmd_generate(args) -> int:
    start = time.perf_counter()
    from geo.generated import store_default_boundaries

    count = store_default_boundaries(_engine(args.url))
    print(f"Generated approximate boundaries for {count} units in {time.perf_counter() - start:.1f} s.")
    return 0


def cmd_simplify(args) -> int:
    from geo.simplify import simplify_file

    done = simplify_file(args.source, args.out, args.budget)
    print(f"Wrote {done['features']} features to {args.out}: {done['bytes']:,} bytes, tolerance {done['tolerance']} degree.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import official boundaries of one level from a file")
    imp.add_argument("file")
    imp.add_argument("--level", required=True, choices=["ward", "district"])
    imp.add_argument("--code-field")
    imp.add_argument("--name-field")
    imp.add_argument("--parent-field")
    imp.add_argument("--layer")
    imp.add_argument("--min-match", type=float, default=0.9)
    imp.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="a day the file's layout was in force; its units are matched (default today)")
    imp.add_argument("--url", help="database URL (default: the app's database)")
    imp.set_defaults(func=cmd_import)
    gen = sub.add_parser("generate", help="generate approximate boundaries from the package data")
    gen.add_argument("--url", help="database URL (default: the app's database)")
    gen.set_defaults(func=cmd_generate)
    simp = sub.add_parser("simplify", help="write a simplified copy of a boundary file (shared borders kept)")
    simp.add_argument("source")
    simp.add_argument("out")
    simp.add_argument("--budget", type=int, default=350_000, help="bytes of geometry, as sent to the browser (default 350000)")
    simp.set_defaults(func=cmd_simplify)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
