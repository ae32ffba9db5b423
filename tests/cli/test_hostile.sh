#!/usr/bin/env bash
# The command line on hostile input (issue 10, docs/SECURITY.md): each case
# must end in bounded time and memory with the expected exit code and, for
# an error, one clear line naming the file and what is wrong. The inputs are
# generated here, in a temporary directory that is always removed.
#
#   tests/cli/test_hostile.sh path/to/dbsafe
set -uo pipefail
cli=$(readlink -f "$1")
fail=0 passed=0
work=$(mktemp -d /tmp/dbsafe-hostile.XXXXXX)
trap 'rm -rf -- "$work"' EXIT
cd "$work" || exit 1

# run NAME SECONDS MAX_KB EXPECTED_EXIT ARGS...: runs dbsafe under a timeout
# and GNU time; sets $out (stdout and stderr) and checks exit, time, memory.
run() {
  local name=$1 seconds=$2 max_kb=$3 expect=$4; shift 4
  local code kb elapsed
  out=$(/usr/bin/time -f '%M %e' -o "$work/time" timeout -s KILL "$seconds" "$cli" "$@" 2>&1)
  code=$?
  # GNU time writes "Command exited with non-zero status N" (or "terminated
  # by signal") before the figures: they are on the last line.
  read -r kb elapsed < <(tail -n 1 "$work/time" 2>/dev/null) || { kb=0; elapsed=0; }
  [[ $kb =~ ^[0-9]+$ ]] || { kb=0; }
  if [ "$code" = 137 ] || [ "$code" = 124 ]; then
    echo "FAIL $name: still running after $seconds s (killed)"
    fail=$((fail + 1))
    return
  fi
  if [ "$code" != "$expect" ]; then
    echo "FAIL $name: exit $code, expected $expect"
    printf '%s\n' "$out" | head -5
    fail=$((fail + 1))
  else
    passed=$((passed + 1))
  fi
  if [ "$kb" -gt "$max_kb" ]; then
    echo "FAIL $name: peak RSS $kb KB, over the bound of $max_kb KB"
    fail=$((fail + 1))
  else
    passed=$((passed + 1))
  fi
  echo "measured $name: ${elapsed} s, peak RSS ${kb} KB, exit $code"
}

contains() { # name needle: $out holds needle
  if [[ "$out" == *"$2"* ]]; then
    passed=$((passed + 1))
  else
    echo "FAIL $1: output lacks: $2"
    printf '%s\n' "$out" | head -5
    fail=$((fail + 1))
  fi
}

# An error is one line: a hostile name cannot forge more output.
one_error_line() {
  local n
  n=$(printf '%s\n' "$out" | grep -c '^dbsafe: error:')
  if [ "$n" = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]; then
    passed=$((passed + 1))
  else
    echo "FAIL $1: expected exactly one error line, got:"
    printf '%s\n' "$out" | head -5
    fail=$((fail + 1))
  fi
}

# --- file contents -----------------------------------------------------------

mkdir nul && printf 'CREATE TABLE a (id int);\0DROP TABLE a;\n' >nul/001.sql
run "NUL byte" 20 200000 3 check nul
contains "NUL byte message" "dbsafe: error: nul/001.sql: contains a NUL byte at byte 24 (line 1, column 25)"
one_error_line "NUL byte"

mkdir utf8 && printf 'CREATE TABLE a (id int); -- \xff\xfe\n' >utf8/001.sql
run "invalid UTF-8" 20 200000 3 check utf8
contains "invalid UTF-8 message" "dbsafe: error: utf8/001.sql: invalid UTF-8 at byte 28 (line 1, column 29)"
one_error_line "invalid UTF-8"

# 100,000 nested parentheses: the parser's own depth limit turns them into
# a syntax finding at the place it gave up, not a stack overflow.
mkdir nested
/usr/bin/python3 -c "import sys; sys.stdout.write('SELECT ' + '(' * 100000 + '1' + ')' * 100000 + ';\n')" \
  >nested/001.sql
run "100,000 nested parentheses" 60 300000 3 check nested
contains "nested: located" "nested/001.sql:1:"
contains "nested: rule" "error[syntax-error]"

# 100,000 statements in one file: checked in full, in bounded memory.
mkdir many
/usr/bin/python3 -c "
import sys
sys.stdout.write(''.join(f'CREATE TABLE t{i} (id bigint PRIMARY KEY);\n' for i in range(100000)))" \
  >many/001.sql
run "100,000 statements" 300 1500000 0 check many
contains "100,000 statements counted" "(100000 statements)"

# A 100 MB file: over the 64 MiB limit it is refused before it is read
# (hence a few MB of memory); with the limit raised it is read and
# checksummed in one pass.
mkdir big
/usr/bin/python3 -c "
import sys
line = 'INSERT INTO t (a, b) VALUES (1, \'' + 'x' * 60 + '\');\n'
out = sys.stdout
out.write('CREATE TABLE t (a int, b text);\n')
chunk = line * 10000
for _ in range(100 * 1024 * 1024 // len(chunk) + 1):
    out.write(chunk)" >big/001.sql
run "100 MB file, default limit" 20 100000 3 check big
contains "100 MB file message" "dbsafe: error: big/001.sql: $(stat -c %s big/001.sql) bytes is over the limit of 67108864 bytes; split the migration, or raise the limit (--max-file-size)"
one_error_line "100 MB file"
run "100 MB file, limit raised" 120 600000 0 list --max-file-size 209715200 big
contains "100 MB file listed" "1 migration, $(stat -c %s big/001.sql) bytes"

# --- names and links ---------------------------------------------------------

mkdir -p names/m && printf 'provider = "postgresql"\n' >names/m/migration_lock.toml
mkdir "names/m/20240101000000_it's \"q\"; --" "names/m/20240102000000_.."
echo 'CREATE TABLE a (id int);' >"names/m/20240101000000_it's \"q\"; --/migration.sql"
echo 'CREATE TABLE b (id int);' >"names/m/20240102000000_../migration.sql"
run "quotes and dots in names" 20 200000 0 list --format json names/m
contains "quoted name kept" '"name":"20240101000000_it'"'"'s \"q\"; --"'
contains "dotted name is its own directory" '"file":"names/m/20240102000000_../migration.sql"'

mkdir "names/m/$(printf '20240103000000_new\nline')"
echo 'CREATE TABLE c (id int);' >"names/m/$(printf '20240103000000_new\nline')/migration.sql"
run "newline in a name" 20 200000 3 list names/m
contains "newline name message" 'the migration name 20240103000000_new\nline contains a control character (byte 10 at offset 18)'
one_error_line "newline in a name"
rm -rf "names/m/$(printf '20240103000000_new\nline')"

mkdir -p loop/m/20240101000000_a && echo 'SELECT 1;' >loop/m/20240101000000_a/migration.sql
printf 'provider = "postgresql"\n' >loop/m/migration_lock.toml
ln -s .. loop/m/20240101000000_a/up                # a loop a recursive walk would follow
ln -s 20240102000000_b loop/m/20240102000000_b     # a link to itself
run "symlink loop" 20 200000 3 list loop/m
contains "symlink loop message" "dbsafe: error: loop/m/20240102000000_b: cannot resolve symbolic link: Too many levels of symbolic links"
one_error_line "symlink loop"
rm loop/m/20240102000000_b
run "symlink to an ancestor is not walked" 20 200000 0 check loop/m

echo "hostile input: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
