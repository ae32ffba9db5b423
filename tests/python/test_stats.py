"""dbsafe.stats(): dbsafe_stats_collect against a real PostgreSQL; check()'s database_url;
ConnectError (DBSAFE_ECONNECT) for a server that cannot be reached, without the password."""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import socket
import threading
import time

import pytest

import dbsafe
from dbsafe import _dbsafe

CANARY = "canary-pw"
# Nothing listens on port 1; connect_timeout bounds the attempt anyway.
UNREACHABLE = f"postgresql://u:{CANARY}@127.0.0.1:1/db?connect_timeout=2"

# Three rows in t, none in e, an index on e; ANALYZE so reltuples is known.
SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, g::text FROM generate_series(1, 3) AS g;
CREATE TABLE e (id int, note text);
CREATE INDEX e_note_idx ON e (note);
ANALYZE;
"""

VOLATILE_DEFAULT = "ALTER TABLE t ADD COLUMN n uuid DEFAULT gen_random_uuid();\n"


@pytest.fixture
def live_url(database_url, psql):
    """A database holding SCHEMA."""
    psql(database_url, SCHEMA)
    return database_url


@pytest.fixture
def migration(tmp_path):
    """A directory with one .sql file that adds a column with a volatile default to t."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "001_add_n.sql").write_text(VOLATILE_DEFAULT)
    return directory


def assert_stats(stats):
    assert isinstance(stats, dbsafe.Stats)
    assert isinstance(stats.server_version_num, int) and stats.server_version_num >= 100000

    assert sorted(stats.tables) == ["public.e", "public.t"]
    t = stats.tables["public.t"]
    assert isinstance(t, dbsafe.TableStats)
    assert (t.row_estimate, t.empty, t.index_count) == (3, False, 1)
    assert t.total_bytes > 0
    e = stats.tables["public.e"]
    assert (e.empty, e.index_count) == (True, 1)
    assert e.row_estimate <= 0

    assert sorted(stats.indexes) == ["public.e_note_idx", "public.t_pkey"]
    index = stats.indexes["public.e_note_idx"]
    assert isinstance(index, dbsafe.IndexStats)
    assert index.table == "public.e"
    assert isinstance(index.idx_scan, int) and index.idx_scan >= 0
    assert index.bytes > 0
    assert stats.indexes["public.t_pkey"].table == "public.t"

    # The exact text is kept, and the dataclass is that document.
    doc = json.loads(stats.json)
    assert doc == stats.to_dict()
    assert doc["schema_version"] == 1
    assert doc["server_version_num"] == stats.server_version_num
    assert doc["tables"]["public.t"] == dataclasses.asdict(t)
    assert doc["indexes"]["public.e_note_idx"] == dataclasses.asdict(index)


def assert_impact(report):
    findings = [f for f in report.findings if f.rule == "add-column-volatile-default"]
    assert len(findings) == 1, [f.rule for f in report.findings]
    impact = findings[0].impact
    assert impact is not None
    assert impact.table == "public.t"
    assert (impact.row_estimate, impact.empty, impact.index_count) == (3, False, 1)
    assert impact.total_bytes > 0


def assert_connect_error(err):
    assert type(err) is dbsafe.ConnectError
    assert isinstance(err, dbsafe.Error)
    assert isinstance(err, ConnectionError)
    assert (err.code, err.status) == ("DBSAFE_ECONNECT", -13)
    assert "cannot connect" in err.message
    for text in (str(err), repr(err), err.json or "", json.dumps(err.detail)):
        assert CANARY not in text, text
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is dbsafe.ConnectError and copy.message == err.message


def test_stats_reads_tables_emptiness_and_indexes(live_url):
    stats = dbsafe.stats(live_url, timeout=60)
    assert_stats(stats)
    assert CANARY not in repr(stats)
    assert "json=" not in repr(stats)


