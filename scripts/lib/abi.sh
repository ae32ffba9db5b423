# Shared by scripts/check-abi and scripts/update-abi: the C ABI of
# libdbsafe.so as abidw (abigail-tools) sees it, restricted to what a C user
# can reach: the functions of capi/exports.map and the types of dbsafe.h and
# include/dbsafe/c/*.h. dbsafe's C++ API is exported too, but the promise of
# the SONAME is the C ABI (docs/C_API.md), so its symbols are left out.
# shellcheck shell=bash

# Writes the abidw whitelist of the exported C functions to $1.
abi_whitelist() {
  local map="$DBSAFE_ROOT/capi/exports.map"
  {
    echo "[abi_whitelist]"
    grep -oE '^\s+dbsafe_[a-z0-9_]+;' "$map" | tr -d ' ;' | sort | sed 's/^/  /'
  } >"$1"
}

# abi_dump LIB OUT: the ABI of LIB (built with debug info) as abixml.
# Deterministic across g++ builds of the same sources: hashed type ids, no
# source locations, no build directory or corpus path, no DT_NEEDED list (the
# prebuilt packages link some dependencies statically; that is not ABI), and
# translation units named by their repository-relative path and sorted by it
# (scripts/lib/abi_normalize.py), because with or without ccache's
# CCACHE_BASEDIR the compiler records them differently and abidw orders them
# by what it recorded.
abi_dump() {
  local lib=$1 out=$2 wl tmp
  command -v abidw >/dev/null || {
    echo "error: abidw not found: apt-get install abigail-tools" >&2
    return 2
  }
  [ -f "$lib" ] || {
    echo "error: $lib does not exist: build the shared library first (cmake --build build --target dbsafe_shared)" >&2
    return 2
  }
  wl=$(mktemp) tmp=$(mktemp)
  abi_whitelist "$wl"
  # --headers-dir/--header-file: only types declared in the public C headers
  # count (--drop-private-types drops the others); --exported-interfaces-only
  # and the whitelist: only the exported C functions.
  if ! abidw --headers-dir "$DBSAFE_ROOT/include/dbsafe/c" \
    --header-file "$DBSAFE_ROOT/include/dbsafe/dbsafe.h" \
    --drop-private-types --drop-undefined-syms --exported-interfaces-only \
    --kmi-whitelist "$wl" --no-show-locs --no-comp-dir-path --no-corpus-path \
    --no-elf-needed --type-id-style hash --out-file "$tmp" "$lib"; then
    rm -f "$wl" "$tmp"
    echo "error: abidw failed on $lib" >&2
    return 2
  fi
  /usr/bin/python3 "$DBSAFE_ROOT/scripts/lib/abi_normalize.py" "$tmp" "$out.tmp.$$" &&
    mv "$out.tmp.$$" "$out"
  local rc=$?
  rm -f "$wl" "$tmp"
  [ $rc -eq 0 ] || return 2
  # Without DWARF abidw still lists the symbols, but no types: nothing to
  # compare.
  grep -q '<function-decl ' "$out" || {
    rm -f "$out"
    echo "error: $lib has no debug info: build it with -DCMAKE_BUILD_TYPE=RelWithDebInfo" >&2
    return 2
  }
}
