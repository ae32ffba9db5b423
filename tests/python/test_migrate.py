"""The migration runner from Python: migrate_status, migrate_deploy, migrate_resolve and
migrate_baseline against a real PostgreSQL (the ``database_url`` fixture), with progress,
cancellation, timeouts, the GIL released, and a failed deploy's report on its exception."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest

import dbsafe
from dbsafe import _dbsafe

REPO = Path(__file__).resolve().parents[2]
PRISMA_APP = REPO / "examples" / "prisma-app" / "prisma" / "migrations"
PRISMA_APP_NAMES = [
    "20240101000000_init",
    "20240115000000_add_comments",
    "20240201000000_add_post_slug",
]
REPORT_SCHEMA = json.loads((REPO / "docs" / "schema" / "migrate-report.v1.json").read_text())

# Nothing listens on port 1; connect_timeout bounds the attempt anyway.
CANARY = "secretpw"
UNREACHABLE = f"postgresql://u:{CANARY}@127.0.0.1:1/db?connect_timeout=2"

ACCOUNTS = "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n"
# CREATE INDEX CONCURRENTLY cannot run in a transaction: the safe runner sends it on its own.
ACCOUNT_EMAIL_INDEX = (
    "ALTER TABLE account ADD COLUMN name text;\n"
    "CREATE INDEX CONCURRENTLY account_email_idx ON account (email);\n"
)
# Fails on line 4, at the misspelt table (column 13), with 42P01 undefined_table.
BROKEN_AUDIT = (
    "-- Adds the audit table and its first row\n"
    "CREATE TABLE audit (id bigint PRIMARY KEY, note text);\n"
    "\n"
    "INSERT INTO audit_typo (id, note) VALUES (1, 'created');\n"
)
FIXED_AUDIT = BROKEN_AUDIT.replace("audit_typo", "audit")
SLOW = "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n"


def write_migrations(root: Path, migrations: dict) -> Path:
    """A Prisma migration directory with one ``<name>/migration.sql`` per entry."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, sql in migrations.items():
        (root / name).mkdir(exist_ok=True)
        (root / name / "migration.sql").write_text(sql)
    return root


def history(psql, url):
    """The rows of _prisma_migrations: (name, finished, rolled back, has logs), in order."""
    out = psql(
        url,
        "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, "
        "logs IS NOT NULL FROM _prisma_migrations ORDER BY started_at, migration_name;",
    )
    return [tuple(line.split("|")) for line in out.split()]


def table_exists(psql, url, name):
    return psql(url, f"SELECT to_regclass('public.{name}') IS NOT NULL;").strip() == "t"


def states(report):
    return {m.name: m.state for m in report.migrations}


def assert_valid_report(report):
    jsonschema.validate(json.loads(report.json), REPORT_SCHEMA)


def test_deploy_applies_the_example_app(database_url, psql):
    report = dbsafe.migrate_deploy(PRISMA_APP, database_url=database_url)
    assert isinstance(report, dbsafe.MigrateReport)
    assert (report.command, report.mode, report.dry_run) == ("deploy", "safe", False)
    assert report.root == str(PRISMA_APP)
    assert report.history_table == '"public"."_prisma_migrations"'
    assert report.history_exists
    assert [a.name for a in report.applied] == PRISMA_APP_NAMES
    assert all(isinstance(a, dbsafe.AppliedMigration) for a in report.applied)
    assert all(a.steps >= 1 and a.elapsed_ms >= 0 and not a.resumed for a in report.applied)
    assert report.failure is None
    assert report.status_code == 0
    assert report.summary == dbsafe.MigrateSummary(
        applied=3, pending=0, failed=0, modified=0, missing=0, out_of_order=0
    )
    for planned in report.migrations:
        assert planned.state == "applied"
        assert planned.checksum == planned.recorded_checksum
        assert planned.started_at and planned.finished_at
        assert planned.path == f"{planned.name}/migration.sql"
    # The raw document is there too, and is what the dataclasses were built from.
    assert report.to_dict()["applied"][0]["name"] == PRISMA_APP_NAMES[0]
    assert_valid_report(report)

    assert history(psql, database_url) == [(name, "t", "f", "f") for name in PRISMA_APP_NAMES]
    for table in ("User", "Post", "Comment"):
        assert table_exists(psql, database_url, f'"{table}"')


