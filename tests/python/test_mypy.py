"""mypy --strict over examples/python against the package's own typing
(dbsafe/*.py, the extension's _dbsafe.pyi and py.typed), as a user's type
checker sees an installed dbsafe: its own modules are followed silently, and
every error in the examples fails. A misuse must fail too, so the check is
real."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "bindings" / "python"

pytestmark = pytest.mark.skipif(
    shutil.which("mypy") is None, reason="Debian's mypy is not installed (apt-get install mypy)"
)


def run_mypy(paths: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(PACKAGE)}
    return subprocess.run(
        ["/usr/bin/python3", "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         "--cache-dir", os.devnull, "--no-error-summary", *map(str, paths)],
        cwd=cwd, env=env, capture_output=True, text=True,
    )


def test_the_package_is_typed():
    assert (PACKAGE / "dbsafe" / "py.typed").is_file()
    assert (PACKAGE / "dbsafe" / "_dbsafe.pyi").is_file()


def test_examples_pass_mypy_strict():
    examples = sorted((REPO / "examples" / "python").glob("*.py"))
    assert len(examples) >= 8, examples
    result = run_mypy(examples, REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misuse_fails_mypy_strict(tmp_path):
    misuse = tmp_path / "misuse.py"
    misuse.write_text(
        "import dbsafe\n"
        "report = dbsafe.check('m', runner=3)\n"
        "print(report.summary.failed + 'x')\n"
        "try:\n"
        "    pass\n"
        "except dbsafe.NoSuchError:\n"
        "    pass\n"
    )
    result = run_mypy([misuse], tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    where = [re.sub(r": error:.*", "", line) for line in lines]
    assert where == ["misuse.py:2", "misuse.py:3", "misuse.py:6"], result.stdout
