"""Crash trials for ``dbsafe migrate deploy``: SIGKILL the deploying process at
random points, then check that the database is what its history says and that
the runner recovers.

Shared by ``tests/python/test_migrate_interop.py`` (50 trials in the test
command) and ``scripts/soak-kill`` (1,000 by default). Run directly:

    python3 tests/interop/crash_trials.py --server-url URL [--trials N] [--seed S]
        [--mode safe|prisma] [--cli build/dbsafe] [--keep-failed] [--time-budget SECONDS]

URL is a server where the user may CREATE DATABASE (each trial gets its own
database, dropped afterwards). Exit status: 0 every trial passed, 1 a trial
failed (its report is printed), 3 usage.

One trial:

1. a fresh database; ``dbsafe migrate deploy`` of the crash set (eleven small
   migrations: tables, an enum, a ``$$`` function, bulk inserts and updates, a
   migration that inserts a row and then builds an index CONCURRENTLY, a
   plain concurrent index build, a foreign key, a file with its own
   BEGIN/COMMIT, a view), each leaving one row in ``effect_log`` (the index
   builds: a valid index), some sleeping a few ms so kills land inside them;
2. SIGKILL it after a random delay in [0, a clean deploy's time];
3. wait until the killed client's server session has ended (the server
   finishes or aborts what it was running), then check that the history
   describes the database: every migration ``dbsafe migrate status`` reports
   ``applied`` has its effect exactly once, every ``pending`` one has none, at
   most one is ``failed``, nothing is applied after a gap;
4. ``dbsafe migrate deploy`` again: it must exit 0, or exit 2 with a message
   that names the migration and a ``dbsafe migrate resolve`` command; then the
   command that fits the database (``--applied`` when the migration's effect is
   there, ``--rolled-back`` when none of it is) is run with the trial's
   --database-url, and the deploy repeated (up to 3 rounds);
5. each migration's effect happened exactly once, ``_prisma_migrations`` has
   one finished, not rolled back, row per migration and no unresolved
   failure, no index is invalid, and the schema outside the ``dbsafe`` schema
   (relations, columns, defaults, constraints, indexes, enums, functions,
   views) and the data equal a clean deploy's.
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------
# The migration set. Every migration records its effect in effect_log exactly
# once; the verification counts those rows.


def crash_set(mode: str = "safe") -> dict:
    """name -> SQL. ``mode='prisma'`` keeps each concurrent index build alone in
    its file (Prisma sends a file as one query, where a concurrent build with
    other statements fails)."""
    m = {}
    m["001_init"] = (
        "CREATE TABLE effect_log (id bigserial PRIMARY KEY, migration text NOT NULL,\n"
        "  at timestamptz NOT NULL DEFAULT clock_timestamp());\n"
        "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL, score int);\n"
        "INSERT INTO effect_log (migration) VALUES ('001_init');\n"
    )
    m["002_accounts"] = (
        "INSERT INTO account (id, email, score)\n"
        "  SELECT g, 'user' || g || '@example.com', g % 100 FROM generate_series(1, 5000) g;\n"
        "SELECT pg_sleep(0.01);\n"
        "INSERT INTO effect_log (migration) VALUES ('002_accounts');\n"
    )
    m["003_status_enum"] = (
        "CREATE TYPE account_status AS ENUM ('active', 'suspended', 'closed');\n"
        "ALTER TABLE account ADD COLUMN status account_status NOT NULL DEFAULT 'active';\n"
        "INSERT INTO effect_log (migration) VALUES ('003_status_enum');\n"
    )
    if mode == "prisma":
        m["004_email_index"] = "CREATE INDEX CONCURRENTLY account_email_idx ON account (email);\n"
    else:
        # Two steps in safe mode: the INSERT commits with its step record, then
        # the concurrent build runs on its own. A kill between them must not
        # run the INSERT twice.
        m["004_email_index"] = (
            "INSERT INTO effect_log (migration) VALUES ('004_email_index');\n"
            "SELECT pg_sleep(0.01);\n"
            "CREATE INDEX CONCURRENTLY account_email_idx ON account (email);\n"
        )
    m["005_score_function"] = (
        "CREATE FUNCTION score_band(s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$\n"
        "BEGIN\n"
        "  IF s >= 90 THEN RETURN 'high'; END IF;  -- a ';' inside the body\n"
        "  RETURN 'normal';\n"
        "END;\n"
        "$$;\n"
        "INSERT INTO effect_log (migration) VALUES ('005_score_function');\n"
    )
    m["006_band_column"] = (
        "ALTER TABLE account ADD COLUMN band text;\n"
        "UPDATE account SET band = score_band(score);\n"
        "SELECT pg_sleep(0.01);\n"
        "INSERT INTO effect_log (migration) VALUES ('006_band_column');\n"
    )
    m["007_orders"] = (
        "CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint NOT NULL,\n"
        "  total numeric(12,2) NOT NULL, note text DEFAULT 'a;b');\n"
        "INSERT INTO orders (account_id, total) SELECT g, g * 1.5 FROM generate_series(1, 5000) g;\n"
        "INSERT INTO effect_log (migration) VALUES ('007_orders');\n"
    )
    m["008_orders_index"] = "CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id);\n"
    m["009_orders_fk"] = (
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id)\n"
        "  REFERENCES account (id);\n"
        "SELECT pg_sleep(0.01);\n"
        "INSERT INTO effect_log (migration) VALUES ('009_orders_fk');\n"
    )
    # Its own transaction control: sent as one step that dbsafe cannot see into,
    # so a kill while it runs needs a person (exit 2 and a resolve command).
    m["009a_self_managed"] = (
        "BEGIN;\n"
        "UPDATE account SET band = 'vip' WHERE id <= 10;\n"
        "SELECT pg_sleep(0.03);\n"
        "INSERT INTO effect_log (migration) VALUES ('009a_self_managed');\n"
        "COMMIT;\n"
    )
    m["010_summary_view"] = (
        "CREATE VIEW account_summary AS\n"
        "  SELECT band, count(*) AS accounts FROM account GROUP BY band;\n"
        "UPDATE account SET score = score + 1 WHERE id % 2 = 0;\n"
        "INSERT INTO effect_log (migration) VALUES ('010_summary_view');\n"
    )
    return m


def index_effects(mode: str = "safe") -> dict:
    """Migrations whose effect is a valid index rather than an effect_log row."""
    effects = {"008_orders_index": "orders_account_idx"}
    if mode == "prisma":
        effects["004_email_index"] = "account_email_idx"
    return effects


def write_set(root: Path, migrations: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, sql in migrations.items():
        (root / name).mkdir(exist_ok=True)
        (root / name / "migration.sql").write_text(sql)
    return root


# ---------------------------------------------------------------------------
# PostgreSQL helpers (psql and pg_dump clients only).


@functools.lru_cache(maxsize=None)
def pg_bindir():
    env = os.environ.get("PG_BINDIR")
    if env:
        return env
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and os.access(os.path.join(out, "pg_dump"), os.X_OK):
            return out
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: [int(p) if p.isdigit() else 0 for p in d.split("/")[-2].split(".")])
    return dirs[-1] if dirs else None


@functools.lru_cache(maxsize=None)
def client(name):
    bindir = pg_bindir()
    if bindir and os.access(os.path.join(bindir, name), os.X_OK):
        return os.path.join(bindir, name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install postgresql-15 (or set PG_BINDIR)")
    return found


def psql(url, sql, check=True):
    proc = subprocess.run([client("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url],
                          input=sql, capture_output=True, text=True,
                          env={**os.environ, "PGAPPNAME": "dbsafe-crash-check",
                               "PGCONNECT_TIMEOUT": "30"})
    if check and proc.returncode != 0:
        raise RuntimeError(f"psql failed on {redact(url)}: {proc.stderr.strip()}\n{sql}")
    return proc.stdout


def redact(url):
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def url_for(server_url, database):
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def create_database(server_url, drop_first=None):
    """A new database (and, in the same psql call, drop ``drop_first``)."""
    name = f"dbsafe_crash_{os.getpid()}_{secrets.token_hex(4)}"
    sql = f'DROP DATABASE IF EXISTS "{drop_first}" WITH (FORCE);\n' if drop_first else ""
    psql(server_url, sql + f'CREATE DATABASE "{name}" TEMPLATE template0;')
    return name, url_for(server_url, name)


def drop_database(server_url, name):
    psql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);', check=False)


def wait_for_orphans(url, timeout=30.0):
    """Wait until no other session is connected to the database: a killed
    client's backend goes on until it notices, and holds the lock meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        n = psql(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND pid <> pg_backend_pid();").strip()
        if n == "0":
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{n} session(s) still connected {timeout:.0f} s after the kill")
        time.sleep(0.02)


