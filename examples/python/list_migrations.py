"""Lists a migration set from Python: python3 examples/python/list_migrations.py DIR"""
import sys

import dbsafe


def main(directory: str) -> int:
    try:
        migration_set = dbsafe.migrations(directory)
    except dbsafe.Error as err:  # carries code, file, line and column
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 3
    print(f"{migration_set.count} {migration_set.layout} migrations in {migration_set.root}")
    for migration in migration_set.migrations:
        print(migration.name, migration.checksum)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "prisma/migrations"))
