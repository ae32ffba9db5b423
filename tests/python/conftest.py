"""Shared fixtures of the dbsafe Python tests.

Run from the repository root after building the module:

    PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python -q

PostgreSQL harness
------------------
* ``pg_server_url`` (session): URL of a PostgreSQL server whose user may
  CREATE DATABASE. Uses ``DBSAFE_TEST_DATABASE_URL`` when set; otherwise starts
  a throwaway cluster with ``scripts/pg-throwaway`` for this test session and
  stops and removes it afterwards.
* ``database_url`` (function): URL of a fresh, uniquely named database
  (``dbsafe_t_<pid>_<counter>_<random>``), dropped WITH (FORCE) after the test,
  so tests can run in parallel.
* ``psql`` (session): ``psql(url, sql)`` runs SQL with ``psql -X -v
  ON_ERROR_STOP=1`` and returns its unaligned, tuples-only output; raises
  RuntimeError when psql fails. ``psql_executable`` is the client's path.
* ``temporary_database`` (session): the context manager behind
  ``database_url``, for tests that need several databases.
* ``database_url_for`` (session): ``database_url_for(server_url, name)``.
* ``neon_test_server`` (session): ``with neon_test_server(*args) as env:`` runs
  ``scripts/neon-test-server`` (tests/neon-server/README.md) with ``args`` and
  yields the dict of its ready lines (``NEON_API_HOST``, ``NEON_API_KEY``,
  ``NEON_CA_FILE``, ``NEON_ADMIN_URL``, ...); SIGTERM at exit, which drops every
  database and role it made. Without ``--database-url`` it runs its own archiving
  cluster, so point-in-time restores work.
* ``pgbouncer_url`` (module): a PgBouncer in transaction pooling mode in front
  of ``pg_server_url`` (``scripts/pgbouncer-throwaway``), stopped afterwards.

There is no psycopg here: everything goes through the ``psql`` client, found on
PATH or in the PostgreSQL bin directory. Test modules use these fixtures rather
than importing from this file (which breaks if tests/python becomes a package or
runs in importlib mode).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The shared corpus sits beside the repository (../shared/corpus), never inside it.
CORPUS_ROOT = REPO_ROOT.parent / "shared" / "corpus"

#: Migrations per corpus project (shared/corpus/README.md).
CORPUS_COUNTS = {
    "hoppscotch": 21,
    "documenso": 163,
    "inbox-zero": 240,
    "langfuse": 434,
    "trigger.dev": 820,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: builds and installs the package; runs only with DBSAFE_TEST_INSTALL=1"
    )


def corpus_project(name: str) -> Path:
    path = CORPUS_ROOT / name
    assert path.is_dir(), f"the shared corpus is missing: {path} (expected at <repo>/../shared/corpus)"
    return path


@pytest.fixture
def corpus():
    """corpus("hoppscotch") -> the project's directory in the shared corpus."""
    return corpus_project


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


# ---------------------------------------------------------------------------
# PostgreSQL harness (see the module docstring).

PG_THROWAWAY = REPO_ROOT / "scripts" / "pg-throwaway"
PGBOUNCER_THROWAWAY = REPO_ROOT / "scripts" / "pgbouncer-throwaway"
NEON_TEST_SERVER = REPO_ROOT / "scripts" / "neon-test-server"

_db_counter = itertools.count(1)