# One psql call reads everything a check needs; each line is tagged.
INSPECT_SQL = r"""
SELECT to_regclass('public.effect_log') IS NOT NULL AS have_log,
       to_regclass('public._prisma_migrations') IS NOT NULL AS have_history \gset
\if :have_log
SELECT 'E|' || migration || '|' || count(*) FROM effect_log GROUP BY migration;
\endif
\if :have_history
SELECT 'H|' || migration_name || '|' || (finished_at IS NOT NULL) || '|' || (rolled_back_at IS NOT NULL)
  FROM _prisma_migrations ORDER BY started_at, migration_name;
\endif
SELECT 'X|' || c.relname || '|' || count(*) FILTER (WHERE i.indisvalid)
  FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
  WHERE c.relnamespace = 'public'::regnamespace GROUP BY c.relname;
SELECT 'I|' || indexrelid::regclass FROM pg_index WHERE NOT indisvalid;
"""

# The schema, outside dbsafe's own schema, as sorted lines (cheaper than pg_dump
# -s per trial, and it covers every kind of object the crash set creates).
FINGERPRINT_SQL = r"""
SELECT 'S|nsp|' || nspname FROM pg_namespace
  WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('information_schema', 'dbsafe') ORDER BY 1;
SELECT 'S|rel|' || relname || '|' || relkind::text FROM pg_class
  WHERE relnamespace = 'public'::regnamespace ORDER BY 1;
SELECT 'S|col|' || c.relname || '|' || a.attnum || '|' || a.attname || '|'
       || format_type(a.atttypid, a.atttypmod) || '|' || a.attnotnull || '|'
       || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1;
SELECT 'S|con|' || conrelid::regclass || '|' || conname || '|' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1;
SELECT 'S|idx|' || pg_get_indexdef(indexrelid) || '|' || indisvalid
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1;
SELECT 'S|enum|' || t.typname || '|' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
  WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname ORDER BY 1;
SELECT 'S|fn|' || p.proname || '|' || md5(pg_get_functiondef(p.oid)) FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1;
SELECT 'S|view|' || c.relname || '|' || md5(pg_get_viewdef(c.oid)) FROM pg_class c
  WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace ORDER BY 1;
"""

