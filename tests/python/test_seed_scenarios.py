"""Each seed document (../shared/seeds/000-004) as an end-to-end scenario: the
team's own steps, done with the ``dbsafe`` command line the way their npm
scripts, runbooks and GitHub workflows would call it, against real databases.

* Seeds 000 and 002 run against the Neon API v2 test server
  (tests/neon-server), started once for this module on its own archiving
  cluster, so snapshots, branches and point-in-time restores are real.
* Seeds 001, 003 and 004 run on the suite's PostgreSQL server (the
  ``database_url`` fixtures) with the local provider; seed 003 adds a
  PgBouncer in transaction mode and seed 004 a local webhook receiver.

Every test cleans up what it made: the Neon server is reset after each
scenario and stopped at the end, local snapshots and branches are deleted, the
databases dropped. The command line is ``$DBSAFE_CLI`` or ``<repo>/build/dbsafe``.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("DBSAFE_CLI") or REPO / "build" / "dbsafe")

# Variables a developer's shell or a CI runner may hold that would change
# what dbsafe does; each scenario sets the ones its team sets.
DEPLOY_REPORT = jsonschema.Draft202012Validator(
    json.loads((REPO / "docs/schema/deploy-report.v1.json").read_text()))

_AMBIENT = re.compile(r"^(DATABASE_URL|DIRECT_URL|DBSAFE_.*|GITHUB_.*|NEON_.*|VERCEL.*|PG.*)$")


@pytest.fixture(scope="module", autouse=True)
def dbsafe_cli():
    assert CLI.is_file(), (f"{CLI} does not exist: build it with 'cmake --build build --target "
                           "dbsafe_cli' or point DBSAFE_CLI at the dbsafe binary")
    return CLI


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)

    @property
    def report(self):
        """The deploy or restore report (--format json), checked against its schema."""
        document = self.json
        DEPLOY_REPORT.validate(document)
        return document

    @property
    def text(self):
        return self.out + self.err


class Project:
    """A team's repository: prisma/migrations, dbsafe.toml, and the environment
    its scripts run dbsafe with."""

    def __init__(self, root: Path, **env: str):
        self.root = root
        self.migrations = root / "prisma" / "migrations"
        self.migrations.mkdir(parents=True)
        (self.migrations / "migration_lock.toml").write_text('provider = "postgresql"\n')
        self.env = {k: v for k, v in os.environ.items() if not _AMBIENT.match(k)}
        self.env.update(USER="ci-runner", **env)

    def migration(self, name: str, sql: str) -> None:
        (self.migrations / name).mkdir()
        (self.migrations / name / "migration.sql").write_text(sql)

    def config(self, toml: str) -> None:
        (self.root / "dbsafe.toml").write_text(toml)

    def dbsafe(self, *args: str, expect: int, **env: str) -> Run:
        """Run ``dbsafe ARGS`` in the project; assert its exit code."""
        proc = subprocess.run([str(CLI), *args], cwd=self.root, env={**self.env, **env},
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=300)
        run = Run(proc.returncode, proc.stdout, proc.stderr)
        # The command line is the test's own (a --database-url holds the
        # password): masked, so the scan judges only what dbsafe wrote.
        shown = re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1:***@", " ".join(args))
        keep_artifact("cli-output.log", f"$ dbsafe {shown}\n{run.out}{run.err}")
        assert run.code == expect, (f"dbsafe {' '.join(args)}: exit {run.code}, expected "
                                    f"{expect}\n--- stdout\n{run.out}\n--- stderr\n{run.err}")
        return run

    def audit_lines(self, path: str = ".dbsafe/audit.jsonl") -> list:
        file = self.root / path
        text = file.read_text()
        keep_artifact("audit-files.jsonl", text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def keep_artifact(name: str, text: str) -> None:
    """Appends `text` to $DBSAFE_TEST_ARTIFACTS/seed-scenarios/NAME when
    scripts/test runs us: its last step greps what dbsafe printed, audited
    and sent for the run's canary password and API key."""
    root = os.environ.get("DBSAFE_TEST_ARTIFACTS")
    if not root:
        return
    folder = Path(root) / "seed-scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "a", encoding="utf-8", errors="replace") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def audit_rows(psql, url: str) -> list:
    """dbsafe.audit of a database, oldest first, as dicts."""
    out = psql(url, "SELECT coalesce(json_agg(a ORDER BY a.started_at, a.id), '[]') "
                    "FROM dbsafe.audit a;")
    keep_artifact("audit-rows.json", out)
    return json.loads(out.strip())


def rows(psql, url: str, sql: str) -> list:
    return [line for line in psql(url, sql).splitlines() if line]


# ---------------------------------------------------------------------------
# The Neon API v2 test server, on its own archiving cluster (point in time).


class Neon:
    def __init__(self, env: dict):
        self.env = env
        self._tls = ssl.create_default_context(cafile=env["NEON_CA_FILE"])

    def admin(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.env["NEON_ADMIN_URL"] + path, data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._tls, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None

    @property
    def client_env(self) -> dict:
        """What a team exports for dbsafe to reach its Neon project."""
        return {k: self.env[k] for k in ("NEON_API_KEY", "NEON_PROJECT_ID", "NEON_API_HOST",
                                         "NEON_CA_FILE")}

    def wait_idle(self) -> None:
        """Until no operation runs (a point-in-time restore finishes in the background)."""
        deadline = time.monotonic() + 60
        while self.admin("GET", "/info").get("running_operations") and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="module")
def neon(neon_test_server):
    # The Free plan's single snapshot (seed 000's reason to rotate one backup).
    with neon_test_server("--snapshot-quota", "1", "--operation-delay-ms", "50") as env:
        yield Neon(env)


@pytest.fixture
def neon_project(neon, tmp_path):
    """A project whose production database is the Neon project's main branch;
    the server's state is reset afterwards (every branch and snapshot made)."""
    project = Project(tmp_path, **neon.client_env)
    try:
        main = project.dbsafe("branch", "url", "main", expect=0).out.strip()
        project.env["DATABASE_URL"] = main
        yield project
    finally:
        neon.wait_idle()
        neon.admin("POST", "/reset", {"state": True})


# ---------------------------------------------------------------------------
# Seed 000 (Thai): Vercel + Neon, one rotating native snapshot.

