"""Moving off SQLite (docs/copy.md) from a Python ops script.

    DATABASE_URL=... python3 examples/python/copy.py sqlite:PATH [--dry-run]

The rows of a SQLite file are copied into the PostgreSQL schema the team's
migrations made, then verified. Exit 0 copied and verified, 1 a value did not
convert or verification found a difference (each is listed), 2 any other
failure."""
import argparse
import sys
from typing import Any, Dict

import dbsafe


def show_progress(event: Dict[str, Any]) -> None:
    if event.get("event") == "copy-progress" and event.get("done"):
        print(f"{event['table']}: {event['rows']} rows ({event['rows_per_second']:.0f} rows/s)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", metavar="sqlite:PATH")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = dbsafe.copy(args.source, dry_run=args.dry_run, progress=show_progress)
    except dbsafe.Error as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 2
    for failure in report.failures:
        print(f"cannot convert {failure.table}.{failure.column} "
              f"(rowid {failure.rowid}): {failure.reason}")
    for table in report.unverified_tables:
        assert table.verification is not None
        print(f"{table.target}: {table.verification.differences_total} rows differ")
    state = "ok" if report.ok else "NOT ok"
    print(f"{state}: {report.rows_copied} rows into {len(report.tables)} tables")
    return 0 if report.ok else 1

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
