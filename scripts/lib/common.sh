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
# postgresql-server-dev-15, libkrb5-dev and libldap-dev let the command link
# libpq in (CMakeLists.txt); without them it loads libpq.so.5, as the
# GitHub Action's build on other releases does.
DBSAFE_BUILD_PACKAGES=("${DBSAFE_CLI_PACKAGES[@]}" libgtest-dev pybind11-dev python3-dev
  python3-setuptools python3-wheel python3-venv python3-pip postgresql-15
  postgresql-server-dev-15 libkrb5-dev libldap-dev)
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

# simdjson: Debian's libsimdjson-dev has headers and a shared library only, so
# the portable bindings and the dbsafe command compile the single-file
# simdjson.cpp of the very version whose headers are installed (Debian's
# source package, checked by apt against the signed archive index), and
# refuse anything else. Prints the directory holding simdjson.cpp; fetched
# once into build-deps/ (DBSAFE_DEPS_DIR), or taken from DBSAFE_SIMDJSON_ORIG.
simdjson_source() {
  local version upstream deps dir tarball
  version=$(dpkg-query -W -f='${Version}' libsimdjson-dev) || die "libsimdjson-dev is not installed"
  upstream=${version%-*}
  deps=${DBSAFE_DEPS_DIR:-$DBSAFE_ROOT/build-deps}
  dir="$deps/simdjson-$upstream/singleheader"
  if [ ! -f "$dir/simdjson.cpp" ]; then
    mkdir -p "$deps"
    tarball=${DBSAFE_SIMDJSON_ORIG:-$deps/simdjson_$upstream.orig.tar.gz}
    if [ ! -f "$tarball" ]; then
      say "fetching Debian's simdjson $version source package (apt-get source, own package lists in $deps/apt)"
      # A private deb-src list: the machine's apt configuration is left alone.
      mkdir -p "$deps/apt/parts" "$deps/apt/lists/partial"
      cat >"$deps/apt/parts/debian-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      local apt=(apt-get -q -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$deps/apt/parts"
        -o "Dir::State::Lists=$deps/apt/lists")
      "${apt[@]}" update >/dev/null || die "apt-get update for the simdjson source failed (no network? set DBSAFE_SIMDJSON_ORIG)"
      (cd "$deps" && "${apt[@]}" source --download-only "simdjson=$version" >/dev/null 2>&1) ||
        die "apt-get source simdjson=$version failed; download simdjson_$upstream.orig.tar.gz and set DBSAFE_SIMDJSON_ORIG"
      tarball="$deps/simdjson_$upstream.orig.tar.gz"
    fi
    tar -xzf "$tarball" -C "$deps" "simdjson-$upstream/singleheader/simdjson.cpp" \
      "simdjson-$upstream/singleheader/simdjson.h" || die "$tarball has no simdjson-$upstream/singleheader/"
  fi
  cmp -s "$dir/simdjson.h" /usr/include/simdjson.h ||
    die "$dir/simdjson.h differs from /usr/include/simdjson.h (libsimdjson-dev $version): remove $deps and rerun"
  printf '%s\n' "$dir"
}

# Configures build/ once (g++, every surface), then builds the given targets.
build_main() {
  ensure_node_modules
  if [ ! -f "$DBSAFE_ROOT/build/CMakeCache.txt" ]; then
    say "configuring build/"
    # The dbsafe command links simdjson, the C++ runtime, SQLite and zlib
    # statically when simdjson's source is at hand (start-up is most of a
    # small check); without it, it still builds, against the shared ones.
    local simdjson_dir
    simdjson_dir=$(simdjson_source) ||
      { say "simdjson's source is unavailable: the dbsafe command will load the shared libraries"; simdjson_dir=""; }
    cmake -S "$DBSAFE_ROOT" -B "$DBSAFE_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DDBSAFE_SIMDJSON_SOURCE_DIR=$simdjson_dir" \
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
