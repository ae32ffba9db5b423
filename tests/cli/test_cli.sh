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

# A command that never connects loads no database client library: libpq
# (linked in or loaded by the library), GSSAPI and LDAP come with the first
# connection.
out=$(LD_DEBUG=files "$cli" list "$src/tests/fixtures/prisma" 2>&1 >/dev/null); check "list, libraries" 0 $?
for lib in libpq libgssapi libldap libssl.so libcrypto.so; do
  if [[ "$out" == *"file=$lib"* || "$out" == *"/$lib"* ]]; then
    echo "FAIL list loads $lib:"; echo "$out" | grep "$lib" | head -3; fail=$((fail + 1))
  else passed=$((passed + 1)); fi
done

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

# check: exit codes, formats, and pull-request mode against a real git repository.
repo=$(mktemp -d /tmp/dbsafe-cli-git.XXXXXX)
mkdir -p "$repo/m"
printf 'CREATE TABLE t (id bigint, a text);\n' > "$repo/m/001_a.sql"
git -C "$repo" init -q && git -C "$repo" -c user.email=t@t -c user.name=t add -A &&
  git -C "$repo" -c user.email=t@t -c user.name=t commit -qm base
printf 'ALTER TABLE t DROP COLUMN a;\n' > "$repo/m/002_b.sql"
out=$("$cli" check --config - "$repo/m" 2>&1); check "check finds data loss" 1 $?
contains "check text" "$out" "002_b.sql:1:1: error[drop-column]"
out=$("$cli" check --config - --rule drop-column=warning "$repo/m" 2>&1); check "check --rule" 0 $?
out=$("$cli" check --config - --base HEAD --format json "$repo/m" 2>&1); check "check --base" 1 $?
contains "check --base reports the new file" "$out" '"files":1'
out=$(GITHUB_ACTIONS=true "$cli" check --config - "$repo/m" 2>&1); check "github format" 1 $?
contains "github annotation" "$out" "::error file=$repo/m/002_b.sql,line=1"
out=$(printf 'SELEC 1;\n' | "$cli" check --config - - 2>&1); check "syntax error exits 3" 3 $?
contains "syntax error position" "$out" "<stdin>:1:1: error[syntax-error]"
out=$("$cli" check --config - --format junit "$repo/m" 2>&1); check "junit" 1 $?
contains "junit xml" "$out" "<testsuites"
out=$("$cli" check --config - --format markdown "$repo/m" 2>&1); check "markdown" 1 $?
contains "markdown heading" "$out" "### dbsafe check"
out=$("$cli" rules --format json 2>&1); check "rules" 0 $?
contains "rules json" "$out" '"id":"drop-table"'
out=$("$cli" stats --database-url "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "unreachable database exits 4" 4 $?
if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
rm -rf "$repo"

# migrate: usage errors need no server; the rest runs when the harness gives one.
app="$src/examples/prisma-app/prisma/migrations"
out=$(DATABASE_URL= DIRECT_URL= "$cli" migrate status --migrations "$app" 2>&1); check "migrate without a URL" 3 $?
contains "migrate URL hint" "$out" "DIRECT_URL"
out=$("$cli" migrate resolve --migrations "$app" --database-url postgresql://u@127.0.0.1:1/db 2>&1); check "resolve without an action" 3 $?
out=$("$cli" migrate status --migrations "$src/tests/fixtures/missing" --database-url postgresql://u@h/db 2>&1); check "migrate missing dir" 3 $?
out=$("$cli" migrate deploy --migrations "$app" --connect-retry-ms 0 --database-url "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "migrate unreachable exits 4" 4 $?
if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
out=$("$cli" migrate deploy --migrations "$app" --database-url "postgresql://u@db-pooler.example.com:5432/db?pgbouncer=true" 2>&1); check "pooler URL refused" 3 $?
contains "pooler refusal names DIRECT_URL" "$out" "DIRECT_URL"
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]; then
  db="dbsafe_cli_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
  out=$("$cli" migrate status --migrations "$app" --database-url "$url" 2>&1); check "status pending" 1 $?
  out=$("$cli" migrate deploy --migrations "$app" --database-url "$url" --format json 2>&1); check "deploy" 0 $?
  contains "deploy report" "$out" '"status_code":0'
  out=$("$cli" migrate status --migrations "$app" --database-url "$url" 2>&1); check "status up to date" 0 $?
  contains "status text" "$out" "Database schema is up to date: 3 migrations applied."
  scratch=$(mktemp -d /tmp/dbsafe-cli-mig.XXXXXX)
  cp -r "$app/." "$scratch/"
  mkdir "$scratch/20240301000000_bad" && printf 'ALTER TABLE "Post" ADD COLUMN x int;\nSELECT nosuch FROM "Post";\n' > "$scratch/20240301000000_bad/migration.sql"
  out=$("$cli" migrate deploy --migrations "$scratch" --database-url "$url" 2>&1); check "failing deploy exits 5" 5 $?
  contains "failure position" "$out" "20240301000000_bad/migration.sql:2:8"
  contains "failure resolve command" "$out" "dbsafe migrate resolve --rolled-back 20240301000000_bad"
  out=$("$cli" migrate status --migrations "$scratch" --database-url "$url" 2>&1); check "status after failure" 2 $?
  out=$("$cli" migrate deploy --migrations "$scratch" --database-url "$url" 2>&1); check "deploy refuses a failed history" 2 $?
  printf 'ALTER TABLE "Post" ADD COLUMN x int;\n' > "$scratch/20240301000000_bad/migration.sql"
  out=$("$cli" migrate resolve --rolled-back 20240301000000_bad --migrations "$scratch" --database-url "$url" 2>&1); check "resolve" 0 $?
  out=$("$cli" migrate deploy --migrations "$scratch" --database-url "$url" 2>&1); check "deploy after resolve" 0 $?
  rm -rf "$scratch"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi

# drift, diff, schema, verify and baseline --from-url: usage errors need no server.
out=$(DATABASE_URL= DIRECT_URL= "$cli" drift --migrations "$app" 2>&1); check "drift without a URL" 3 $?
contains "drift URL hint" "$out" "DIRECT_URL or DATABASE_URL"
out=$("$cli" diff --from empty --to empty 2>/dev/null); check "diff of nothing" 0 $?
if [ -z "$out" ]; then passed=$((passed + 1)); else echo "FAIL diff of nothing printed: $out"; fail=$((fail + 1)); fi
out=$("$cli" diff --from empty 2>&1); check "diff without --to" 3 $?
out=$("$cli" diff --from nonsense:thing --to empty 2>&1); check "diff of a bad source" 3 $?
out=$("$cli" diff --from empty --to empty --rename 'sideways a=b' 2>&1); check "diff with a bad rename" 3 $?
out=$("$cli" diff --from empty --to empty --format yaml 2>&1); check "diff with a bad format" 3 $?
out=$(DATABASE_URL= "$cli" schema dump 2>&1); check "schema dump without a URL" 3 $?
contains "schema dump URL hint" "$out" "DATABASE_URL"
out=$("$cli" schema dump "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "schema dump unreachable exits 4" 4 $?
if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
out=$("$cli" verify --migrations "$app" --database-url "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "verify unreachable exits 4" 4 $?
out=$("$cli" migrate baseline --migrations "$app" --database-url postgresql://u@127.0.0.1:1/db 2>&1); check "baseline without NAME or --from-url" 3 $?
contains "baseline hint" "$out" "--from-url"
out=$("$cli" migrate baseline x --from-url postgresql://u@127.0.0.1:1/db 2>&1); check "baseline NAME with --from-url" 3 $?
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]; then
  db="dbsafe_cli_drift_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
  scratch=$(mktemp -d /tmp/dbsafe-cli-drift.XXXXXX)
  printf 'provider = "postgresql"\n' > "$scratch/migration_lock.toml"
  mkdir "$scratch/20240101000000_init" "$scratch/20240102000000_add_name"
  printf 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\nCREATE UNIQUE INDEX "User_email_key" ON "User"(email);\n' > "$scratch/20240101000000_init/migration.sql"
  printf 'ALTER TABLE "User" ADD COLUMN name text;\n' > "$scratch/20240102000000_add_name/migration.sql"
  out=$("$cli" migrate deploy --migrations "$scratch" --database-url "$url" 2>&1); check "drift: deploy" 0 $?
  out=$("$cli" drift --migrations "$scratch" --database-url "$url" 2>&1); check "no drift" 0 $?
  out=$(DIRECT_URL= DATABASE_URL="$url" "$cli" drift --migrations "$scratch" --format json 2>/dev/null); check "no drift, URL from DATABASE_URL" 0 $?
  contains "drift json" "$out" '"drift":false'
  out=$("$cli" verify --migrations "$scratch" --database-url "$url" 2>&1); check "verify ok" 0 $?
  psql -X -q "$url" -c 'DROP INDEX "User_email_key"' >/dev/null
  out=$("$cli" drift --migrations "$scratch" --database-url "$url" 2>&1); check "drift found" 1 $?
  contains "drift text shows the index" "$out" "User_email_key"
  sql=$("$cli" drift --migrations "$scratch" --database-url "$url" --format sql 2>/dev/null); check "drift --format sql" 1 $?
  contains "drift sql" "$sql" "CREATE UNIQUE INDEX"
  if grep -qv -e '^--' -e '^CREATE UNIQUE INDEX' -e '^$' <<< "$sql"; then echo "FAIL: drift --format sql printed more than SQL: $sql"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
  out=$("$cli" drift --migrations "$scratch" --database-url "$url" --format markdown 2>/dev/null); check "drift markdown" 1 $?
  out=$("$cli" verify --migrations "$scratch" --database-url "$url" --format json 2>/dev/null); check "verify finds the missing index" 1 $?
  contains "verify json" "$out" '"ok":false'
  contains "verify names the index" "$out" "User_email_key"
  printf '%s\n' "$sql" | psql -X -q -v ON_ERROR_STOP=1 "$url" -f - >/dev/null; check "the drift sql applies" 0 $?
  out=$("$cli" drift --migrations "$scratch" --database-url "$url" 2>&1); check "no drift after the repair" 0 $?
  cache=$(mktemp -d /tmp/dbsafe-cli-cache.XXXXXX)
  out=$("$cli" drift --migrations "$scratch" --database-url "$url" --cache-dir "$cache" 2>&1); check "drift --cache-dir fills the cache" 0 $?
  out=$(DBSAFE_CACHE_DIR="$cache" "$cli" drift --migrations "$scratch" --database-url "$url" 2>&1); check "drift from DBSAFE_CACHE_DIR" 0 $?
  contains "drift reads the cached replay" "$out" "the migrations' schema comes from $cache/replay-"
  rm -rf "$cache"
  out=$("$cli" diff --from empty --to "migrations:$scratch" --server-url "$DBSAFE_TEST_DATABASE_URL" 2>/dev/null); check "diff empty to migrations" 1 $?
  contains "diff sql" "$out" "CREATE TABLE"
  out=$("$cli" diff --from empty --to "migrations:$scratch" --server-url "$DBSAFE_TEST_DATABASE_URL" --exit-zero --format json 2>/dev/null); check "diff --exit-zero" 0 $?
  contains "diff json" "$out" '"kind":"diff"'
  out=$("$cli" schema dump "$url" --format json 2>/dev/null); check "schema dump json" 0 $?
  contains "schema dump json" "$out" '"schema_version"'
  out=$("$cli" schema render "migrations:$scratch" --server-url "$DBSAFE_TEST_DATABASE_URL" 2>/dev/null); check "schema render" 0 $?
  contains "schema render sql" "$out" "CREATE TABLE"
  # baseline --from-url: a database made by hand adopts a migration history.
  db2="dbsafe_cli_base_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db2" >/dev/null
  url2="${DBSAFE_TEST_DATABASE_URL%/*}/$db2"
  psql -X -q "$url2" -c 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL)' >/dev/null
  base=$(mktemp -d /tmp/dbsafe-cli-base.XXXXXX)
  out=$("$cli" migrate baseline --from-url "$url2" --migrations "$base" --name 0_baseline 2>&1); check "baseline --from-url" 0 $?
  contains "baseline wrote" "$out" "0_baseline/migration.sql"
  [ -f "$base/0_baseline/migration.sql" ]; check "baseline migration written" 0 $?
  out=$("$cli" migrate status --migrations "$base" --database-url "$url2" 2>&1); check "status after baseline" 0 $?
  rm -rf "$scratch" "$base"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db2 WITH (FORCE)" >/dev/null
fi

# snapshot and branch (docs/providers.md): usage errors and refusals need no
# server; the local provider runs against the harness's server.
out=$(NEON_API_KEY= DATABASE_URL= DIRECT_URL= "$cli" snapshot list 2>&1); check "snapshot without a database" 3 $?
contains "snapshot database hint" "$out" "--database-url"
out=$(NEON_API_KEY= "$cli" snapshot list --provider neon 2>&1); check "neon without a key" 3 $?
contains "neon key hint" "$out" "NEON_API_KEY"
out=$("$cli" snapshot list --api-key secret 2>&1); check "no --api-key flag" 3 $?
out=$("$cli" branch create x --expires-in soon --database-url postgresql://u@127.0.0.1:1/db 2>&1); check "bad duration" 3 $?
contains "bad duration message" "$out" "not a duration"
out=$("$cli" snapshot prune --prefix p --database-url postgresql://u@127.0.0.1:1/db 2>&1); check "prune without a rule" 3 $?
out=$(NEON_API_KEY= "$cli" snapshot list --database-url "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "snapshot list unreachable exits 4" 4 $?
if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
# The [neon] table of ./dbsafe.toml selects Neon and gives the key; the key
# never appears in what is printed.
tomldir=$(mktemp -d /tmp/dbsafe-cli-toml.XXXXXX)
cli_abs=$(readlink -f "$cli")  # the commands below run in $tomldir
printf '[neon]\napi_key = "napi_canary_key"\nproject_id = "p-1"\napi_host = "https://127.0.0.1:1/api/v2"\n' > "$tomldir/dbsafe.toml"
out=$(cd "$tomldir" && NEON_API_KEY= NEON_API_HOST= NEON_PROJECT_ID= "$cli_abs" branch list 2>&1); check "dbsafe.toml selects neon" 4 $?
contains "dbsafe.toml project and host" "$out" "https://127.0.0.1:1/api/v2/projects/p-1/branches"
if [[ "$out" == *napi_canary_key* ]]; then echo "FAIL: the API key from dbsafe.toml leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
printf '[neon\n' > "$tomldir/dbsafe.toml"
out=$(cd "$tomldir" && NEON_API_KEY= "$cli_abs" branch list 2>&1); check "a broken dbsafe.toml" 3 $?
contains "broken dbsafe.toml message" "$out" "dbsafe.toml:"
rm -rf "$tomldir"
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]; then
  export NEON_API_KEY=  # the local provider, whatever the caller's environment says
  db="dbsafe_cli_prov_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
  psql -X -q "$url" -c 'CREATE TABLE t (id int); INSERT INTO t VALUES (1)' >/dev/null
  p=(--database-url "$url")
  rows() { psql -X -qAt "$url" -c 'SELECT count(*) FROM t'; }
  out=$("$cli" snapshot create --name first "${p[@]}" 2>&1); check "snapshot create --name" 0 $?
  contains "snapshot create text" "$out" "Snapshot first ("
  out=$("$cli" snapshot create --format json -q "${p[@]}" 2>&1); check "snapshot create timestamped" 0 $?
  contains "timestamped name" "$out" '"name":"pre-migration-'
  contains "timestamped expiry" "$out" '"expires_at":"20'
  out=$("$cli" snapshot rotate "${p[@]}" 2>&1); check "snapshot rotate" 0 $?
  contains "rotate text" "$out" "Backup pre-deploy-backup ("
  out=$("$cli" snapshot rotate --format json "${p[@]}" 2>/dev/null); check "snapshot rotate again" 0 $?
  contains "rotate replaced the old one" "$out" '"replaced":{'
  out=$("$cli" snapshot list --format json "${p[@]}" 2>/dev/null); check "snapshot list" 0 $?
  n=$(grep -o '"name":"pre-deploy-backup"' <<< "$out" | wc -l)
  check "one rotating backup" 1 "$n"
  psql -X -q "$url" -c 'INSERT INTO t VALUES (2)' >/dev/null
  out=$("$cli" snapshot restore pre-deploy-backup "${p[@]}" 2>&1 < /dev/null); check "restore refused without --confirm" 3 $?
  contains "restore names the flag" "$out" "--confirm '$db'"
  out=$("$cli" snapshot restore pre-deploy-backup --confirm nope "${p[@]}" 2>&1); check "restore refused with a wrong --confirm" 3 $?
  out=$("$cli" snapshot restore pre-deploy-backup --target-branch nosuch --confirm nosuch "${p[@]}" 2>&1); check "restore into a missing branch" 3 $?
  contains "missing target named" "$out" 'no branch named "nosuch"'
  check "nothing restored" 2 "$(rows)"
  out=$("$cli" snapshot restore pre-deploy-backup --confirm "$db" "${p[@]}" 2>&1); check "snapshot restore" 0 $?
  contains "restore says what it kept" "$out" "kept as"
  check "restored data" 1 "$(rows)"
  out=$("$cli" branch list "${p[@]}" 2>&1); check "branch list" 0 $?
  contains "the old data is listed" "$out" "$db (old"
  out=$("$cli" branch prune --dry-run "${p[@]}" 2>&1); check "branch prune --dry-run" 0 $?
  contains "prune dry run" "$out" "Would delete branch $db (old"
  out=$("$cli" branch prune --format json "${p[@]}" 2>/dev/null); check "branch prune" 0 $?
  contains "prune deleted the old data" "$out" "\"deleted\":[\"$db (old"
  out=$("$cli" branch create feature-x --expires-in 1d "${p[@]}" 2>&1); check "branch create" 0 $?
  burl=$("$cli" branch url feature-x "${p[@]}" 2>/dev/null); check "branch url" 0 $?
  check "the branch has the data" 1 "$(psql -X -qAt "$burl" -c 'SELECT count(*) FROM t')"
  out=$("$cli" branch delete feature-x "${p[@]}" 2>&1 < /dev/null); check "branch delete refused" 3 $?
  contains "branch delete names the flag" "$out" "--confirm 'feature-x'"
  out=$("$cli" branch delete feature-x --confirm feature-x "${p[@]}" 2>&1); check "branch delete" 0 $?
  out=$("$cli" branch delete "$db" --confirm "$db" "${p[@]}" 2>&1); check "the default branch is never deleted" 2 $?
  out=$("$cli" branch restore "$db" --to 2026-01-01T00:00:00Z --confirm "$db" "${p[@]}" 2>&1); check "local point-in-time restore refused" 3 $?
  out=$("$cli" snapshot delete first "${p[@]}" 2>&1 < /dev/null); check "snapshot delete refused" 3 $?
  out=$("$cli" snapshot delete first --confirm first "${p[@]}" 2>&1); check "snapshot delete" 0 $?
  out=$("$cli" snapshot prune --prefix pre-migration- --keep 0 --dry-run "${p[@]}" 2>&1); check "snapshot prune --dry-run" 0 $?
  contains "snapshot prune dry run" "$out" "Would delete snapshot pre-migration-"
  out=$("$cli" snapshot prune --prefix pre- --keep 0 --protect pre-deploy-backup "${p[@]}" 2>&1); check "snapshot prune" 0 $?
  contains "snapshot prune deleted" "$out" "Deleted snapshot pre-migration-"
  contains "snapshot prune kept the protected one" "$out" "Kept snapshot pre-deploy-backup"
  out=$("$cli" snapshot delete pre-deploy-backup --confirm pre-deploy-backup "${p[@]}" 2>&1); check "snapshot delete the backup" 0 $?
  out=$("$cli" snapshot list "${p[@]}" 2>&1); contains "no snapshots left" "$out" "0 snapshots."
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi

# The same verbs against the Neon API test server (tests/neon-server), when
# python3 and PostgreSQL 15 are there: it takes a few seconds to start.
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ] && [ -x /usr/bin/python3 ] && [ -d "${PG_BINDIR:-/usr/lib/postgresql/15/bin}" ]; then
  neon_out=$(mktemp /tmp/dbsafe-cli-neon.XXXXXX)
  "$src/scripts/neon-test-server" --operation-delay-ms 50 > "$neon_out" 2>/dev/null &
  neon_pid=$!
  for _ in $(seq 120); do grep -q '^NEON_TEST_SERVER_READY=1' "$neon_out" && break; kill -0 "$neon_pid" 2>/dev/null || break; sleep 0.5; done
  if grep -q '^NEON_TEST_SERVER_READY=1' "$neon_out"; then
    set -a; . <(grep -E '^NEON_(API_HOST|CA_FILE|API_KEY|PROJECT_ID)=' "$neon_out"); set +a
    n=(--poll-interval-ms 100)
    all=""
    out=$("$cli" snapshot rotate "${n[@]}" 2>&1); check "neon: rotate" 0 $?; all+=$out
    out=$("$cli" snapshot rotate --format json "${n[@]}" 2>/dev/null); check "neon: rotate on a full quota" 0 $?; all+=$out
    contains "neon: the bridge branch held the backup" "$out" '"bridge_branch":"pre-deploy-backup-bridge-'
    out=$("$cli" snapshot restore pre-deploy-backup "${n[@]}" 2>&1 < /dev/null); check "neon: restore refused" 3 $?; all+=$out
    contains "neon: restore names the flag" "$out" "--confirm 'main'"
    out=$("$cli" snapshot restore pre-deploy-backup --confirm main "${n[@]}" 2>&1); check "neon: restore" 0 $?; all+=$out
    contains "neon: the replaced data is kept" "$out" "kept as main (old)"
    out=$("$cli" branch prune --format json "${n[@]}" 2>/dev/null); check "neon: branch prune" 0 $?; all+=$out
    contains "neon: prune removed main (old)" "$out" '"deleted":["main (old)"]'
    out=$("$cli" branch delete main --confirm main "${n[@]}" 2>&1); check "neon: the default branch is never deleted" 2 $?; all+=$out
    # An interrupted quota rotation leaves the backup on its bridge branch:
    # restore finds it there and hands over to a person.
    out=$("$cli" snapshot delete pre-deploy-backup --confirm pre-deploy-backup "${n[@]}" 2>&1); check "neon: snapshot delete" 0 $?; all+=$out
    out=$("$cli" branch create pre-deploy-backup-bridge-20260101-0000 "${n[@]}" 2>&1); check "neon: branch create" 0 $?; all+=$out
    out=$("$cli" snapshot restore pre-deploy-backup --confirm main "${n[@]}" 2>&1); check "neon: backup on a bridge branch" 2 $?; all+=$out
    contains "neon: restore names the bridge" "$out" "held by branch pre-deploy-backup-bridge-20260101-0000"
    out=$("$cli" branch url pre-deploy-backup-bridge-20260101-0000 "${n[@]}" 2>&1); check "neon: branch url" 0 $?
    out=$("$cli" branch delete pre-deploy-backup-bridge-20260101-0000 --confirm pre-deploy-backup-bridge-20260101-0000 "${n[@]}" 2>&1); check "neon: branch delete" 0 $?; all+=$out
    if [[ "$all" == *"$NEON_API_KEY"* ]]; then echo "FAIL: the Neon API key was printed"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
    unset NEON_API_HOST NEON_CA_FILE NEON_API_KEY NEON_PROJECT_ID
  else
    echo "skipped: the Neon test server did not start"
  fi
  kill "$neon_pid" 2>/dev/null; wait "$neon_pid" 2>/dev/null
  rm -f "$neon_out"
fi

# deploy (docs/deploy.md): configuration errors need no server; the
# example dbsafe.toml of docs/deploy.md parses (the unreachable database is
# the first thing that fails); the rest runs when the harness gives a server.
dep=$(mktemp -d /tmp/dbsafe-cli-deploy.XXXXXX)
printf '[targets.prod]\nprovider = "local"\nsnapshots = "rotate"\n' > "$dep/dbsafe.toml"
out=$("$cli" deploy --target prod --config "$dep/dbsafe.toml" 2>&1 < /dev/null); check "deploy: unknown key" 3 $?
contains "deploy: unknown key named with its place" "$out" "dbsafe.toml:3:1: unknown key \"snapshots\""
out=$("$cli" deploy --target staging --config "$dep/dbsafe.toml" 2>&1 < /dev/null); check "deploy: unknown target" 3 $?
contains "deploy: the targets are listed" "$out" "targets: prod"
out=$("$cli" deploy --config "$dep/dbsafe.toml" 2>&1 < /dev/null); check "deploy without --target" 3 $?
sed -n '/<!-- example: dbsafe.toml -->/,/^```$/p' "$src/docs/deploy.md" | sed '1,2d;$d' > "$dep/example.toml"
grep -q '^\[targets.production\]' "$dep/example.toml"; check "deploy: the docs example was extracted" 0 $?
for t in staging production; do
  out=$(NEON_API_KEY= DIRECT_URL= DATABASE_URL="postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" "$cli" deploy --target $t --config "$dep/example.toml" --dry-run --connect-retry-ms 0 2>&1 < /dev/null)
  check "deploy: the docs example ($t) parses, then the database is unreachable" 4 $?
  if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
done
out=$(DATABASE_URL= DIRECT_URL= "$cli" deploy --target staging --config "$dep/example.toml" 2>&1 < /dev/null); check "deploy without a URL" 3 $?
contains "deploy URL hint" "$out" "set DATABASE_URL"
out=$(DATABASE_URL= DIRECT_URL= "$cli" deploy --target production --config "$dep/example.toml" --seed 'true' 2>&1 < /dev/null); check "deploy --seed on a target without allow_seed" 3 $?
contains "deploy --seed names allow_seed" "$out" "allow_seed = true"
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]; then
  db="dbsafe_cli_deploy_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
  mkdir -p "$dep/app/prisma/migrations/20240101000000_init"
  printf 'provider = "postgresql"\n' > "$dep/app/prisma/migrations/migration_lock.toml"
  printf 'CREATE TABLE t (id bigint PRIMARY KEY, a text);\n' > "$dep/app/prisma/migrations/20240101000000_init/migration.sql"
  printf '[targets.ci]\nprovider = "none"\n' > "$dep/app/dbsafe.toml"
  d=(env DATABASE_URL="$url" DIRECT_URL= DBSAFE_APPROVE= DBSAFE_APPROVED_BY= DBSAFE_SLACK_WEBHOOK_URL= GITHUB_STEP_SUMMARY="$dep/summary.md")
  out=$(cd "$dep/app" && "${d[@]}" "$cli_abs" deploy --target ci --dry-run 2>&1 < /dev/null); check "deploy --dry-run" 0 $?
  contains "deploy --dry-run says what it would do" "$out" "1 migration would be applied"
  n=$(psql -X -qAt "$url" -c "SELECT count(*) FROM pg_tables WHERE tablename = 't'")
  check "deploy --dry-run changed nothing" 0 "$n"
  out=$(cd "$dep/app" && "${d[@]}" "$cli_abs" deploy --target ci 2>&1 < /dev/null); check "deploy" 0 $?
  contains "deploy text" "$out" "dbsafe deploy ci: deployed"
  [ -f "$dep/app/.dbsafe/audit.jsonl" ]; check "deploy wrote the audit file" 0 $?
  contains "deploy step summary" "$(cat "$dep/summary.md")" "### dbsafe deploy \`ci\`: deployed"
  psql -X -q "$url" -c "INSERT INTO t VALUES (1, 'x')" >/dev/null  # dropping a column with data is an error
  mkdir -p "$dep/app/prisma/migrations/20240201000000_drop"
  printf 'ALTER TABLE t DROP COLUMN a;\n' > "$dep/app/prisma/migrations/20240201000000_drop/migration.sql"
  out=$(cd "$dep/app" && "${d[@]}" "$cli_abs" deploy --target ci 2>&1 < /dev/null); check "deploy stopped by the gate" 1 $?
  contains "deploy names the finding" "$out" "error[drop-column]"
  contains "deploy names the flag" "$out" "dbsafe deploy --target ci --approve"
  out=$(cd "$dep/app" && "${d[@]}" "$cli_abs" deploy --target ci --dry-run 2>&1 < /dev/null); check "deploy --dry-run sees the gate" 1 $?
  out=$(cd "$dep/app" && "${d[@]}" "$cli_abs" deploy --target ci --approve --format json 2>/dev/null < /dev/null); check "deploy --approve" 0 $?
  contains "deploy json" "$out" '"outcome":"deployed"'
  out=$(cd "$dep/app" && "${d[@]}" "$cli_abs" deploy --target ci --format markdown --output "$dep/report.md" 2>&1 < /dev/null); check "deploy up to date" 0 $?
  contains "deploy --output" "$(cat "$dep/report.md")" "up to date"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi
rm -rf "$dep"

# backup (docs/backup.md): usage errors need no server; the rest runs when
# the harness gives one.
bk=$(mktemp -d /tmp/dbsafe-cli-backup.XXXXXX)
out=$(DATABASE_URL= DIRECT_URL= "$cli" backup create --dir "$bk" 2>&1); check "backup create without a database" 3 $?
contains "backup database hint" "$out" "DATABASE_URL"
out=$("$cli" backup create 2>&1); check "backup create without --dir" 3 $?
out=$("$cli" backup create --dir "$bk" --dump-format tar 2>&1); check "backup bad dump format" 3 $?
out=$("$cli" backup verify 2>&1); check "backup verify without a file" 3 $?
out=$("$cli" backup prune --dir "$bk" 2>&1); check "backup prune without --keep-days" 3 $?
out=$("$cli" backup create --dir "$bk" --database-url "postgresql://u:canary-pw@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "backup create unreachable exits 4" 4 $?
if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
out=$("$cli" backup create --dir "$bk" --database-url "postgresql://u@db-pooler.example.com/db" 2>&1); check "backup create through a pooler" 3 $?
contains "pooler refused" "$out" "direct connection"
printf 'x' > "$bk/stray.dump"
out=$("$cli" backup verify "$bk/stray.dump" 2>&1); check "backup verify a file without a manifest" 3 $?
contains "no manifest" "$out" "has no manifest"
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]; then
  db="dbsafe_cli_backup_$$"
  db2="dbsafe_cli_backup2_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db" -c "CREATE DATABASE $db2" >/dev/null
  url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
  url2="${DBSAFE_TEST_DATABASE_URL%/*}/$db2"
  secret_url="${url/@/:canary-pw@}"
  psql -X -q "$url" -c 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 42)' >/dev/null
  out=$("$cli" backup create --dir "$bk/b" --name first --database-url "$secret_url" 2>&1); check "backup create" 0 $?
  contains "backup create text" "$out" "Backup $bk/b/first.dump is ready"
  if [[ "$out" == *canary-pw* ]]; then echo "FAIL: the password leaked: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
  if grep -q canary-pw "$bk/b/first.dump.manifest.json"; then echo "FAIL: the password is in the manifest"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
  out=$(DATABASE_URL="$url" "$cli" backup create --dir "$bk/b" --dump-format plain-gz --format json -q 2>&1); check "backup create plain-gz from DATABASE_URL" 0 $?
  contains "create json" "$out" '"operation":"create"'
  contains "plain-gz file" "$out" '.sql.gz"'
  gzip -t "$bk"/b/*.sql.gz; check "the plain backup is an ordinary gzip file" 0 $?
  out=$("$cli" backup create --dir "$bk/b" --name first --database-url "$url" 2>&1); check "backup never overwritten" 3 $?
  out=$("$cli" backup verify "$bk/b/first.dump" 2>&1); check "backup verify" 0 $?
  contains "verify ok" "$out" "OK      $bk/b/first.dump"
  out=$("$cli" backup verify --dir "$bk/b" --latest --test-restore --server-url "$DBSAFE_TEST_DATABASE_URL" --format json 2>/dev/null); check "backup verify --latest --test-restore" 0 $?
  contains "test restore counted rows" "$out" '"rows":42'
  out=$("$cli" backup restore "$bk/b/first.dump" --database-url "$url2" 2>&1); check "restore refused without --confirm" 3 $?
  contains "restore names the flag" "$out" "--confirm $db2"
  out=$("$cli" backup restore "$bk/b/first.dump" --database-url "$url2" --confirm "$db" 2>&1); check "restore refused with a wrong --confirm" 3 $?
  out=$("$cli" backup restore "$bk/b/first.dump" --database-url "$url2" --confirm "$db2" 2>&1); check "backup restore" 0 $?
  contains "restore text" "$out" "Restored $bk/b/first.dump into $db2: 1 tables"
  check "restored rows" 42 "$(psql -X -qAt "$url2" -c 'SELECT count(*) FROM t')"
  out=$("$cli" backup restore "$bk/b/first.dump" --database-url "$url2" --confirm "$db2" 2>&1); check "restore into a non-empty database refused" 2 $?
  contains "non-empty names --clean" "$out" "--clean"
  out=$("$cli" backup restore "$bk/b/first.dump" --database-url "$url2" --confirm "$db2" --clean --safety-dir "$bk/safety" 2>&1); check "restore --clean" 0 $?
  contains "restore --clean took a safety backup" "$out" "Safety backup of $db2: $bk/safety/$db2-pre-restore-"
  cp "$bk/b/first.dump" "$bk/b/copy.dump"
  sed 's/"file":"first.dump"/"file":"copy.dump"/' "$bk/b/first.dump.manifest.json" > "$bk/b/copy.dump.manifest.json"
  printf 'garbage' | dd of="$bk/b/copy.dump" bs=1 seek=200 conv=notrunc 2>/dev/null
  out=$("$cli" backup verify "$bk/b/copy.dump" 2>&1); check "a damaged backup exits 2" 2 $?
  contains "damaged named" "$out" "DAMAGED $bk/b/copy.dump"
  out=$("$cli" backup restore "$bk/b/copy.dump" --database-url "$url2" --confirm "$db2" --clean 2>&1); check "a damaged backup is not restored" 2 $?
  rm "$bk/b/copy.dump" "$bk/b/copy.dump.manifest.json"
  # Dated back, so the age rule does not hang on the clock's second.
  sed -i 's/"created_at":"[^"]*"/"created_at":"2020-01-01T00:00:00Z"/' "$bk/b/first.dump.manifest.json"
  out=$("$cli" backup prune --dir "$bk/b" --keep-days 0 --dry-run 2>&1); check "backup prune --dry-run" 0 $?
  contains "prune dry run" "$out" "Would delete first.dump"
  contains "prune keeps the newest" "$out" "(the newest)"
  out=$("$cli" backup prune --dir "$bk/b" --keep-days 30 --format json 2>&1); check "backup prune" 0 $?
  contains "prune json" "$out" '"deleted":["first.dump"]'
  test -f "$bk/b/first.dump"; check "prune deleted the file" 1 $?
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)" -c "DROP DATABASE $db2 WITH (FORCE)" >/dev/null
fi
rm -rf "$bk"

# maintenance: the read-only window (docs/maintenance.md).
out=$("$cli" maintenance 2>&1); check "maintenance without an action" 3 $?
out=$("$cli" maintenance sideways --database-url postgresql://u@127.0.0.1:1/db 2>&1); check "maintenance: bad action" 3 $?
out=$("$cli" maintenance off --terminate-writers --database-url postgresql://u@127.0.0.1:1/db 2>&1); check "maintenance off --terminate-writers" 3 $?
contains "terminate-writers goes with on" "$out" "terminate_writers goes with \`on\` or \`status\`"
out=$("$cli" maintenance status --database-url "postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=2" 2>&1); check "maintenance: unreachable" 4 $?
if [[ "$out" == *s3cret* ]]; then echo "FAIL: maintenance leaked the password: $out"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
if [ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]; then
  db="dbsafe_cli_maint_$$"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
  psql -X -q "$url" -c 'CREATE TABLE t (id int)' >/dev/null
  # A session from before the window: an application that keeps writing.
  PGAPPNAME=old-writer psql -X -q "$url" -c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &
  writer=$!
  for _ in $(seq 50); do
    [ "$(psql -X -qAt "$url" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'old-writer'")" = 1 ] && break
    sleep 0.1
  done
  out=$("$cli" maintenance on --database-url "$url" --actor cli-test 2>&1); check "maintenance on" 0 $?
  contains "on: read-only" "$out" "database $db: read-only for new sessions"
  contains "on: lists the old session" "$out" "application old-writer"
  contains "on: names the flag" "$out" "--terminate-writers"
  out=$(psql -X -q "$url" -c 'INSERT INTO t VALUES (1)' 2>&1); check "a new session cannot write" 1 $?
  contains "read-only transaction" "$out" "cannot execute INSERT in a read-only transaction"
  out=$("$cli" maintenance on --database-url "$url" --format json 2>&1); check "maintenance on again" 0 $?
  contains "on again: unchanged" "$out" '"changed":false'
  contains "on again: the first actor" "$out" '"opened_by":"cli-test"'
  # dbsafe's own sessions still write: a migration during the window.
  mig=$(mktemp -d /tmp/dbsafe-cli-maint.XXXXXX)
  mkdir -p "$mig/20260101000000_a" && printf 'CREATE TABLE during (id int);\n' > "$mig/20260101000000_a/migration.sql"
  printf 'provider = "postgresql"\n' > "$mig/migration_lock.toml"
  out=$("$cli" migrate deploy --migrations "$mig" --database-url "$url" 2>&1); check "migrate deploy in the window" 0 $?
  rm -rf "$mig"
  out=$("$cli" maintenance status --database-url "$url" --terminate-writers --format json 2>&1); check "status --terminate-writers" 0 $?
  contains "the writer was ended" "$out" '"outcome":"terminated"'
  wait "$writer" 2>/dev/null
  out=$("$cli" maintenance status --database-url "$url" 2>&1); check "maintenance status" 0 $?
  contains "status: since" "$out" "opened by cli-test"
  contains "status: no writers left" "$out" "no session can still write"
  out=$("$cli" maintenance off --database-url "$url" 2>&1); check "maintenance off" 0 $?
  contains "off: reset" "$out" "reset (there was none before)"
  out=$(psql -X -q "$url" -c 'INSERT INTO t VALUES (2)' 2>&1); check "writable again" 0 $?
  out=$("$cli" maintenance off --database-url "$url" 2>&1); check "maintenance off twice" 0 $?
  contains "off twice: nothing to close" "$out" "there was no window to close"
  psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi

echo "$passed passed, $fail failed"
[ "$fail" -eq 0 ]