SEED_000_INIT = """\
CREATE TABLE "Reading" (id serial PRIMARY KEY, question text NOT NULL, notes text);
CREATE TABLE "LegacyCard" (id serial PRIMARY KEY, name text NOT NULL);
"""

SEED_000_DROP = """\
-- feat/xyz: the old deck goes, and so do the free-text notes
DROP TABLE "LegacyCard";
ALTER TABLE "Reading" DROP COLUMN notes;
TRUNCATE "Reading";
"""


def test_seed_000_rotating_snapshot_destructive_gate_and_one_step_restore(neon, neon_project,
                                                                          psql):
    """Seed 000 (mmv-tarots): before ``migrate deploy`` scan the migrations for
    DROP TABLE / DROP COLUMN / TRUNCATE and report the tables touched (phase 1);
    keep a single rotating native snapshot ``pre-deploy-backup`` of ``main``,
    the new one complete before the old one goes, on the Free plan's one-snapshot
    quota (phase 2, ``npm run db:snapshot-prod``); ``npm run migrate:safe
    --target=staging`` on the staging database; the production deploy on merge
    stops at the destructive gate until approved and snapshots first; and the
    one-step restore of ``pre-deploy-backup`` brings the dropped data back
    (phase 3), with every deploy and the restore in the audit trail."""
    p = neon_project
    prod = p.env["DATABASE_URL"]
    p.config('[targets.staging]\nurl_env = "STAGING_DATABASE_URL"\nprovider = "none"\n\n'
             '[targets.production]\nprovider = "neon"\nsnapshot = "rotate"\n')
    p.migration("20260101000000_init", SEED_000_INIT)
    p.dbsafe("check", expect=0)
    first = p.dbsafe("deploy", "--target", "production", "--format", "json", expect=0).report
    assert first["outcome"] == "deployed"
    assert first["snapshot"]["name"] == "pre-deploy-backup"
    psql(prod, """INSERT INTO "Reading" (question, notes) VALUES ('career?', 'the tower');
                  INSERT INTO "LegacyCard" (name) VALUES ('the fool'), ('the magician');""")
    # Staging is a Neon branch of production (its data too); it needs no snapshot.
    p.dbsafe("branch", "create", "staging", expect=0)
    staging = p.dbsafe("branch", "url", "staging", expect=0).out.strip()
    p.env["STAGING_DATABASE_URL"] = staging

    # feat/xyz adds a destructive migration. Phase 1: the scan names the
    # dangerous statements and the tables they touch, before anything runs.
    p.migration("20260109000000_drop_legacy", SEED_000_DROP)
    scan = p.dbsafe("check", "--format", "json", expect=1).json
    dangerous = {(f["rule"], obj) for f in scan["findings"] if f["level"] == "error"
                 for obj in f["objects"]}
    assert dangerous == {("drop-table", "public.LegacyCard"),
                         ("drop-column", "public.Reading.notes"),
                         ("truncate-table", "public.Reading")}, dangerous
    # The impact report of the deploy itself: only the pending migration, and
    # the tables it touches, without touching them.
    impact = p.dbsafe("deploy", "--target", "production", "--dry-run", "--format", "json",
                      expect=1).report
    assert impact["outcome"] == "dry-run"
    tables = {obj.rsplit(".", 1)[0] if obj.count(".") == 2 else obj
              for f in impact["check"]["findings"] for obj in f["objects"]}
    assert tables == {"public.LegacyCard", "public.Reading"}, tables

    # npm run migrate:safe --target=staging: the same gate, then staging only.
    p.dbsafe("deploy", "--target", "staging", expect=1)
    p.dbsafe("deploy", "--target", "staging", "--approve", expect=0)
    assert rows(psql, staging, "SELECT to_regclass('\"LegacyCard\"') IS NULL;") == ["t"]
    assert rows(psql, prod, 'SELECT count(*) FROM "LegacyCard";') == ["2"]

    # npm run db:snapshot-prod: find pre-deploy-backup, replace it, wait until complete.
    before = p.dbsafe("snapshot", "list", "--format", "json", expect=0).json["snapshots"]
    assert [s["name"] for s in before] == ["pre-deploy-backup"]
    rotated = p.dbsafe("snapshot", "rotate", "--format", "json", expect=0).json
    assert rotated["replaced"]["id"] == before[0]["id"]
    # One snapshot allowed: the data waited on a bridge branch, now gone.
    assert rotated["bridge_branch"].startswith("pre-deploy-backup-bridge-")
    after = p.dbsafe("snapshot", "list", "--format", "json", expect=0).json["snapshots"]
    assert [s["name"] for s in after] == ["pre-deploy-backup"]
    assert after[0]["id"] == rotated["snapshot"]["id"] != before[0]["id"]
    branches = {b["name"] for b in p.dbsafe("branch", "list", "--format", "json",
                                            expect=0).json["branches"]}
    assert not any(b.startswith("pre-deploy-backup-bridge-") for b in branches), branches

    # Merge: Vercel's build runs the deploy without an approval; the gate stops it
    # before the snapshot and before any SQL.
    stopped = p.dbsafe("deploy", "--target", "production", "--format", "json", expect=1).report
    assert stopped["outcome"] == "stopped"
    assert stopped["gate"]["approve_hint"] == "dbsafe deploy --target production --approve"
    assert rows(psql, prod, 'SELECT count(*) FROM "LegacyCard";') == ["2"]
    assert p.dbsafe("snapshot", "list", "--format", "json",
                    expect=0).json["snapshots"][0]["id"] == rotated["snapshot"]["id"]

    deployed = p.dbsafe("deploy", "--target", "production", "--approve", "--format", "json",
                        expect=0).report
    assert deployed["outcome"] == "deployed"
    assert deployed["applied"] == ["20260109000000_drop_legacy"]
    backup = deployed["snapshot"]
    assert backup["name"] == "pre-deploy-backup" and backup["id"] != rotated["snapshot"]["id"]
    assert rows(psql, prod, "SELECT to_regclass('\"LegacyCard\"') IS NULL;") == ["t"]

    # Phase 3, one-step restore. Without the target's name nothing is touched.
    p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup", expect=3)
    assert rows(psql, prod, "SELECT to_regclass('\"LegacyCard\"') IS NULL;") == ["t"]
    # On the Free plan the restore's own safety snapshot (pre-restore-...) does not
    # fit beside pre-deploy-backup: the branch Neon's restore replaces is kept
    # under that name instead, and the restore goes ahead.
    restored = p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup",
                        "--confirm", "production", "--format", "json", expect=0).report
    assert restored["restore"]["safety_snapshot"] is None
    kept = [w for w in restored["warnings"] if "snapshot quota is full" in w]
    assert kept and "pre-restore-" in kept[0], restored["warnings"]
    assert [s["id"] for s in p.dbsafe("snapshot", "list", "--format", "json",
                                      expect=0).json["snapshots"]] == [backup["id"]]
    branches = p.dbsafe("branch", "list", "--format", "json", expect=0).json["branches"]
    assert any(b["name"].startswith("pre-restore-") for b in branches), branches
    assert restored["operation"] == "restore" and restored["outcome"] == "restored"
    # The same URL now reaches the snapshot's data: the old deck and the notes are back.
    assert rows(psql, prod, 'SELECT name FROM "LegacyCard" ORDER BY id;') == [
        "the fool", "the magician"]
    assert rows(psql, prod, 'SELECT notes FROM "Reading";') == ["the tower"]
    # ... and the drop is pending again (the next deploy goes through the gate).
    p.dbsafe("migrate", "status", expect=1)

    # The audit trail: the restore rewound dbsafe.audit to the snapshot; the rows
    # written since came back from the audit file, then the restore's own row.
    everything = p.audit_lines()
    assert [(l["target"], l["outcome"]) for l in everything if l["target"] == "staging"] == [
        ("staging", "stopped"), ("staging", "deployed")]
    lines = [line for line in everything if line["target"] == "production"]
    assert [(l["operation"], l["outcome"]) for l in lines] == [
        ("deploy", "deployed"), ("deploy", "stopped"), ("deploy", "deployed"),
        ("restore", "restored")], lines
    audit = audit_rows(psql, prod)
    assert [(a["operation"], a["outcome"]) for a in audit] == [
        (l["operation"], l["outcome"]) for l in lines]
    assert {a["id"] for a in audit} == {l["id"] for l in lines}
    assert audit[2]["snapshot_id"] == backup["id"]
    assert audit[2]["migrations_applied"] == ["20260109000000_drop_legacy"]