def test_status_before_and_after_deploy_and_a_second_deploy_applies_nothing(database_url, psql):
    before = dbsafe.migrate_status(PRISMA_APP, database_url=database_url)
    assert before.command == "status"
    assert before.status_code == 1
    assert before.history_exists is False
    assert before.summary.pending == 3
    assert states(before) == dict.fromkeys(PRISMA_APP_NAMES, "pending")
    assert_valid_report(before)
    # status is read-only: it did not create the history table.
    assert not table_exists(psql, database_url, "_prisma_migrations")

    dbsafe.migrate_deploy(PRISMA_APP, database_url=database_url)
    after = dbsafe.migrate_status(PRISMA_APP, database_url=database_url)
    assert after.status_code == 0
    assert states(after) == dict.fromkeys(PRISMA_APP_NAMES, "applied")

    again = dbsafe.migrate_deploy(PRISMA_APP, database_url=database_url)
    assert again.applied == []
    assert again.status_code == 0
    assert len(history(psql, database_url)) == 3


def test_database_url_defaults_to_the_environment(database_url, monkeypatch):
    monkeypatch.delenv("DIRECT_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    report = dbsafe.migrate_deploy(PRISMA_APP)
    assert [a.name for a in report.applied] == PRISMA_APP_NAMES


def test_concurrent_index_runs_outside_the_transaction(database_url, psql, tmp_path):
    root = write_migrations(
        tmp_path / "migrations",
        {"001_accounts": ACCOUNTS, "002_account_email_index": ACCOUNT_EMAIL_INDEX},
    )
    plan = dbsafe.migrate_deploy(root, database_url=database_url, dry_run=True)
    steps = plan.migration("002_account_email_index").steps
    assert [(s.line, s.transactional) for s in steps] == [(1, True), (2, False)]
    assert steps[1].sql.startswith("CREATE INDEX CONCURRENTLY account_email_idx")

    report = dbsafe.migrate_deploy(root, database_url=database_url)
    assert [(a.name, a.steps) for a in report.applied] == [
        ("001_accounts", 1),
        ("002_account_email_index", 2),
    ]
    valid = psql(
        database_url,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'account_email_idx'::regclass;",
    )
    assert valid.strip() == "t"
    assert dbsafe.migrate_status(root, database_url=database_url).status_code == 0


def test_dry_run_returns_the_steps_and_changes_nothing(database_url, psql):
    report = dbsafe.migrate_deploy(PRISMA_APP, database_url=database_url, dry_run=True)
    assert report.dry_run is True
    assert report.applied == []
    assert report.status_code == 1
    assert states(report) == dict.fromkeys(PRISMA_APP_NAMES, "pending")
    for planned in report.migrations:
        assert planned.steps, planned.name
        assert all(step.transactional and step.sql.strip() for step in planned.steps)
    first = report.migration("20240101000000_init").steps[0]
    assert 'CREATE TABLE "User"' in first.sql
    assert_valid_report(report)

    assert not table_exists(psql, database_url, "_prisma_migrations")
    assert not table_exists(psql, database_url, '"User"')


def test_a_failing_migration_raises_with_its_position_and_the_report(database_url, psql, tmp_path):
    root = write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS, "002_audit": BROKEN_AUDIT})
    with pytest.raises(dbsafe.DatabaseError) as excinfo:
        dbsafe.migrate_deploy(root, database_url=database_url)
    err = excinfo.value
    file = str(root / "002_audit" / "migration.sql")
    assert (err.code, err.status) == ("DBSAFE_EDB", -5)
    assert (err.file, err.line, err.column, err.sqlstate) == (file, 4, 13, "42P01")
    assert "resolve --rolled-back 002_audit" in err.message

    failure = err.failure
    assert isinstance(failure, dbsafe.MigrationFailure)
    assert (failure.migration, failure.file, failure.line, failure.column) == (
        "002_audit", file, 4, 13)
    assert failure.sqlstate == "42P01"
    assert "audit_typo" in failure.message
    assert failure.rolled_back is True
    assert failure.steps_done == 0
    assert "migrate resolve --rolled-back 002_audit" in failure.resolve_command

    report = err.report
    assert isinstance(report, dbsafe.MigrateReport)
    assert report.failure == failure
    assert [a.name for a in report.applied] == ["001_accounts"]
    assert states(report) == {"001_accounts": "applied", "002_audit": "failed"}
    assert report.status_code == 2
    jsonschema.validate(err.detail, REPORT_SCHEMA)
    # The report survives pickling (it is rebuilt from the detail).
    copy = pickle.loads(pickle.dumps(err))
    assert copy.report == report and copy.failure == failure

    # Its transaction was rolled back: the table it created is not there.
    assert not table_exists(psql, database_url, "audit")
    assert history(psql, database_url) == [
        ("001_accounts", "t", "f", "f"),
        ("002_audit", "f", "f", "t"),
    ]

    status = dbsafe.migrate_status(root, database_url=database_url)
    assert status.status_code == 2
    assert status.migration("002_audit").state == "failed"
    assert "audit_typo" in status.migration("002_audit").logs

    # Nothing more runs until a person resolves it.
    with pytest.raises(dbsafe.StateError) as refused:
        dbsafe.migrate_deploy(root, database_url=database_url)
    assert "resolve --rolled-back 002_audit" in refused.value.message


