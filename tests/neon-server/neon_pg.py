"""PostgreSQL plumbing for the Neon API test server.

Everything goes through PostgreSQL's client programs (psql, pg_dump, pg_restore,
pg_basebackup, pg_ctl): the server must run on a bare Debian Python without
psycopg.

* ``Cluster``: superuser access to the cluster that holds every branch database.
* ``OwnCluster``: starts a throwaway cluster with scripts/pg-throwaway and turns
  on WAL archiving, TLS and password (SCRAM) authentication for the API's roles.
* ``PointInTime``: real point-in-time recovery. A base backup is taken at start;
  materialising a past timestamp or LSN starts a temporary recovery cluster from
  it (restore_command reads the WAL archive), dumps the wanted databases and
  restores them into the main cluster.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

APP_NAME = "neon-test-server"
# Role that every role created through the API belongs to. pg_hba.conf of our own
# cluster asks members of it for a password over TLS, as Neon does.
API_ROLE_GROUP = "neon_api_roles"


class PgError(RuntimeError):
    """A PostgreSQL client program failed; the message carries its stderr."""


def find_bindir() -> Path:
    """The PostgreSQL bin directory, chosen like scripts/pg-throwaway does."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return Path(env)
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and Path(out.stdout.strip(), "initdb").exists():
            return Path(out.stdout.strip())
    except FileNotFoundError:
        pass
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    for cand in reversed(candidates):
        if Path(cand, "pg_ctl").exists():
            return Path(cand)
    raise PgError("no PostgreSQL binaries found (install postgresql-15 or set PG_BINDIR)")


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def lsn_to_int(lsn: str) -> int:
    hi, lo = lsn.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


LSN_RE = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")


def run_user_prefix(user: str | None) -> list[str]:
    """argv prefix that runs a command as USER (PostgreSQL refuses to run as root)."""
    if user is None or os.geteuid() != 0 or user == "root":
        return []
    return ["runuser", "-u", user, "--"]


def owner_of(path: Path) -> str:
    return pwd.getpwuid(path.stat().st_uid).pw_name


def chown_to(path: Path, user: str, recursive: bool = False) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(user)
    paths = [path]
    if recursive:
        paths += [Path(root, name) for root, dirs, files in os.walk(path) for name in dirs + files]
    for p in paths:
        os.chown(p, entry.pw_uid, entry.pw_gid)


@dataclass
class ConnInfo:
    host: str
    port: int
    user: str
    password: str | None
    dbname: str

    @classmethod
    def parse(cls, url: str) -> "ConnInfo":
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError(f"not a postgresql:// URL: {parts.scheme}://…")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                   user=unquote(parts.username or "postgres"),
                   password=unquote(parts.password) if parts.password else None,
                   dbname=unquote(parts.path.lstrip("/")) or "postgres")