def _pg_bindir():
    """The PostgreSQL bin directory, found like scripts/pg-throwaway does."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return env
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True,
                                 text=True, check=True).stdout.strip()
            if out and os.access(os.path.join(out, "psql"), os.X_OK):
                return out
        except (OSError, subprocess.CalledProcessError):
            pass

    def version_key(path):
        version = path.split("/")[-2]
        return [int(p) if p.isdigit() else 0 for p in version.split(".")]

    candidates = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
                  if os.access(os.path.join(d, "psql"), os.X_OK)]
    return max(candidates, key=version_key) if candidates else None


def psql_path():
    """Path of the psql client: PATH first, then the PostgreSQL bin directory."""
    found = shutil.which("psql")
    if found:
        return found
    bindir = _pg_bindir()
    if bindir and os.access(os.path.join(bindir, "psql"), os.X_OK):
        return os.path.join(bindir, "psql")
    raise RuntimeError("psql not found on PATH or in the PostgreSQL bin directory; "
                       "install it with 'apt-get install postgresql-15'")


def run_psql(url, sql, *, check=True):
    """Run ``sql`` against ``url`` with psql; return stdout (unaligned, tuples only)."""
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "30")
    env["PGAPPNAME"] = "dbsafe-pytest"
    proc = subprocess.run(
        [psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=sql, capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise RuntimeError(f"psql failed (exit {proc.returncode}) on {url}:\n"
                           f"{sql}\n{proc.stderr.strip()}")
    return proc.stdout


def url_for_database(server_url, database):
    """``server_url`` with its database replaced by ``database``."""
    if "://" not in server_url:  # keyword=value form: the last dbname wins
        return f"{server_url} dbname={database}"
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query,
                       parts.fragment))


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def unique_database_name():
    return f"dbsafe_t_{os.getpid()}_{next(_db_counter)}_{secrets.token_hex(4)}"


@contextlib.contextmanager
def _temporary_database(server_url):
    """Create a uniquely named database on ``server_url``; yield its URL; drop it."""
    name = unique_database_name()
    assert re.fullmatch(r"[a-z0-9_]+", name)
    run_psql(server_url, f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0;")
    try:
        yield url_for_database(server_url, name)
    finally:
        run_psql(server_url, f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE);")


@pytest.fixture(scope="session")
def psql():
    """``psql(url, sql)``: run SQL with psql and return its output."""
    return run_psql


@pytest.fixture(scope="session")
def psql_executable():
    """Path of the psql client."""
    return psql_path()


@pytest.fixture(scope="session")
def temporary_database():
    """The context manager behind ``database_url``, for tests that need more
    than one database: ``with temporary_database(pg_server_url) as url: ...``."""
    return _temporary_database


@pytest.fixture(scope="session")
def database_url_for():
    """``database_url_for(server_url, name)``: the URL of another database."""
    return url_for_database


@pytest.fixture(scope="session")
def pg_server_url():
    """A server URL where the user may CREATE DATABASE (see module docstring)."""
    external = os.environ.get("DBSAFE_TEST_DATABASE_URL")
    if external:
        yield external
        return
    base = os.environ.get("TMPDIR") or "/tmp"
    cluster_dir = tempfile.mkdtemp(prefix="dbsafe-pytest-", dir=base)
    try:
        proc = subprocess.run([str(PG_THROWAWAY), "start", cluster_dir],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        if proc.returncode != 0 or not url:
            raise RuntimeError(
                f"{PG_THROWAWAY} start {cluster_dir} failed (exit {proc.returncode}):\n"
                f"{proc.stderr.strip()}\n"
                "Set DBSAFE_TEST_DATABASE_URL to use an existing server instead.")
        yield url
    finally:
        subprocess.run([str(PG_THROWAWAY), "stop", cluster_dir, "--remove"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        shutil.rmtree(cluster_dir, ignore_errors=True)


@pytest.fixture
def database_url(pg_server_url):
    """URL of a fresh, empty database, dropped after the test."""
    with _temporary_database(pg_server_url) as url:
        yield url


@pytest.fixture(scope="module")
def pgbouncer_url(pg_server_url):
    """A PgBouncer (pool_mode = transaction) in front of the test server."""
    parts = urlsplit(pg_server_url)
    if "://" not in pg_server_url or not parts.hostname or parts.hostname.startswith("/"):
        pytest.skip(f"the test server URL has no TCP host for PgBouncer to reach: {parts.netloc}")
    directory = tempfile.mkdtemp(prefix="dbsafe-pgbouncer-", dir="/tmp")
    os.chmod(directory, 0o755)
    try:
        proc = subprocess.run([str(PGBOUNCER_THROWAWAY), "start", directory, pg_server_url],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0 and proc.stdout.strip(), (
            f"scripts/pgbouncer-throwaway start failed (exit {proc.returncode}):\n{proc.stderr}")
        yield proc.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(PGBOUNCER_THROWAWAY), "stop", directory, "--remove"],
                       capture_output=True, text=True, timeout=60)


# ---------------------------------------------------------------------------
# The Neon API v2 test server (see the module docstring).


@contextlib.contextmanager
def _neon_test_server(*args):
    """Run scripts/neon-test-server with ``args``; yield its ready lines as a dict."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen([str(NEON_TEST_SERVER), *args],
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            env = {}
            # Its own cluster needs initdb, a restart with archiving and a base
            # backup: seconds normally, more on a busy two-core machine.
            deadline = time.monotonic() + 120
            while env.get("NEON_TEST_SERVER_READY") != "1" and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                name, _, value = line.strip().partition("=")
                env[name] = value
            if env.get("NEON_TEST_SERVER_READY") != "1":
                stderr.seek(0)
                pytest.fail("the Neon test server did not start:\n" +
                            stderr.read().decode(errors="replace")[-3000:])
            yield env
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


@pytest.fixture(scope="session")
def neon_test_server():
    """``with neon_test_server(*args) as env:`` (see the module docstring)."""
    return _neon_test_server