def test_resolve_rolled_back_then_the_fixed_file_deploys(database_url, psql, tmp_path):
    root = write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS, "002_audit": BROKEN_AUDIT})
    with pytest.raises(dbsafe.DatabaseError):
        dbsafe.migrate_deploy(root, database_url=database_url)

    resolved = dbsafe.migrate_resolve(root, rolled_back="002_audit", database_url=database_url)
    assert resolved.command == "resolve"
    assert resolved.resolved == ["002_audit"]
    assert resolved.migration("002_audit").state == "pending"
    assert resolved.status_code == 1
    assert_valid_report(resolved)

    (root / "002_audit" / "migration.sql").write_text(FIXED_AUDIT)
    report = dbsafe.migrate_deploy(root, database_url=database_url)
    assert [a.name for a in report.applied] == ["002_audit"]
    assert report.status_code == 0
    assert psql(database_url, "SELECT note FROM audit;").strip() == "created"
    # Prisma's shape: the failed attempt stays, marked rolled back, beside the applied one.
    assert history(psql, database_url) == [
        ("001_accounts", "t", "f", "f"),
        ("002_audit", "f", "t", "t"),
        ("002_audit", "t", "f", "f"),
    ]


def test_resolve_applied_records_a_migration_without_running_it(database_url, psql, tmp_path):
    root = write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS, "002_audit": BROKEN_AUDIT})
    dbsafe.migrate_resolve(root, applied="002_audit", database_url=database_url)
    report = dbsafe.migrate_deploy(root, database_url=database_url)
    assert [a.name for a in report.applied] == ["001_accounts"]
    assert report.status_code == 0
    assert not table_exists(psql, database_url, "audit")

    with pytest.raises(dbsafe.InvalidInputError, match="already recorded as applied"):
        dbsafe.migrate_resolve(root, applied="002_audit", database_url=database_url)
    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.migrate_resolve(root, applied="003_nope", database_url=database_url)


def test_baseline_marks_the_earlier_migrations_applied(database_url, psql):
    # A database built before it had a history: the first two migrations' tables exist.
    for name in PRISMA_APP_NAMES[:2]:
        psql(database_url, (PRISMA_APP / name / "migration.sql").read_text())

    report = dbsafe.migrate_baseline(PRISMA_APP, PRISMA_APP_NAMES[1], database_url=database_url)
    assert report.command == "baseline"
    assert report.resolved == PRISMA_APP_NAMES[:2]
    assert [states(report)[name] for name in PRISMA_APP_NAMES] == ["applied", "applied", "pending"]
    assert report.status_code == 1
    assert_valid_report(report)

    deployed = dbsafe.migrate_deploy(PRISMA_APP, database_url=database_url)
    assert [a.name for a in deployed.applied] == PRISMA_APP_NAMES[2:]
    assert deployed.status_code == 0

    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.migrate_baseline(PRISMA_APP, "20990101000000_nope", database_url=database_url)


