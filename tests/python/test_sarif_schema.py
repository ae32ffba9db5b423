"""``dbsafe check --format sarif`` produces SARIF that the SARIF 2.1.0 JSON schema accepts.

The schema is not copied into the repository: it comes from the npm package
pinned in ``tests/tools/package.json`` and ``package-lock.json``
(``@microsoft/jest-sarif``, which ships it as
``lib/schemas/sarif-2.1.0-rtm.5.json``, the schema the 2.1.0 standard was
published with). When ``tests/tools/node_modules`` is missing, the module
fixture installs exactly the locked versions with ``npm ci``.

The command line is ``$DBSAFE_CLI`` or ``<repo>/build/dbsafe``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / "tests" / "tools"
SCHEMA_PATH = (TOOLS_DIR / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas"
               / "sarif-2.1.0-rtm.5.json")


def cli_path() -> Path:
    return Path(os.environ.get("DBSAFE_CLI") or REPO_ROOT / "build" / "dbsafe")


def run_cli(*args, cwd=None):
    return subprocess.run([str(cli_path()), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.fixture(scope="module")
def sarif_validator():
    """A validator of the schema's own draft, checking formats where it can."""
    if not SCHEMA_PATH.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"{SCHEMA_PATH} is missing and npm is not installed to fetch it "
                        "(run 'npm ci --prefix tests/tools')")
        proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                              cwd=TOOLS_DIR, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"npm ci in {TOOLS_DIR} failed:\n{proc.stderr}"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def dbsafe_cli():
    path = cli_path()
    assert path.is_file(), (f"{path} does not exist: build it with 'cmake --build build' "
                            "or point DBSAFE_CLI at the dbsafe binary")
    return path


def schema_errors(validator, document):
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return "\n".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                     for e in errors)


def check_sarif(*paths, cwd=None):
    """Runs `dbsafe check --format sarif`; skips while the binary has no check command."""
    proc = run_cli("check", "--format", "sarif", *map(str, paths), cwd=cwd)
    if proc.returncode == 3:
        help_text = run_cli("--help").stdout
        if "check" not in help_text:
            pytest.skip(f"{cli_path()} has no 'check' command yet")
    assert proc.returncode in (0, 1), (f"dbsafe check exited {proc.returncode}:\n"
                                       f"{proc.stderr}")
    return json.loads(proc.stdout)


def assert_consistent(document):
    """What the schema cannot say: rule indexes point at the right rule, and
    every result carries the fingerprint code scanning tracks it by."""
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)), ids
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["partialFingerprints"]["dbsafe/v1"]
    assert {result["ruleId"] for result in run["results"]} == set(ids)


def test_schema_rejects_an_invalid_level(sarif_validator):
    # The harness itself: "info" is dbsafe's word, SARIF's is "note".
    document = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "dbsafe"}},
                  "results": [{"ruleId": "x", "level": "info", "message": {"text": "m"}}]}],
    }
    assert "'info' is not one of" in schema_errors(sarif_validator, document)


def test_prisma_fixture(sarif_validator, dbsafe_cli):
    document = check_sarif(REPO_ROOT / "tests" / "fixtures" / "prisma")
    assert schema_errors(sarif_validator, document) == ""
    assert document["runs"][0]["tool"]["driver"]["name"] == "dbsafe"
    assert_consistent(document)


def test_risky_migration_in_a_directory_with_spaces(sarif_validator, dbsafe_cli, tmp_path):
    migrations = tmp_path / "my migrations"
    migrations.mkdir()
    (migrations / "001_risky.sql").write_text(
        'ALTER TABLE "users" DROP COLUMN "email";\n'
        'CREATE INDEX "users_name_idx" ON "users" ("name");\n'
        "ALTER TABLE \"users\" ADD COLUMN \"note\" text DEFAULT 'a|b <c> \"d\", e: f';\n",
        encoding="utf-8")
    document = check_sarif("my migrations", cwd=tmp_path)
    assert schema_errors(sarif_validator, document) == ""
    assert_consistent(document)
    results = document["runs"][0]["results"]
    assert results, "a DROP COLUMN on an existing table should be reported"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"my%20migrations/001_risky.sql"}