# ---------------------------------------------------------------------------
# Seed 002 (French): from db push to versioned migrations, Neon branches, PITR.

SEED_002_DB_PUSH = """\
CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE moments (
  id serial PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id),
  title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moments_user_id_idx ON moments (user_id);
INSERT INTO users VALUES ('u1', 'camille@example.fr');
INSERT INTO moments (user_id, title) VALUES ('u1', 'premier moment'), ('u1', 'deuxième moment');
"""

SEED_002_CHECK = """\
-- the 200-character title limit, enforced by the database and not only by the form
ALTER TABLE moments ADD CONSTRAINT moments_title_length CHECK (char_length(title) <= 200);
"""


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def about_days_from_now(text: str, days: int) -> bool:
    expected = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return abs(parse_time(text) - expected) < datetime.timedelta(minutes=10)


def test_seed_002_baseline_dated_branch_forward_only_deploy_and_point_in_time_restore(
        neon, neon_project, psql):
    """Seed 002: a production database built with ``prisma db push`` gets a
    ``0001_baseline`` migration from its current schema, recorded as applied
    without running (étape 1); ``pnpm db:snapshot`` makes a Neon branch
    ``pre-migration-YYYYMMDD-HHMM`` of production kept 7 days; ``pnpm
    db:migrate:status`` shows what is pending; ``pnpm db:migrate:prod`` applies
    it forward-only, non-interactive and idempotent, with the deploy's own
    dated 7-day snapshot; the title's 200-character limit becomes a CHECK
    constraint; and a point-in-time restore to the second brings back rows an
    application bug deleted after that second."""
    p = neon_project
    prod = p.env["DATABASE_URL"]
    # Paid plans keep several snapshots: the deploy's and the restore's safety one.
    neon.admin("POST", "/config", {"snapshot_quota": 10})
    try:
        psql(prod, SEED_002_DB_PUSH)
        p.config('[targets.production]\nprovider = "neon"\nsnapshot = "timestamped"\n'
                 'snapshot_expiry_days = 7\n')

        # Étape 1: the baseline, written from the live schema and marked applied.
        p.dbsafe("migrate", "baseline", "--from-url", prod, "--name", "0001_baseline", expect=0)
        baseline = (p.migrations / "0001_baseline" / "migration.sql").read_text()
        assert 'CREATE TABLE "public"."moments"' in baseline, baseline
        assert "REFERENCES" in baseline and "moments_user_id_idx" in baseline
        assert rows(psql, prod, "SELECT migration_name, finished_at IS NOT NULL, "
                                "applied_steps_count FROM _prisma_migrations;") == [
            "0001_baseline|t|0"]
        p.dbsafe("migrate", "status", expect=0)
        p.dbsafe("drift", expect=0)  # the baseline is exactly what production holds

        # pnpm db:snapshot: a dated branch of production, deleted after 7 days.
        name = "pre-migration-" + datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y%m%d-%H%M")
        p.dbsafe("branch", "create", name, "--expires-in", "7d", expect=0)
        branch = next(b for b in p.dbsafe("branch", "list", "--format", "json",
                                          expect=0).json["branches"] if b["name"] == name)
        assert about_days_from_now(branch["expires_at"], 7), branch
        branch_url = p.dbsafe("branch", "url", name, expect=0).out.strip()
        assert rows(psql, branch_url, "SELECT count(*) FROM moments;") == ["2"]

        # A new migration; status says it is pending (exit 1), nothing runs.
        p.migration("0002_moment_title_length", SEED_002_CHECK)
        status = p.dbsafe("migrate", "status", "--format", "json", expect=1).json
        assert [m["name"] for m in status["migrations"] if m["state"] == "pending"] == [
            "0002_moment_title_length"]

        # pnpm db:migrate:prod: forward-only, with a dated snapshot first.
        deployed = p.dbsafe("deploy", "--target", "production", "--format", "json",
                            expect=0).report
        assert deployed["applied"] == ["0002_moment_title_length"]
        snap = deployed["snapshot"]
        assert re.fullmatch(r"pre-migration-\d{8}-\d{4}", snap["name"]), snap
        assert about_days_from_now(snap["expires_at"], 7), snap
        assert snap["id"] in {s["id"] for s in p.dbsafe("snapshot", "list", "--format", "json",
                                                        expect=0).json["snapshots"]}
        # Idempotent: nothing pending, nothing applied, no second snapshot.
        again = p.dbsafe("deploy", "--target", "production", "--format", "json",
                         expect=0).report
        assert again["outcome"] == "up-to-date"
        assert again["applied"] == [] and again["snapshot"] is None
        p.dbsafe("migrate", "status", expect=0)
        # The limit holds for a direct call too (not only the form's maxLength).
        with pytest.raises(RuntimeError, match="moments_title_length"):
            psql(prod, "INSERT INTO moments (user_id, title) VALUES ('u1', repeat('x', 201));")
        # The branch taken before the migration still has the old schema.
        assert rows(psql, branch_url, "SELECT count(*) FROM pg_constraint "
                                      "WHERE conname = 'moments_title_length';") == ["0"]

        # A bug deletes every moment a little after a known second.
        psql(prod, "INSERT INTO moments (user_id, title) VALUES ('u1', 'après le déploiement');")
        time.sleep(1.2 - time.time() % 1)
        good = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        time.sleep(1.2)
        psql(prod, "DELETE FROM moments;")
        assert rows(psql, prod, "SELECT count(*) FROM moments;") == ["0"]

        at = good.strftime("%Y-%m-%dT%H:%M:%SZ")
        restored = p.dbsafe("restore", "--target", "production", "--from", at, "--confirm",
                            "production", "--format", "json", expect=0).report
        assert restored["outcome"] == "restored"
        assert at in restored["restore"]["from"] or good.isoformat() in restored["restore"][
            "from"], restored["restore"]
        safety = restored["restore"]["safety_snapshot"]
        assert re.fullmatch(r"pre-restore-\d{8}-\d{4}", safety["name"]), safety
        assert rows(psql, prod, "SELECT title FROM moments ORDER BY id;") == [
            "premier moment", "deuxième moment", "après le déploiement"]
        # The restored state is after the migration: the constraint is there, nothing pending.
        p.dbsafe("migrate", "status", expect=0)
        lines = p.audit_lines()
        assert [(l["operation"], l["outcome"]) for l in lines] == [
            ("deploy", "deployed"), ("deploy", "up-to-date"), ("restore", "restored")]
        assert [a["id"] for a in audit_rows(psql, prod)] == [l["id"] for l in lines]
    finally:
        neon.admin("POST", "/config", {"snapshot_quota": 1})


