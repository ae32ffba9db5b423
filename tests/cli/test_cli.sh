#!/usr/bin/env bash
# The dbsafe binary's output and exit codes (docs/cli.md).
set -uo pipefail
cli=$1 src=$2
fail=0 passed=0
check() { # name expected-exit actual-exit
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); else echo "FAIL $1: exit $3, expected $2"; fail=$((fail + 1)); fi
}
contains() { # name haystack needle
  if [[ "$2" == *"$3"* ]]; then passed=$((passed + 1)); else echo "FAIL $1: output lacks: $3"; echo "$2" | head -5; fail=$((fail + 1)); fi
}

out=$("$cli" list "$src/tests/fixtures/prisma" 2>&1); check "list text" 0 $?
contains "list text header" "$out" "prisma migrations in $src/tests/fixtures/prisma (provider postgresql)"
contains "list text footer" "$out" "2 migrations, "

out=$("$cli" list --format json "$src/tests/fixtures/flyway" 2>&1); check "list json" 0 $?
contains "list json schema" "$out" '{"schema_version":1,'

out=$("$cli" list "$src/tests/fixtures/missing" 2>&1); check "missing dir" 3 $?
contains "missing dir message" "$out" "dbsafe: error: $src/tests/fixtures/missing: no such directory"

out=$("$cli" list --format yaml "$src/tests/fixtures/prisma" 2>&1); check "bad format" 3 $?
contains "bad format message" "$out" "Run 'dbsafe --help' for usage."

out=$("$cli" 2>&1); check "no command" 3 $?
out=$("$cli" --help 2>&1); check "help" 0 $?
contains "help lists list" "$out" "list"
out=$("$cli" --version 2>&1); check "version" 0 $?
contains "version text" "$out" "dbsafe 0."

out=$(DBSAFE_FAILPOINTS=source.open "$cli" list "$src/tests/fixtures/prisma" 2>&1); check "internal error" 5 $?
contains "internal error message" "$out" "dbsafe: internal error: failpoint source.open triggered"

# An unreadable directory: root reads everything, so run as an unprivileged
# user when there is one (scripts/pg-throwaway creates dbsafe-pg).
scratch=$(mktemp -d /tmp/dbsafe-cli.XXXXXX)
chmod 755 "$scratch"
mkdir "$scratch/locked" && echo 'SELECT 1;' > "$scratch/locked/001.sql" && chmod 000 "$scratch/locked"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  id dbsafe-pg >/dev/null 2>&1 && as_user=(runuser -u dbsafe-pg --)
fi
if [ "$(id -u)" -ne 0 ] || [ ${#as_user[@]} -gt 0 ]; then
  out=$("${as_user[@]}" "$cli" list "$scratch/locked" 2>&1); check "unreadable dir" 3 $?
  contains "unreadable dir message" "$out" "dbsafe: error: $scratch/locked: cannot read directory: Permission denied"
else
  echo "skipped: unreadable directory (root without the dbsafe-pg user)"
fi
chmod 755 "$scratch/locked"; rm -rf "$scratch"

echo "$passed passed, $fail failed"
[ "$fail" -eq 0 ]
