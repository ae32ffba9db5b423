"""dbsafe.deploy: the safe-deploy pipeline for a [targets.NAME] table of dbsafe.toml, from
Python, against a real PostgreSQL (the ``database_url`` fixture) with the local provider (its
snapshots are copies of the database on the same server)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import dbsafe

REPO = Path(__file__).resolve().parents[2]
VALIDATOR = jsonschema.Draft202012Validator(
    json.loads((REPO / "docs" / "schema" / "deploy-report.v1.json").read_text()))

# The variables the targets read their URLs from; the direct one stays unset.
URL_ENV = "DBSAFE_PY_DEPLOY_TEST_URL"
DIRECT_URL_ENV = "DBSAFE_PY_DEPLOY_TEST_DIRECT_URL"

INIT = "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n"
DROP = "ALTER TABLE t DROP COLUMN a;\n"
HAS_COLUMN_A = ("SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 't' AND column_name = 'a'")


def write_project(root: Path, migrations: dict) -> Path:
    """dbsafe.toml with [targets.x] (and [targets.y]) and a Prisma migration directory."""
    (root / "db" / "migrations").mkdir(parents=True)
    (root / "dbsafe.toml").write_text(
        "[targets.x]\n"
        'migrations = "db/migrations"\n'
        'provider = "local"\n'
        f'url_env = "{URL_ENV}"\n'
        f'direct_url_env = "{DIRECT_URL_ENV}"\n'
        'audit_file = "audit.jsonl"\n'
        "\n"
        "[targets.y]\n"
        'migrations = "db/migrations"\n'
        f'url_env = "{URL_ENV}"\n')
    (root / "db" / "migrations" / "migration_lock.toml").write_text('provider = "postgresql"\n')
    add_migrations(root, migrations)
    return root / "dbsafe.toml"


def add_migrations(root: Path, migrations: dict) -> None:
    for name, sql in migrations.items():
        (root / "db" / "migrations" / name).mkdir()
        (root / "db" / "migrations" / name / "migration.sql").write_text(sql)


def audit_lines(root: Path) -> list:
    file = root / "audit.jsonl"
    return [json.loads(line) for line in file.read_text().splitlines()] if file.exists() else []


@pytest.fixture
def clean_env(monkeypatch):
    # The library reads these too: a test approves only when it says so.
    for name in ("DBSAFE_APPROVE", "DBSAFE_APPROVED_BY", "DBSAFE_SLACK_WEBHOOK_URL",
                 "GITHUB_STEP_SUMMARY", DIRECT_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def target_url(database_url, clean_env):
    """A fresh database named by URL_ENV; its local snapshots are deleted afterwards."""
    clean_env.setenv(URL_ENV, database_url)
    yield database_url
    with dbsafe.Provider("local", database_url=database_url) as provider:
        for snapshot in provider.list_snapshots():
            provider.delete_snapshot(snapshot.id, confirm=snapshot.id)


def test_applies_dry_runs_gates_approves_and_fails_with_the_report(target_url, psql, tmp_path):
    config = write_project(tmp_path, {"20240101000000_init": INIT})

    events = []
    first = dbsafe.deploy("x", config=config, progress=events.append)
    VALIDATOR.validate(first.to_dict())
    assert isinstance(first, dbsafe.DeployReport)
    assert (first.outcome, first.exit_code, first.stopped) == ("deployed", 0, False)
    assert first.applied == ["20240101000000_init"]
    assert [(s.name, s.status) for s in first.steps] == [
        ("connect", "ok"), ("plan", "ok"), ("check", "ok"), ("gate", "ok"), ("snapshot", "ok"),
        ("apply", "ok"), ("verify", "ok"), ("audit", "ok"), ("notify", "skipped")]
    assert first.step("snapshot").status == "ok"
    assert first.snapshot.name == "pre-deploy-backup"
    assert first.audit == dbsafe.DeployAudit(file=str(tmp_path / "audit.jsonl"),
                                             row_written=True, line_written=True)
    assert first.to_dict() == json.loads(first.json)
    steps = [(e["step"], e["status"]) for e in events if e["event"] == "deploy-step"]
    assert steps[:7] == [(s.name, s.status) for s in first.steps[:7]]
    assert [line["id"] for line in audit_lines(tmp_path)] == [first.id]
    assert psql(target_url, "SELECT count(*) FROM dbsafe.audit").strip() == "1"

    psql(target_url, "INSERT INTO t VALUES (1, 'x')")  # a column with data: an error to drop
    add_migrations(tmp_path, {"20240201000000_drop": DROP})

    dry = dbsafe.deploy("x", config=config, dry_run=True)
    VALIDATOR.validate(dry.to_dict())
    assert (dry.outcome, dry.dry_run, dry.exit_code) == ("dry-run", True, 1)
    assert dry.pending == ["20240201000000_drop"] and dry.audit.file is None
    assert psql(target_url, HAS_COLUMN_A).strip() == "1"
    assert len(audit_lines(tmp_path)) == 1, "a dry run writes no audit line"
    assert psql(target_url, "SELECT count(*) FROM dbsafe.audit").strip() == "1"

    stopped = dbsafe.deploy("x", config=config)
    assert (stopped.outcome, stopped.exit_code, stopped.stopped) == ("stopped", 1, True)
    assert stopped.gate.decision == "needs-approval"
    assert stopped.gate.approve_hint == "dbsafe deploy --target x --approve"
    assert stopped.check.findings[0].rule == "drop-column"
    assert stopped.applied == []
    assert psql(target_url, "SELECT a FROM t").strip() == "x"

    approved = dbsafe.deploy("x", config=config, approve=True)
    assert (approved.outcome, approved.exit_code) == ("deployed", 0)
    assert approved.gate.decision == "approved" and len(approved.gate.approved_by) == 1
    assert approved.applied == ["20240201000000_drop"]
    assert psql(target_url, HAS_COLUMN_A).strip() == "0"

    add_migrations(tmp_path, {"20240301000000_bad": "SELECT nosuch FROM t;\n"})
    with pytest.raises(dbsafe.DatabaseError) as caught:
        dbsafe.deploy("x", config=config)
    err = caught.value
    assert err.sqlstate == "42703"
    assert isinstance(err.report, dbsafe.DeployReport)
    assert (err.report.outcome, err.report.exit_code) == ("failed", 5)
    assert err.report.restore_command.startswith("dbsafe snapshot restore ")
    assert err.failure is None
    VALIDATOR.validate(err.report.to_dict())
    assert pickle.loads(pickle.dumps(err)).report == err.report
    assert len(audit_lines(tmp_path)) == 4, "deployed, stopped, approved, failed"


def test_a_bad_target_names_the_targets(clean_env, tmp_path):
    config = write_project(tmp_path, {"20240101000000_init": INIT})
    with pytest.raises(dbsafe.NotFoundError) as caught:
        dbsafe.deploy("nope", config=config)
    assert "no [targets.nope] table (targets: x, y)" in caught.value.message
    assert caught.value.report is None


def test_a_seed_is_refused_where_the_target_does_not_allow_it(clean_env, tmp_path):
    config = write_project(tmp_path, {"20240101000000_init": INIT})
    with pytest.raises(dbsafe.InvalidInputError) as caught:
        dbsafe.deploy("x", config=config, seed_command="true")
    assert "allow_seed = true" in caught.value.message


def test_options_are_checked_before_it_starts(clean_env, tmp_path):
    config = write_project(tmp_path, {})
    with pytest.raises(dbsafe.InvalidInputError, match="target must be the NAME"):
        dbsafe.deploy("", config=config)
    clean_env.delenv("VERCEL_ENV", raising=False)
    with pytest.raises(dbsafe.InvalidInputError, match="no deploy target: .*VERCEL_ENV"):
        dbsafe.deploy(config=config)
    with pytest.raises(TypeError):
        dbsafe.deploy("x", config=config, dry_run="yes")
    with pytest.raises(dbsafe.InvalidInputError) as caught:
        dbsafe.deploy("x", config=config, approved_by="alice")
    assert caught.value.message == "approved_by must be an array of strings"
    token = dbsafe.CancelToken()
    token.cancel()
    with pytest.raises(dbsafe.CancelledError):
        dbsafe.deploy("x", config=config, cancel=token)
    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.deploy("x", config=tmp_path / "missing.toml")


def test_the_example_fails_the_build_when_the_gate_stops_a_deploy(target_url, psql, tmp_path):
    write_project(tmp_path, {"20240101000000_init": INIT})
    script = REPO / "examples" / "python" / "deploy.py"

    def run(*args):
        return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                              text=True, cwd=tmp_path, env=os.environ.copy())

    first = run("x")
    assert first.returncode == 0, first.stderr
    assert "connect: ok" in first.stdout and "apply: ok" in first.stdout
    psql(target_url, "INSERT INTO t VALUES (1, 'x')")
    add_migrations(tmp_path, {"20240201000000_drop": DROP})
    stopped = run("x")
    assert stopped.returncode == 1, stopped.stderr
    assert "approve with: dbsafe deploy --target x --approve" in stopped.stderr
    missing = run("nope")
    assert missing.returncode == 3
    assert missing.stderr.startswith("DBSAFE_ENOTFOUND: ") and "targets: x, y" in missing.stderr


def test_restore_needs_the_name_keeps_the_replaced_data_and_writes_the_audit_back(
        target_url, psql, tmp_path):
    config = write_project(tmp_path, {"20240101000000_init": INIT})
    assert dbsafe.deploy("x", config=config).outcome == "deployed"
    psql(target_url, "INSERT INTO t VALUES (1, 'x')")
    add_migrations(tmp_path, {"20240201000000_drop": DROP})
    assert dbsafe.deploy("x", config=config, approve=True).outcome == "deployed"
    assert psql(target_url, HAS_COLUMN_A).strip() == "0"

    with pytest.raises(dbsafe.InvalidInputError) as caught:
        dbsafe.restore("x", "pre-deploy-backup", config=config)
    assert "--confirm 'x'" in caught.value.message
    with pytest.raises(dbsafe.NotFoundError) as caught:
        dbsafe.restore("x", "nope", config=config, confirm="x")
    assert "pre-deploy-backup" in caught.value.message
    assert caught.value.report.outcome == "failed"

    events = []
    restored = dbsafe.restore("x", "pre-deploy-backup", config=config, confirm="x",
                              progress=events.append)
    VALIDATOR.validate(restored.to_dict())
    assert (restored.operation, restored.outcome, restored.exit_code) == ("restore", "restored", 0)
    assert psql(target_url, "SELECT a FROM t").strip() == "x"
    assert restored.restore.safety_snapshot.name.startswith("pre-restore-")
    assert restored.restore.from_.startswith("snapshot pre-deploy-backup")
    assert restored.pending == ["20240201000000_drop"]
    # The drop's deploy and the failed attempt were rewound away, then written back.
    assert restored.restore.audit_rows_written_back == 2
    assert [e["step"] for e in events if e["event"] == "restore-step"][:4] == [
        "connect", "resolve", "safety-snapshot", "restore"]
    assert psql(target_url, "SELECT string_agg(operation, ',' ORDER BY started_at) "
                            "FROM dbsafe.audit").strip() == "deploy,deploy,restore,restore"
    # deploy, deploy, the failed attempt (no such snapshot), the restore
    assert [line["operation"] for line in audit_lines(tmp_path)] == [
        "deploy", "deploy", "restore", "restore"]

    # examples/python/restore.py: the same from an ops script.
    example = REPO / "examples" / "python" / "restore.py"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    refused = subprocess.run([sys.executable, str(example), "x", "pre-deploy-backup"],
                             capture_output=True, text=True, cwd=tmp_path, env=env)
    assert refused.returncode == 2, refused.stderr  # argparse: --confirm is required
    run = subprocess.run([sys.executable, str(example), "x", "pre-deploy-backup", "--confirm", "x",
                          "--reapply"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert "target x was restored from snapshot pre-deploy-backup" in run.stdout
    assert psql(target_url, HAS_COLUMN_A).strip() == "0"  # the drop was re-applied