def test_progress_events_arrive_in_order(database_url, tmp_path):
    root = write_migrations(
        tmp_path / "m",
        {"001_accounts": ACCOUNTS, "002_account_email_index": ACCOUNT_EMAIL_INDEX},
    )
    events = []
    dbsafe.migrate_deploy(root, database_url=database_url, progress=events.append)
    assert all(isinstance(e, dict) for e in events)

    def shape(event):
        fields = {
            "migration-start": ("migration", "index", "total", "steps"),
            "step-start": ("migration", "step", "steps", "line"),
            "statement-finish": ("migration", "step", "statement", "line"),
            "migration-finish": ("migration",),
        }[event["event"]]
        return (event["event"], *(event[name] for name in fields))

    runner = {"migration-start", "step-start", "statement-finish", "migration-finish"}
    assert [shape(e) for e in events if e["event"] in runner] == [
        ("migration-start", "001_accounts", 1, 2, 1),
        ("step-start", "001_accounts", 1, 1, 1),
        ("statement-finish", "001_accounts", 1, 1, 1),
        ("migration-finish", "001_accounts"),
        ("migration-start", "002_account_email_index", 2, 2, 2),
        ("step-start", "002_account_email_index", 1, 2, 1),
        ("statement-finish", "002_account_email_index", 1, 1, 1),
        ("step-start", "002_account_email_index", 2, 2, 2),
        ("statement-finish", "002_account_email_index", 2, 1, 2),
        ("migration-finish", "002_account_email_index"),
    ]
    finishes = [e for e in events if e["event"] in ("statement-finish", "migration-finish")]
    assert all(e["elapsed_ms"] >= 0 for e in finishes)
    # Reading the set comes first, one event per file.
    reads = [e["name"] for e in events if e["event"] == "migration_read"]
    assert reads == ["001_accounts", "002_account_email_index"]
    assert events.index(next(e for e in events if e["event"] == "migration-start")) >= 2


def slow_set(tmp_path):
    return write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS, "002_slow": SLOW})


def sleeping_backends(psql, url):
    """Sessions of this database still running the migration's pg_sleep(30)."""
    return int(psql(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid();",
    ).strip())


def assert_not_applied_and_consistent(report, name):
    """After a cancelled or timed-out deploy the migration is pending (rolled back) or
    failed, and the status code agrees with what the report shows."""
    state = report.migration(name).state
    assert state in ("pending", "failed"), state
    assert report.status_code == (2 if state == "failed" else 1)
    assert report.migration("001_accounts").state == "applied"


def test_cancel_stops_a_long_statement_on_the_server(database_url, psql, tmp_path):
    root = slow_set(tmp_path)
    token = dbsafe.CancelToken()
    cancelled_at = []

    def cancel_soon():
        cancelled_at.append(time.monotonic())
        token.cancel()

    def progress(event):
        if event["event"] == "step-start" and event["migration"] == "002_slow":
            threading.Timer(0.5, cancel_soon).start()

    with pytest.raises(dbsafe.CancelledError) as excinfo:
        dbsafe.migrate_deploy(root, database_url=database_url, progress=progress, cancel=token)
    assert time.monotonic() - cancelled_at[0] < 10
    assert excinfo.value.code == "DBSAFE_ECANCELLED"
    assert sleeping_backends(psql, database_url) == 0
    assert not table_exists(psql, database_url, "slow")

    status = dbsafe.migrate_status(root, database_url=database_url)
    assert_not_applied_and_consistent(status, "002_slow")


def test_timeout_stops_a_long_statement(database_url, psql, tmp_path):
    root = slow_set(tmp_path)
    started = time.monotonic()
    with pytest.raises(dbsafe.TimeoutError) as excinfo:
        dbsafe.migrate_deploy(root, database_url=database_url, timeout=2)
    assert time.monotonic() - started < 10
    assert isinstance(excinfo.value, TimeoutError)
    assert sleeping_backends(psql, database_url) == 0
    assert_not_applied_and_consistent(
        dbsafe.migrate_status(root, database_url=database_url), "002_slow")


def test_the_gil_is_released_while_a_deploy_runs(database_url, tmp_path):
    root = write_migrations(tmp_path / "m", {"001_wait": "SELECT pg_sleep(1);\n"})
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        start = time.perf_counter()
        dbsafe.migrate_deploy(root, database_url=database_url)
        end = time.perf_counter()
    finally:
        done.set()
        thread.join()
    inside = sum(1 for t in ticks if start + 0.2 < t < end - 0.2)
    assert inside >= 100, f"only {inside} ticks during a {end - start:.1f} s deploy"


def test_a_missing_directory_is_not_found(database_url, tmp_path):
    missing = tmp_path / "nope"
    for call in (dbsafe.migrate_status, dbsafe.migrate_deploy):
        with pytest.raises(dbsafe.NotFoundError) as excinfo:
            call(missing, database_url=database_url)
        assert str(missing) in excinfo.value.message
    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.migrate_baseline(missing, "001", database_url=database_url)


