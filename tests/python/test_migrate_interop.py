"""``dbsafe migrate`` beside Prisma Migrate, other dbsafe processes, a real PgBouncer and
SIGKILL, on a real PostgreSQL (the ``database_url`` / ``pg_server_url`` fixtures).

* Prisma 6.19.3 runs offline from ``tests/interop/prisma`` (``npm ci`` there, which also
  patches @prisma/adapter-pg; ``scripts/test`` does it), through its wrapper
  ``tests/interop/prisma/prisma`` (``$DBSAFE_PRISMA`` overrides it) with ``--fast-exit``.
  The Prisma tests are skipped when that install is absent; nothing else is.
* PgBouncer (Debian's package, installed by ``scripts/pgbouncer-throwaway`` when missing)
  runs in transaction pooling mode in front of the test server (the ``pgbouncer_url``
  fixture of conftest.py).
* The command line is ``$DBSAFE_CLI`` or ``<repo>/build/dbsafe``.
* The crash trials are ``tests/interop/crash_trials.py`` (``scripts/soak-kill`` runs more).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "interop"))
import crash_trials  # noqa: E402

CLI = Path(os.environ.get("DBSAFE_CLI") or REPO / "build" / "dbsafe")
PRISMA_DIR = REPO / "tests" / "interop" / "prisma"
PRISMA = Path(os.environ.get("DBSAFE_PRISMA") or PRISMA_DIR / "prisma")
PRISMA_APP = REPO / "examples" / "prisma-app" / "prisma" / "migrations"
ADVISORY_LOCK_KEY = 72707369


def prisma_missing_reason():
    if os.environ.get("DBSAFE_PRISMA"):
        return None if os.access(PRISMA, os.X_OK) else f"DBSAFE_PRISMA={PRISMA} is not executable"
    if not (PRISMA_DIR / "node_modules" / "prisma" / "build" / "index.js").is_file():
        return ("Prisma 6.19.3 is not installed in tests/interop/prisma: run '(cd "
                "tests/interop/prisma && npm ci --ignore-scripts && node patch-adapter-pg.js)' "
                "(scripts/test does)")
    adapter = PRISMA_DIR / "node_modules" / "@prisma" / "adapter-pg" / "dist" / "index.js"
    if "dbsafe local fix 2" not in adapter.read_text(errors="replace"):
        return ("@prisma/adapter-pg in tests/interop/prisma is not patched: run "
                "'node tests/interop/prisma/patch-adapter-pg.js'")
    return None


_PRISMA_MISSING = prisma_missing_reason()
requires_prisma = pytest.mark.skipif(_PRISMA_MISSING is not None, reason=_PRISMA_MISSING or "")


@pytest.fixture(scope="module", autouse=True)
def dbsafe_cli():
    assert CLI.is_file(), (f"{CLI} does not exist: build it with 'cmake --build build --target "
                           "dbsafe_cli' or point DBSAFE_CLI at the dbsafe binary")
    return CLI


# ---------------------------------------------------------------------------
# Helpers.


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIRECT_URL")}
    env.update(extra)
    return env


def dbsafe(*args, url=None, env=None, timeout=180):
    cmd = [str(CLI), *args]
    if url is not None:
        cmd += ["--database-url", url]
    return subprocess.run(cmd, capture_output=True, text=True, env=env or clean_env(),
                          timeout=timeout)


def dbsafe_json(*args, url=None, env=None):
    proc = dbsafe(*args, "--format", "json", url=url, env=env)
    try:
        report = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    return proc, report


def prisma_cmd(migrations, url, *args):
    return [str(PRISMA), "--fast-exit", "--migrations", str(migrations), "--database-url", url,
            *args]


def prisma(migrations, url, *args, timeout=180):
    proc = subprocess.run(prisma_cmd(migrations, url, *args), capture_output=True, text=True,
                          env=clean_env(), timeout=timeout)
    proc.output = proc.stdout + proc.stderr
    return proc


def write_migrations(root: Path, migrations: dict) -> Path:
    return crash_trials.write_set(root, migrations)


def hoppscotch_migrations(corpus):
    found = sorted(corpus("hoppscotch").glob("**/prisma/migrations"))
    assert len(found) == 1, found
    return found[0]


def history(psql, url):
    """(name, checksum, finished, rolled back, steps, logs is null) in start order."""
    out = psql(url, "SELECT migration_name, checksum, finished_at IS NOT NULL, "
                    "rolled_back_at IS NOT NULL, applied_steps_count, logs IS NULL "
                    "FROM _prisma_migrations ORDER BY started_at, migration_name;")
    return [tuple(line.split("|")) for line in out.split("\n") if line]


def file_checksums(root: Path):
    return {d.name: hashlib.sha256((d / "migration.sql").read_bytes()).hexdigest()
            for d in sorted(root.iterdir()) if (d / "migration.sql").is_file()}


def advisory_lock_holders(url):
    """(pid, granted) of the sessions holding or waiting for the migration lock."""
    out = crash_trials.psql(
        url, "SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
             f"AND objid = {ADVISORY_LOCK_KEY} AND objsubid = 1;")
    return [(int(p), g == "t") for p, g in (line.split("|") for line in out.split())]


class LockWatcher(threading.Thread):
    """Polls pg_locks while two runners race; records whether anyone waited."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.seen_waiting = False
        self.seen_held = False

    def run(self):
        while not self.stop.is_set():
            try:
                rows = advisory_lock_holders(self.url)
            except RuntimeError:
                rows = []
            self.seen_held |= any(g for _, g in rows)
            self.seen_waiting |= any(not g for _, g in rows)
            time.sleep(0.03)


