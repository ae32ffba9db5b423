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
