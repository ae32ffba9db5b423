"""The reliability soak behind ``scripts/soak``: three long runs that the test
command only samples, and one table of what they found.

1. kills: ``dbsafe migrate deploy`` SIGKILLed at random points
   (tests/interop/crash_trials.py, the same trials as scripts/soak-kill);
2. concurrent: 8 deployers at once against one database, round after round,
   each round adding one migration: every deployer must exit 0 (the ones that
   lose the race wait on the advisory lock, then find nothing to do), each
   migration must be applied exactly once, and _prisma_migrations must hold
   exactly one finished row per migration;
3. neon: ``dbsafe deploy`` with a Neon snapshot before each migration, on the
   Neon API test server, with one fault injected per trial (an error status,
   a dropped or truncated answer, a failed operation, latency) on one of the
   endpoints the deploy uses. A deploy may fail, but with a documented exit
   code, without applying the migration when the snapshot step failed, and
   without losing a row of the production data or its last snapshot.

"data lost" counts trials after which rows the database held (or a
migration's recorded effect, or the last snapshot) are gone.

    python3 tests/interop/soak.py --server-url URL [--quick] [--only kills,concurrent,neon]
        [--kills N] [--kills-budget SECONDS] [--deployers N] [--rounds N] [--neon-trials N] [--neon-budget SECONDS]
        [--cli build/dbsafe]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crash_trials  # noqa: E402  (next to this file)

REPO = crash_trials.REPO_ROOT


class Row:
    def __init__(self, name):
        self.name, self.trials, self.faults, self.failures, self.data_lost = name, 0, 0, 0, 0
        self.notes = []
        self.seconds = 0.0


# ---------------------------------------------------------------------------
# 1. kills


def soak_kills(server_url, cli, trials, log, budget=None):
    row = Row("SIGKILL of migrate deploy at random points")
    t0 = time.monotonic()
    ct = crash_trials.CrashTrials(server_url, cli=cli, log=log)
    try:
        results = ct.run(trials, time_budget=budget, progress_every=100)
    finally:
        ct.close()
    row.trials = len(results)
    row.faults = sum(r.killed for r in results)
    for r in results:
        if not r.ok:
            row.failures += 1
            row.notes.append(f"trial {r.trial}: " + "; ".join(r.problems)[:300])
            if any("0 times" in p or ": 0" in p for p in r.problems):
                row.data_lost += 1
    row.notes.append(f"seed {ct.seed}")
    row.seconds = time.monotonic() - t0
    return row


# ---------------------------------------------------------------------------
# 2. concurrent deployers


def soak_concurrent(server_url, cli, deployers, rounds, log):
    row = Row(f"{deployers} concurrent deployers, one database")
    t0 = time.monotonic()
    name, url = crash_trials.create_database(server_url)
    work = Path(tempfile.mkdtemp(prefix="dbsafe-soak-conc-"))
    root = crash_trials.write_set(work / "migrations", {
        "00000_init": "CREATE TABLE effect_log (id bigserial PRIMARY KEY, migration text NOT NULL);\n"})
    args = ["migrate", "deploy", "--migrations", str(root), "--database-url", url,
            "--advisory-lock-timeout-ms", "120000"]
    try:
        with concurrent.futures.ThreadPoolExecutor(deployers) as pool:
            for r in range(1, rounds + 1):
                mig = f"{r:05d}_round"
                crash_trials.write_set(root, {mig: f"INSERT INTO effect_log (migration) VALUES ('{mig}');\n"})
                procs = list(pool.map(lambda _: crash_trials.run_cli(cli, *args, timeout=300),
                                      range(deployers)))
                row.trials += 1
                row.faults += deployers - 1  # the ones that lose the race for the lock
                bad = [p for p in procs if p.returncode != 0]
                problems = [f"a deployer exited {p.returncode}: {p.stderr.strip()[-300:]}" for p in bad]
                counts = crash_trials.psql(url, "SELECT migration, count(*) FROM effect_log GROUP BY 1;")
                effects = dict(line.split("|") for line in counts.split() if "|" in line)
                history = crash_trials.psql(
                    url, "SELECT migration_name, count(*) FROM _prisma_migrations WHERE finished_at IS NOT "
                         "NULL AND rolled_back_at IS NULL GROUP BY 1;")
                rows = dict(line.split("|") for line in history.split() if "|" in line)
                expected = {f"{i:05d}_round" for i in range(1, r + 1)}
                if {k for k, v in effects.items() if v == "1"} != expected or len(effects) != r:
                    problems.append(f"effects after round {r}: {effects}")
                    if any(effects.get(m, "0") == "0" for m in expected):
                        row.data_lost += 1
                if any(v != "1" for v in rows.values()) or len(rows) != r + 1:
                    problems.append(f"_prisma_migrations after round {r}: {rows}")
                if problems:
                    row.failures += 1
                    row.notes.append(f"round {r}: " + "; ".join(problems)[:400])
                if r % 25 == 0:
                    log(f"concurrent: {r}/{rounds} rounds, {row.failures} failed")
    finally:
        crash_trials.drop_database(server_url, name)
        shutil.rmtree(work, ignore_errors=True)
    row.seconds = time.monotonic() - t0
    return row


# ---------------------------------------------------------------------------
# 3. the Neon fault matrix over the deploy pipeline

FAULTS = ["status=500", "status=502", "status=503", "status=429", "status=423", "status=404",
          "drop", "drop-after", "truncate", "op-fail", "latency=400ms"]
# The requests a deploy with a rotating snapshot makes (method, path below /api/v2).
ENDPOINTS = [("GET", "/projects/*/branches"), ("GET", "/projects/*/snapshots"),
             ("POST", "/projects/*/branches/*/snapshot"), ("DELETE", "/projects/*/snapshots/*"),
             ("GET", "/projects/*/operations/*"), ("POST", "/projects/*/branches")]
# docs/cli.md: 0 done, 1 stopped by a finding, 2 migration failed / needs
# resolving, 3 usage, 4 connection/auth, 5 a provider or database step failed.
DOCUMENTED = {0, 2, 4, 5}


class NeonServer:
    def __init__(self):
        self.proc = subprocess.Popen([str(REPO / "scripts" / "neon-test-server")],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.env = {}
        deadline = time.monotonic() + 180
        while self.env.get("NEON_TEST_SERVER_READY") != "1" and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            k, _, v = line.strip().partition("=")
            self.env[k] = v
        if self.env.get("NEON_TEST_SERVER_READY") != "1":
            self.close()
            raise RuntimeError("the Neon test server did not start")
        self.tls = ssl.create_default_context(cafile=self.env["NEON_CA_FILE"])

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.env["NEON_ADMIN_URL"] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.tls, timeout=60) as r:
            text = r.read()
        return json.loads(text) if text else None

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def soak_neon(cli, trials, log, budget=None):
    row = Row("Neon faults over deploy (snapshot, apply)")
    t0 = time.monotonic()
    server = NeonServer()
    work = Path(tempfile.mkdtemp(prefix="dbsafe-soak-neon-"))
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DATABASE_URL", "DIRECT_URL", "DBSAFE_", "NEON_", "PG"))}
        env.update({k: server.env[k] for k in ("NEON_API_KEY", "NEON_PROJECT_ID", "NEON_API_HOST",
                                               "NEON_CA_FILE")})

        def dbsafe(*args, timeout=300):
            return subprocess.run([str(cli), *args], cwd=work, env=env, capture_output=True,
                                  text=True, stdin=subprocess.DEVNULL, timeout=timeout)

        url = dbsafe("branch", "url", "main").stdout.strip()
        if not url:
            raise RuntimeError("dbsafe branch url main printed nothing")
        env["DATABASE_URL"] = url
        (work / "dbsafe.toml").write_text('[targets.production]\nprovider = "neon"\n'
                                          'snapshot = "rotate"\nmigrations = "migrations"\n')
        root = crash_trials.write_set(work / "migrations", {
            "00000_init": "CREATE TABLE keep (id int PRIMARY KEY);\n"
                          "INSERT INTO keep SELECT generate_series(1, 1000);\n"})
        first = dbsafe("deploy", "--target", "production", "--format", "json")
        if first.returncode != 0:
            raise RuntimeError(f"the first deploy failed (exit {first.returncode}): {first.stderr[-500:]}")
        matrix = list(itertools.product(FAULTS, ENDPOINTS))
        exits = {}
        for i in range(1, trials + 1):
            if budget is not None and time.monotonic() - t0 > budget:
                row.notes.append(f"time budget of {budget:.0f} s spent after {i - 1} trials")
                break
            fault, (method, path) = matrix[(i - 1) % len(matrix)]
            mig = f"{i:05d}_col"
            crash_trials.write_set(root, {mig: f"ALTER TABLE keep ADD COLUMN c{i} int;\n"})
            server.admin("DELETE", "/faults")
            server.admin("POST", "/faults", {"fault": fault, "method": method, "path": path})
            run = dbsafe("deploy", "--target", "production", "--format", "json")
            fired = any(r.get("fired") for r in (server.admin("GET", "/faults") or {}).get("faults", []))
            server.admin("DELETE", "/faults")
            exits[run.returncode] = exits.get(run.returncode, 0) + 1
            row.trials += 1
            row.faults += bool(fired)
            problems = []
            if run.returncode not in DOCUMENTED:
                problems.append(f"exit {run.returncode}: {run.stderr.strip()[-300:]}")
            keep = crash_trials.psql(url, "SELECT count(*) FROM keep;").strip()
            if keep != "1000":
                problems.append(f"keep has {keep} rows, not 1000")
                row.data_lost += 1
            snaps = json.loads(dbsafe("snapshot", "list", "--format", "json").stdout or "{}")
            if not snaps.get("snapshots"):
                problems.append("no snapshot left")
                row.data_lost += 1
            dup = crash_trials.psql(url, "SELECT count(*) FROM (SELECT migration_name FROM _prisma_migrations "
                                         "WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL "
                                         "GROUP BY 1 HAVING count(*) > 1) d;").strip()
            if dup != "0":
                problems.append(f"{dup} migrations have more than one finished row")
            if run.returncode != 0:
                # A failed deploy left the migration pending or recorded as
                # failed: the next trial's deploy (fault-free once its fault
                # fired) must take it. Resolve it here if it was recorded failed.
                status = json.loads(dbsafe("migrate", "status", "--migrations", str(root),
                                           "--format", "json").stdout or "{}")
                failed = [m["name"] for m in status.get("migrations", []) if m.get("state") == "failed"]
                for name in failed:
                    dbsafe("migrate", "resolve", "--rolled-back", name, "--migrations", str(root))
            if problems:
                row.failures += 1
                row.notes.append(f"trial {i} ({fault} on {method} {path}): " + "; ".join(problems))
            if i % 25 == 0:
                log(f"neon: {i}/{trials} trials, {row.failures} failed")
        row.notes.append("deploy exit codes: " + ", ".join(f"{n}x exit {c}" for c, n in sorted(exits.items())))
        # Everything applied in the end: one clean deploy takes what faults left pending.
        final = dbsafe("deploy", "--target", "production", "--format", "json")
        if final.returncode != 0:
            row.failures += 1
            row.notes.append(f"the final fault-free deploy exited {final.returncode}: {final.stderr[-300:]}")
    finally:
        try:
            server.admin("POST", "/reset", {"state": True})
        except Exception:  # noqa: BLE001 - the server stops next anyway
            pass
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    row.seconds = time.monotonic() - t0
    return row


# ---------------------------------------------------------------------------


def table(rows):
    out = ["| soak | trials | faults | failures | data lost | time |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r.name} | {r.trials} | {r.faults} | {r.failures} | {r.data_lost} | "
                   f"{r.seconds / 60:.1f} min |")
    notes = [f"- {r.name}: {n}" for r in rows for n in r.notes[:10]]
    return "\n".join(out + ([""] + notes if notes else []))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server-url", required=True)
    ap.add_argument("--cli")
    ap.add_argument("--quick", action="store_true", help="20 kills, 8x5 rounds, 11 Neon trials")
    ap.add_argument("--only", default="kills,concurrent,neon")
    ap.add_argument("--kills", type=int)
    ap.add_argument("--kills-budget", type=float,
                    help="stop starting kill trials after this many seconds (the table says how many ran)")
    ap.add_argument("--deployers", type=int, default=8)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--neon-trials", type=int)
    ap.add_argument("--neon-budget", type=float, help="stop starting Neon trials after this many seconds")
    args = ap.parse_args(argv)
    cli = Path(args.cli or os.environ.get("DBSAFE_CLI") or REPO / "build" / "dbsafe")
    kills = args.kills or (20 if args.quick else 1000)
    rounds = args.rounds or (5 if args.quick else 100)
    neon_trials = args.neon_trials or (11 if args.quick else 100)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    rows = []
    parts = args.only.split(",")
    if "kills" in parts:
        rows.append(soak_kills(args.server_url, cli, kills, log, args.kills_budget))
        log(table(rows))
    if "concurrent" in parts:
        rows.append(soak_concurrent(args.server_url, cli, args.deployers, rounds, log))
        log(table(rows))
    if "neon" in parts:
        rows.append(soak_neon(cli, neon_trials, log, args.neon_budget))
    print(table(rows))
    return 0 if all(r.failures == 0 and r.data_lost == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
