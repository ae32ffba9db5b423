#!/usr/bin/python3
"""Neon API v2 test server for dbsafe's Neon provider tests.

Usually started through scripts/neon-test-server; see tests/neon-server/README.md.
Once ready it prints NAME=VALUE lines on stdout (NEON_API_HOST, NEON_CA_FILE,
NEON_API_KEY, ...) and serves until SIGTERM or SIGINT, then drops what it created
and stops the cluster it started. Progress and errors go to stderr.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import neon_http  # noqa: E402
import neon_pg  # noqa: E402
import neon_tls  # noqa: E402
from neon_faults import FaultBook  # noqa: E402
from neon_model import Config, NeonState  # noqa: E402

REPO_ROOT = HERE.parent.parent
DEFAULT_RUN_USER = "dbsafe-pg"  # the unprivileged owner pg-throwaway uses when run as root


def log(message: str) -> None:
    print(f"neon-test-server: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="neon-test-server",
        description="Serve a local imitation of the Neon API v2 backed by real PostgreSQL "
                    "databases (one per branch).")
    p.add_argument("--database-url", help="superuser URL of a running cluster to hold the "
                   "branch databases; default: start an own WAL-archiving cluster with "
                   "scripts/pg-throwaway (needed for point-in-time restore)")
    p.add_argument("--wal-archive-dir", help="with --database-url: the directory that cluster's "
                   "archive_command copies WAL into; enables point-in-time restore")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="HTTPS port (default: a free one)")
    p.add_argument("--wrong-host-port", type=int, default=0,
                   help="port that always serves a certificate for the wrong host name "
                        "(default: a free one)")
    p.add_argument("--state-dir", help="where certificates, the cluster and backups go "
                   "(default: a temporary directory removed at exit)")
    p.add_argument("--api-key", help="the API key clients must send (default: random)")
    p.add_argument("--project-id", default="test-project-123456")
    p.add_argument("--project-name", default="dbsafe-test")
    p.add_argument("--region-id", default="aws-us-east-2")
    p.add_argument("--role-name", default="neondb_owner",
                   help="owner role of the default database (a real cluster role)")
    p.add_argument("--database-name", default="neondb")
    p.add_argument("--snapshot-quota", type=int, default=1,
                   help="snapshots allowed at once (default 1, like the Free plan)")
    p.add_argument("--operation-delay-ms", type=int, default=200,
                   help="how long operations stay running at least (default 200)")
    p.add_argument("--rate-limit", type=int, default=50,
                   help="API requests allowed in any sliding second; 0 disables (default 50)")
    p.add_argument("--history-retention-seconds", type=int, default=86400)
    p.add_argument("--no-connect-gate", action="store_true",
                   help="let clients connect to a new branch database before its operations finish")
    p.add_argument("--plain-http", action="store_true", help="serve HTTP instead of HTTPS (debugging)")
    p.add_argument("--verbose", "-v", action="store_true", help="log every request on stderr")
    return p.parse_args(argv)


class Server:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.temp_state = args.state_dir is None
        self.state_dir = Path(args.state_dir or tempfile.mkdtemp(prefix="neon-test-server."))
        self.own: neon_pg.OwnCluster | None = None
        self.pitr: neon_pg.PointInTime | None = None
        self.state: NeonState | None = None
        self.http: list[neon_http.ApiHttpServer] = []
        self.stopping = threading.Event()

    def start(self) -> dict[str, str]:
        args = self.args
        self.state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o755)  # the cluster's unprivileged owner must reach it
        tls = neon_tls.generate(self.state_dir / "tls")
        bindir = neon_pg.find_bindir()
        pitr = None
        reason = None
        if args.database_url:
            cluster = neon_pg.Cluster(args.database_url, bindir)
            if cluster.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") != "t":
                raise SystemExit("--database-url must connect as a superuser")
            uri_query = "sslmode=require" if cluster.setting("ssl") == "on" else "sslmode=disable"
            if args.wal_archive_dir:
                if cluster.setting("archive_mode") not in ("on", "always"):
                    raise SystemExit("--wal-archive-dir given, but the cluster has archive_mode off")
                run_user = DEFAULT_RUN_USER if os.geteuid() == 0 else None
                pitr = neon_pg.PointInTime(cluster, Path(args.wal_archive_dir).resolve(),
                                           self.state_dir / "pitr", run_user or _whoami())
            else:
                reason = ("the server uses an existing cluster (--database-url) without "
                          "--wal-archive-dir, so it has no WAL archive to recover from")
        else:
            log(f"starting a WAL-archiving PostgreSQL cluster in {self.state_dir / 'pg'}")
            self.own = neon_pg.OwnCluster(REPO_ROOT / "scripts" / "pg-throwaway",
                                          self.state_dir / "pg", bindir)
            url = self.own.start(tls.server_cert, tls.server_key)
            cluster = neon_pg.Cluster(url, bindir)
            uri_query = "sslmode=require&channel_binding=require"
            pitr = neon_pg.PointInTime(cluster, self.own.archive_dir, self.state_dir / "pitr",
                                       neon_pg.owner_of(self.own.data_dir))
        if pitr is not None:
            pitr.timing_log = log
            log("taking the base backup for point-in-time restore")
            pitr.start()
            self.pitr = pitr
        config = Config(project_id=args.project_id, project_name=args.project_name,
                        region_id=args.region_id, owner_role=args.role_name,
                        database_name=args.database_name,
                        operation_delay_ms=args.operation_delay_ms,
                        snapshot_quota=args.snapshot_quota,
                        history_retention_seconds=args.history_retention_seconds,
                        connect_gate=not args.no_connect_gate, uri_query=uri_query,
                        pitr_unavailable_reason=reason)
        self.state = NeonState(cluster, pitr, config, log=log)
        self.state.bootstrap()
        self.state.start()

        # scripts/test sets DBSAFE_TEST_NEON_API_KEY, the run's canary key, so
        # its last step can prove no output of the run ever showed the key.
        api_key = (args.api_key or os.environ.get("DBSAFE_TEST_NEON_API_KEY")
                   or "napi_" + secrets.token_hex(24))
        faults = FaultBook()
        scheme = "http" if args.plain_http else "https"
        wrong_ctx = neon_http.tls_context(tls.wrong_host_cert, tls.wrong_host_key)
        main_ctx = None if args.plain_http else neon_http.tls_context(
            tls.server_cert, tls.server_key, wrong_host=wrong_ctx, faults=faults)
        app = neon_http.App(self.state, api_key, faults, args.rate_limit, verbose=args.verbose)
        main = neon_http.ApiHttpServer((args.host, args.port), app, main_ctx)
        wrong = neon_http.ApiHttpServer((args.host, args.wrong_host_port), app, wrong_ctx)
        self.http = [main, wrong]
        for srv in self.http:
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                             name="neon-http", daemon=True).start()
        host = args.host if ":" not in args.host else f"[{args.host}]"
        lines = {
            "NEON_API_HOST": f"{scheme}://{host}:{main.server_address[1]}/api/v2",
            "NEON_CA_FILE": str(tls.ca_cert),
            "NEON_API_KEY": api_key,
            "NEON_PROJECT_ID": args.project_id,
            "NEON_ADMIN_URL": f"{scheme}://{host}:{main.server_address[1]}/__admin",
            "NEON_WRONG_HOST_API_HOST": f"https://{host}:{wrong.server_address[1]}/api/v2",
            "NEON_PG_SUPERUSER_URL": cluster.url,
            "NEON_STATE_DIR": str(self.state_dir),
        }
        app.info = {k.lower(): v for k, v in lines.items() if k != "NEON_API_KEY"}
        return lines

    def shutdown(self) -> None:
        for srv in self.http:
            srv.shutdown()
            srv.server_close()
        if self.pitr is not None:
            self.pitr.stop()
        if self.state is not None:
            self.state.stop()
            # Our own cluster in a temporary directory disappears as a whole.
            if self.own is None or not self.temp_state:
                log("dropping the databases and roles this server created")
                try:
                    self.state.drop_everything(drop_roles=True)
                except Exception as err:  # noqa: BLE001 - keep cleaning up
                    log(f"cleanup failed: {err}")
            self.state.cluster.close()
        if self.own is not None:
            log("stopping the PostgreSQL cluster")
            self.own.stop(remove=self.temp_state)
        if self.temp_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)


def _whoami() -> str:
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = Server(args)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        lines = server.start()
    except BaseException as err:  # noqa: BLE001 - report, clean up, exit non-zero
        if not isinstance(err, SystemExit):
            traceback.print_exc()
        log(f"could not start: {err}")
        server.shutdown()
        return 1
    for key, value in lines.items():
        print(f"{key}={value}")
    print("NEON_TEST_SERVER_READY=1", flush=True)
    log(f"ready at {lines['NEON_API_HOST']}")
    while not stop.wait(0.5):
        pass
    log("stopping")
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
