"""``python -m dbsafe`` runs the same command line as the native binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dbsafe


def run_module(*args, **kwargs):
    env = dict(os.environ)
    package_parent = str(Path(dbsafe.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    return subprocess.run(
        [sys.executable, "-m", "dbsafe", *args], capture_output=True, text=True, env=env,
        timeout=60, **kwargs)


def test_version():
    result = run_module("--version")
    assert result.returncode == 0, result.stderr
    assert dbsafe.__version__ in result.stdout


def test_missing_directory_is_an_input_error(tmp_path):
    result = run_module("list", str(tmp_path / "missing"))
    assert result.returncode == 3
    assert "missing" in result.stderr
    assert result.stdout == ""


def test_text_listing(corpus):
    result = run_module("list", str(corpus("hoppscotch")))
    assert result.returncode == 0, result.stderr
    assert "21 migrations" in result.stdout


def test_python_output_is_flushed_before_the_command_line_writes(corpus):
    code = (
        "import sys, dbsafe\n"
        "print('from python', end='|')\n"
        "rc = dbsafe.cli_main(['dbsafe', '--version'])\n"
        "print('rc', rc)\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(dbsafe.__file__).resolve().parent.parent)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("from python|dbsafe ")
    assert result.stdout.endswith("rc 0\n")
