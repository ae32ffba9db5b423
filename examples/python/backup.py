"""Takes the pre-deploy backup, or puts it back, from a Python ops script:

    python3 examples/python/backup.py                  # before a deploy: rotate the backup
    python3 examples/python/backup.py restore BRANCH   # put it back into BRANCH (the confirmation)

With NEON_API_KEY (and NEON_PROJECT_ID) set it uses Neon, else the PostgreSQL
server of DATABASE_URL (a snapshot is a database copy; its role needs CREATEDB)."""
import os
import sys

import dbsafe

BACKUP = "pre-deploy-backup"


def main(args: list[str]) -> int:
    kind = "neon" if os.environ.get("NEON_API_KEY") else "local"
    try:
        with dbsafe.Provider(kind) as provider:  # the settings come from the environment
            if not args:
                # The new backup is ready before the old one is deleted.
                report = provider.rotate_snapshot(BACKUP)
                print(f"backup {report.snapshot.name} ({report.snapshot.id}) is ready")
                if report.replaced:
                    print(f"it replaced {report.replaced.id}")
                return 0
            if args[0] == "restore":
                # Replaces the branch's data: the library asks for its name, as --confirm does.
                confirm = args[1] if len(args) > 1 else None
                result = provider.restore_snapshot(BACKUP, confirm=confirm)
                print(f"restored {BACKUP} into {result.branch.name}; "
                      f"the replaced data is kept as {result.replaced_by}")
                return 0
            print(__doc__, file=sys.stderr)
            return 3
    except dbsafe.Error as err:
        # The message never holds the API key or a password.
        print(f"{err.code}: {err.message}", file=sys.stderr)
        if isinstance(err, (dbsafe.ConnectError, dbsafe.AuthError)):
            return 4
        if isinstance(err, (dbsafe.InvalidInputError, dbsafe.NotFoundError)):
            return 3
        if isinstance(err, dbsafe.StateError):  # e.g. the backup is held by a bridge branch
            return 2
        return 5


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