# The crash set's data, for its final inspections.
DATA_SQL = r"""
SELECT 'S|data|account|' || count(*) || '|' || sum(score) || '|' || count(DISTINCT band)
  FROM account;
SELECT 'S|data|orders|' || count(*) || '|' || sum(total) FROM orders;
"""


def schema_fingerprint(url):
    """The schema outside dbsafe's own, as sorted lines (any database)."""
    return [line[2:] for line in psql(url, FINGERPRINT_SQL).splitlines() if line.startswith("S|")]


@dataclass
class Inspection:
    effects: dict
    history: list          # (name, finished, rolled back) in start order
    invalid_indexes: list
    schema: list           # fingerprint lines (final inspections only)


def inspect(url, names, final=False, mode="safe"):
    out = psql(url, INSPECT_SQL + (FINGERPRINT_SQL + DATA_SQL if final else ""))
    effects = {n: 0 for n in names}
    by_index = {index: name for name, index in index_effects(mode).items()}
    history, invalid, schema = [], [], []
    for line in out.splitlines():
        tag, _, rest = line.partition("|")
        if tag == "E":
            name, n = rest.rsplit("|", 1)
            effects[name] = int(n)
        elif tag == "X":
            index, n = rest.rsplit("|", 1)
            if by_index.get(index) in effects:
                effects[by_index[index]] = int(n)
        elif tag == "H":
            name, fin, rb = rest.rsplit("|", 2)
            history.append((name, fin == "true", rb == "true"))
        elif tag == "I":
            invalid.append(rest)
        elif tag == "S":
            schema.append(rest)
    return Inspection(effects, history, invalid, schema)


# ---------------------------------------------------------------------------
# Running the CLI.


def cli_env():
    env = dict(os.environ)
    for var in ("DATABASE_URL", "DIRECT_URL"):
        env.pop(var, None)
    return env