# ---------------------------------------------------------------------------
# The local provider: snapshots are database copies on the same server.


def remove_local_copies(project: Project, url: str) -> None:
    """Delete every snapshot and non-default branch the local provider made of ``url``."""
    where = ["--provider", "local", "--database-url", url]
    for snap in project.dbsafe("snapshot", "list", *where, "--format", "json",
                               expect=0).json["snapshots"]:
        project.dbsafe("snapshot", "delete", snap["id"], *where, "--confirm", snap["id"], expect=0)
    for branch in project.dbsafe("branch", "list", *where, "--format", "json",
                                 expect=0).json["branches"]:
        if not branch["default"]:
            project.dbsafe("branch", "delete", branch["id"], *where, "--confirm", branch["id"],
                           expect=0)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# Seed 001 (Korean): a game backend, development -> staging -> production.

SEED_001_INIT = """\
CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL, gold bigint NOT NULL DEFAULT 0);
CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE user_equipment (
  user_id bigint NOT NULL REFERENCES users (id),
  item_id bigint NOT NULL REFERENCES items (id),
  PRIMARY KEY (user_id, item_id)
);
"""

SEED_001_FORGE = """\
CREATE TABLE forge_history (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  item_id bigint NOT NULL REFERENCES items (id),
  level int NOT NULL
);
"""

# The SQLite -> PostgreSQL copy script (section 2.3 step 2 / 3.2 step 4).
SEED_001_DATA = """\
INSERT INTO users (name, gold) VALUES ('hero', 1200), ('smith', 300);
INSERT INTO items (name) VALUES ('sword'), ('shield');
INSERT INTO user_equipment VALUES (1, 1), (2, 2);
"""