class _PsqlSession:
    """One long-lived psql process: a statement costs milliseconds instead of the
    100+ ms a new psql process (and connection) costs on a loaded machine."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.marker = "__neon_end_" + os.urandom(6).hex()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read_until_marker(self) -> tuple[list[str], str]:
        assert self.proc.stdout is not None
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise PgError("the psql session ended unexpectedly")
            if line.startswith(self.marker):
                return lines, line[len(self.marker):].strip()
            lines.append(line.rstrip("\n"))

    def run(self, statement: str, timeout: float) -> list[str]:
        assert self.proc.stdin is not None
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            self.proc.stdin.write(f"{statement};\n\\echo {self.marker} :ERROR\n")
            self.proc.stdin.flush()
            lines, failed = self._read_until_marker()
            if failed == "true":
                self.proc.stdin.write(f"\\echo :LAST_ERROR_MESSAGE\n\\echo {self.marker}\n")
                self.proc.stdin.flush()
                message, _ = self._read_until_marker()
                raise PgError("ERROR:  " + " ".join(message).strip())
            return lines
        except (BrokenPipeError, OSError) as err:
            raise PgError(f"the psql session failed: {err}") from err
        finally:
            timer.cancel()

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class Cluster:
    """Superuser access to one cluster. Thread-safe.

    Statements on the default database go through a small pool of long-lived
    psql sessions; other databases get a psql process per call.
    """

    def __init__(self, url: str, bindir: Path, pooled: bool = True):
        self.conn = ConnInfo.parse(url)
        self.bindir = bindir
        self.url = url
        self.pooled = pooled
        self._idle: list[_PsqlSession] = []
        self._pool_lock = threading.Lock()
        self._major: int | None = None

    def close(self) -> None:
        with self._pool_lock:
            sessions, self._idle = self._idle, []
        for session in sessions:
            session.close()

    # -- running client programs ---------------------------------------------

    def _env(self, password: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env["PGAPPNAME"] = APP_NAME
        env["PGCONNECT_TIMEOUT"] = "10"
        env.pop("PGSERVICE", None)
        pw = password if password is not None else self.conn.password
        if pw:
            env["PGPASSWORD"] = pw
        else:
            env.pop("PGPASSWORD", None)
        return env

    def conn_args(self, dbname: str | None = None) -> list[str]:
        return ["-h", self.conn.host, "-p", str(self.conn.port), "-U", self.conn.user,
                "-d", dbname or self.conn.dbname]

    def psql(self, sql: str, dbname: str | None = None, timeout: float = 120) -> str:
        """Run SQL (statements one by one, autocommit, stop at the first error);
        return the unaligned tuples of all of them."""
        if not self.pooled or dbname not in (None, self.conn.dbname):
            return self._psql_process(sql, dbname, timeout)
        with self._pool_lock:
            session = self._idle.pop() if self._idle else None
        if session is None or not session.alive():
            session = _PsqlSession([str(self.bindir / "psql"), "-X", "-A", "-t", "-q",
                                    *self.conn_args()], self._env())
        out: list[str] = []
        try:
            for statement in (s.strip() for s in sql.split(";\n")):
                statement = statement.rstrip(";").strip()
                if statement:
                    out += session.run(statement, timeout)
        except PgError:
            if not session.alive():
                raise
            self._release(session)
            raise
        self._release(session)
        return "\n".join(out).strip()

    def _release(self, session: _PsqlSession) -> None:
        with self._pool_lock:
            if len(self._idle) < 8:
                self._idle.append(session)
                return
        session.close()

    def _psql_process(self, sql: str, dbname: str | None, timeout: float) -> str:
        cmd = [str(self.bindir / "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
               *self.conn_args(dbname), "-f", "-"]
        proc = subprocess.run(cmd, input=sql, capture_output=True, text=True,
                              env=self._env(), timeout=timeout)
        if proc.returncode != 0:
            raise PgError(proc.stderr.strip() or f"psql exited with {proc.returncode}")
        return proc.stdout.strip()

    def scalar(self, sql: str, dbname: str | None = None) -> str:
        out = self.psql(sql, dbname)
        return out.splitlines()[0] if out else ""

    # -- facts -----------------------------------------------------------------

    def current_lsn(self) -> str:
        return self.scalar("SELECT pg_current_wal_lsn()")

    def server_major(self) -> int:
        if self._major is None:
            self._major = int(self.scalar("SHOW server_version_num")) // 10000
        return self._major

    def setting(self, name: str) -> str:
        return self.scalar(f"SELECT current_setting({literal(name)}, true)")

    def database_exists(self, name: str) -> bool:
        return self.scalar(f"SELECT count(*) FROM pg_database WHERE datname = {literal(name)}") == "1"

    def role_exists(self, name: str) -> bool:
        return self.scalar(f"SELECT count(*) FROM pg_roles WHERE rolname = {literal(name)}") == "1"

    def database_size(self, name: str) -> int:
        return int(self.scalar(f"SELECT pg_database_size({literal(name)})") or 0)

    # -- roles -------------------------------------------------------------------

    def ensure_group(self) -> bool:
        """Create the API role group; True when this call created it."""
        if self.role_exists(API_ROLE_GROUP):
            return False
        self.psql(f"CREATE ROLE {ident(API_ROLE_GROUP)} NOLOGIN")
        return True

    def create_or_adopt_role(self, name: str, password: str, login: bool = True) -> bool:
        """Create role NAME (or take over an existing one); True when created here."""
        created = not self.role_exists(name)
        verb = "CREATE" if created else "ALTER"
        login_kw = "LOGIN" if login else "NOLOGIN"
        self.psql(f"{verb} ROLE {ident(name)} {login_kw} PASSWORD {literal(password)};\n"
                  f"GRANT {ident(API_ROLE_GROUP)} TO {ident(name)};")
        return created

    def set_password(self, name: str, password: str) -> None:
        self.psql(f"ALTER ROLE {ident(name)} PASSWORD {literal(password)}")

    def drop_role(self, name: str) -> None:
        self.psql(f"DROP ROLE IF EXISTS {ident(name)}")

    # -- databases ---------------------------------------------------------------

    def create_database(self, name: str, owner: str, allow_connections: bool = True) -> None:
        self.psql(f"CREATE DATABASE {ident(name)} OWNER {ident(owner)} "
                  f"ALLOW_CONNECTIONS {str(allow_connections).lower()}")

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")

    def set_allow_connections(self, name: str, allow: bool) -> None:
        self.psql(f"ALTER DATABASE {ident(name)} ALLOW_CONNECTIONS {str(allow).lower()}")

    def allows_connections(self, name: str) -> bool:
        return self.scalar(f"SELECT datallowconn FROM pg_database WHERE datname = {literal(name)}") == "t"

    def terminate(self, name: str) -> None:
        self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  f"WHERE datname = {literal(name)} AND pid <> pg_backend_pid()")

    def rename_databases(self, renames: list[tuple[str, str]]) -> None:
        """Rename databases (old, new) in order, dropping their sessions first.

        Neon drops a branch's connections when it is reset or its computes move;
        this is where the fake does the same. New connections are held off with
        ALLOW_CONNECTIONS false while the sessions go away; each database gets its
        own flag back under its new name (renames may chain through a temporary name).
        """
        flags: dict[str, bool] = {}
        for old, _ in renames:
            if old not in flags and self.database_exists(old):
                flags[old] = self.allows_connections(old)
                self.set_allow_connections(old, False)
        for old, new in renames:
            for attempt in range(50):
                self.terminate(old)
                try:
                    self.psql(f"ALTER DATABASE {ident(old)} RENAME TO {ident(new)}")
                    break
                except PgError as err:
                    if "being accessed by other users" not in str(err) or attempt == 49:
                        raise
                    time.sleep(0.05)
            flags[new] = flags.pop(old, False)
        for name, allow in flags.items():
            if allow:
                self.set_allow_connections(name, True)

    def clone_database(self, source: str, target: str, owner: str, allow_connections: bool,
                       schema_only: bool = False) -> str:
        """Copy database SOURCE into a new database TARGET; return the method used.

        CREATE DATABASE … TEMPLATE is fast but needs SOURCE to have no other
        sessions. Terminating a branch's sessions just to copy it would be wrong
        (the branch is live), so when someone is connected the copy falls back to
        pg_dump | pg_restore, which reads one consistent snapshot.
        """
        if not schema_only:
            strategy = " STRATEGY FILE_COPY" if self.server_major() >= 15 else ""
            try:
                self.psql(f"CREATE DATABASE {ident(target)} TEMPLATE {ident(source)} "
                          f"OWNER {ident(owner)} ALLOW_CONNECTIONS "
                          f"{str(allow_connections).lower()}{strategy}")
                return "template"
            except PgError as err:
                if "is being accessed by other users" not in str(err):
                    raise
        self.create_database(target, owner, allow_connections=True)
        try:
            self.copy_by_dump(self.conn_args(source), self._env(), target, schema_only=schema_only)
            if not allow_connections:
                self.set_allow_connections(target, False)
        except Exception:
            self.drop_database(target)
            raise
        return "dump"

    def copy_by_dump(self, source_args: list[str], source_env: dict[str, str], target: str,
                     schema_only: bool = False) -> None:
        """pg_dump (any cluster, given its connection args) | pg_restore into TARGET here."""
        dump_cmd = [str(self.bindir / "pg_dump"), "-Fc", "--no-sync", *source_args]
        if schema_only:
            dump_cmd.append("--schema-only")
        restore_cmd = [str(self.bindir / "pg_restore"), "--exit-on-error", "--single-transaction",
                       *self.conn_args(target)]
        with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as restore_err:
            dump = subprocess.Popen(dump_cmd, stdout=subprocess.PIPE, stderr=dump_err, env=source_env)
            restore = subprocess.Popen(restore_cmd, stdin=dump.stdout, stderr=restore_err,
                                       env=self._env())
            assert dump.stdout is not None
            dump.stdout.close()
            restore_rc = restore.wait(timeout=600)
            dump_rc = dump.wait(timeout=600)
            if dump_rc != 0 or restore_rc != 0:
                dump_err.seek(0)
                restore_err.seek(0)
                raise PgError("copy by pg_dump | pg_restore failed: "
                              f"{dump_err.read().decode(errors='replace').strip()} "
                              f"{restore_err.read().decode(errors='replace').strip()}".strip())


# ---------------------------------------------------------------------------
# Our own archiving cluster


class OwnCluster:
    """A throwaway cluster from scripts/pg-throwaway, set up for PITR and TLS.

    pg-throwaway itself is not changed: the settings go into
    postgresql.auto.conf (ALTER SYSTEM) and pg_hba.conf, then the cluster is
    restarted through pg-throwaway stop/start.
    """

    def __init__(self, throwaway: Path, directory: Path, bindir: Path):
        self.throwaway = throwaway
        self.directory = directory
        self.bindir = bindir
        self.archive_dir = directory / "wal-archive"
        self.url = ""

    def _throwaway(self, *args: str) -> str:
        proc = subprocess.run([str(self.throwaway), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise PgError(f"pg-throwaway {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout.strip()

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def start(self, cert: Path, key: Path) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o755)
        self.url = self._throwaway("start", str(self.directory))
        owner = owner_of(self.data_dir)
        self.archive_dir.mkdir(exist_ok=True)
        chown_to(self.archive_dir, owner)
        for src, name in ((cert, "neon-test-server.crt"), (key, "neon-test-server.key")):
            dst = self.data_dir / name
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o600)
            chown_to(dst, owner)
        archive = str(self.archive_dir)
        command = f"test ! -f '{archive}/%f' && cp '%p' '{archive}/%f'"
        cluster = Cluster(self.url, self.bindir)
        cluster.psql(
            "ALTER SYSTEM SET wal_level = 'replica';\n"
            "ALTER SYSTEM SET archive_mode = 'on';\n"
            f"ALTER SYSTEM SET archive_command = {literal(command)};\n"
            "ALTER SYSTEM SET ssl = 'on';\n"
            "ALTER SYSTEM SET ssl_cert_file = 'neon-test-server.crt';\n"
            "ALTER SYSTEM SET ssl_key_file = 'neon-test-server.key';\n")
        cluster.close()
        # API roles must log in with their password over TLS, as on Neon; the
        # superuser keeps pg-throwaway's trust rules.
        hba = self.data_dir / "pg_hba.conf"
        rules = (f"hostnossl all +{API_ROLE_GROUP} 127.0.0.1/32 reject\n"
                 f"hostssl   all +{API_ROLE_GROUP} 127.0.0.1/32 scram-sha-256\n")
        text = hba.read_text()
        if rules not in text:
            with open(hba, "w") as fh:  # rewrite in place: keeps owner and mode
                fh.write(rules + text)
        # archive_mode needs a restart; pg_ctl restart keeps the port (and the URL).
        owner_cmd = run_user_prefix(owner) + [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir),
                                              "-l", str(self.directory / "postgres.log"),
                                              "-m", "fast", "-w", "-t", "120", "restart"]
        proc = subprocess.run(owner_cmd, capture_output=True, text=True, cwd=self.directory)
        if proc.returncode != 0:
            raise PgError(f"pg_ctl restart failed: {proc.stderr.strip() or proc.stdout.strip()}")
        check = Cluster(self.url, self.bindir, pooled=False)
        if check.setting("archive_mode") != "on":
            raise PgError("archive_mode did not turn on after the restart")
        return self.url

    def stop(self, remove: bool) -> None:
        if remove and (self.data_dir / "postmaster.pid").exists():
            # The files are thrown away: skip the shutdown checkpoint and the
            # archiver's last copies.
            subprocess.run(run_user_prefix(owner_of(self.data_dir)) +
                           [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m",
                            "immediate", "-w", "stop"], capture_output=True, cwd=self.directory)
        args = ["stop", str(self.directory)] + (["--remove"] if remove else [])
        try:
            self._throwaway(*args)
        except PgError:
            pass


# ---------------------------------------------------------------------------
# Point-in-time recovery


class PitrUnavailable(Exception):
    """The request asks for history this server cannot reconstruct."""


@dataclass
class DumpRequest:
    historical_name: str  # the database's name in the cluster at the target point
    target_name: str      # the new database to create in the main cluster
    owner: str


@dataclass
class BaseBackup:
    path: Path
    time: dt.datetime  # recovery can stop at any moment after this one...
    lsn: str           # ...and at any LSN after this one


class PointInTime:
    """Materialises past states of databases with a temporary recovery cluster.

    Replaying WAL gets slower as the archive grows (every CREATE DATABASE
    replays a directory copy), so a maintenance thread takes a fresh base backup
    once WAL_PER_BACKUP bytes were written since the newest one. A recovery
    starts from the newest backup taken before its target; the oldest of
    MAX_BACKUPS backups sets the start of the reachable history.
    """

    WAL_PER_BACKUP = 48 * 1024 * 1024
    MAX_BACKUPS = 6

    def __init__(self, cluster: Cluster, archive_dir: Path, work_dir: Path, run_user: str):
        self.cluster = cluster
        self.archive_dir = archive_dir
        self.work_dir = work_dir
        self.run_user = run_user
        self.backups: list[BaseBackup] = []
        self._lock = threading.Lock()  # one recovery cluster (or backup) at a time
        self._spare_thread: threading.Thread | None = None
        self._spare_of: Path | None = None
        self._stop = threading.Event()
        self._counter = 0
        self.timing_log = None

    @property
    def backup_time(self) -> dt.datetime | None:
        return self.backups[0].time if self.backups else None

    @property
    def backup_lsn(self) -> str | None:
        return self.backups[0].lsn if self.backups else None

    def _run(self, argv: list[str], timeout: float = 300, **kw) -> subprocess.CompletedProcess:
        proc = subprocess.run(run_user_prefix(self.run_user) + argv, capture_output=True, text=True,
                              timeout=timeout, cwd=self.work_dir, **kw)
        if proc.returncode != 0:
            raise PgError(f"{Path(argv[0]).name} failed: {(proc.stderr or proc.stdout).strip()}")
        return proc

    def start(self) -> None:
        """Take the first base backup and start the maintenance thread."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work_dir, 0o755)
        chown_to(self.work_dir, self.run_user)
        with self._lock:
            self._take_base_backup()
        threading.Thread(target=self._maintain, name="pitr-backups", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._spare_thread is not None:
                self._spare_thread.join()

    def _maintain(self) -> None:
        while not self._stop.wait(3):
            try:
                written = lsn_to_int(self.cluster.current_lsn()) - lsn_to_int(self.backups[-1].lsn)
                if written < self.WAL_PER_BACKUP:
                    continue
                with self._lock:
                    if not self._stop.is_set():
                        self._take_base_backup()
            except Exception as err:  # noqa: BLE001 - retried at the next wake-up
                if self.timing_log:
                    self.timing_log(f"base backup failed: {err}")

    def _take_base_backup(self) -> None:
        self._counter += 1
        path = self.work_dir / f"base-backup-{self._counter}"
        shutil.rmtree(path, ignore_errors=True)
        c = self.cluster.conn
        started = time.monotonic()
        self._run([str(self.cluster.bindir / "pg_basebackup"), "-h", c.host, "-p", str(c.port),
                   "-U", c.user, "-D", str(path), "-c", "fast", "--no-sync",
                   # The WAL comes from the archive at recovery: a smaller copy each time.
                   "-X", "none"],
                  env=self.cluster._env())
        # Recovery can only stop after the backup's end; everything after this
        # moment (and this LSN) is reachable.
        self.backups.append(BaseBackup(path, dt.datetime.now(dt.timezone.utc),
                                       self.cluster.current_lsn()))
        while len(self.backups) > self.MAX_BACKUPS:
            shutil.rmtree(self.backups.pop(0).path, ignore_errors=True)
        if self.timing_log and len(self.backups) > 1:
            self.timing_log(f"took base backup {self._counter} in "
                            f"{time.monotonic() - started:.1f}s")
        self._prepare_spare()

    def _backup_for(self, target) -> BaseBackup:
        kind, value = target
        usable = [b for b in self.backups
                  if (b.time <= value if kind == "time" else lsn_to_int(b.lsn) <= lsn_to_int(value))]
        if not usable:
            raise PitrUnavailable("the requested point is before the oldest base backup")
        return usable[-1]

    # Copying a base backup is the slowest step on a busy machine, so a copy of
    # the newest one is made in the background for the next recovery.

    def _prepare_spare(self) -> None:
        if self._spare_thread is not None:
            self._spare_thread.join()
        source = self.backups[-1].path

        def copy():
            target = self.work_dir / "spare-copy"
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(self.work_dir / "spare", ignore_errors=True)
            try:
                self._run(["cp", "-a", str(source), str(target)])
                target.rename(self.work_dir / "spare")
                self._spare_of = source
            except (PgError, OSError):
                shutil.rmtree(target, ignore_errors=True)

        self._spare_of = None
        self._spare_thread = threading.Thread(target=copy, name="pitr-spare", daemon=True)
        self._spare_thread.start()

    def _take_spare(self, backup: BaseBackup, data: Path) -> None:
        if self._spare_thread is not None:
            self._spare_thread.join()
            self._spare_thread = None
        spare = self.work_dir / "spare"
        if self._spare_of == backup.path and spare.is_dir():
            spare.rename(data)
            self._spare_of = None
        else:
            self._run(["cp", "-a", str(backup.path), str(data)])

    def _archive_now(self) -> None:
        """Make sure the WAL up to now is in the archive, with a commit after now.

        Recovery to a timestamp stops at the first commit after it, so one is
        written (txid_current() commits a transaction id) before the switch.
        """
        self.cluster.psql("SELECT txid_current()")
        segment = self.cluster.scalar("SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = self.cluster.scalar("SELECT coalesce(last_archived_wal, '') || '|' || "
                                      "coalesce(last_failed_wal, '') FROM pg_stat_archiver")
            archived, failed = row.split("|")
            if archived and archived[:24] >= segment:
                return
            if failed and failed == segment:
                raise PgError(f"archiving WAL segment {segment} failed (see the cluster's log)")
            time.sleep(0.05)
        raise PgError(f"WAL segment {segment} was not archived within 60 s")

    def materialize(self, target: tuple[str, object], dumps: list[DumpRequest],
                    allow_connections: bool) -> str:
        """Create each dump's target database as of TARGET; return the LSN reached.

        TARGET is ("time", aware datetime) or ("lsn", "X/Y").
        """
        with self._lock:
            return self._materialize(target, dumps, allow_connections)

    def _materialize(self, target, dumps, allow_connections) -> str:
        t0 = time.monotonic()
        marks = []

        def mark(what: str) -> None:
            marks.append(f"{what} {time.monotonic() - t0:.2f}s")

        self._archive_now()
        mark("archived")
        kind, value = target
        recovery_dir = Path(tempfile.mkdtemp(prefix="recovery-", dir=self.work_dir))
        socket_dir = Path(tempfile.mkdtemp(prefix="neon-rec-", dir="/tmp"))
        chown_to(recovery_dir, self.run_user)
        chown_to(socket_dir, self.run_user)
        os.chmod(socket_dir, 0o755)
        pg_ctl = str(self.cluster.bindir / "pg_ctl")
        data = recovery_dir / "data"
        started = False
        try:
            backup = self._backup_for(target)
            self._take_spare(backup, data)
            mark("copied")
            if kind == "time":
                target_line = f"recovery_target_time = {literal(value.isoformat())}"
            else:
                # Neon's branch "at LSN X" holds the WAL before X: stop before the
                # record starting at X, which also round-trips the LSN reported below.
                target_line = (f"recovery_target_lsn = {literal(value)}\n"
                               "recovery_target_inclusive = 'false'")
            archive = str(self.archive_dir)
            # postgresql.auto.conf is read last, so these win over the copied
            # settings; archive_mode off keeps the copy out of the shared archive.
            (data / "postgresql.auto.conf").write_text(
                "archive_mode = 'off'\n"
                f"restore_command = {literal(f'cp {archive}/%f %p')}\n"
                f"{target_line}\n"
                "recovery_target_action = 'promote'\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = {literal(str(socket_dir))}\n"
                "port = 5432\n"
                "ssl = 'off'\n"
                "hot_standby = 'on'\n")
            (data / "recovery.signal").write_text("")
            for name in ("postgresql.auto.conf", "recovery.signal"):
                chown_to(data / name, self.run_user)
            self._run([pg_ctl, "-D", str(data), "-l", str(recovery_dir / "recovery.log"), "-w",
                       "-t", "120", "start"], timeout=180)
            started = True
            mark("started")
            recovery = Cluster(f"postgresql://{self.cluster.conn.user}@localhost:5432/postgres",
                               self.cluster.bindir, pooled=False)
            recovery.conn.host = str(socket_dir)
            deadline = time.monotonic() + 120
            while True:
                try:
                    if recovery.scalar("SELECT pg_is_in_recovery()") == "f":
                        break
                except PgError:
                    log = (recovery_dir / "recovery.log").read_text(errors="replace")
                    if "FATAL" in log:
                        raise PgError("recovery failed: " + log.strip().splitlines()[-1])
                if time.monotonic() > deadline:
                    raise PgError("recovery did not reach the target within 120 s")
                time.sleep(0.05)
            lsn = recovery.scalar("SELECT pg_last_wal_replay_lsn()")
            mark("recovered")
            for d in dumps:
                if not recovery.database_exists(d.historical_name):
                    raise PitrUnavailable(f"database {d.historical_name} did not exist at that point")
                if not recovery.allows_connections(d.historical_name):
                    recovery.set_allow_connections(d.historical_name, True)
            for d in dumps:
                self.cluster.create_database(d.target_name, d.owner, allow_connections=True)
                try:
                    self.cluster.copy_by_dump(recovery.conn_args(d.historical_name), recovery._env(),
                                              d.target_name)
                    if not allow_connections:
                        self.cluster.set_allow_connections(d.target_name, False)
                except Exception:
                    self.cluster.drop_database(d.target_name)
                    raise
            mark("restored")
            return lsn
        finally:
            if self.timing_log:
                self.timing_log(f"point-in-time recovery to {value}: " + ", ".join(marks))
            if started:
                subprocess.run(run_user_prefix(self.run_user) +
                               [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                               capture_output=True, cwd=self.work_dir)
            shutil.rmtree(recovery_dir, ignore_errors=True)
            shutil.rmtree(socket_dir, ignore_errors=True)
            if self._spare_thread is None and self._spare_of != self.backups[-1].path:
                self._prepare_spare()
