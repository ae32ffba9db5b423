"""dbsafe.maintenance (the read-only window, docs/maintenance.md) from Python on
a real PostgreSQL: directly and through PgBouncer in transaction mode."""
import json
import os
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

import dbsafe

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schema" / "maintenance-report.v1.json")
    .read_text()
)


def validate(report):
    jsonschema.Draft202012Validator(SCHEMA).validate(report.to_dict())


def run(psql_executable, url, sql, **env):
    """psql -c SQL; the finished process (stdout and stderr as text)."""
    return subprocess.run(
        [psql_executable, "-X", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )


def old_session(psql_executable, url, name):
    """A session that connects now and stays (an application's pooled connection)."""
    proc = subprocess.Popen(
        [psql_executable, "-X", "-q", url, "-c", "SELECT pg_sleep(60)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PGAPPNAME": name},
    )
    for _ in range(100):
        seen = run(psql_executable, url,
                   f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}'")
        if seen.stdout.strip() == "1":
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the session {name} never showed up in pg_stat_activity")


def test_window_holds_new_sessions_lists_and_ends_old_ones(database_url, psql_executable):
    assert run(psql_executable, database_url, "CREATE TABLE t (id int)").returncode == 0
    writer = old_session(psql_executable, database_url, "py-old-writer")
    try:
        on = dbsafe.maintenance("on", database_url=database_url, actor="py-test")
        validate(on)
        assert on.read_only and on.changed
        assert on.window is not None and on.window.opened_by == "py-test"
        assert on.window.previous_setting is None
        assert [w.application_name for w in on.writers] == ["py-old-writer"]

        blocked = run(psql_executable, database_url, "INSERT INTO t VALUES (1)")
        assert blocked.returncode != 0
        assert "read-only transaction" in blocked.stderr

        again = dbsafe.maintenance("on", database_url=database_url, actor="someone-else")
        validate(again)
        assert not again.changed and again.window.opened_by == "py-test"

        ended = dbsafe.maintenance("status", database_url=database_url, terminate_writers=True)
        validate(ended)
        assert [w.outcome for w in ended.writers] == ["terminated"]
        assert ended.terminated == 1 and ended.not_terminated == 0
        assert writer.wait(timeout=30) != 0  # its session was ended under it
    finally:
        writer.kill()
        writer.wait()

    off = dbsafe.maintenance("off", database_url=database_url)
    validate(off)
    assert not off.read_only and off.changed and off.restored_setting is None
    assert run(psql_executable, database_url, "INSERT INTO t VALUES (2)").returncode == 0


def test_bad_arguments_are_named(database_url):
    with pytest.raises(ValueError, match="action must be 'on', 'off' or 'status'"):
        dbsafe.maintenance("sideways", database_url=database_url)
    with pytest.raises(TypeError, match="terminate_writers must be a bool"):
        dbsafe.maintenance("on", database_url=database_url, terminate_writers="yes")
    with pytest.raises(dbsafe.InvalidInputError, match="terminate_writers goes with"):
        dbsafe.maintenance("off", database_url=database_url, terminate_writers=True)


def test_through_pgbouncer(database_url, database_url_for, pgbouncer_url, psql_executable):
    """PgBouncer refuses the `options` startup parameter, so dbsafe turns the window
    off for itself with a SET after connecting, and its own transactions say READ
    WRITE: both work through a transaction-mode pooler."""
    name = database_url.rsplit("/", 1)[1].split("?", 1)[0]
    pooled = database_url_for(pgbouncer_url, name)
    refused = run(psql_executable, pooled, "SELECT 1",
                  PGOPTIONS="-c default_transaction_read_only=off")
    assert refused.returncode != 0 and "unsupported startup parameter" in refused.stderr

    dbsafe.maintenance("on", database_url=database_url)
    status = dbsafe.maintenance("status", database_url=pooled)
    validate(status)
    assert status.read_only and status.window is not None
    # dbsafe's own writes through the pooler: closing the window deletes its record.
    off = dbsafe.maintenance("off", database_url=pooled)
    validate(off)
    assert off.changed and not off.read_only
    left = run(psql_executable, database_url, "SELECT count(*) FROM dbsafe.maintenance_window")
    assert left.stdout.strip() == "0"
