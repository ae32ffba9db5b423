# DBSAFE_PORTABLE: the Node addon and the Python extension for a machine that
# has glibc and nothing else (a Vercel build image: Node, no libpq, no
# toolchain). Included by the top-level CMakeLists.txt before the libraries
# are looked up. scripts/build-portable drives it and bundles what cannot be
# static; see docs/packaging.md.
#
# What changes against a normal build:
#   - libpq is linked from libpq.a (plus libpgcommon_shlib.a/libpgport_shlib.a,
#     the position-independent archives from postgresql-server-dev-15) instead
#     of being loaded from libpq.so.5 at the first connection;
#   - OpenSSL and zlib come from their .a files;
#   - simdjson is compiled from its single-file source (Debian ships no .a);
#   - libstdc++ and libgcc are linked statically, and no static library's
#     symbols are exported, so the module cannot clash with the C++ runtime
#     or another libpq/OpenSSL already in the process.
# GSSAPI and LDAP, which libpq.a calls, have no .a in Debian: they stay shared
# and scripts/portable/bundle.py copies them (and what they need) beside the
# module.

if(DBSAFE_BUILD_TESTS OR DBSAFE_BUILD_CLI)
  message(FATAL_ERROR
    "DBSAFE_PORTABLE builds the bindings only: configure with -DDBSAFE_BUILD_TESTS=OFF "
    "-DDBSAFE_BUILD_CLI=OFF (scripts/build-portable does), in a build directory of its own.")
endif()
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  message(FATAL_ERROR "DBSAFE_PORTABLE is for Linux (glibc) only.")
endif()

set(OPENSSL_USE_STATIC_LIBS TRUE)
set(ZLIB_USE_STATIC_LIBS ON)

# dbsafe_find_libpq_archives: defined in the top-level CMakeLists.txt.
dbsafe_find_libpq_archives()
if(NOT DBSAFE_PG_CONFIG)
  message(FATAL_ERROR "DBSAFE_PORTABLE: pg_config not found; apt-get install libpq-dev")
endif()
foreach(var DBSAFE_LIBPQ_STATIC DBSAFE_PGCOMMON_SHLIB DBSAFE_PGPORT_SHLIB)
  if(NOT ${var})
    message(FATAL_ERROR "DBSAFE_PORTABLE: ${var} not found (looked where pg_config points); "
                        "apt-get install libpq-dev postgresql-server-dev-15 (libpq.a, "
                        "libpgcommon_shlib.a, libpgport_shlib.a)")
  endif()
endforeach()
# What `pkg-config --static libpq` lists after libpgcommon/libpgport.
find_library(DBSAFE_LIBGSSAPI NAMES gssapi_krb5)
find_library(DBSAFE_LIBLDAP NAMES ldap)
if(NOT DBSAFE_LIBGSSAPI OR NOT DBSAFE_LIBLDAP)
  message(FATAL_ERROR "DBSAFE_PORTABLE: libpq.a needs GSSAPI and LDAP: apt-get install libkrb5-dev libldap-dev")
endif()

# DBSAFE_SIMDJSON_SOURCE_DIR and dbsafe_add_simdjson_from_source: defined in the
# top-level CMakeLists.txt.
if(NOT EXISTS "${DBSAFE_SIMDJSON_SOURCE_DIR}/simdjson.cpp" OR NOT EXISTS "${DBSAFE_SIMDJSON_SOURCE_DIR}/simdjson.h")
  message(FATAL_ERROR
    "DBSAFE_PORTABLE: DBSAFE_SIMDJSON_SOURCE_DIR='${DBSAFE_SIMDJSON_SOURCE_DIR}' does not hold simdjson.cpp "
    "and simdjson.h. Debian's libsimdjson-dev has no static library, so the portable build compiles "
    "simdjson from source; scripts/build-portable fetches Debian's source package (apt-get source simdjson) "
    "and passes its singleheader/ directory.")
endif()
dbsafe_add_simdjson_from_source(dbsafe_simdjson ON)
add_library(simdjson::simdjson ALIAS dbsafe_simdjson)

# _dl_find_object and arc4random for the static C++ runtime on glibc 2.34
# (see the file). An interface source: it is compiled into each module itself,
# where the wrapped references from libgcc_eh.a/libstdc++.a find it (an
# archive member would be scanned before them and left out).
add_library(dbsafe_portable_compat INTERFACE)
target_sources(dbsafe_portable_compat INTERFACE ${CMAKE_CURRENT_LIST_DIR}/../bindings/portable/glibc_compat.c)

# Linked before OpenSSL (DBSAFE_PRIVATE_LIBS), which libpq.a needs.
set(DBSAFE_PORTABLE_LIBPQ ${DBSAFE_LIBPQ_STATIC} ${DBSAFE_PGCOMMON_SHLIB} ${DBSAFE_PGPORT_SHLIB}
    ${DBSAFE_LIBGSSAPI} ${DBSAFE_LIBLDAP} dbsafe_portable_compat)

# The C++ runtime inside the module: the machine's libstdc++ may be older than
# the compiler's (Amazon Linux 2023 has GCC 11's), and none of the static
# libraries' symbols leave the module.
add_link_options(-static-libstdc++ -static-libgcc LINKER:--exclude-libs,ALL LINKER:--as-needed
                 LINKER:--wrap=_dl_find_object LINKER:--wrap=arc4random)