def test_seed_001_staging_then_production_pg_dump_backup_and_snapshot_rollback(
        database_url, pg_server_url, temporary_database, psql, tmp_path):
    """Seed 001 (SQLite to PostgreSQL): ``migrate deploy`` on staging, the data
    copy and a smoke test there; the production checklist (a dry run, a backup
    to hand, a snapshot before the deploy) then production; a weekly
    ``pg_dump`` backup with its integrity check; a release that breaks
    production data is rolled back by restoring the pre-deploy snapshot; and
    integration tests get a database reset to that backup between runs."""
    with temporary_database(pg_server_url) as staging, \
            temporary_database(pg_server_url) as test_db:
        prod = database_url
        p = Project(tmp_path, DATABASE_URL=prod, STAGING_DATABASE_URL=staging)
        p.config('[targets.staging]\nurl_env = "STAGING_DATABASE_URL"\nprovider = "local"\n\n'
                 '[targets.production]\nprovider = "local"\napprove_on = "warning"\n')
        p.migration("20240101000000_init_schema", SEED_001_INIT)
        try:
            # Staging: status shows the pending migration, deploy, copy the data, smoke test.
            p.dbsafe("migrate", "status", "--database-url", staging, expect=1)
            p.dbsafe("deploy", "--target", "staging", expect=0)
            psql(staging, SEED_001_DATA)
            assert rows(psql, staging, "SELECT u.name || ':' || i.name FROM user_equipment e "
                                       "JOIN users u ON u.id = e.user_id JOIN items i "
                                       "ON i.id = e.item_id ORDER BY 1;") == [
                "hero:sword", "smith:shield"]

            # Production checklist: the dry run changes nothing.
            dry = p.dbsafe("deploy", "--target", "production", "--dry-run", "--format", "json",
                           expect=0).report
            assert dry["outcome"] == "dry-run" and dry["pending"] == ["20240101000000_init_schema"]
            assert rows(psql, prod, "SELECT to_regclass('_prisma_migrations') IS NULL;") == ["t"]
            first = p.dbsafe("deploy", "--target", "production", "--format", "json",
                             expect=0).report
            assert first["applied"] == ["20240101000000_init_schema"]
            psql(prod, SEED_001_DATA)

            # The weekly pg_dump, read back to its end, its hash in the manifest.
            backups = tmp_path / "backups"
            created = p.dbsafe("backup", "create", "--dir", str(backups), "--database-url", prod,
                               "--format", "json", expect=0).json
            dump = Path(created["backup"]["path"])
            manifest = json.loads(Path(str(dump) + ".manifest.json").read_text())
            assert manifest["sha256"] == sha256_of(dump) and manifest["tables"] >= 3
            p.dbsafe("backup", "verify", str(dump), expect=0)

            # The next release: staging first, then production with its snapshot.
            p.migration("20240201000000_forge_history", SEED_001_FORGE)
            p.dbsafe("deploy", "--target", "staging", expect=0)
            release = p.dbsafe("deploy", "--target", "production", "--approve", "--format",
                               "json", expect=0).report
            assert release["applied"] == ["20240201000000_forge_history"]
            assert release["snapshot"]["name"] == "pre-deploy-backup"
            # ... and its forge code wipes everyone's gold.
            psql(prod, "UPDATE users SET gold = 0; INSERT INTO forge_history "
                       "(user_id, item_id, level) VALUES (1, 1, 99);")

            # Rollback plan step 2: back to the snapshot taken before the release.
            p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup",
                     expect=3)
            assert rows(psql, prod, "SELECT sum(gold) FROM users;") == ["0"]
            back = p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup",
                            "--confirm", "production", "--format", "json", expect=0).report
            assert back["outcome"] == "restored"
            assert rows(psql, prod, "SELECT name || '=' || gold FROM users ORDER BY id;") == [
                "hero=1200", "smith=300"]
            assert rows(psql, prod, "SELECT to_regclass('forge_history') IS NULL;") == ["t"]
            # The release is pending again; the replaced data is kept, not dropped.
            status = p.dbsafe("migrate", "status", "--format", "json", expect=1).json
            assert [m["name"] for m in status["migrations"] if m["state"] == "pending"] == [
                "20240201000000_forge_history"]
            assert back["restore"]["safety_snapshot"]["name"].startswith("pre-restore-")
            audit = audit_rows(psql, prod)
            assert [(a["target"], a["operation"], a["outcome"]) for a in audit] == [
                ("production", "deploy", "deployed"), ("production", "deploy", "deployed"),
                ("production", "restore", "restored")]

            # Integration tests: the backup restored into the test database, then
            # reset to it again between runs (--clean takes a safety backup first).
            test_name = urlsplit(test_db).path.lstrip("/")
            p.dbsafe("backup", "restore", str(dump), "--database-url", test_db, "--confirm",
                     "wrong", expect=3)
            p.dbsafe("backup", "restore", str(dump), "--database-url", test_db, "--confirm",
                     test_name, "--no-owner", expect=0)
            assert rows(psql, test_db, "SELECT count(*) FROM user_equipment;") == ["2"]
            psql(test_db, "DELETE FROM user_equipment; UPDATE users SET gold = 1;")
            p.dbsafe("backup", "restore", str(dump), "--database-url", test_db, "--confirm",
                     test_name, "--no-owner", expect=2)  # not empty: refused without --clean
            p.dbsafe("backup", "restore", str(dump), "--database-url", test_db, "--confirm",
                     test_name, "--no-owner", "--clean", "--safety-dir",
                     str(tmp_path / "safety"), expect=0)
            assert rows(psql, test_db, "SELECT count(*) FROM user_equipment;") == ["2"]
            assert rows(psql, test_db, "SELECT sum(gold) FROM users;") == ["1500"]
            safety = list((tmp_path / "safety").glob("*.dump"))
            assert len(safety) == 1 and Path(str(safety[0]) + ".manifest.json").is_file()
        finally:
            remove_local_copies(p, staging)
            remove_local_copies(p, prod)


# ---------------------------------------------------------------------------
# Seed 003 (Korean): the Neon migration runbook, pooled and direct URLs.

SEED_003_INIT = """\
CREATE TABLE providers (id bigserial PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT NULL);
CREATE TABLE models (
  id bigserial PRIMARY KEY,
  provider_id bigint NOT NULL REFERENCES providers (id),
  slug text NOT NULL UNIQUE
);
CREATE TABLE model_status (
  id bigserial PRIMARY KEY,
  model_id bigint NOT NULL REFERENCES models (id),
  status text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_status_model_id_checked_at_idx ON model_status (model_id, checked_at);
"""

# prisma/seed.sql, run in one transaction (Step 2.3.1): all of it or nothing.
SEED_003_SEED = """\
INSERT INTO providers (slug, name) VALUES ('openai', 'OpenAI'), ('anthropic', 'Anthropic');
INSERT INTO models (provider_id, slug)
  SELECT id, slug || '-default' FROM providers;
INSERT INTO model_status (model_id, status) SELECT id, 'operational' FROM models;
"""


