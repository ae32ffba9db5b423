"""Proves the PostgreSQL fixtures in conftest.py: each ``database_url`` is a
real, separate database that is dropped after its test."""

import subprocess
import time

import pytest


def database_exists(psql, server_url, name):
    out = psql(server_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    return out.strip() == "1"


@pytest.fixture
def second_database_url(pg_server_url, temporary_database):
    """A second database in the same test, made the same way as database_url."""
    with temporary_database(pg_server_url) as url:
        yield url


def test_server_answers(pg_server_url, psql):
    assert psql(pg_server_url, "SELECT 40 + 2;").strip() == "42"


def test_database_is_fresh_and_named(database_url, psql):
    name = psql(database_url, "SELECT current_database();").strip()
    assert name.startswith("dbsafe_t_")
    tables = psql(database_url,
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'public';").strip()
    assert tables == "0"


def test_two_databases_are_distinct(database_url, second_database_url, psql):
    assert database_url != second_database_url
    a = psql(database_url, "SELECT current_database();").strip()
    b = psql(second_database_url, "SELECT current_database();").strip()
    assert a != b


def test_table_in_one_database_is_absent_in_the_other(database_url, second_database_url,
                                                      psql):
    psql(database_url, "CREATE TABLE harness_probe (id int PRIMARY KEY);"
                       "INSERT INTO harness_probe VALUES (1);")
    assert psql(database_url, "SELECT count(*) FROM harness_probe;").strip() == "1"
    assert psql(second_database_url,
                "SELECT to_regclass('public.harness_probe') IS NULL;").strip() == "t"


def test_database_is_dropped_afterwards(pg_server_url, psql, psql_executable,
                                        temporary_database):
    # temporary_database is what the database_url fixture runs around each test.
    with temporary_database(pg_server_url) as url:
        name = psql(url, "SELECT current_database();").strip()
        assert database_exists(psql, pg_server_url, name)
        # An open session must not keep the database alive (DROP ... WITH (FORCE)).
        lingering = subprocess.Popen(
            [psql_executable, "-X", "-q", "-d", url, "-c", "SELECT pg_sleep(60);"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                active = psql(pg_server_url, "SELECT count(*) FROM pg_stat_activity "
                              f"WHERE datname = '{name}';").strip()
                if active != "0":
                    break
                time.sleep(0.05)
        except BaseException:
            lingering.kill()
            raise
    try:
        assert not database_exists(psql, pg_server_url, name)
        assert lingering.wait(timeout=30) != 0  # its session was terminated
    finally:
        if lingering.poll() is None:
            lingering.kill()
            lingering.wait()


def test_failed_sql_raises(database_url, psql):
    with pytest.raises(RuntimeError, match="no_such_table"):
        psql(database_url, "SELECT * FROM no_such_table;")


@pytest.mark.parametrize(
    "server, expected",
    [
        ("postgresql://u@127.0.0.1:5432/postgres", "postgresql://u@127.0.0.1:5432/x"),
        ("postgres://u:p@h:1/db?sslmode=disable", "postgres://u:p@h:1/x?sslmode=disable"),
        ("postgresql://u@h:1", "postgresql://u@h:1/x"),
        ("host=h port=1 dbname=postgres", "host=h port=1 dbname=postgres dbname=x"),
    ],
)
def test_database_url_for(database_url_for, server, expected):
    assert database_url_for(server, "x") == expected
