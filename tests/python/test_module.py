"""Versions, the ABI check and the small helpers."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import dbsafe
from dbsafe import _dbsafe


def test_versions():
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", dbsafe.__version__)
    assert dbsafe.__version__ == dbsafe.version() == _dbsafe.version()
    major, minor, patch = dbsafe.version_info()
    assert dbsafe.__version__.startswith(f"{major}.{minor}.{patch}")
    assert dbsafe.abi_version() == _dbsafe.ABI_VERSION


def test_exports_every_exception_class():
    # dbsafe.__all__ lists them literally (so type checkers see them); it
    # must follow errors.__all__.
    from dbsafe import errors

    expected = [name for name in errors.__all__ if name != "error_class"]
    assert [name for name in dbsafe.__all__ if name in expected] == expected
    for name in dbsafe.__all__:
        assert hasattr(dbsafe, name), name


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


REPO = Path(__file__).resolve().parents[2]


def run_check_bindings(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/usr/bin/python3", str(root / "scripts" / "check-bindings")], capture_output=True, text=True
    )


def test_binds_every_function_of_the_c_abi_or_says_why_not():
    # The table of deliberate skips is in scripts/check-bindings, shared with
    # the Node test.
    result = run_check_bindings(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^dbsafe_migrations_open\s+python\s+bound$", result.stdout, re.M)
    assert re.search(r"^dbsafe_error_line\s+python\s+skipped: ", result.stdout, re.M)


def copy_for_check_bindings(tmp_path: Path) -> Path:
    for part in ("scripts/check-bindings", "capi/exports.map", "include/dbsafe/c",
                 "bindings/node/src", "bindings/python/src"):
        src, dst = REPO / part, tmp_path / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    return tmp_path


def test_check_bindings_fails_on_an_unbound_function(tmp_path):
    root = copy_for_check_bindings(tmp_path)
    exports = root / "capi" / "exports.map"
    exports.write_text(exports.read_text().replace("    dbsafe_version;", "    dbsafe_version;\n    dbsafe_frobnicate;"))
    header = root / "include" / "dbsafe" / "c" / "common.h"
    header.write_text(header.read_text() + "\nDBSAFE_API int dbsafe_frobnicate(void);\n")
    result = run_check_bindings(root)
    assert result.returncode == 1
    assert "bindings/node/src: does not call dbsafe_frobnicate" in result.stderr
    assert "bindings/python/src: does not call dbsafe_frobnicate" in result.stderr
    assert re.search(r"^dbsafe_frobnicate\s+node\s+MISSING$", result.stdout, re.M)


def test_check_bindings_fails_on_a_stale_skip_and_a_comment_is_not_a_binding(tmp_path):
    root = copy_for_check_bindings(tmp_path)
    addon = root / "bindings" / "node" / "src" / "addon.cpp"
    # A skipped function that is now called: the table must be corrected.
    addon.write_text(addon.read_text() + "\nstatic int probe() { return (int)dbsafe_error_line(nullptr); }\n")
    ext = root / "bindings" / "python" / "src" / "_dbsafe.cpp"
    # The only use of dbsafe_cancel_free, commented out: not bound any more.
    text = ext.read_text()
    assert "dbsafe_cancel_free" in text
    ext.write_text(re.sub(r"\bdbsafe_cancel_free\b", "dbsafe_cancel_freed", text)
                   + "\n// dbsafe_cancel_free(x);\n")
    result = run_check_bindings(root)
    assert result.returncode == 1
    assert "calls dbsafe_error_line, which NOT_BOUND['node'] says it skips" in result.stderr
    assert "bindings/python/src: does not call dbsafe_cancel_free:" in result.stderr