def test_unreachable_server_is_a_connect_error_without_the_password(tmp_path):
    root = write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS})
    started = time.monotonic()
    with pytest.raises(dbsafe.ConnectError) as excinfo:
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, connect_retry_ms=0)
    assert time.monotonic() - started < 10
    err = excinfo.value
    assert isinstance(err, ConnectionError)
    assert err.code == "DBSAFE_ECONNECT"
    assert err.report is None and err.failure is None
    for text in (str(err), repr(err), err.json or "", json.dumps(err.detail)):
        assert CANARY not in text
    with pytest.raises(dbsafe.ConnectError) as status_error:
        dbsafe.migrate_status(root, database_url=UNREACHABLE, connect_retry_ms=0)
    assert CANARY not in str(status_error.value)


def test_bad_options_are_rejected_before_connecting(tmp_path):
    root = write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS})
    with pytest.raises(TypeError):
        dbsafe.migrate_status(root, database_url=UNREACHABLE, no_such_option=1)  # type: ignore
    with pytest.raises(TypeError):
        dbsafe.migrate_status(root, database_url=UNREACHABLE, dry_run=True)  # type: ignore
    with pytest.raises(dbsafe.InvalidInputError, match="unknown mode 'fast'"):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, mode="fast")
    with pytest.raises(dbsafe.InvalidInputError, match="unknown migration layout"):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, layout="rails")
    # The library judges the numbers; its message names the keyword, not "options_json".
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, lock_retries=1000)
    assert excinfo.value.message.startswith("lock_retries must be")
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.migrate_deploy(
            root, database_url=UNREACHABLE, migration_timeouts={"001_accounts": {"lock": 5}}
        )
    assert "migration_timeouts.001_accounts.lock" in excinfo.value.message
    with pytest.raises(TypeError):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, migration_timeouts=[1])
    with pytest.raises(TypeError):
        dbsafe.migrate_deploy(root, database_url=5)  # type: ignore[arg-type]
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, timeout=0)
    with pytest.raises(TypeError):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, dry_run="yes")  # type: ignore
    with pytest.raises(TypeError):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, cancel=object())  # type: ignore
    with pytest.raises(TypeError):
        dbsafe.migrate_deploy(root, database_url=UNREACHABLE, progress=42)  # type: ignore

    # resolve takes exactly one of applied= and rolled_back=.
    with pytest.raises(TypeError):
        dbsafe.migrate_resolve(root, database_url=UNREACHABLE)
    with pytest.raises(TypeError):
        dbsafe.migrate_resolve(root, applied="a", rolled_back="b", database_url=UNREACHABLE)
    with pytest.raises(TypeError):
        dbsafe.migrate_baseline(root, 7, database_url=UNREACHABLE)  # type: ignore[arg-type]
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.migrate_baseline(root, "", database_url=UNREACHABLE)


def test_the_native_layer_passes_the_options_document_to_the_library(tmp_path):
    root = str(write_migrations(tmp_path / "m", {"001_accounts": ACCOUNTS}))
    with pytest.raises(dbsafe.InvalidInputError, match='unknown option "bogus"'):
        _dbsafe.migrate_status(root, '{"bogus": 1}')
    with pytest.raises(dbsafe.InvalidInputError):
        _dbsafe.migrate_deploy(root, "[]")
    with pytest.raises(dbsafe.InvalidInputError):
        _dbsafe.migrate_resolve(root, "001_accounts", 3, None)
    with pytest.raises(dbsafe.InvalidInputError):
        _dbsafe.migrate_baseline(root, "001\0", None)
    assert {_dbsafe.RESOLVE_APPLIED, _dbsafe.RESOLVE_ROLLED_BACK} == {1, 2}


def test_the_migrate_api_is_exported():
    for name in (
        "migrate_status",
        "migrate_deploy",
        "migrate_resolve",
        "migrate_baseline",
        "MigrateReport",
        "MigrateSummary",
        "PlannedMigration",
        "AppliedMigration",
        "MigrationFailure",
        "MigrationStep",
        "MIGRATE_MODES",
        "StateError",
    ):
        assert name in dbsafe.__all__, name
        assert hasattr(dbsafe, name), name
    assert dbsafe.errors.error_class("DBSAFE_ESTATE") is dbsafe.StateError
    assert _dbsafe.status_name(-14) == "DBSAFE_ESTATE"


def test_the_example_script_deploys_and_reports(database_url):
    env = dict(os.environ, DATABASE_URL=database_url)
    env.pop("DIRECT_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    script = REPO / "examples" / "python" / "migrate.py"
    first = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    for name in PRISMA_APP_NAMES:
        assert f"applied {name}" in first.stdout
    second = subprocess.run([sys.executable, str(script), str(PRISMA_APP)],
                            capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert "applied " not in second.stdout