def test_seed_003_pooled_and_direct_urls_connection_test_status_deploy_verify_and_staging_seed(
        database_url, pg_server_url, temporary_database, database_url_for, pgbouncer_url,
        psql, psql_executable, tmp_path):
    """Seed 003 (moving an app to Neon, runbook phases 1-2): the pooled URL
    (PgBouncer, transaction mode, ``pgbouncer=true``) for the app and the direct
    URL for migrations; a connection test and ``migrate status`` as the dry run
    (Step 2.1.4) work through the pooler; a deploy through the pooler alone is
    refused, and an unreachable database fails cleanly without its password;
    the deploy through ``DIRECT_URL``; tables, indexes and foreign keys checked
    afterwards (Steps 2.2.3, 2.2.4, 2.4.1); the seed runs in one transaction, on
    staging only; and the ``pg_dump`` backup goes through the direct URL."""

    def pooled(url: str) -> str:
        name = urlsplit(url).path.lstrip("/")
        return database_url_for(pgbouncer_url, name) + "?pgbouncer=true&connect_timeout=15"

    with temporary_database(pg_server_url) as staging:
        prod = database_url
        p = Project(tmp_path, DATABASE_URL=pooled(prod),
                    STAGING_DATABASE_URL=pooled(staging), STAGING_DIRECT_URL=staging)
        # The app's pooler keeps server sessions open on production, so a
        # snapshot cannot be a TEMPLATE copy (dbsafe says so and names this).
        p.config('[targets.production]\nprovider = "local"\nlocal_method = "dump"\n\n'
                 '[targets.staging]\nurl_env = "STAGING_DATABASE_URL"\n'
                 'direct_url_env = "STAGING_DIRECT_URL"\nprovider = "local"\nallow_seed = true\n')
        p.migration("20250831000000_initial_schema", SEED_003_INIT)
        (tmp_path / "prisma" / "seed.sql").write_text(SEED_003_SEED)
        try:
            # Step 1.3.4, the connection test, and Step 2.1.4, the dry run: both
            # read-only, so the pooled URL is fine.
            assert rows(psql, p.env["DATABASE_URL"].split("?")[0], "SELECT 1;") == ["1"]
            status = p.dbsafe("migrate", "status", "--format", "json", expect=1).json
            assert [(m["name"], m["state"]) for m in status["migrations"]] == [
                ("20250831000000_initial_schema", "pending")]

            # Migrations through the transaction pooler alone are refused.
            refused = p.dbsafe("deploy", "--target", "production", expect=3)
            assert "DIRECT_URL" in refused.text, refused.text
            assert rows(psql, prod, "SELECT to_regclass('_prisma_migrations') IS NULL;") == ["t"]

            # The fallback: an unreachable database is exit 4, its password never printed.
            closed = "postgresql://ai_go_admin:s3cret-pw@127.0.0.1:9/ai_server_db"
            down = p.dbsafe("deploy", "--target", "production", "--connect-retry-ms", "0",
                            expect=4, DIRECT_URL=closed)
            assert "s3cret-pw" not in down.text and "port 9" in down.text, down.text
            # The database kept no row of it; the audit file did.
            unreachable = p.audit_lines()[-1]
            assert (unreachable["outcome"], unreachable["exit_code"],
                    unreachable["row_written"]) == ("failed", 4, False), unreachable
            assert "s3cret-pw" not in json.dumps(unreachable)

            # Step 2.2.2 through DIRECT_URL.
            p.env["DIRECT_URL"] = prod
            p.dbsafe("deploy", "--target", "production", "--dry-run", expect=0)
            deployed = p.dbsafe("deploy", "--target", "production", "--format", "json",
                                expect=0).report
            connect = next(s for s in deployed["steps"] if s["name"] == "connect")
            assert "(direct, DIRECT_URL)" in connect["detail"], connect
            verify = next(s for s in deployed["steps"] if s["name"] == "verify")
            assert verify["status"] == "ok" and deployed["verify"]["problems"] == []
            assert "3 tables" in verify["detail"] and "2 foreign keys" in verify["detail"], verify

            # Steps 2.2.3, 2.2.4 and 2.4.1, the runbook's own queries.
            assert rows(psql, prod, "SELECT table_name FROM information_schema.tables WHERE "
                                    "table_schema = 'public' ORDER BY table_name;") == [
                "_prisma_migrations", "model_status", "models", "providers"]
            assert "model_status_model_id_checked_at_idx" in rows(
                psql, prod, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public';")
            assert rows(psql, prod, """
                SELECT tc.table_name || '.' || kcu.column_name || '->' || ccu.table_name
                FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage kcu
                  ON tc.constraint_name = kcu.constraint_name
                JOIN information_schema.constraint_column_usage ccu
                  ON ccu.constraint_name = tc.constraint_name
                WHERE tc.constraint_type = 'FOREIGN KEY' ORDER BY 1;""") == [
                "model_status.model_id->models", "models.provider_id->providers"]
            p.dbsafe("verify", expect=0)
            # Step 2.2.5: status through the pooler again, now up to date.
            p.dbsafe("migrate", "status", expect=0)

            # Step 2.3: the seed. Never on production: refused before anything runs.
            seed = (f"{psql_executable} -X -q -v ON_ERROR_STOP=1 --single-transaction "
                    '-d "$DATABASE_URL" -f prisma/seed.sql')
            p.dbsafe("deploy", "--target", "production", "--seed", seed, expect=3)
            assert rows(psql, prod, "SELECT count(*) FROM providers;") == ["0"]
            # On staging, where it is allowed: a seed that fails half-way leaves nothing ...
            (tmp_path / "prisma" / "seed.sql").write_text(
                SEED_003_SEED + "INSERT INTO models (provider_id, slug) VALUES (999, 'x');\n")
            broken = p.dbsafe("deploy", "--target", "staging", "--seed", seed, "--format",
                              "json", expect=5).report
            assert [s["status"] for s in broken["steps"] if s["name"] == "seed"] == ["failed"]
            assert broken["applied"] == ["20250831000000_initial_schema"]
            assert rows(psql, staging, "SELECT count(*) FROM providers;") == ["0"]
            # ... and the fixed one seeds it (Step 2.3.3's counts).
            (tmp_path / "prisma" / "seed.sql").write_text(SEED_003_SEED)
            p.dbsafe("deploy", "--target", "staging", "--seed", seed, expect=0)
            assert rows(psql, staging, "SELECT (SELECT count(*) FROM providers) || '/' || "
                                       "(SELECT count(*) FROM models) || '/' || "
                                       "(SELECT count(*) FROM model_status);") == ["2/2/2"]

            # Step 2.4.4: pg_dump through DIRECT_URL; never through the pooler.
            p.dbsafe("backup", "create", "--dir", str(tmp_path / "backups"), "--database-url",
                     p.env["DATABASE_URL"], expect=3)
            made = p.dbsafe("backup", "create", "--dir", str(tmp_path / "backups"), "--format",
                            "json", expect=0).json["backup"]
            assert made["manifest"]["database"] == urlsplit(prod).path.lstrip("/")
            assert made["manifest"]["tables"] == 5  # with _prisma_migrations and dbsafe.audit
        finally:
            remove_local_copies(p, staging)
            remove_local_copies(p, prod)


# ---------------------------------------------------------------------------
# Seed 004 (English): five GitHub workflows and Slack.


class WebhookReceiver:
    """A local Slack-compatible incoming webhook: records every POST."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, json.loads(body)))
                keep_artifact("webhook-payloads.jsonl", body.decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/s3cr3t"

    def texts(self) -> list:
        return [body["text"] for _, body in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


SEED_004_INIT = """\
CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    email text NOT NULL UNIQUE, legacy_flag boolean);
CREATE TABLE posts (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    user_id bigint NOT NULL REFERENCES users (id), body text NOT NULL);
CREATE INDEX posts_user_id_idx ON posts (user_id);
"""

SEED_004_DROP = """\
ALTER TABLE users DROP COLUMN legacy_flag;
"""

# The deploy steps, their failpoints, and what a fault there ends as (docs/deploy.md).
DEPLOY_FAULTS = [("connect", 5, "failed"), ("plan", 5, "failed"), ("check", 5, "failed"),
                 ("gate", 5, "failed"), ("snapshot", 5, "failed"), ("apply", 5, "failed"),
                 ("verify", 5, "failed"), ("audit_row", 0, "deployed"),
                 ("notify", 0, "deployed")]


def test_seed_004_diff_drift_backup_deploy_with_approvals_restore_and_notifications(
        database_url, pg_server_url, temporary_database, webhook, psql, tmp_path):
    """Seed 004 (DB Diff, DB Backup, DB Restore, DB Drift Check, DB Deploy,
    Slack): the drift check shows the exact SQL and fails on drift; the daily
    backup (gzip) carries its SHA-256, passes an integrity check with a test
    restore, and old ones are pruned by retention while a damaged one fails
    verification; the diff previews the SQL without changing the database;
    the deploy seeds staging (RUN_SEED=true) but never production, needs two
    approvers for data loss, and logs SHA, actor and timestamp to the audit
    table, the audit file and the GitHub step summary; the restore needs
    ``RESTORE`` typed, takes a safety snapshot first and re-applies the
    migrations after; Slack gets every outcome; and a fault injected at each
    step of the deploy loses nothing and is written down in the audit trail."""
    with temporary_database(pg_server_url) as staging:
        prod = database_url
        summary = tmp_path / "step-summary.md"
        p = Project(tmp_path, DATABASE_URL=prod, STAGING_DATABASE_URL=staging,
                    DBSAFE_SLACK_WEBHOOK_URL=webhook.url, GITHUB_SHA="17d22e8c0ffee",
                    GITHUB_ACTOR="octocat", GITHUB_STEP_SUMMARY=str(summary))
        p.config('[targets.staging]\nurl_env = "STAGING_DATABASE_URL"\nprovider = "local"\n'
                 'allow_seed = true\n\n'
                 '[targets.production]\nprovider = "local"\napprovals = 2\n')
        p.migration("20251027000000_init", SEED_004_INIT)
        try:
            first = p.dbsafe("deploy", "--target", "production", "--format", "json",
                             expect=0).report
            assert first["git_sha"] == "17d22e8c0ffee" and first["actor"] == "octocat"
            p.dbsafe("deploy", "--target", "staging", expect=0)
            psql(prod, "INSERT INTO users (email, legacy_flag) VALUES ('a@x.io', true), "
                       "('b@x.io', false); INSERT INTO posts (user_id, body) VALUES (1, 'hi');")

            # DB Drift Check: a hand-made change is found, with the SQL that undoes it.
            p.dbsafe("drift", expect=0)
            psql(prod, "ALTER TABLE users ADD COLUMN hotfix text;")
            repair = p.dbsafe("drift", "--format", "sql", expect=1).out
            assert re.search(r'ALTER TABLE "public"\."users" DROP COLUMN "hotfix"', repair), repair
            psql(prod, repair)
            p.dbsafe("drift", expect=0)

            # DB Backup: daily, gzip, integrity verified, retention.
            backups = tmp_path / "backups"
            for name in ("db-backup-20251001_020000", "db-backup-20251002_020000"):
                p.dbsafe("backup", "create", "--dir", str(backups), "--dump-format", "plain-gz",
                         "--name", name, "-q", expect=0)
                manifest_file = backups / f"{name}.sql.gz.manifest.json"
                aged = json.loads(manifest_file.read_text())  # as if taken weeks ago
                aged["created_at"] = "2025-10-0%sT02:00:00Z" % name[-8]
                manifest_file.write_text(json.dumps(aged))
            today = "db-backup-" + datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y%m%d_%H%M%S")
            made = p.dbsafe("backup", "create", "--dir", str(backups), "--dump-format",
                            "plain-gz", "--name", today, "--format", "json",
                            expect=0).json["backup"]
            dump = backups / f"{today}.sql.gz"
            assert made["manifest"]["sha256"] == sha256_of(dump)
            assert b"CREATE TABLE public.users" in gzip.decompress(dump.read_bytes())
            checked = p.dbsafe("backup", "verify", "--dir", str(backups), "--latest",
                               "--test-restore", "--server-url", pg_server_url, "--format",
                               "json", expect=0).json
            assert {c["name"] for c in checked["verify"]["checks"]} >= {
                "manifest", "sha256", "gzip", "sql", "test_restore"}, checked
            damaged = backups / "db-backup-20251001_020000.sql.gz"
            damaged.write_bytes(damaged.read_bytes()[:-40])
            p.dbsafe("backup", "verify", str(damaged), expect=2)
            pruned = p.dbsafe("backup", "prune", "--dir", str(backups), "--keep-days", "7",
                              "--format", "json", expect=0).json
            assert sorted(pruned["deleted"]) == ["db-backup-20251001_020000.sql.gz",
                                                 "db-backup-20251002_020000.sql.gz"], pruned
            assert sorted(f.name for f in backups.iterdir()) == [
                f"{today}.sql.gz", f"{today}.sql.gz.manifest.json"]

            # DB Diff: the SQL the pending migration runs, and nothing changes.
            p.migration("20251028000000_drop_legacy_flag", SEED_004_DROP)
            preview = p.dbsafe("diff", "--from", f"url:{prod}", "--to",
                               "migrations:prisma/migrations", "--format", "sql", expect=1).out
            assert re.search(r'DROP COLUMN "legacy_flag"', preview), preview
            assert rows(psql, prod, "SELECT count(legacy_flag) FROM users;") == ["2"]

            # DB Deploy on staging with RUN_SEED=true ...
            seed = "psql -X -q -v ON_ERROR_STOP=1 -d \"$DATABASE_URL\" -c " \
                   "\"INSERT INTO users (email) VALUES ('seed@x.io')\""
            p.env["PATH"] = f"{Path(shutil.which('psql') or '/usr/bin/psql').parent}:" \
                            f"{p.env.get('PATH', '')}"
            p.dbsafe("deploy", "--target", "staging", "--seed", seed, expect=0)
            assert rows(psql, staging, "SELECT email FROM users;") == ["seed@x.io"]
            # ... never on production, and the data loss needs two people.
            p.dbsafe("deploy", "--target", "production", "--seed", seed, expect=3)
            one = p.dbsafe("deploy", "--target", "production", "--approved-by", "alice",
                           "--format", "json", expect=1).report
            assert one["gate"]["approvals_required"] == 2 and one["gate"]["approved_by"] == [
                "alice"]
            p.dbsafe("deploy", "--target", "production", "--approved-by", "alice",
                     "--approved-by", "alice", expect=1)
            assert rows(psql, prod, "SELECT count(legacy_flag) FROM users;") == ["2"]
            summary.write_text("")
            deployed = p.dbsafe("deploy", "--target", "production", "--approved-by", "alice",
                                "--approved-by", "bob", "--format", "json", expect=0).report
            assert deployed["applied"] == ["20251028000000_drop_legacy_flag"]
            assert sorted(deployed["gate"]["approved_by"]) == ["alice", "bob"]
            # Telemetry: SHA, actor and timestamp in the step summary and the audit trail.
            text = summary.read_text()
            for needle in ("production", "17d22e8c0ffee", "octocat",
                           "20251028000000_drop_legacy_flag", deployed["started_at"][:16]):
                assert needle in text, (needle, text)
            row = audit_rows(psql, prod)[-1]
            assert (row["id"], row["git_sha"], row["actor"], row["outcome"]) == (
                deployed["id"], "17d22e8c0ffee", "octocat", "deployed")
            assert row["migrations_applied"] == ["20251028000000_drop_legacy_flag"]
            assert {"connect", "apply", "verify"} <= set(row["step_durations"])
            assert webhook.texts()[-1].startswith("dbsafe deploy production: deployed")
            assert "17d22e8" in webhook.texts()[-1] and "octocat" in webhook.texts()[-1]

            # A bad job deletes every post: DB Restore.
            psql(prod, "DELETE FROM posts;")
            p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup",
                     "--confirm", "restore", expect=3)
            assert rows(psql, prod, "SELECT count(*) FROM posts;") == ["0"]
            # Two approvers (approvals = 2), as for a deploy: one name stops it.
            stopped = p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup",
                               "--confirm", "RESTORE", "--approved-by", "alice", "--format",
                               "json", expect=1).report
            assert stopped["outcome"] == "stopped" and "--approved-by NAME2" in (
                stopped["gate"]["approve_hint"])
            assert rows(psql, prod, "SELECT count(*) FROM posts;") == ["0"]
            back = p.dbsafe("restore", "--target", "production", "--from", "pre-deploy-backup",
                            "--confirm", "RESTORE", "--approved-by", "alice", "--approved-by",
                            "bob", "--reapply", "--format", "json", expect=0).report
            assert back["gate"]["approved_by"] == ["alice", "bob"]
            assert back["outcome"] == "restored"
            assert back["restore"]["safety_snapshot"]["name"].startswith("pre-restore-")
            assert back["applied"] == ["20251028000000_drop_legacy_flag"]  # re-applied
            assert back["verify"]["ran"] and back["verify"]["problems"] == []
            assert rows(psql, prod, "SELECT body FROM posts;") == ["hi"]
            assert rows(psql, prod, "SELECT count(*) FROM information_schema.columns WHERE "
                                    "column_name = 'legacy_flag';") == ["0"]
            assert webhook.texts()[-1].startswith("dbsafe restore production: restored")
            # Every deploy and restore is in the database again, as in the audit file.
            prod_lines = [l for l in p.audit_lines() if l["target"] == "production"]
            assert [a["id"] for a in audit_rows(psql, prod)] == [l["id"] for l in prod_lines]
            assert all(path == "/services/T000/B000/s3cr3t" for path, _ in webhook.received)
            assert "s3cr3t" not in summary.read_text()

            # A fault at every step of the deploy: the data stays, the backup stays,
            # and the audit trail says what happened.
            for n, (step, code, outcome) in enumerate(DEPLOY_FAULTS):
                p.migration(f"2025110{n}000000_add_note_{n}",
                            f"ALTER TABLE posts ADD COLUMN note_{n} text;\n")
                rows_before = len(audit_rows(psql, prod))
                heard_before = len(webhook.received)
                run = p.dbsafe("deploy", "--target", "production", "--format", "json",
                               expect=code, DBSAFE_FAILPOINTS=f"deploy.{step}")
                assert rows(psql, prod, "SELECT body FROM posts;") == ["hi"], step
                assert rows(psql, prod, "SELECT count(*) FROM users;") == ["2"], step
                assert p.dbsafe("snapshot", "list", "--provider", "local", "--database-url",
                                prod, "--format", "json", expect=0).json["snapshots"], step
                line = p.audit_lines()[-1]
                assert (line["outcome"], line["exit_code"]) == (outcome, code), (step, line)
                if code:
                    assert f"failpoint deploy.{step} triggered" in json.dumps(line), (step, line)
                    assert json.loads(run.out)["outcome"] == outcome
                written = step != "audit_row"
                assert line["row_written"] is written, (step, line)
                rows_after = audit_rows(psql, prod)
                assert len(rows_after) == rows_before + written, step
                if written:
                    assert rows_after[-1]["id"] == line["id"]
                    assert rows_after[-1]["outcome"] == outcome, step
                assert len(webhook.received) == heard_before + (step != "notify"), step
            p.dbsafe("migrate", "status", expect=0)
        finally:
            remove_local_copies(p, staging)
            remove_local_copies(p, prod)
