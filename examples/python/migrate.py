"""Applies a Prisma migration directory from a Python deploy script, as
`prisma migrate deploy` does, and says where a failure happened:

    DATABASE_URL=postgresql://... python3 examples/python/migrate.py [MIGRATIONS_DIR]

MIGRATIONS_DIR defaults to the sample app's (examples/prisma-app/prisma/migrations)."""
import os
import sys
from pathlib import Path
from typing import Any

import dbsafe

SAMPLE_APP = Path(__file__).resolve().parent.parent / "prisma-app" / "prisma" / "migrations"


def show_progress(event: dict[str, Any]) -> None:
    if event["event"] == "migration-start":
        print(f"[{event['index']}/{event['total']}] {event['migration']} ...", flush=True)


def main(directory: str) -> int:
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        print("set DATABASE_URL to the database to migrate", file=sys.stderr)
        return 3
    try:
        report = dbsafe.migrate_deploy(directory, database_url=database_url, progress=show_progress)
    except dbsafe.Error as err:
        # The message names the file, line and column; a failed deploy's err.failure also
        # says whether its transaction was rolled back, and the command that clears it.
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 5 if err.failure is not None else 3
    for applied in report.applied:
        print(f"applied {applied.name} ({applied.steps} steps, {applied.elapsed_ms:.0f} ms)")
    if report.status_code == 0:
        print(f"{len(report.migrations)} migrations, database up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(SAMPLE_APP)))
