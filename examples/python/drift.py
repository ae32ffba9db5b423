"""A scheduled drift check for CI: exits 1 when the database no longer matches
its migrations, and prints what differs and the SQL that brings it back.

    DATABASE_URL=postgresql://... python3 examples/python/drift.py [MIGRATIONS_DIR]

MIGRATIONS_DIR defaults to prisma/migrations. Exit 0 no drift, 1 drift,
3 bad input, 4 the database cannot be reached."""
import os
import sys

import dbsafe


def main(directory: str) -> int:
    database_url = os.environ.get("DIRECT_URL") or os.environ.get("DATABASE_URL")
    if not database_url:
        print("set DATABASE_URL to the database to check", file=sys.stderr)
        return 3
    try:
        report = dbsafe.drift(database_url, directory)
    except (dbsafe.ConnectError, dbsafe.AuthError) as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 4
    except dbsafe.Error as err:  # a bad directory, or a migration that does not replay
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 3
    if not report.drift:
        print("no drift")
        return 0
    for change in report.changes:
        print(f"{'!' if change.destructive else '-'} {change.description}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    print()
    print(report.sql, end="")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "prisma/migrations"))