def test_stats_releases_the_gil_while_it_waits_for_the_server():
    # A server that accepts and never answers: the call waits out connect_timeout (1 s) in
    # libpq while another Python thread keeps running.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    thread = threading.Thread(target=tick)
    try:
        thread.start()
        started = time.monotonic()
        with pytest.raises(dbsafe.ConnectError) as excinfo:
            dbsafe.stats(f"postgresql://u:{CANARY}@127.0.0.1:{port}/db?connect_timeout=1")
        finished = time.monotonic()
    finally:
        stop.set()
        thread.join()
        server.close()
    assert_connect_error(excinfo.value)
    during = [t for t in ticks if started < t < finished]
    assert finished - started >= 0.5
    assert len(during) >= 20, (len(during), finished - started)


def test_stats_from_another_thread(live_url):
    results = []
    thread = threading.Thread(target=lambda: results.append(dbsafe.stats(live_url)))
    thread.start()
    thread.join()
    assert_stats(results[0])


def test_stats_feed_check(live_url, migration):
    stats = dbsafe.stats(live_url)
    assert_impact(dbsafe.check(migration, stats=stats))
    assert_impact(dbsafe.check(migration, stats=json.loads(stats.json)))
    # Without statistics there is no impact.
    assert all(f.impact is None for f in dbsafe.check(migration).findings)


def test_check_reads_the_stats_from_database_url(live_url, migration):
    assert_impact(dbsafe.check(migration, database_url=live_url))
    assert_impact(dbsafe.check([migration / "001_add_n.sql"], database_url=live_url, timeout=60))


def test_unreachable_server_is_a_connect_error_without_the_password(migration):
    with pytest.raises(dbsafe.ConnectError) as excinfo:
        dbsafe.stats(UNREACHABLE)
    assert_connect_error(excinfo.value)

    with pytest.raises(ConnectionError) as excinfo:
        dbsafe.check(migration, database_url=UNREACHABLE)
    assert_connect_error(excinfo.value)


def test_cancelled_token_raises_cancelled_error_before_connecting():
    token = dbsafe.CancelToken()
    token.cancel()
    with pytest.raises(dbsafe.CancelledError) as excinfo:
        dbsafe.stats(UNREACHABLE, cancel=token)
    assert excinfo.value.code == "DBSAFE_ECANCELLED"
    assert CANARY not in str(excinfo.value)


def test_log_messages_never_hold_the_password(caplog):
    with caplog.at_level(logging.DEBUG, logger="dbsafe"):
        with pytest.raises(dbsafe.ConnectError):
            dbsafe.stats(UNREACHABLE)
    assert all(CANARY not in record.getMessage() for record in caplog.records)


def test_bad_arguments():
    with pytest.raises(TypeError):
        dbsafe.stats(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.stats(UNREACHABLE.encode())  # type: ignore[arg-type]
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.stats("")
    assert excinfo.value.code == "DBSAFE_EINVALID"
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.stats(UNREACHABLE + "\0")
    assert CANARY not in str(excinfo.value)
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.stats(UNREACHABLE, timeout=0)
    with pytest.raises(TypeError):
        dbsafe.stats(UNREACHABLE, cancel=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.stats(UNREACHABLE, UNREACHABLE)  # type: ignore[misc]
    with pytest.raises(TypeError):
        dbsafe.check(".", database_url=5)  # type: ignore[arg-type]
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.check(".", database_url=UNREACHABLE + "\0")
    assert CANARY not in str(excinfo.value)
    with pytest.raises(TypeError):
        dbsafe.check_sql(VOLATILE_DEFAULT, database_url=UNREACHABLE)  # type: ignore[call-arg]


def test_native_layer_rejects_a_nul_itself():
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        _dbsafe.stats_collect(UNREACHABLE + "\0")
    assert CANARY not in str(excinfo.value)


def test_stats_types_are_exported():
    for name in ("stats", "Stats", "TableStats", "IndexStats", "ConnectError"):
        assert name in dbsafe.__all__, name
    assert issubclass(dbsafe.ConnectError, dbsafe.Error)
    assert issubclass(dbsafe.ConnectError, ConnectionError)
    assert dbsafe.errors.error_class("DBSAFE_ECONNECT") is dbsafe.ConnectError
