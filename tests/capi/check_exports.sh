#!/usr/bin/env bash
# The shared library exports exactly the C symbols of capi/exports.map plus
# dbsafe's own C++ API: nothing from libpq, libpg_query, simdjson, OpenSSL.
set -euo pipefail
lib=$1 map=$2
expected=$(grep -oE '^\s+dbsafe_[a-z0-9_]+;' "$map" | tr -d ' ;' | sort)
exported=$(nm -D --defined-only "$lib" | awk '$3 !~ /^_Z/ && $3 != "DBSAFE_0" {print $3}' | sed 's/@.*//' | sort)
if [ "$expected" != "$exported" ]; then
  echo "exported C symbols differ from $map:"
  diff <(echo "$expected") <(echo "$exported") || true
  exit 1
fi
foreign=$(nm -D --defined-only -C "$lib" | awk '$3 ~ /^_Z/ || 1' | cut -d' ' -f3- | grep -v '^dbsafe_' | grep -v 'DBSAFE_0' | grep -v 'dbsafe::' || true)
if [ -n "$foreign" ]; then
  echo "symbols outside dbsafe's API are exported:"
  echo "$foreign" | head -20
  exit 1
fi
echo "exports OK: $(echo "$expected" | wc -l) C symbols, C++ symbols all in namespace dbsafe"
