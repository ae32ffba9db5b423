"""Versions, the ABI check and the small helpers."""

from __future__ import annotations

import hashlib
import re

import dbsafe
from dbsafe import _dbsafe


def test_versions():
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", dbsafe.__version__)
    assert dbsafe.__version__ == dbsafe.version() == _dbsafe.version()
    major, minor, patch = dbsafe.version_info()
    assert dbsafe.__version__.startswith(f"{major}.{minor}.{patch}")
    assert dbsafe.abi_version() == _dbsafe.ABI_VERSION


def test_checksum_matches():
    script = b"CREATE TABLE t (id int);\n"
    digest = hashlib.sha256(script).hexdigest()
    assert dbsafe.checksum_matches(script, digest)
    crlf = script.replace(b"\n", b"\r\n")
    assert dbsafe.checksum_matches(crlf, digest)  # Prisma accepts CRLF/LF variants
    assert not dbsafe.checksum_matches(b"something else", digest)


def test_package_data_is_present():
    from pathlib import Path

    package = Path(dbsafe.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_dbsafe.pyi").is_file()


# C ABI functions the native module deliberately does not call, and why.
NOT_BOUND = {
    "dbsafe_call_options_init": "options are initialised with DBSAFE_CALL_OPTIONS_INIT",
    "dbsafe_source_options_init": "options are initialised with DBSAFE_SOURCE_OPTIONS_INIT",
    "dbsafe_error_message": "read through dbsafe_error_json",
    "dbsafe_error_sqlstate": "read through dbsafe_error_json",
    "dbsafe_error_file": "read through dbsafe_error_json",
    "dbsafe_error_line": "read through dbsafe_error_json",
    "dbsafe_error_column": "read through dbsafe_error_json",
    "dbsafe_error_http_status": "read through dbsafe_error_json",
    "dbsafe_error_detail_json": "read through dbsafe_error_json",
}


def test_binds_every_function_of_the_c_abi_or_says_why_not():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    declared = set()
    for header in (repo / "include" / "dbsafe" / "c").glob("*.h"):
        declared |= set(re.findall(r"DBSAFE_API\s+[^;(]*?\b(dbsafe_\w+)\s*\(", header.read_text()))
    assert len(declared) > 10, declared
    source = (repo / "bindings" / "python" / "src" / "_dbsafe.cpp").read_text()
    called = {name for name in declared if re.search(rf"\b{name}\b", source)}
    assert declared - called == set(NOT_BOUND), "bind these or say why not in NOT_BOUND"
    assert not set(NOT_BOUND) - declared, "NOT_BOUND names functions the C ABI does not declare"