def run_cli(cli, *args, timeout=120):
    return subprocess.run([str(cli), *args], capture_output=True, text=True, env=cli_env(),
                          timeout=timeout)


RESOLVE_RE = re.compile(r"`(dbsafe migrate resolve [^`]+)`")


@dataclass
class TrialResult:
    trial: int
    delay_s: float
    killed: bool
    after_kill: dict = field(default_factory=dict)  # state per migration after the kill
    rounds: list = field(default_factory=list)       # (exit code, resolve command or None)
    ok: bool = True
    problems: list = field(default_factory=list)
    database: str = ""

    def outcome(self):
        if not self.killed:
            return "finished before the kill"
        codes = [c for c, _ in self.rounds]
        if codes and codes[0] == 0:
            return "next deploy completed"
        if codes and codes[0] == 2:
            return "next deploy named a resolve command"
        return f"next deploy exited {codes[0] if codes else '?'}"


class CrashTrials:
    def __init__(self, server_url, cli=None, mode="safe", seed=None, workdir=None, log=None):
        self.server_url = server_url
        self.cli = Path(cli or os.environ.get("DBSAFE_CLI") or REPO_ROOT / "build" / "dbsafe")
        if not self.cli.is_file():
            raise RuntimeError(f"{self.cli} does not exist: build it with "
                               "'cmake --build build --target dbsafe_cli -j2' or set DBSAFE_CLI")
        self.mode = mode
        self.seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")
        self.rng = random.Random(self.seed)
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.mkdtemp(prefix="dbsafe-crash-")
            workdir = self._tmp
        self.migrations = crash_set(mode)
        # Prisma's (and dbsafe's) order: names sorted byte-wise.
        self.names = sorted(self.migrations, key=lambda n: n.encode())
        self.root = write_set(Path(workdir) / "migrations", self.migrations)
        self.log = log or (lambda msg: None)
        self.reference_schema = None
        self.clean_deploy_s = None
        self._to_drop = None  # dropped with the next CREATE DATABASE (one psql call)

    def close(self):
        if self._to_drop:
            drop_database(self.server_url, self._to_drop)
            self._to_drop = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _new_database(self):
        name, url = create_database(self.server_url, drop_first=self._to_drop)
        self._to_drop = None
        return name, url

    def deploy_args(self, url):
        return ["migrate", "deploy", "--migrations", str(self.root), "--database-url", url,
                "--mode", self.mode, "--advisory-lock-timeout-ms", "30000"]

    def reference(self):
        """Two clean deploys: the schema to compare with, and the time span the
        kills are drawn from (the mean of the two)."""
        times = []
        for _ in range(2):
            name, url = self._new_database()
            self._to_drop = name
            t0 = time.monotonic()
            proc = run_cli(self.cli, *self.deploy_args(url))
            times.append(time.monotonic() - t0)
            if proc.returncode != 0:
                raise RuntimeError(f"a clean deploy of the crash set failed (exit {proc.returncode}):\n"
                                   f"{proc.stderr}")
            seen = inspect(url, self.names, final=True, mode=self.mode)
            if any(v != 1 for v in seen.effects.values()):
                raise RuntimeError(f"a clean deploy did not apply each migration once: {seen.effects}")
            self.reference_schema = seen.schema
        self.clean_deploy_s = sum(times) / len(times)
        return self.clean_deploy_s

    # -- one trial ----------------------------------------------------------

    def trial(self, index, keep_failed=False):
        if self.reference_schema is None:
            self.reference()
        delay = self.rng.uniform(0.0, self.clean_deploy_s)
        name, url = self._new_database()
        res = TrialResult(trial=index, delay_s=delay, killed=False, database=name)
        try:
            self._run_trial(res, url, delay)
        except Exception as exc:  # noqa: BLE001 - reported as the trial's problem
            res.ok = False
            res.problems.append(f"{type(exc).__name__}: {exc}")
        if res.ok or not keep_failed:
            self._to_drop = name
        return res

    def _run_trial(self, res, url, delay):
        proc = subprocess.Popen([str(self.cli), *self.deploy_args(url)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=cli_env())
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            res.killed = True
        stderr = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if not res.killed and proc.returncode != 0:
            res.ok = False
            res.problems.append(f"the deploy exited {proc.returncode} before the kill:\n{stderr}")
            return
        wait_for_orphans(url)
        self._check_history_describes_database(res, url)
        if not res.ok:
            return

        for _ in range(3):
            done = run_cli(self.cli, *self.deploy_args(url))
            if done.returncode == 0:
                res.rounds.append((0, None))
                break
            if done.returncode != 2:
                res.ok = False
                res.problems.append(f"the deploy after the kill exited {done.returncode} "
                                    f"(expected 0, or 2 with a resolve command):\n{done.stderr}")
                return
            commands = RESOLVE_RE.findall(done.stderr)
            named = [n for n in self.names if n in done.stderr]
            if not commands or not named:
                res.ok = False
                res.problems.append("the deploy after the kill exited 2 without naming the migration "
                                    f"and a `dbsafe migrate resolve` command:\n{done.stderr}")
                return
            command = self._choose(commands, url, res)
            if command is None:
                return
            res.rounds.append((2, command))
            words = shlex.split(command)
            resolve = run_cli(self.cli, *words[1:], "--database-url", url)
            if resolve.returncode != 0:
                res.ok = False
                res.problems.append(f"the printed command `{command}` failed (exit "
                                    f"{resolve.returncode}):\n{resolve.stderr}")
                return
        else:
            res.ok = False
            res.problems.append(f"still not deployed after 3 rounds: {res.rounds}")
            return
        self._check_final(res, url)

    def _choose(self, commands, url, res):
        """The printed command that fits the database: with one command, that
        one; with --applied and --rolled-back alternatives, --applied when the
        migration's effect is in the database and --rolled-back when none of
        it is (a partial effect fits neither: the trial fails)."""
        commands = list(dict.fromkeys(commands))
        if len(commands) == 1:
            return commands[0]
        counts = inspect(url, self.names, mode=self.mode).effects
        for command in commands:
            words = shlex.split(command)
            for flag in ("--applied", "--rolled-back"):
                if flag in words:
                    name = words[words.index(flag) + 1]
                    if name not in counts:
                        continue
                    if (flag == "--applied") == (counts[name] == 1):
                        return command
        res.ok = False
        res.problems.append(f"none of the printed commands {commands} fits the database "
                            f"(effects: {counts})")
        return None

    def _status(self, url):
        proc = run_cli(self.cli, "migrate", "status", "--format", "json", "--migrations",
                       str(self.root), "--database-url", url)
        if proc.returncode not in (0, 1, 2):
            raise RuntimeError(f"dbsafe migrate status exited {proc.returncode}:\n{proc.stderr}")
        return json.loads(proc.stdout)

    def _check_history_describes_database(self, res, url):
        report = self._status(url)
        states = {m["name"]: m["state"] for m in report["migrations"]}
        res.after_kill = states
        counts = inspect(url, self.names, mode=self.mode).effects
        failed = [n for n, s in states.items() if s == "failed"]
        if len(failed) > 1:
            res.problems.append(f"more than one migration is recorded as failed: {failed}")
        for n in self.names:
            state = states.get(n)
            if state == "applied" and counts[n] != 1:
                res.problems.append(f"{n} is recorded as applied but its effect happened {counts[n]} times")
            elif state == "pending" and counts[n] != 0:
                res.problems.append(f"{n} is pending but its effect happened {counts[n]} times "
                                    "(the database holds something its history does not describe)")
            elif state == "failed" and counts[n] > 1:
                res.problems.append(f"{n} is recorded as failed and its effect happened {counts[n]} times")
            elif state not in ("applied", "pending", "failed"):
                res.problems.append(f"{n} is in state {state!r} after a kill")
        # Nothing is applied after a migration that is not.
        gap = None
        for n in self.names:
            if states.get(n) != "applied":
                gap = gap or n
            elif gap:
                res.problems.append(f"{n} is applied although {gap} before it is not: {states}")
        if res.problems:
            res.ok = False

    def _check_final(self, res, url):
        seen = inspect(url, self.names, final=True, mode=self.mode)
        wrong = {n: c for n, c in seen.effects.items() if c != 1}
        if wrong:
            res.problems.append(f"effects that did not happen exactly once: {wrong}")
        finished = [n for n, f, r in seen.history if f and not r]
        unresolved = [n for n, f, r in seen.history if not f and not r]
        if sorted(finished) != sorted(self.names):
            res.problems.append(f"_prisma_migrations' finished rows are {finished}, expected one per migration")
        if unresolved:
            res.problems.append(f"_prisma_migrations still records unresolved failures: {unresolved}")
        if seen.invalid_indexes:
            res.problems.append(f"invalid indexes left behind: {seen.invalid_indexes}")
        if seen.schema != self.reference_schema:
            import difflib
            diff = "\n".join(difflib.unified_diff(self.reference_schema, seen.schema,
                                                  "clean deploy", "after the kill", lineterm="", n=1))
            res.problems.append(f"the schema differs from a clean deploy's:\n{diff}")
        if res.problems:
            res.ok = False

    # -- many trials ---------------------------------------------------------

    def run(self, trials, time_budget=None, keep_failed=False, progress_every=0):
        """Runs up to ``trials`` trials (fewer when ``time_budget`` seconds are
        spent; the reference deploys count); returns the TrialResults."""
        start = time.monotonic()
        self.reference()
        self.log(f"crash set: {len(self.names)} migrations in {self.root} ({self.mode} mode); "
                 f"a clean deploy takes {self.clean_deploy_s * 1000:.0f} ms; kills drawn from "
                 f"[0, {self.clean_deploy_s * 1000:.0f} ms]; seed {self.seed}")
        results = []
        for i in range(1, trials + 1):
            if time_budget is not None and time.monotonic() - start > time_budget:
                self.log(f"time budget of {time_budget:.0f} s spent after {i - 1} trials")
                break
            r = self.trial(i, keep_failed=keep_failed)
            results.append(r)
            if not r.ok:
                self.log(f"trial {i} FAILED (kill after {r.delay_s * 1000:.0f} ms"
                         f"{', database kept: ' + r.database if keep_failed else ''}):\n  "
                         + "\n  ".join(r.problems))
            elif progress_every and i % progress_every == 0:
                self.log(f"{i}/{trials} trials, {sum(not x.ok for x in results)} failed, "
                         f"{time.monotonic() - start:.0f} s")
        return results


def summary(results, elapsed_s=None):
    from collections import Counter
    outcomes = Counter(r.outcome() for r in results)
    failed = [r for r in results if not r.ok]
    resolve_cmds = Counter(" ".join(shlex.split(cmd)[2:5]) for r in results for _, cmd in r.rounds if cmd)
    states = Counter()
    for r in results:
        if r.killed:
            failed_names = [n for n, s in r.after_kill.items() if s == "failed"]
            applied = sum(1 for s in r.after_kill.values() if s == "applied")
            states[f"{applied} applied" + (f", {failed_names[0]} failed" if failed_names else "")] += 1
    lines = [f"{len(results)} trials, {len(results) - len(failed)} passed, {len(failed)} failed"
             + (f" in {elapsed_s:.1f} s" if elapsed_s is not None else "")]
    for k, v in sorted(outcomes.items()):
        lines.append(f"  {v:5d}  {k}")
    if resolve_cmds:
        lines.append("  resolve commands printed:")
        for k, v in sorted(resolve_cmds.items()):
            lines.append(f"  {v:5d}  {k}")
    if states:
        lines.append("  state of the history right after the kill:")
        for k, v in sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))[:15]:
            lines.append(f"  {v:5d}  {k}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server-url", required=True, help="a server where the user may CREATE DATABASE")
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--mode", choices=["safe", "prisma"], default="safe")
    ap.add_argument("--cli", help="the dbsafe binary (default $DBSAFE_CLI, else build/dbsafe)")
    ap.add_argument("--time-budget", type=float, help="stop starting trials after this many seconds")
    ap.add_argument("--keep-failed", action="store_true", help="keep the database of a failed trial")
    ap.add_argument("--progress-every", type=int, default=50)
    args = ap.parse_args(argv)
    if args.trials < 1:
        ap.error("--trials must be at least 1")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.monotonic()
    trials = CrashTrials(args.server_url, cli=args.cli, mode=args.mode, seed=args.seed, log=log)
    try:
        results = trials.run(args.trials, time_budget=args.time_budget, keep_failed=args.keep_failed,
                             progress_every=args.progress_every)
    finally:
        trials.close()
    print(summary(results, time.monotonic() - t0))
    print(f"seed {trials.seed} (rerun with --seed {trials.seed})")
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
