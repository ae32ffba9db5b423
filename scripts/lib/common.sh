# Shared by scripts/demo and scripts/test: installing what is missing,
# building into build/, and a throwaway PostgreSQL that is always stopped.
# shellcheck shell=bash

DBSAFE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DBSAFE_ROOT
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the library and the CLI need (the GitHub Action builds
# with these alone), then those the tests and the bindings add.
DBSAFE_CLI_PACKAGES=(g++ cmake make pkg-config ccache git ca-certificates
  libpq-dev libpg-query-dev libsimdjson-dev libtomlplusplus-dev libcli11-dev
  libboost-dev libssl-dev libsqlite3-dev)
DBSAFE_BUILD_PACKAGES=("${DBSAFE_CLI_PACKAGES[@]}" libgtest-dev pybind11-dev python3-dev
  python3-setuptools python3-wheel python3-venv python3-pip postgresql-15)
DBSAFE_TEST_PACKAGES=(clang-14 libclang-rt-14-dev python3-pytest python3-jsonschema binutils util-linux
  abigail-tools mypy)

# Installs the packages that are not installed yet; apt-get runs only when
# something is missing, so a prepared machine pays nothing.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

check_node_version() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js $major is too old: dbsafe needs Node.js 20 or newer"
}

# ccache for every build, including the ones `npm install` and `pip install`
# start in their own directories (so a second install compiles nothing).
export CCACHE_BASEDIR="$DBSAFE_ROOT" CCACHE_NOHASHDIR=1

# npm ci for the Node binding when its lock file changed.
ensure_node_modules() {
  local dir="$DBSAFE_ROOT/bindings/node"
  if [ ! -d "$dir/node_modules/node-addon-api" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci (bindings/node)"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund)
  fi
}

# Configures build/ once (g++, every surface), then builds the given targets.
build_main() {
  ensure_node_modules
  if [ ! -f "$DBSAFE_ROOT/build/CMakeCache.txt" ]; then
    say "configuring build/"
    cmake -S "$DBSAFE_ROOT" -B "$DBSAFE_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DDBSAFE_BUILD_PYTHON=ON -DDBSAFE_BUILD_NODE=ON -DPython_EXECUTABLE=/usr/bin/python3 \
      -DDBSAFE_NODE_INCLUDE_DIR="$(node_include_dir)" >/dev/null
  fi
  say "building ${*:-everything} (build/)"
  local targets=()
  [ $# -gt 0 ] && targets=(--target "$@")
  cmake --build "$DBSAFE_ROOT/build" -j2 "${targets[@]}"
}

node_include_dir() {
  local prefix
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  for d in "$prefix/include/node" /usr/include/node /usr/local/include/node; do
    [ -f "$d/node_api.h" ] && { echo "$d"; return; }
  done
  die "Node.js headers (node_api.h) not found; install the nodejs package that ships /usr/include/node"
}

# Starts a throwaway cluster unless DATABASE_URL (demo) or
# DBSAFE_TEST_DATABASE_URL (tests) names a server. Sets PG_URL. The caller's
# EXIT trap must call stop_postgres.
PG_DIR=""
start_postgres() {
  PG_DIR=$(mktemp -d /tmp/dbsafe-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  say "starting a throwaway PostgreSQL in $PG_DIR"
  PG_URL=$("$DBSAFE_ROOT/scripts/pg-throwaway" start "$PG_DIR")
  export PG_URL
}

stop_postgres() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    "$DBSAFE_ROOT/scripts/pg-throwaway" stop "$PG_DIR" --remove >/dev/null 2>&1 || true
    PG_DIR=""
  fi
}