def wait_for_lock_holder(url, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(g for _, g in advisory_lock_holders(url)):
            return
        time.sleep(0.02)
    raise AssertionError(f"nobody took the migration lock within {timeout:.0f} s")


# ---------------------------------------------------------------------------
# (a) Each runner reads the other's history.


@requires_prisma
@pytest.mark.parametrize("project", ["prisma-app", "hoppscotch"])
def test_histories_written_by_either_runner_are_up_to_date_for_the_other(
        project, corpus, temporary_database, pg_server_url, psql):
    root = PRISMA_APP if project == "prisma-app" else hoppscotch_migrations(corpus)
    count = len(file_checksums(root))
    with temporary_database(pg_server_url) as by_dbsafe, \
            temporary_database(pg_server_url) as by_prisma:
        deployed = dbsafe("migrate", "deploy", "--migrations", str(root), url=by_dbsafe)
        assert deployed.returncode == 0, deployed.stderr

        status = prisma(root, by_dbsafe, "migrate", "status")
        assert status.returncode == 0, status.output
        assert "Database schema is up to date!" in status.output
        assert f"{count} migrations found" in status.output

        applied = prisma(root, by_prisma, "migrate", "deploy")
        assert applied.returncode == 0, applied.output
        assert "All migrations have been successfully applied." in applied.output

        proc, report = dbsafe_json("migrate", "status", "--migrations", str(root), url=by_prisma)
        assert proc.returncode == 0, proc.stderr
        assert report["summary"] == {"applied": count, "pending": 0, "failed": 0, "modified": 0,
                                     "missing": 0, "out_of_order": 0}
        proc, report = dbsafe_json("migrate", "deploy", "--migrations", str(root), url=by_prisma)
        assert proc.returncode == 0, proc.stderr
        assert report["applied"] == []

        # The two histories hold the same facts, row for row, and the schemas are equal.
        expected = [(name, checksum, "t", "f", "1", "t")
                    for name, checksum in file_checksums(root).items()]
        assert history(psql, by_dbsafe) == expected
        assert history(psql, by_prisma) == expected
        assert crash_trials.schema_fingerprint(by_dbsafe) == crash_trials.schema_fingerprint(by_prisma)


# ---------------------------------------------------------------------------
# (b) A failed migration recorded by either runner.

GOOD = {"001_accounts": "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n"}
BROKEN = ("CREATE TABLE audit (id bigint PRIMARY KEY, note text);\n"
          "INSERT INTO audit_typo (id, note) VALUES (1, 'created');\n")
FIXED = BROKEN.replace("audit_typo", "audit")


@requires_prisma
def test_a_failure_recorded_by_dbsafe_stops_prisma_until_resolved(database_url, psql, tmp_path):
    root = write_migrations(tmp_path / "m", {**GOOD, "002_audit": BROKEN})
    failed = dbsafe("migrate", "deploy", "--migrations", str(root), url=database_url)
    assert failed.returncode == 5, failed.stderr

    status = prisma(root, database_url, "migrate", "status")
    assert status.returncode != 0, status.output
    assert "Following migration have failed" in status.output
    assert "002_audit" in status.output

    refused = prisma(root, database_url, "migrate", "deploy")
    assert refused.returncode != 0, refused.output
    assert "P3009" in refused.output
    assert "002_audit" in refused.output

    resolved = dbsafe("migrate", "resolve", "--rolled-back", "002_audit", "--migrations",
                      str(root), url=database_url)
    assert resolved.returncode == 0, resolved.stderr
    (root / "002_audit" / "migration.sql").write_text(FIXED)

    # Both runners proceed: dbsafe sees it pending, Prisma applies it.
    plan = dbsafe("migrate", "deploy", "--dry-run", "--migrations", str(root), url=database_url)
    assert plan.returncode == 1, plan.stderr
    applied = prisma(root, database_url, "migrate", "deploy")
    assert applied.returncode == 0, applied.output
    assert "002_audit" in applied.output
    status = dbsafe("migrate", "status", "--migrations", str(root), url=database_url)
    assert status.returncode == 0, status.stdout + status.stderr
    rows = [(r[0], r[2], r[3]) for r in history(psql, database_url)]
    assert rows == [("001_accounts", "t", "f"), ("002_audit", "f", "t"), ("002_audit", "t", "f")]
    assert psql(database_url, "SELECT count(*) FROM audit;").strip() == "1"


@requires_prisma
def test_a_failure_recorded_by_prisma_stops_dbsafe_until_resolved(database_url, psql, tmp_path):
    root = write_migrations(tmp_path / "m", {**GOOD, "002_audit": BROKEN})
    failed = prisma(root, database_url, "migrate", "deploy")
    assert failed.returncode != 0, failed.output
    rows = [(r[0], r[2], r[3], r[5]) for r in history(psql, database_url)]
    assert rows == [("001_accounts", "t", "f", "t"), ("002_audit", "f", "f", "f")]

    proc, report = dbsafe_json("migrate", "status", "--migrations", str(root), url=database_url)
    assert proc.returncode == 2, proc.stderr
    assert report["status_code"] == 2
    states = {m["name"]: m["state"] for m in report["migrations"]}
    assert states == {"001_accounts": "applied", "002_audit": "failed"}
    text = dbsafe("migrate", "status", "--migrations", str(root), url=database_url)
    assert text.returncode == 2
    assert "002_audit" in text.stdout + text.stderr

    refused = dbsafe("migrate", "deploy", "--migrations", str(root), url=database_url)
    assert refused.returncode == 2, refused.stderr
    assert "002_audit" in refused.stderr
    assert "dbsafe migrate resolve --rolled-back 002_audit" in refused.stderr
    assert psql(database_url, "SELECT to_regclass('public.audit') IS NULL;").strip() == "t"

    resolved = dbsafe("migrate", "resolve", "--rolled-back", "002_audit", "--migrations",
                      str(root), url=database_url)
    assert resolved.returncode == 0, resolved.stderr
    (root / "002_audit" / "migration.sql").write_text(FIXED)

    # Both runners proceed: Prisma no longer reports a failure, dbsafe applies it. (Prisma
    # 6.19.3's status even calls the history "up to date" while the migration's only row is
    # rolled back, the same after a by-hand `SET rolled_back_at`; its deploy would apply
    # it. dbsafe says pending.)
    status = prisma(root, database_url, "migrate", "status")
    assert status.returncode == 0, status.output
    assert "have failed" not in status.output, status.output
    proc, report = dbsafe_json("migrate", "status", "--migrations", str(root), url=database_url)
    assert proc.returncode == 1, proc.stderr
    assert {m["name"]: m["state"] for m in report["migrations"]}["002_audit"] == "pending"
    deployed = dbsafe("migrate", "deploy", "--migrations", str(root), url=database_url)
    assert deployed.returncode == 0, deployed.stderr
    status = prisma(root, database_url, "migrate", "status")
    assert status.returncode == 0, status.output
    assert "Database schema is up to date!" in status.output


# ---------------------------------------------------------------------------
# (c) A Prisma deploy beside a dbsafe deploy: one waits for the other's lock.

SLOW_NAMES = [f"{i:03d}_step" for i in range(1, 9)]


def slow_set(root: Path) -> Path:
    migrations = {}
    for i, name in enumerate(SLOW_NAMES):
        sql = ""
        if i == 0:
            sql += ("CREATE TABLE applied_order (seq bigserial PRIMARY KEY, migration text NOT NULL,\n"
                    "  backend int NOT NULL DEFAULT pg_backend_pid());\n")
        sql += f"SELECT pg_sleep(0.3);\nINSERT INTO applied_order (migration) VALUES ('{name}');\n"
        migrations[name] = sql
    return write_migrations(root, migrations)


def assert_applied_once_in_order(psql, url, names):
    order = psql(url, "SELECT migration FROM applied_order ORDER BY seq;").split()
    assert order == names
    rows = history(psql, url)
    assert [r[0] for r in rows] == names
    assert all(r[2] == "t" and r[3] == "f" for r in rows), rows


@requires_prisma
@pytest.mark.parametrize("start", ["both-at-once", "prisma-first"])
def test_prisma_and_dbsafe_deploys_never_interleave(start, database_url, psql, tmp_path):
    root = slow_set(tmp_path / "m")
    dbsafe_cmd = [str(CLI), "migrate", "deploy", "--format", "json", "--migrations", str(root),
                  "--database-url", database_url]
    watcher = LockWatcher(database_url)
    watcher.start()
    try:
        if start == "prisma-first":
            p = subprocess.Popen(prisma_cmd(root, database_url, "migrate", "deploy"),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 env=clean_env())
            wait_for_lock_holder(database_url)
            d = subprocess.Popen(dbsafe_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=clean_env())
        else:
            d = subprocess.Popen(dbsafe_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=clean_env())
            p = subprocess.Popen(prisma_cmd(root, database_url, "migrate", "deploy"),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 env=clean_env())
        d_out, d_err = d.communicate(timeout=120)
        p_out, _ = p.communicate(timeout=120)
    finally:
        watcher.stop.set()
        watcher.join()
    assert d.returncode == 0, d_err
    assert p.returncode == 0, p_out
    assert_applied_once_in_order(psql, database_url, SLOW_NAMES)

    applied_by_dbsafe = [a["name"] for a in json.loads(d_out)["applied"]]
    prisma_applied_nothing = "No pending migrations to apply." in p_out
    if start == "prisma-first":
        # Prisma held the lock from before dbsafe started: dbsafe waited, then found nothing.
        # (dbsafe polls with pg_try_advisory_lock, so its wait shows in its log, not in pg_locks.)
        assert applied_by_dbsafe == []
        assert "waiting for the migration lock" in d_err, d_err
    else:
        # Whoever came second found nothing left; nobody applied a part of the set.
        assert applied_by_dbsafe in ([], SLOW_NAMES), applied_by_dbsafe
        assert prisma_applied_nothing == (applied_by_dbsafe == SLOW_NAMES), p_out


# ---------------------------------------------------------------------------
# (d) PgBouncer in transaction mode.


def test_deploy_through_a_transaction_pooler_is_refused_status_works_and_direct_url_deploys(
        pgbouncer_url, database_url, database_url_for, psql):
    pooled = database_url_for(pgbouncer_url, urlsplit(database_url).path.lstrip("/"))
    # The pooler really pools by transaction: it is not the same server session.
    assert psql(pooled, "SELECT current_database();").strip() == urlsplit(database_url).path[1:]

    refused = dbsafe("migrate", "deploy", "--migrations", str(PRISMA_APP), url=pooled)
    assert refused.returncode != 0, refused.stdout
    message = refused.stderr.lower()
    assert "pooler" in message and "direct_url" in message, refused.stderr
    assert psql(database_url, "SELECT to_regclass('public._prisma_migrations') IS NULL "
                              "AND to_regclass('public.\"User\"') IS NULL;").strip() == "t"

    status = dbsafe("migrate", "status", "--migrations", str(PRISMA_APP), url=pooled)
    assert status.returncode == 1, status.stdout + status.stderr
    assert "20240101000000_init" in status.stdout

    # Prisma's convention: DATABASE_URL is the pooler, DIRECT_URL the server itself.
    env = clean_env(DATABASE_URL=pooled, DIRECT_URL=database_url)
    deployed = dbsafe("migrate", "deploy", "--migrations", str(PRISMA_APP), env=env)
    assert deployed.returncode == 0, deployed.stderr
    status = dbsafe("migrate", "status", "--migrations", str(PRISMA_APP), url=pooled)
    assert status.returncode == 0, status.stdout + status.stderr
    assert len(history(psql, database_url)) == 3


# ---------------------------------------------------------------------------
# (e) Eight dbsafe deploys at once.

CONCURRENT_NAMES = [f"{i:03d}_logged" for i in range(1, 7)]


def test_eight_concurrent_deploys_apply_each_migration_once(database_url, psql, tmp_path):
    migrations = {}
    for i, name in enumerate(CONCURRENT_NAMES):
        sql = ("CREATE TABLE deploy_log (seq bigserial PRIMARY KEY, migration text NOT NULL);\n"
               if i == 0 else "")
        sql += f"SELECT pg_sleep(0.1);\nINSERT INTO deploy_log (migration) VALUES ('{name}');\n"
        migrations[name] = sql
    root = write_migrations(tmp_path / "m", migrations)
    cmd = [str(CLI), "migrate", "deploy", "--format", "json", "--migrations", str(root),
           "--database-url", database_url]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=clean_env()) for _ in range(8)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    applied = [[a["name"] for a in json.loads(out)["applied"]] for out, _ in outputs]
    # The lock is held for the whole run: one process applied the set, the seven others
    # waited and then found nothing pending.
    assert sorted(applied, key=len) == [[]] * 7 + [CONCURRENT_NAMES], applied
    assert psql(database_url, "SELECT migration FROM deploy_log ORDER BY seq;").split() == \
        CONCURRENT_NAMES
    assert psql(database_url, "SELECT count(*), count(DISTINCT migration_name), count(finished_at) "
                              "FROM _prisma_migrations;").strip() == "6|6|6"


# ---------------------------------------------------------------------------
# (f) SIGKILL at random points.

CRASH_TRIALS = int(os.environ.get("DBSAFE_CRASH_TRIALS", "50"))


def test_killed_deploys_leave_a_described_state_and_recover(pg_server_url):
    seed = os.environ.get("DBSAFE_CRASH_SEED")
    log = []
    trials = crash_trials.CrashTrials(pg_server_url, cli=CLI, seed=int(seed) if seed else None,
                                      log=log.append)
    started = time.monotonic()
    try:
        results = trials.run(CRASH_TRIALS)
    finally:
        trials.close()
    report = crash_trials.summary(results, time.monotonic() - started)
    print(report)
    failed = [r for r in results if not r.ok]
    assert len(results) == CRASH_TRIALS
    assert not failed, (f"{len(failed)} of {len(results)} crash trials failed "
                        f"(seed {trials.seed}; rerun with DBSAFE_CRASH_SEED={trials.seed}):\n"
                        + "\n".join(log) + "\n" + report)
    # The kills landed: most trials were killed mid-deploy, not after it.
    assert sum(r.killed for r in results) >= CRASH_TRIALS // 2, report
