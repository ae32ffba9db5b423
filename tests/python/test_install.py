"""pip installs the binding into a fresh virtual environment as README.md shows it (slow:
builds the extension).

Runs only with DBSAFE_TEST_INSTALL=1. The build goes through ccache and a
build directory kept under bindings/python/build, so a repeat run is cheap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DBSAFE_TEST_INSTALL") != "1",
        reason="set DBSAFE_TEST_INSTALL=1 to build and pip-install the package",
    ),
]

SYSTEM_PYTHON = "/usr/bin/python3"


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (
        f"{cmd} failed ({result.returncode})\n--- stdout\n{result.stdout[-4000:]}"
        f"\n--- stderr\n{result.stderr[-4000:]}"
    )
    return result


def test_pip_install_into_a_venv(tmp_path, repo_root, corpus):
    python = SYSTEM_PYTHON if os.path.exists(SYSTEM_PYTHON) else sys.executable
    venv = tmp_path / "venv"
    run([python, "-m", "venv", "--system-site-packages", str(venv)], timeout=300)
    venv_python = venv / "bin" / "python"

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run(
        [str(venv_python), "-m", "pip", "install", "--no-index", "--no-build-isolation",
         str(repo_root / "bindings" / "python")],
        env=env,
        timeout=3600,
    )

    script = (
        "import sys, dbsafe\n"
        "ms = dbsafe.migrations(sys.argv[1])\n"
        "print(dbsafe.__file__)\n"
        "print(ms.count, ms.layout, dbsafe.__version__)\n"
    )
    result = run([str(venv_python), "-c", script, str(corpus("hoppscotch"))],
                 env=env, cwd=tmp_path, timeout=120)
    location, summary = result.stdout.strip().splitlines()
    assert Path(location).resolve().is_relative_to(venv.resolve())
    count, layout, version = summary.split()
    assert (count, layout) == ("21", "prisma")

    package = Path(location).parent
    assert (package / "py.typed").is_file()
    assert (package / "_dbsafe.pyi").is_file()
    assert list(package.glob("_dbsafe*.so"))
    assert (venv / "bin" / "dbsafe").is_file()
