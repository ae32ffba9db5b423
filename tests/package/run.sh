#!/usr/bin/env bash
# Installs dbsafe into a scratch prefix, then builds examples/cpp (CMake
# find_package) and examples/c (pkg-config) out of tree against it and runs
# both on a fixture.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d /tmp/dbsafe-pkg.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix/usr" >/dev/null
fixture="$src/tests/fixtures/prisma"

cmake -S "$src/examples/cpp" -B "$prefix/cpp" -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$prefix/cpp" >/dev/null
libdir=$(dirname "$(find "$prefix/usr" -name 'libdbsafe.so' | head -1)")
out=$(LD_LIBRARY_PATH="$libdir" "$prefix/cpp/list_migrations" "$fixture")
echo "$out" | head -1
[[ "$out" == "2 prisma migrations in $fixture"* ]] || { echo "examples/cpp printed: $out"; exit 1; }

# Exit 1 would only mean findings at error level; the output is what is checked.
checked=$(LD_LIBRARY_PATH="$libdir" "$prefix/cpp/check_migrations" "$fixture") || true
echo "examples/cpp check_migrations: $(echo "$checked" | wc -l) findings on $fixture"
[[ "$checked" == *"[prefer-bigint-over-int]"* ]] || { echo "examples/cpp check printed: $checked"; exit 1; }

export PKG_CONFIG_PATH="$libdir/pkgconfig"
mkdir -p "$prefix/c"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
cc -std=c11 -Wall -Wextra -pedantic -Werror "$src/examples/c/list_migrations.c" \
  $(pkg-config --cflags --libs dbsafe) -o "$prefix/c/list_migrations"
out=$(LD_LIBRARY_PATH="$libdir" "$prefix/c/list_migrations" "$fixture")
[[ "$out" == '{"schema_version":1,'* ]] || { echo "examples/c printed: $out"; exit 1; }
echo "examples/c: $(echo "$out" | head -c 60)..."
# The runner examples deploy the sample project into fresh databases.
if [[ -n "${DBSAFE_TEST_DATABASE_URL:-}" ]]; then
  cc -std=c11 -Wall -Wextra -pedantic -Werror "$src/examples/c/deploy_migrations.c" \
    $(pkg-config --cflags --libs dbsafe) -o "$prefix/c/deploy_migrations"
  app="$src/examples/prisma-app/prisma/migrations"
  for example in "$prefix/cpp/deploy_migrations" "$prefix/c/deploy_migrations"; do
    db="dbsafe_pkg_$$_$(basename "$(dirname "$example")")"
    PGOPTIONS="-c client_min_messages=warning" psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    url="${DBSAFE_TEST_DATABASE_URL%/*}/$db"
    out=$(DATABASE_URL="$url" LD_LIBRARY_PATH="$libdir" "$example" "$app" 2>/dev/null)
    psql -X -q "$DBSAFE_TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)"
    case "$example" in
      */cpp/*) [[ "$out" == *"up to date: yes"* ]] || { echo "examples/cpp deploy printed: $out"; exit 1; } ;;
      *) [[ "$out" == *'"status_code":0'* ]] || { echo "examples/c deploy printed: $out"; exit 1; } ;;
    esac
    echo "$example: deployed examples/prisma-app"
  done
fi
echo "installed package OK"
