"""Seed 004's daily backup job, and its restore, from a Python ops script:

    python3 examples/python/backup_dump.py daily DIR             back up, verify, prune
    python3 examples/python/backup_dump.py restore FILE DBNAME    FILE back into DATABASE_URL

The database is DIRECT_URL, else DATABASE_URL. Exit 0 done, 2 a backup failed
its check (or the target is not empty), 3 bad input, 4 unreachable, 5 failed
part-way (a restore is rolled back)."""
import sys

import dbsafe


def main(args: list[str]) -> int:
    try:
        if len(args) == 2 and args[0] == "daily":
            created = dbsafe.backup_create(args[1])
            print(f"backup {created.path}: {created.manifest.tables} tables, "
                  f"sha256 {created.manifest.sha256}")
            # Read back to its end before the old ones go.
            verified = dbsafe.backup_verify(created.path)
            if not verified.ok:
                for check in verified.failed:
                    print(f"{check.name}: {check.detail}", file=sys.stderr)
                return 2
            pruned = dbsafe.backup_prune(args[1], keep_days=7, keep_min=3)
            print(f"pruned {len(pruned.deleted)}, kept {len(pruned.kept)}")
            return 0
        if len(args) == 3 and args[0] == "restore":
            # The database's name is the confirmation, like --confirm.
            restored = dbsafe.backup_restore(args[1], confirm=args[2])
            print(f"restored {restored.path} into {restored.database}: {restored.tables} tables")
            return 0
        print(__doc__, file=sys.stderr)
        return 3
    except dbsafe.Error as err:
        # The message never holds a password.
        print(f"{err.code}: {err.message}", file=sys.stderr)
        if isinstance(err, (dbsafe.ConnectError, dbsafe.AuthError)):
            return 4
        if isinstance(err, (dbsafe.InvalidInputError, dbsafe.NotFoundError)):
            return 3
        if isinstance(err, dbsafe.StateError):
            return 2
        return 5


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
