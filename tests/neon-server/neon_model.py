"""The Neon project model of the test server: branches, endpoints, databases,
roles, snapshots and operations, each branch backed by real databases.

Concurrency: one re-entrant lock guards the model. A mutating request runs in
three phases: (A) under the lock it validates, refuses with 423 while the
project has running operations, and records the new objects and a Job of
operations; (B) without the lock it does the PostgreSQL work (cloning,
renaming, point-in-time recovery, which runs in a background thread); (C) under
the lock it records the result. Operations report "running" until their work is
done and the configured delay has passed; the ticker thread then opens the new
databases for connections and marks them "finished".

Backing databases: every (branch, database) pair is a real database in the
cluster, named ``neon_<branch id>_<database>`` when created (see physical_name).
The name follows the data, not the branch: a finalized snapshot restore swaps
the names so the endpoint's connection URI keeps working, and a branch restore
keeps the target's name. Each branch keeps a history of which physical name
held each of its databases since when, so that point-in-time requests know
which database to dump from the recovery cluster.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import string
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

import neon_pg
from neon_pg import Cluster, DumpRequest, LSN_RE, PgError, PitrUnavailable, PointInTime, lsn_to_int

UTC = dt.timezone.utc
LOCKED_MESSAGE = ("project already has running conflicting operations, "
                  "scheduling of new ones is prohibited")
MAX_PG_IDENT = 63

_ADJECTIVES = ("quiet", "bold", "wispy", "dawn", "small", "cool", "proud", "misty", "silent",
               "shiny", "young", "lucky", "calm", "broad", "snowy", "dry", "soft", "late")
_NOUNS = ("lake", "frost", "meadow", "scene", "bush", "dust", "paper", "river", "smoke",
          "wind", "pine", "sunset", "breeze", "hill", "field", "cloud", "forest", "sky")


class ApiError(Exception):
    """An error response: status plus the GeneralError message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value, field_name: str) -> dt.datetime:
    """RFC 3339 with a zone, as Neon's (Go) decoder wants it; fractions allowed."""
    if not isinstance(value, str):
        raise ApiError(400, f"invalid request: decode application/json: invalid: {field_name} "
                            "(expected an RFC 3339 timestamp string)")
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ApiError(400, f'invalid request: {field_name}: parsing time "{value}" as RFC 3339 '
                            'failed (use e.g. 2025-06-09T18:02:16Z)')
    return parsed.astimezone(UTC)


def random_id(prefix: str) -> str:
    tail = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    return f"{prefix}-{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{tail}"


def new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "npg_" + "".join(secrets.choice(alphabet) for _ in range(12))


def physical_name(key: str, dbname: str) -> str:
    """Backing database name for KEY (a branch, snapshot or temp id) and DBNAME."""
    name = f"neon_{key}_{dbname}"
    if len(name.encode()) <= MAX_PG_IDENT:
        return name
    digest = hashlib.sha1(dbname.encode()).hexdigest()[:10]
    return f"neon_{key}_{digest}"[:MAX_PG_IDENT]


def body_object(body, key: str, required: bool = True) -> dict:
    """The wrapper object BODY[KEY] with Neon's decode error when it is missing."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid request: decode application/json: expected an object")
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"invalid request: decode application/json: invalid: {key} "
                                "(field required)")
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, f"invalid request: decode application/json: invalid: {key} "
                            "(expected an object)")
    return value


def opt_str(obj: dict, key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"invalid request: decode application/json: invalid: {path} "
                            "(expected a string)")
    return value


def opt_bool(obj: dict, key: str, path: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"invalid request: decode application/json: invalid: {path} "
                            "(expected a boolean)")
    return value


def query_bool(query: dict, key: str) -> bool | None:
    if key not in query:
        return None
    value = query[key].lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ApiError(400, f"invalid request: query parameter {key}: expected true or false")


def query_int(query: dict, key: str, lo: int, hi: int) -> int | None:
    if key not in query:
        return None
    try:
        value = int(query[key])
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise ApiError(400, f"invalid request: query parameter {key}: must be an integer "
                            f"from {lo} to {hi}")
    return value


# ---------------------------------------------------------------------------
# Model objects


@dataclass
class Database:
    id: int
    name: str
    owner: str
    physical: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class RoleEntry:
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    protected: bool = False


@dataclass
class History:
    since: dt.datetime
    lsn: int
    databases: dict[str, str]  # API database name -> physical name at that time


@dataclass
class Branch:
    id: str
    name: str
    created_at: dt.datetime
    parent_id: str | None = None
    parent_lsn: str | None = None
    parent_timestamp: dt.datetime | None = None
    current_state: str = "init"
    pending_state: str | None = "ready"
    state_changed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    default: bool = False
    protected: bool = False
    init_source: str = "parent-data"
    expires_at: dt.datetime | None = None
    ttl_interval_seconds: int | None = None
    last_reset_at: dt.datetime | None = None
    restore_status: str | None = None
    restored_from: str | None = None
    restored_as: str | None = None
    restore_target: str | None = None  # internal: the branch a restored branch replaces
    databases: dict[str, Database] = field(default_factory=dict)
    roles: dict[str, RoleEntry] = field(default_factory=dict)
    history: list[History] = field(default_factory=list)
    annotation: dict[str, str] = field(default_factory=dict)
    backup_schedule: list[dict] = field(default_factory=list)

    def set_state(self, current: str, pending: str | None, at: dt.datetime) -> None:
        self.current_state = current
        self.pending_state = pending
        self.state_changed_at = at
        self.updated_at = at


@dataclass
class Endpoint:
    id: str
    branch_id: str
    type: str
    created_at: dt.datetime
    updated_at: dt.datetime
    current_state: str = "init"
    pending_state: str | None = "active"
    min_cu: float = 0.25
    max_cu: float = 0.25
    suspend_timeout_seconds: int = 0
    name: str | None = None
    disabled: bool = False
    started_at: dt.datetime | None = None
    suspended_at: dt.datetime | None = None
    last_active: dt.datetime | None = None


@dataclass
class Snapshot:
    id: str
    name: str
    source_branch_id: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    lsn: str | None = None
    timestamp: dt.datetime | None = None
    databases: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (physical, owner)
    roles: list[str] = field(default_factory=list)
    history: list[History] = field(default_factory=list)
    ready: bool = False
    full_size: int | None = None


@dataclass
class Operation:
    id: str
    action: str
    created_at: dt.datetime
    branch_id: str | None
    endpoint_id: str | None
    status: str = "running"
    error: str | None = None
    updated_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


@dataclass
class Job:
    """Operations started by one request; they end together."""
    ops: list[Operation]
    due: dt.datetime
    inject_failure: bool = False
    work_done: bool = False
    failed: str | None = None
    finishing: bool = False
    finished: bool = False
    open_databases: list[str] = field(default_factory=list)
    on_finish: list[Callable[[dt.datetime], None]] = field(default_factory=list)


@dataclass
class Config:
    project_id: str
    project_name: str
    region_id: str
    owner_role: str
    database_name: str
    operation_delay_ms: int
    snapshot_quota: int
    history_retention_seconds: int
    connect_gate: bool
    uri_query: str
    pitr_unavailable_reason: str | None = None


@dataclass
class Request:
    """What a route handler sees."""
    params: dict[str, str]
    query: dict[str, str]
    body: object
    op_fail: bool = False


# ---------------------------------------------------------------------------


class NeonState:
    def __init__(self, cluster: Cluster, pitr: PointInTime | None, config: Config, log=print):
        self.cluster = cluster
        self.pitr = pitr
        self.config = config
        self.log = log
        self.lock = threading.RLock()
        self.created_at = now()
        self.branches: dict[str, Branch] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self.operations: dict[str, Operation] = {}
        self.jobs: list[Job] = []
        self.passwords: dict[str, str] = {}      # cluster role -> password
        self.created_roles: set[str] = set()     # roles this server created (dropped at exit)
        self.pending_physical: set[str] = set()  # databases being built (dropped at exit)
        self.group_created = False
        self._db_ids = 0
        self._last_op_time = now()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.initial_ids = (random_id("br"), random_id("ep"))
        host = cluster.conn.host if cluster.conn.host not in ("localhost", "") else "127.0.0.1"
        self.pg_host = host
        self.pg_port = cluster.conn.port
        self.pg_major = cluster.server_major()

    # -- lifecycle ----------------------------------------------------------------

    def bootstrap(self) -> None:
        """Create the project's default branch `main` with its endpoint, role and database."""
        self.group_created = self.cluster.ensure_group() or self.group_created
        role = self.config.owner_role
        if role not in self.passwords:
            password = new_password()
            if self.cluster.create_or_adopt_role(role, password):
                self.created_roles.add(role)
            self.passwords[role] = password
        t = now()
        branch_id, endpoint_id = self.initial_ids
        branch = Branch(id=branch_id, name="main", created_at=t, default=True,
                        current_state="ready", pending_state=None, state_changed_at=t, updated_at=t)
        db_name = self.config.database_name
        branch.databases[db_name] = Database(self._next_db_id(), db_name, role,
                                             physical_name(branch_id, db_name), t, t)
        branch.roles[role] = RoleEntry(role, t, t)
        self.cluster.drop_database(branch.databases[db_name].physical)
        self.cluster.create_database(branch.databases[db_name].physical, role)
        branch.history.append(History(t, lsn_to_int(self.cluster.current_lsn()),
                                      self._mapping(branch)))
        endpoint = Endpoint(endpoint_id, branch_id, "read_write", t, t, current_state="active",
                            pending_state=None, started_at=t, last_active=t)
        with self.lock:
            self.branches[branch.id] = branch
            self.endpoints[endpoint.id] = endpoint

    def start(self) -> None:
        self._ticker = threading.Thread(target=self._tick_loop, name="neon-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join(timeout=5)

    def physical_databases(self) -> list[str]:
        with self.lock:
            names = {d.physical for b in self.branches.values() for d in b.databases.values()}
            names |= {p for s in self.snapshots.values() for p, _ in s.databases.values()}
            names |= set(self.pending_physical)
        return sorted(names)

    def drop_everything(self, drop_roles: bool) -> None:
        """Drop every database (and, on exit, every role) this server created."""
        for name in self.physical_databases():
            try:
                self.cluster.drop_database(name)
            except PgError as err:
                self.log(f"cleanup: could not drop database {name}: {err}")
        with self.lock:
            self.branches.clear()
            self.endpoints.clear()
            self.snapshots.clear()
            self.operations.clear()
            self.jobs.clear()
            self.pending_physical.clear()
        if drop_roles:
            for role in sorted(self.created_roles):
                try:
                    self.cluster.drop_role(role)
                except PgError as err:
                    self.log(f"cleanup: could not drop role {role}: {err}")
            if self.group_created:
                try:
                    self.cluster.drop_role(neon_pg.API_ROLE_GROUP)
                except PgError as err:
                    self.log(f"cleanup: could not drop role {neon_pg.API_ROLE_GROUP}: {err}")

    def reset(self) -> None:
        """Back to the initial project (same IDs, same role password, empty database)."""
        with self.lock:
            busy = [j for j in self.jobs if not j.finished and not j.work_done]
        if busy:
            raise ApiError(423, "cannot reset while operations are doing work; retry shortly")
        self.drop_everything(drop_roles=False)
        self.bootstrap()

    # -- small helpers --------------------------------------------------------------

    def _next_db_id(self) -> int:
        self._db_ids += 1
        return 4_000_000 + self._db_ids

    @staticmethod
    def _mapping(branch: Branch) -> dict[str, str]:
        return {name: d.physical for name, d in branch.databases.items()}

    def _project(self, req: Request) -> None:
        if req.params.get("project_id") != self.config.project_id:
            raise ApiError(404, "project not found")

    def _branch(self, branch_id: str) -> Branch:
        branch = self.branches.get(branch_id)
        if branch is None:
            raise ApiError(404, "branch not found")
        return branch

    def _default_branch(self) -> Branch:
        for b in self.branches.values():
            if b.default:
                return b
        raise ApiError(404, "the project has no default branch")

    def _assert_unlocked(self) -> None:
        if any(not j.finished for j in self.jobs):
            raise ApiError(423, LOCKED_MESSAGE)

    def _name_taken(self, name: str, except_id: str | None = None) -> bool:
        return any(b.name == name and b.id != except_id for b in self.branches.values())

    def _unique_name(self, base: str) -> str:
        if not self._name_taken(base):
            return base
        n = 2
        while self._name_taken(f"{base[:-1]} {n})" if base.endswith(")") else f"{base} {n}"):
            n += 1
        return f"{base[:-1]} {n})" if base.endswith(")") else f"{base} {n}"

    def _validate_branch_name(self, name, path: str) -> str:
        if not isinstance(name, str) or not 1 <= len(name) <= 256:
            raise ApiError(400, f"invalid request: decode application/json: invalid: {path} "
                                "(string length must be from 1 to 256)")
        return name

    def _new_job(self, actions: list[tuple[str, str | None, str | None]], req: Request) -> Job:
        """Register operations (action, branch_id, endpoint_id) for one request."""
        t = now()
        if t <= self._last_op_time:  # strictly increasing: operation cursors rely on it
            t = self._last_op_time + dt.timedelta(microseconds=1)
        self._last_op_time = t
        ops = [Operation(str(uuid.uuid4()), action, t, branch_id, endpoint_id, updated_at=t)
               for action, branch_id, endpoint_id in actions]
        job = Job(ops, due=t + dt.timedelta(milliseconds=self.config.operation_delay_ms),
                  inject_failure=req.op_fail)
        for op in ops:
            self.operations[op.id] = op
        self.jobs.append(job)
        return job

    def _work_done(self, job: Job, error: str | None = None) -> None:
        # The delay counts from the end of the real work, so a slow copy (or a
        # point-in-time recovery) never shortens the window in which the
        # operation is visibly running.
        with self.lock:
            job.due = now() + dt.timedelta(milliseconds=self.config.operation_delay_ms)
            job.work_done = True
            if error:
                job.failed = error

    # -- point in time ------------------------------------------------------------------

    def _point(self, lsn_value, time_value, lsn_field: str, time_field: str):
        """Validate a requested point in history: None (head), ("lsn", str) or ("time", dt)."""
        if lsn_value is not None and time_value is not None:
            raise ApiError(400, f"invalid request: {lsn_field} and {time_field} cannot be used "
                                "together")
        if lsn_value is None and time_value is None:
            return None
        if self.pitr is None:
            raise ApiError(422, "point-in-time restore is not available on this test server: "
                                f"{self.config.pitr_unavailable_reason}")
        retention_start = max(self.pitr.backup_time,
                              now() - dt.timedelta(seconds=self.config.history_retention_seconds))
        if time_value is not None:
            t = parse_time(time_value, time_field)
            if t > now():
                raise ApiError(400, f'{time_field} is in the future; {time_field}:"{iso(t)}"')
            if t < retention_start:
                raise ApiError(400, f"{time_field} is outside of the project's history retention "
                                    f'window; {time_field}:"{t.isoformat()}", '
                                    f'retention_start:"{retention_start.isoformat()}"')
            return ("time", t)
        if not isinstance(lsn_value, str) or not LSN_RE.match(lsn_value):
            raise ApiError(400, f'invalid {lsn_field}: expected an LSN such as "0/1DE2850"')
        value = lsn_to_int(lsn_value)
        if value < lsn_to_int(self.pitr.backup_lsn):
            raise ApiError(400, f"{lsn_field} is outside of the project's history retention "
                                f'window; {lsn_field}:"{lsn_value}", '
                                f'retention_start_lsn:"{self.pitr.backup_lsn}"')
        if value > lsn_to_int(self.cluster.current_lsn()):
            raise ApiError(400, f'{lsn_field} is ahead of the branch\'s last LSN; '
                                f'{lsn_field}:"{lsn_value}"')
        return ("lsn", lsn_value.upper())

    @staticmethod
    def _history_at(history: list[History], point, what: str) -> dict[str, str]:
        kind, value = point
        found = None
        for entry in history:
            reached = entry.since <= value if kind == "time" else entry.lsn <= lsn_to_int(value)
            if reached:
                found = entry
        if found is None:
            raise ApiError(400, f"the requested point is before {what} existed; "
                                "choose a later timestamp or LSN")
        return dict(found.databases)

    @staticmethod
    def _history_until(history: list[History], t: dt.datetime) -> list[History]:
        return [h for h in history if h.since <= t]

    # -- JSON --------------------------------------------------------------------------

    def project_json(self, listing: bool = False) -> dict:
        c = self.config
        doc = {
            "id": c.project_id, "platform_id": "aws", "region_id": c.region_id,
            "name": c.project_name, "provisioner": "k8s-neonvm",
            "default_endpoint_settings": {"autoscaling_limit_min_cu": 0.25,
                                          "autoscaling_limit_max_cu": 0.25,
                                          "suspend_timeout_seconds": 0},
            "settings": {"allowed_ips": {"ips": [], "protected_branches_only": False},
                         "enable_logical_replication": False},
            "pg_version": self.pg_major,
            "proxy_host": self.pg_host, "branch_logical_size_limit": 0,
            "branch_logical_size_limit_bytes": 10 * 1024 ** 3, "store_passwords": True,
            "cpu_used_sec": 0, "creation_source": "console",
            "history_retention_seconds": c.history_retention_seconds,
            "created_at": iso(self.created_at), "updated_at": iso(self.created_at),
            "owner_id": "00000000-0000-4000-8000-000000000000",
        }
        if listing:
            doc["active_time"] = 0
        else:
            period_start = now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            next_month = (period_start + dt.timedelta(days=32)).replace(day=1)
            doc.update({"active_time_seconds": 0, "compute_time_seconds": 0,
                        "written_data_bytes": 0, "data_transfer_bytes": 0,
                        "data_storage_bytes_hour": 0,
                        "consumption_period_start": iso(period_start),
                        "consumption_period_end": iso(next_month)})
        return doc

    def branch_json(self, b: Branch) -> dict:
        doc = {
            "id": b.id, "project_id": self.config.project_id, "name": b.name,
            "current_state": b.current_state, "state_changed_at": iso(b.state_changed_at or b.created_at),
            "creation_source": "console", "primary": b.default, "default": b.default,
            "protected": b.protected, "cpu_used_sec": 0, "compute_time_seconds": 0,
            "active_time_seconds": 0, "written_data_bytes": 0, "data_transfer_bytes": 0,
            "created_at": iso(b.created_at), "updated_at": iso(b.updated_at or b.created_at),
            "init_source": b.init_source,
        }
        optional = {
            "parent_id": b.parent_id, "parent_lsn": b.parent_lsn,
            "parent_timestamp": iso(b.parent_timestamp), "pending_state": b.pending_state,
            "expires_at": iso(b.expires_at), "ttl_interval_seconds": b.ttl_interval_seconds,
            "last_reset_at": iso(b.last_reset_at), "restore_status": b.restore_status,
            "restored_from": b.restored_from, "restored_as": b.restored_as,
        }
        doc.update({k: v for k, v in optional.items() if v is not None})
        return doc

    def annotation_json(self, b: Branch) -> dict:
        return {"object": {"type": "console/branch", "id": b.id}, "value": dict(b.annotation),
                "created_at": iso(b.created_at), "updated_at": iso(b.updated_at or b.created_at)}

    @property
    def direct_host(self) -> str:
        return f"{self.pg_host}:{self.pg_port}"

    def pooler_host(self, ep: Endpoint) -> str:
        # Neon's pooled form puts -pooler after the endpoint ID. There is no pooler
        # here and *.localhost does not resolve everywhere: documented as not connectable.
        return f"{ep.id}-pooler.localhost:{self.pg_port}"

    def endpoint_json(self, e: Endpoint) -> dict:
        doc = {
            "host": self.direct_host, "id": e.id, "project_id": self.config.project_id,
            "branch_id": e.branch_id, "autoscaling_limit_min_cu": e.min_cu,
            "autoscaling_limit_max_cu": e.max_cu, "region_id": self.config.region_id,
            "type": e.type, "current_state": e.current_state, "settings": {"pg_settings": {}},
            "pooler_enabled": False, "pooler_mode": "transaction", "disabled": e.disabled,
            "passwordless_access": True, "creation_source": "console",
            "created_at": iso(e.created_at), "updated_at": iso(e.updated_at),
            "proxy_host": self.pg_host, "suspend_timeout_seconds": e.suspend_timeout_seconds,
            "provisioner": "k8s-neonvm", "compute_release_version": "test",
        }
        optional = {"pending_state": e.pending_state, "name": e.name,
                    "started_at": iso(e.started_at), "suspended_at": iso(e.suspended_at),
                    "last_active": iso(e.last_active)}
        doc.update({k: v for k, v in optional.items() if v is not None})
        return doc

    def op_json(self, op: Operation) -> dict:
        end = op.finished_at or now()
        doc = {"id": op.id, "project_id": self.config.project_id, "action": op.action,
               "status": op.status, "failures_count": 1 if op.status == "failed" else 0,
               "created_at": iso(op.created_at), "updated_at": iso(op.updated_at or op.created_at),
               "total_duration_ms": max(0, int((end - op.created_at).total_seconds() * 1000))}
        if op.branch_id:
            doc["branch_id"] = op.branch_id
        if op.endpoint_id:
            doc["endpoint_id"] = op.endpoint_id
        if op.error:
            doc["error"] = op.error
        return doc

    def role_json(self, branch: Branch, role: RoleEntry, with_password: bool = False) -> dict:
        doc = {"branch_id": branch.id, "name": role.name, "protected": role.protected,
               "authentication_method": "password",
               "created_at": iso(role.created_at), "updated_at": iso(role.updated_at)}
        if with_password:
            doc["password"] = self.passwords.get(role.name, "")
        return doc

    def database_json(self, branch: Branch, d: Database) -> dict:
        return {"id": d.id, "branch_id": branch.id, "name": d.name, "owner_name": d.owner,
                "created_at": iso(d.created_at), "updated_at": iso(d.updated_at)}

    def snapshot_json(self, s: Snapshot) -> dict:
        doc = {"id": s.id, "name": s.name, "created_at": iso(s.created_at),
               "source_branch_id": s.source_branch_id, "manual": True}
        optional = {"lsn": s.lsn, "timestamp": iso(s.timestamp), "expires_at": iso(s.expires_at),
                    "full_size": s.full_size}
        doc.update({k: v for k, v in optional.items() if v is not None})
        return doc

    def connection_uri(self, ep: Endpoint, role: str, d: Database, pooled: bool) -> str:
        host = self.pooler_host(ep) if pooled else self.direct_host
        query = self.config.uri_query
        if ep.type == "read_only":
            extra = "options=" + quote("-c default_transaction_read_only=on", safe="")
            query = f"{query}&{extra}" if query else extra
        uri = (f"postgresql://{quote(role, safe='')}:{quote(self.passwords.get(role, ''), safe='')}"
               f"@{host}/{quote(d.physical, safe='')}")
        return f"{uri}?{query}" if query else uri

    def connection_details(self, ep: Endpoint, role: str, d: Database) -> dict:
        return {"connection_uri": self.connection_uri(ep, role, d, pooled=False),
                "connection_parameters": {"database": d.physical,
                                          "password": self.passwords.get(role, ""),
                                          "role": role, "host": self.direct_host,
                                          "pooler_host": self.pooler_host(ep)}}

    # -- the ticker: finishing operations, expiring branches and snapshots ----------------

    def _tick_loop(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self._tick()
            except Exception:  # keep ticking; the request log shows the effects
                self.log("ticker error:\n" + traceback.format_exc())

    def _tick(self) -> None:
        t = now()
        with self.lock:
            due = [j for j in self.jobs if j.work_done and not j.finishing and t >= j.due]
            for j in due:
                j.finishing = True
        for job in due:
            error = job.failed
            if error is None and self.config.connect_gate:
                try:
                    for name in job.open_databases:
                        self.cluster.set_allow_connections(name, True)
                except PgError as err:
                    error = f"could not open the databases: {err}"
            if error is None and job.inject_failure:
                error = "injected failure (X-Neon-Test-Fault: op-fail)"
            with self.lock:
                end = now()
                for op in job.ops:
                    op.status = "failed" if error else "finished"
                    op.error = error
                    op.finished_at = op.updated_at = end
                if job.failed is None:
                    for callback in job.on_finish:
                        callback(end)
                job.finished = True
                self.jobs = [j for j in self.jobs if not j.finished]
        self._expire(t)

    def _expire(self, t: dt.datetime) -> None:
        with self.lock:
            if any(not j.finished for j in self.jobs):
                return
            branch = next((b for b in self.branches.values()
                           if b.expires_at and b.expires_at <= t and not b.default
                           and not any(c.parent_id == b.id for c in self.branches.values())), None)
            snapshot = next((s for s in self.snapshots.values()
                             if s.expires_at and s.expires_at <= t and s.ready), None)
        if branch:
            self.log(f"branch {branch.id} ({branch.name}) expired: deleting it")
            try:
                self.delete_branch(Request({"project_id": self.config.project_id,
                                            "branch_id": branch.id}, {}, None))
            except ApiError:
                pass
        if snapshot:
            self.log(f"snapshot {snapshot.id} expired: deleting it")
            try:
                self.delete_snapshot(Request({"project_id": self.config.project_id,
                                              "snapshot_id": snapshot.id}, {}, None))
            except ApiError:
                pass

    # -- background work ------------------------------------------------------------------

    def _run_async(self, job: Job, work: Callable[[], None], on_error: Callable[[], None]) -> None:
        """Run WORK in a thread (point-in-time recovery takes seconds); fail the job on error."""

        def runner():
            try:
                work()
                self._work_done(job)
            except Exception as err:  # noqa: BLE001 - any failure fails the operation
                message = err.message if isinstance(err, ApiError) else str(err)
                self.log(f"operation failed: {message}")
                try:
                    on_error()
                finally:
                    self._work_done(job, error=message or type(err).__name__)

        threading.Thread(target=runner, name="neon-work", daemon=True).start()

    def _materialize(self, point, dumps: list[DumpRequest], allow: bool | None = None) -> str:
        assert self.pitr is not None
        with self.lock:
            for d in dumps:
                self.pending_physical.add(d.target_name)
        allow = (not self.config.connect_gate) if allow is None else allow
        try:
            return self.pitr.materialize(point, dumps, allow_connections=allow)
        except PitrUnavailable as err:
            raise ApiError(400, str(err)) from err

    def _drop_quietly(self, names) -> None:
        for name in names:
            try:
                self.cluster.drop_database(name)
            except PgError as err:
                self.log(f"could not drop database {name}: {err}")
            with self.lock:
                self.pending_physical.discard(name)

    # =====================================================================================
    # Route handlers. Each takes a Request and returns (status, body or None).

    # -- projects ------------------------------------------------------------------------

    def list_projects(self, req: Request):
        limit = query_int(req.query, "limit", 1, 400) or 10
        search = req.query.get("search", "").lower()
        items = []
        if query_bool(req.query, "recoverable") is not True:
            c = self.config
            if search in c.project_id.lower() or search in c.project_name.lower():
                items.append(self.project_json(listing=True))
        cursor = req.query.get("cursor")
        if cursor:
            items = [p for p in items if p["id"] < cursor]
        items = items[:limit]
        doc = {"projects": items, "applications": {}, "integrations": {}}
        if items:
            doc["pagination"] = {"cursor": items[-1]["id"]}
        return 200, doc

    def get_project(self, req: Request):
        self._project(req)
        return 200, {"project": self.project_json()}

    # -- branches: reading ---------------------------------------------------------------

    def list_branches(self, req: Request):
        self._project(req)
        q = req.query
        sort_by = q.get("sort_by", "updated_at")
        sort_order = q.get("sort_order", "desc").lower()
        limit = query_int(q, "limit", 1, 10000) or 10000
        after = None
        if q.get("cursor"):
            try:
                token = json.loads(base64.urlsafe_b64decode(q["cursor"].encode()))
                sort_by, sort_order, after = token["sort_by"], token["sort_order"], token["after"]
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "invalid request: cursor is malformed") from None
        if sort_by not in ("name", "created_at", "updated_at"):
            raise ApiError(400, "invalid request: sort_by must be name, created_at or updated_at")
        if sort_order not in ("asc", "desc"):
            raise ApiError(400, "invalid request: sort_order must be asc or desc")
        search = q.get("search", "").lower()
        with self.lock:
            rows = [b for b in self.branches.values()
                    if not search or search in b.name.lower() or search in b.id.lower()]

            def key(b: Branch):
                if sort_by == "name":
                    return (b.name, b.id)
                value = b.created_at if sort_by == "created_at" else (b.updated_at or b.created_at)
                return (value.isoformat(), b.id)

            rows.sort(key=key, reverse=(sort_order == "desc"))
            if after is not None:
                after_key = tuple(after)
                rows = [b for b in rows
                        if (key(b) < after_key if sort_order == "desc" else key(b) > after_key)]
            page = rows[:limit]
            doc = {"branches": [self.branch_json(b) for b in page],
                   "annotations": {b.id: self.annotation_json(b) for b in page if b.annotation}}
            # Like the real API, a cursor comes back whenever the page is not empty;
            # the next page is then empty at the end of the list.
            pagination = {"sort_by": sort_by, "sort_order": sort_order.upper()}
            if page:
                token = {"sort_by": sort_by, "sort_order": sort_order, "after": list(key(page[-1]))}
                pagination["next"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            doc["pagination"] = pagination
        return 200, doc

    def count_branches(self, req: Request):
        self._project(req)
        search = req.query.get("search", "").lower()
        with self.lock:
            count = sum(1 for b in self.branches.values()
                        if not search or search in b.name.lower() or search in b.id.lower())
        return 200, {"count": count}

    def get_branch(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            return 200, {"branch": self.branch_json(b), "annotation": self.annotation_json(b)}

    def list_branch_endpoints(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            return 200, {"endpoints": [self.endpoint_json(e) for e in self.endpoints.values()
                                       if e.branch_id == b.id]}

    # -- branches: creating ----------------------------------------------------------------

    def _endpoint_specs(self, body) -> list[dict]:
        raw = body.get("endpoints") if isinstance(body, dict) else None
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise ApiError(400, "invalid request: decode application/json: invalid: endpoints "
                                "(expected an array)")
        specs = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise ApiError(400, f"invalid request: decode application/json: invalid: "
                                    f"endpoints[{i}] (expected an object)")
            specs.append(self._endpoint_options(item, f"endpoints[{i}]"))
        if sum(1 for s in specs if s["type"] == "read_write") > 1:
            raise ApiError(400, "a branch can have only one read-write endpoint")
        return specs

    @staticmethod
    def _endpoint_options(item: dict, path: str, require_type: bool = True) -> dict:
        ep_type = item.get("type")
        if require_type and ep_type is None:
            raise ApiError(400, f"invalid request: decode application/json: invalid: {path}.type "
                                "(field required)")
        if ep_type is not None and ep_type not in ("read_write", "read_only"):
            raise ApiError(400, f"invalid request: decode application/json: invalid: {path}.type "
                                '(must be "read_write" or "read_only")')
        out = {"type": ep_type}
        for key in ("autoscaling_limit_min_cu", "autoscaling_limit_max_cu"):
            value = item.get(key)
            if value is not None:
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0.25:
                    raise ApiError(400, f"invalid request: {path}.{key} must be a number >= 0.25")
                out[key] = float(value)
        timeout = item.get("suspend_timeout_seconds")
        if timeout is not None:
            if (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < -1
                    or timeout > 604800 or 0 < timeout < 60):
                raise ApiError(400, f"invalid request: {path}.suspend_timeout_seconds must be "
                                    "-1, 0 or from 60 to 604800")
            out["suspend_timeout_seconds"] = timeout
        name = item.get("name")
        if name is not None:
            if not isinstance(name, str) or not 1 <= len(name) <= 64:
                raise ApiError(400, f"invalid request: {path}.name must be 1 to 64 characters")
            out["name"] = name
        return out

    def _make_endpoint(self, branch_id: str, spec: dict, t: dt.datetime) -> Endpoint:
        ep = Endpoint(random_id("ep"), branch_id, spec["type"], t, t)
        min_cu = spec.get("autoscaling_limit_min_cu", 0.25)
        ep.min_cu = min_cu
        ep.max_cu = max(spec.get("autoscaling_limit_max_cu", min_cu), min_cu)
        ep.suspend_timeout_seconds = spec.get("suspend_timeout_seconds", 0)
        ep.name = spec.get("name")
        return ep

    def _expires(self, value, path: str, t: dt.datetime) -> tuple[dt.datetime, int]:
        expires = parse_time(value, path)
        if expires <= t:
            raise ApiError(400, f'{path} must be in the future; {path}:"{iso(expires)}"')
        return expires, int((expires - t).total_seconds())

    def _activate_on_finish(self, job: Job, branch: Branch | None, endpoints: list[Endpoint]):
        def done(t: dt.datetime):
            if branch is not None and branch.id in self.branches:
                branch.set_state("ready", None, t)
            for ep in endpoints:
                if ep.id in self.endpoints:
                    ep.current_state, ep.pending_state = "active", None
                    ep.started_at = ep.last_active = ep.updated_at = t
        job.on_finish.append(done)

    def create_branch(self, req: Request):
        self._project(req)
        body = req.body if req.body is not None else {}
        if not isinstance(body, dict):
            raise ApiError(400, "invalid request: decode application/json: expected an object")
        spec = body_object(body, "branch", required=False)
        endpoint_specs = self._endpoint_specs(body)
        annotation = body.get("annotation_value") or {}
        if not isinstance(annotation, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in annotation.items()):
            raise ApiError(400, "invalid request: annotation_value must map strings to strings")
        init_source = spec.get("init_source") or "parent-data"
        if init_source not in ("parent-data", "schema-only"):
            raise ApiError(400, 'invalid request: branch.init_source must be "parent-data" or '
                                '"schema-only"')
        schema_only = init_source == "schema-only"
        protected = opt_bool(spec, "protected", "branch.protected")
        with self.lock:
            self._assert_unlocked()
            parent_id = opt_str(spec, "parent_id", "branch.parent_id")
            parent = self._branch(parent_id) if parent_id else self._default_branch()
            if parent.current_state != "ready":
                raise ApiError(422, "branch not ready yet")
            point = self._point(spec.get("parent_lsn"), spec.get("parent_timestamp"),
                                "parent_lsn", "parent_timestamp")
            source_map = (self._history_at(parent.history, point, f"branch {parent.id}")
                          if point else self._mapping(parent))
            t = now()
            branch_id = random_id("br")
            name = spec.get("name")
            name = branch_id if name is None else self._validate_branch_name(name, "branch.name")
            if self._name_taken(name):
                raise ApiError(409, f'branch with the provided name "{name}" already exists')
            branch = Branch(id=branch_id, name=name, created_at=t, state_changed_at=t, updated_at=t,
                            parent_id=None if schema_only else parent.id, init_source=init_source,
                            protected=bool(protected), annotation=dict(annotation))
            if spec.get("expires_at") is not None:
                branch.expires_at, branch.ttl_interval_seconds = self._expires(
                    spec["expires_at"], "branch.expires_at", t)
            copies = []  # (source physical, new Database)
            for db_name, source_physical in source_map.items():
                owner = parent.databases[db_name].owner if db_name in parent.databases \
                    else self.config.owner_role
                db = Database(self._next_db_id(), db_name, owner,
                              physical_name(branch_id, db_name), t, t)
                branch.databases[db_name] = db
                copies.append((source_physical, db))
            for role in parent.roles.values():
                branch.roles[role.name] = RoleEntry(role.name, t, t, role.protected)
            endpoints = [self._make_endpoint(branch_id, s, t) for s in endpoint_specs]
            job = self._new_job([("create_branch", branch_id, None)] +
                                [("start_compute", branch_id, ep.id) for ep in endpoints], req)
            job.open_databases = [db.physical for _, db in copies]
            self._activate_on_finish(job, branch, endpoints)
            self.branches[branch_id] = branch
            for ep in endpoints:
                self.endpoints[ep.id] = ep
            for _, db in copies:
                self.pending_physical.add(db.physical)
            parent_history = list(parent.history)

        def forget_branch():
            with self.lock:
                self.branches.pop(branch_id, None)
                for ep in endpoints:
                    self.endpoints.pop(ep.id, None)
            self._drop_quietly([db.physical for _, db in copies])

        def record(lsn: str, at: dt.datetime):
            current = lsn_to_int(self.cluster.current_lsn())
            with self.lock:
                if not schema_only:
                    branch.parent_lsn = lsn
                    if point and point[0] == "time":
                        branch.parent_timestamp = point[1]
                cut = point[1] if point and point[0] == "time" else at
                inherited = [] if schema_only else self._history_until(parent_history, cut)
                branch.history = inherited + [History(at, current, self._mapping(branch))]
                for _, db in copies:
                    self.pending_physical.discard(db.physical)

        if point is None:
            try:
                for source_physical, db in copies:
                    self.cluster.clone_database(source_physical, db.physical, db.owner,
                                                allow_connections=not self.config.connect_gate,
                                                schema_only=schema_only)
                record(self.cluster.current_lsn(), now())
                self._work_done(job)
            except Exception as err:  # noqa: BLE001 - any failure ends the job
                forget_branch()
                self._work_done(job, error=str(err))
                raise ApiError(500, f"could not create the branch databases: {err}") from err
        else:
            def work():
                lsn = self._materialize(point, [DumpRequest(src, db.physical, db.owner)
                                                for src, db in copies],
                                        allow=True if schema_only else None)
                if schema_only:  # keep the schema only: rebuild from a schema dump
                    for _, db in copies:
                        scratch = db.physical + "_s"
                        self.cluster.clone_database(db.physical, scratch, db.owner, True, True)
                        self.cluster.drop_database(db.physical)
                        self.cluster.rename_databases([(scratch, db.physical)])
                        if self.config.connect_gate:
                            self.cluster.set_allow_connections(db.physical, False)
                record(lsn, now())

            self._run_async(job, work, forget_branch)

        with self.lock:
            doc = {"branch": self.branch_json(branch),
                   "endpoints": [self.endpoint_json(e) for e in endpoints],
                   "operations": [self.op_json(op) for op in job.ops],
                   "roles": [self.role_json(branch, r) for r in branch.roles.values()],
                   "databases": [self.database_json(branch, d) for d in branch.databases.values()]}
            if endpoints and len(branch.roles) == 1 and len(branch.databases) == 1:
                ep = next((e for e in endpoints if e.type == "read_write"), endpoints[0])
                role = next(iter(branch.roles))
                doc["connection_uris"] = [self.connection_details(
                    ep, role, next(iter(branch.databases.values())))]
        return 201, doc

    # -- branches: changing -----------------------------------------------------------------

    def update_branch(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "branch")
        # A plain update (rename, protect, expiry) starts no operation, and Neon accepts
        # it while other operations run, so there is no 423 check here.
        with self.lock:
            b = self._branch(req.params["branch_id"])
            t = now()
            if "name" in spec:
                name = self._validate_branch_name(spec["name"], "branch.name")
                if self._name_taken(name, except_id=b.id):
                    raise ApiError(409, f'branch with the provided name "{name}" already exists')
            protected = opt_bool(spec, "protected", "branch.protected")
            expires = "keep"
            if "expires_at" in spec:
                expires = None if spec["expires_at"] is None else self._expires(
                    spec["expires_at"], "branch.expires_at", t)
            if "name" in spec:
                b.name = spec["name"]
            if protected is not None:
                b.protected = protected
            if expires != "keep":
                b.expires_at, b.ttl_interval_seconds = expires if expires else (None, None)
            b.updated_at = t
            return 200, {"branch": self.branch_json(b), "operations": []}

    def set_default_branch(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            t = now()
            for other in self.branches.values():
                if other.default and other.id != b.id:
                    other.default = False
                    other.updated_at = t
            b.default = True
            b.expires_at = b.ttl_interval_seconds = None  # the default branch cannot expire
            b.updated_at = t
            return 200, {"branch": self.branch_json(b), "operations": []}

    def delete_branch(self, req: Request):
        self._project(req)
        with self.lock:
            b = self.branches.get(req.params["branch_id"])
            if b is None:
                return 204, None
            self._assert_unlocked()
            if b.default:
                raise ApiError(400, "cannot delete the project's default branch")
            if b.protected:
                raise ApiError(403, "cannot delete a protected branch")
            children = [c.id for c in self.branches.values() if c.parent_id == b.id]
            if children:
                raise ApiError(400, f"cannot delete a branch that has child branches; "
                                    f"children:\"{', '.join(children)}\"")
            endpoints = [e for e in self.endpoints.values() if e.branch_id == b.id]
            job = self._new_job([("suspend_compute", b.id, e.id) for e in endpoints] +
                                [("delete_timeline", b.id, None)], req)
            doc_branch = self.branch_json(b)
            del self.branches[b.id]
            for e in endpoints:
                del self.endpoints[e.id]
            names = [d.physical for d in b.databases.values()]
        try:
            for name in names:
                self.cluster.drop_database(name)
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
        with self.lock:
            return 200, {"branch": doc_branch, "operations": [self.op_json(op) for op in job.ops]}

    def restore_branch(self, req: Request):
        """Point-in-time restore in place: the target keeps its ID and connection URIs."""
        self._project(req)
        body = req.body if isinstance(req.body, dict) else None
        if body is None:
            raise ApiError(400, "invalid request: decode application/json: expected an object")
        source_id = opt_str(body, "source_branch_id", "source_branch_id")
        if not source_id:
            raise ApiError(400, "invalid request: decode application/json: invalid: "
                                "source_branch_id (field required)")
        preserve = opt_str(body, "preserve_under_name", "preserve_under_name") or None
        with self.lock:
            target = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            source = self._branch(source_id)
            point = self._point(body.get("source_lsn"), body.get("source_timestamp"),
                                "source_lsn", "source_timestamp")
            if source.id == target.id and point is None:
                raise ApiError(400, "source_timestamp or source_lsn is required when the source "
                                    "branch is the branch itself")
            children = [c for c in self.branches.values() if c.parent_id == target.id]
            if (source.id == target.id or children) and not preserve:
                raise ApiError(400, "preserve_under_name is required when restoring a branch from "
                                    "its own history or when the branch has children")
            if preserve is not None:
                self._validate_branch_name(preserve, "preserve_under_name")
                if self._name_taken(preserve):
                    raise ApiError(409, f'branch with the provided name "{preserve}" already exists')
            source_map = (self._history_at(source.history, point, f"branch {source.id}")
                          if point else self._mapping(source))
            t = now()
            token = secrets.token_hex(4)
            # New contents are built under temporary names, then swapped in.
            staged = {name: physical_name(f"tmp{token}", name) for name in source_map}
            old_dbs = dict(target.databases)
            new_dbs = {}
            for name in source_map:
                old = old_dbs.get(name)
                owner = old.owner if old else (source.databases[name].owner
                                               if name in source.databases else self.config.owner_role)
                physical = old.physical if old else physical_name(target.id, name)
                new_dbs[name] = Database(old.id if old else self._next_db_id(), name, owner,
                                         physical, old.created_at if old else t, t)
            preserved = None
            if preserve:
                preserved = Branch(id=random_id("br"), name=preserve, created_at=t,
                                   parent_id=target.parent_id, parent_lsn=target.parent_lsn,
                                   parent_timestamp=target.parent_timestamp, state_changed_at=t,
                                   updated_at=t, init_source=target.init_source)
                for name, d in old_dbs.items():
                    preserved.databases[name] = Database(self._next_db_id(), name, d.owner,
                                                         physical_name(preserved.id, name), t, t)
                preserved.roles = {n: RoleEntry(n, t, t, r.protected) for n, r in target.roles.items()}
            actions = [("create_timeline", target.id, None)]
            if preserved:
                actions.insert(0, ("create_branch", preserved.id, None))
            job = self._new_job(actions, req)
            job.open_databases = [d.physical for d in new_dbs.values()]
            self._activate_on_finish(job, target, [])
            self._activate_on_finish(job, preserved, [])
            target.set_state("resetting", "ready", t)
            target.last_reset_at = t
            if preserved:
                self.branches[preserved.id] = preserved
                for child in children:
                    child.parent_id = preserved.id
                target.parent_id = preserved.id
            elif source.id != target.id:
                target.parent_id = source.id
            for name in staged.values():
                self.pending_physical.add(name)
            target_history = list(target.history)

        def build_staged():
            if point is None:
                for name, staged_name in staged.items():
                    self.cluster.clone_database(source_map[name], staged_name, new_dbs[name].owner,
                                                allow_connections=not self.config.connect_gate)
                return self.cluster.current_lsn()
            return self._materialize(point, [DumpRequest(source_map[n], staged[n], new_dbs[n].owner)
                                             for n in staged])

        def swap(lsn: str):
            renames = []
            if preserved:
                renames += [(d.physical, preserved.databases[n].physical) for n, d in old_dbs.items()]
            else:
                for d in old_dbs.values():
                    self.cluster.drop_database(d.physical)
            renames += [(staged[n], new_dbs[n].physical) for n in staged]
            self.cluster.rename_databases(renames)
            at = now()
            current = lsn_to_int(self.cluster.current_lsn())
            with self.lock:
                target.databases = new_dbs
                if point:
                    target.parent_lsn = lsn
                    target.parent_timestamp = point[1] if point[0] == "time" else None
                else:
                    target.parent_lsn, target.parent_timestamp = lsn, None
                target.history = target_history + [History(at, current, self._mapping(target))]
                if preserved:
                    preserved.history = target_history + [History(at, current,
                                                                  self._mapping(preserved))]
                for name in staged.values():
                    self.pending_physical.discard(name)

        def undo():
            self._drop_quietly(staged.values())
            with self.lock:
                target.set_state("ready", None, now())
                if preserved:
                    self.branches.pop(preserved.id, None)

        if point is None:
            try:
                swap(build_staged())
                self._work_done(job)
            except Exception as err:  # noqa: BLE001 - any failure ends the job
                undo()
                self._work_done(job, error=str(err))
                raise ApiError(500, f"could not restore the branch: {err}") from err
        else:
            self._run_async(job, lambda: swap(build_staged()), undo)
        with self.lock:
            return 200, {"branch": self.branch_json(target),
                         "operations": [self.op_json(op) for op in job.ops]}

    # -- snapshot restore / finalize ------------------------------------------------------

    def _check_replaced_name(self, old_name: str | None, target: Branch) -> None:
        if old_name:
            self._validate_branch_name(old_name, "name")
            if self._name_taken(old_name, except_id=target.id):
                raise ApiError(409, f'branch with the provided name "{old_name}" already exists')

    def _plan_finalize(self, restored: Branch, target: Branch, old_name: str | None, t, job: Job):
        """Model side of finalizing: names, default flag, computes. Returns renames to do.

        Call _check_replaced_name first: nothing here may fail once the job exists."""
        swaps = []
        for name, d in restored.databases.items():
            if name in target.databases:
                swaps.append((d, target.databases[name]))
        # The target's computes move to the restored branch (and restart); computes
        # the restored branch already had go the other way, so each side keeps at
        # most one read-write endpoint.
        endpoints = [e for e in self.endpoints.values() if e.branch_id == target.id]
        for e in self.endpoints.values():
            if e.branch_id == restored.id:
                e.branch_id, e.updated_at = target.id, t
        for e in endpoints:
            e.branch_id = restored.id
            e.current_state, e.pending_state, e.updated_at = "init", "active", t
        target_name = target.name
        target.name = old_name or self._unique_name(f"{target_name} (old)")
        restored.name = target_name
        restored.default, target.default = target.default, False
        restored.protected, target.protected = target.protected, False
        restored.restore_status, restored.restored_as = "finalized", target.id
        restored.set_state("init", "ready", t)
        target.updated_at = t
        self._activate_on_finish(job, restored, endpoints)
        return swaps

    def _do_finalize_swaps(self, restored: Branch, target: Branch, swaps) -> None:
        """Swap the backing names so the moved computes' URIs reach the restored data."""
        if swaps:
            token = secrets.token_hex(4)
            renames = []
            for restored_db, target_db in swaps:
                temp = physical_name(f"swap{token}", restored_db.name)
                renames += [(restored_db.physical, temp), (target_db.physical, restored_db.physical),
                            (temp, target_db.physical)]
            self.cluster.rename_databases(renames)
        at = now()
        current = lsn_to_int(self.cluster.current_lsn())
        with self.lock:
            for restored_db, target_db in swaps:
                restored_db.physical, target_db.physical = target_db.physical, restored_db.physical
            restored.history.append(History(at, current, self._mapping(restored)))
            target.history.append(History(at, current, self._mapping(target)))

    def restore_snapshot(self, req: Request):
        self._project(req)
        body = req.body if req.body is not None else {}
        if not isinstance(body, dict):
            raise ApiError(400, "invalid request: decode application/json: expected an object")
        name = opt_str(body, "name", "name") or req.query.get("name")
        target_id = opt_str(body, "target_branch_id", "target_branch_id")
        finalize = bool(opt_bool(body, "finalize_restore", "finalize_restore"))
        with self.lock:
            snap = self.snapshots.get(req.params["snapshot_id"])
            if snap is None:
                raise ApiError(404, "snapshot not found")
            self._assert_unlocked()
            if not snap.ready:
                raise ApiError(422, "snapshot not ready yet")
            target = self._branch(target_id or snap.source_branch_id)
            t = now()
            branch_id = random_id("br")
            if name is not None:
                self._validate_branch_name(name, "name")
                if self._name_taken(name):
                    raise ApiError(409, f'branch with the provided name "{name}" already exists')
            else:
                name = self._unique_name(f"{snap.name} (restored)")
            restored = Branch(id=branch_id, name=name, created_at=t, state_changed_at=t,
                              updated_at=t, restore_status="restored", restored_from=snap.id,
                              restore_target=target.id)
            for db_name, (physical, owner) in snap.databases.items():
                restored.databases[db_name] = Database(self._next_db_id(), db_name, owner,
                                                       physical_name(branch_id, db_name), t, t)
            restored.roles = {r: RoleEntry(r, t, t) for r in snap.roles}
            self.branches[branch_id] = restored
            actions = [("create_branch", branch_id, None)]
            moved = [e for e in self.endpoints.values() if e.branch_id == target.id] if finalize else []
            actions += [("apply_config", branch_id, None)] if finalize else []
            actions += [("start_compute", branch_id, e.id) for e in moved]
            job = self._new_job(actions, req)
            job.open_databases = [d.physical for d in restored.databases.values()]
            swaps = self._plan_finalize(restored, target, None, t, job) if finalize else []
            if not finalize:
                self._activate_on_finish(job, restored, [])
            for d in restored.databases.values():
                self.pending_physical.add(d.physical)
            snap_history = list(snap.history)
            sources = [(snap.databases[n][0], d) for n, d in restored.databases.items()]
        try:
            for source_physical, d in sources:
                self.cluster.clone_database(source_physical, d.physical, d.owner,
                                            allow_connections=not self.config.connect_gate)
            with self.lock:
                restored.history = snap_history + [History(now(), lsn_to_int(
                    self.cluster.current_lsn()), self._mapping(restored))]
                for _, d in sources:
                    self.pending_physical.discard(d.physical)
            if finalize:
                self._do_finalize_swaps(restored, target, swaps)
                with self.lock:
                    job.open_databases = [d.physical for d in restored.databases.values()]
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            if not finalize:
                with self.lock:
                    self.branches.pop(branch_id, None)
                self._drop_quietly([d.physical for _, d in sources])
            self._work_done(job, error=str(err))
            raise ApiError(500, f"could not restore the snapshot: {err}") from err
        with self.lock:
            eps = [self.endpoint_json(e) for e in self.endpoints.values() if e.branch_id == branch_id]
            return 200, {"branch": self.branch_json(restored), "endpoints": eps,
                         "operations": [self.op_json(op) for op in job.ops]}

    def finalize_restore(self, req: Request):
        self._project(req)
        body = req.body if req.body is not None else {}
        if not isinstance(body, dict):
            raise ApiError(400, "invalid request: decode application/json: expected an object")
        old_name = opt_str(body, "name", "name")
        with self.lock:
            restored = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            if restored.restore_status != "restored":
                raise ApiError(400, "branch is not a restored snapshot waiting to be finalized")
            target = self.branches.get(restored.restore_target or "")
            if target is None:
                raise ApiError(400, "the branch this restore was meant to replace no longer exists")
            self._check_replaced_name(old_name, target)
            t = now()
            moved = [e for e in self.endpoints.values() if e.branch_id == target.id]
            job = self._new_job([("apply_config", restored.id, None)] +
                                [("start_compute", restored.id, e.id) for e in moved], req)
            swaps = self._plan_finalize(restored, target, old_name, t, job)
        try:
            self._do_finalize_swaps(restored, target, swaps)
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
            raise ApiError(500, f"could not finalize the restore: {err}") from err
        with self.lock:
            return 200, {"operations": [self.op_json(op) for op in job.ops]}

    # -- snapshots --------------------------------------------------------------------------

    def create_snapshot(self, req: Request):
        self._project(req)
        q = req.query
        with self.lock:
            branch = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            if branch.parent_id is not None:
                raise ApiError(400, "snapshots can only be created from root branches "
                                    f"(branch {branch.id} has parent {branch.parent_id})")
            if len(self.snapshots) >= self.config.snapshot_quota:
                raise ApiError(422, f'snapshots limit exceeded; limit:"{self.config.snapshot_quota}", '
                                    f'current:"{len(self.snapshots)}" (delete a snapshot first)')
            point = self._point(q.get("lsn"), q.get("timestamp"), "lsn", "timestamp")
            source_map = (self._history_at(branch.history, point, f"branch {branch.id}")
                          if point else self._mapping(branch))
            t = now()
            expires = self._expires(q["expires_at"], "expires_at", t)[0] if q.get("expires_at") else None
            snap_id = random_id("snap")
            name = q.get("name") or f"{branch.name} {t.strftime('%Y-%m-%d %H:%M:%S')} UTC"
            snap = Snapshot(snap_id, name, branch.id, t, expires)
            for db_name, source_physical in source_map.items():
                owner = branch.databases[db_name].owner if db_name in branch.databases \
                    else self.config.owner_role
                snap.databases[db_name] = (physical_name(snap_id, db_name), owner)
            snap.roles = list(branch.roles)
            job = self._new_job([("create_timeline", branch.id, None)], req)

            def done(_t, snap=snap):
                snap.ready = True
            job.on_finish.append(done)
            self.snapshots[snap_id] = snap
            for physical, _ in snap.databases.values():
                self.pending_physical.add(physical)
            branch_history = list(branch.history)

        def record(lsn: str):
            sizes = sum(self.cluster.database_size(p) for p, _ in snap.databases.values())
            with self.lock:
                snap.lsn = lsn
                snap.timestamp = point[1] if point and point[0] == "time" else t
                snap.full_size = sizes
                snap.history = self._history_until(branch_history, snap.timestamp)
                for physical, _ in snap.databases.values():
                    self.pending_physical.discard(physical)

        def forget():
            with self.lock:
                self.snapshots.pop(snap_id, None)
            self._drop_quietly([p for p, _ in snap.databases.values()])

        if point is None:
            try:
                # Nobody may connect to a snapshot's databases, which also keeps
                # CREATE DATABASE … TEMPLATE usable when restoring it.
                for db_name, (physical, owner) in snap.databases.items():
                    self.cluster.clone_database(source_map[db_name], physical, owner,
                                                allow_connections=False)
                record(self.cluster.current_lsn())
                self._work_done(job)
            except Exception as err:  # noqa: BLE001 - any failure ends the job
                forget()
                self._work_done(job, error=str(err))
                raise ApiError(500, f"could not create the snapshot: {err}") from err
        else:
            def work():
                lsn = self.pitr.materialize(point, [DumpRequest(source_map[n], p, o)
                                                    for n, (p, o) in snap.databases.items()],
                                            allow_connections=False)
                record(lsn)
            self._run_async(job, work, forget)
        with self.lock:
            return 200, {"snapshot": self.snapshot_json(snap),
                         "operations": [self.op_json(op) for op in job.ops]}

    def list_snapshots(self, req: Request):
        self._project(req)
        with self.lock:
            snaps = sorted(self.snapshots.values(), key=lambda s: s.created_at, reverse=True)
            return 200, {"snapshots": [self.snapshot_json(s) for s in snaps]}

    def update_snapshot(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "snapshot")
        with self.lock:
            snap = self.snapshots.get(req.params["snapshot_id"])
            if snap is None:
                raise ApiError(404, "snapshot not found")
            if "name" in spec:
                name = spec["name"]
                if not isinstance(name, str) or not name:
                    raise ApiError(400, "invalid request: snapshot.name must be a non-empty string")
                snap.name = name
            if "expires_at" in spec:  # newest spec: null clears the expiry
                snap.expires_at = None if spec["expires_at"] is None else self._expires(
                    spec["expires_at"], "snapshot.expires_at", now())[0]
            return 200, {"snapshot": self.snapshot_json(snap)}

    def delete_snapshot(self, req: Request):
        self._project(req)
        with self.lock:
            snap = self.snapshots.get(req.params["snapshot_id"])
            if snap is None:
                raise ApiError(404, "snapshot not found")
            self._assert_unlocked()
            job = self._new_job([("delete_timeline", snap.source_branch_id
                                  if snap.source_branch_id in self.branches else None, None)], req)
            del self.snapshots[snap.id]
        self._drop_quietly([p for p, _ in snap.databases.values()])
        self._work_done(job)
        with self.lock:
            return 202, {"operations": [self.op_json(op) for op in job.ops]}

    def get_backup_schedule(self, req: Request):
        self._project(req)
        with self.lock:
            return 200, {"schedule": list(self._branch(req.params["branch_id"]).backup_schedule)}

    def set_backup_schedule(self, req: Request):
        self._project(req)
        body = req.body if isinstance(req.body, dict) else {}
        schedule = body.get("schedule")
        if not isinstance(schedule, list):
            raise ApiError(400, "invalid request: decode application/json: invalid: schedule "
                                "(field required)")
        limits = {"hour": (0, 23), "day": (1, 31), "month": (1, 12)}
        for i, item in enumerate(schedule):
            if not isinstance(item, dict) or item.get("frequency") not in ("daily", "weekly", "monthly"):
                raise ApiError(400, f"invalid request: schedule[{i}].frequency must be daily, "
                                    "weekly or monthly")
            for key, (lo, hi) in limits.items():
                if key in item and (not isinstance(item[key], int) or not lo <= item[key] <= hi):
                    raise ApiError(400, f"invalid request: schedule[{i}].{key} must be from {lo} to {hi}")
            retention = item.get("retention_seconds")
            if retention is not None and (not isinstance(retention, int)
                                          or not 3600 <= retention <= 3024000):
                raise ApiError(400, f"invalid request: schedule[{i}].retention_seconds must be "
                                    "from 3600 to 3024000")
        with self.lock:
            self._branch(req.params["branch_id"]).backup_schedule = [dict(i) for i in schedule]
        return 200, {}

    # -- databases ---------------------------------------------------------------------------

    def list_databases(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            return 200, {"databases": [self.database_json(b, d) for d in b.databases.values()]}

    def get_database(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            d = b.databases.get(req.params["database_name"])
            if d is None:
                raise ApiError(404, "database not found")
            return 200, {"database": self.database_json(b, d)}

    def _endpoint_actions(self, branch: Branch) -> list[tuple[str, str, str | None]]:
        eps = [e for e in self.endpoints.values() if e.branch_id == branch.id]
        return [("apply_config", branch.id, e.id) for e in eps] or [("apply_config", branch.id, None)]

    def create_database(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "database")
        name, owner = spec.get("name"), spec.get("owner_name")
        if not isinstance(name, str) or not name or not isinstance(owner, str) or not owner:
            raise ApiError(400, "invalid request: decode application/json: invalid: database.name "
                                "and database.owner_name (field required)")
        with self.lock:
            b = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            if name in b.databases:
                raise ApiError(409, f'database with the provided name "{name}" already exists')
            if owner not in b.roles:
                raise ApiError(404, f'role "{owner}" not found')
            t = now()
            d = Database(self._next_db_id(), name, owner, physical_name(b.id, name), t, t)
            job = self._new_job(self._endpoint_actions(b), req)
            job.open_databases = [d.physical]
            self.pending_physical.add(d.physical)
        try:
            self.cluster.create_database(d.physical, owner,
                                         allow_connections=not self.config.connect_gate)
            lsn = lsn_to_int(self.cluster.current_lsn())
            with self.lock:
                b.databases[name] = d
                b.history.append(History(now(), lsn, self._mapping(b)))
                self.pending_physical.discard(d.physical)
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
            raise ApiError(500, f"could not create the database: {err}") from err
        with self.lock:
            return 201, {"database": self.database_json(b, d),
                         "operations": [self.op_json(op) for op in job.ops]}

    def update_database(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "database")
        with self.lock:
            b = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            d = b.databases.get(req.params["database_name"])
            if d is None:
                raise ApiError(404, "database not found")
            new_name = spec.get("name", d.name)
            owner = spec.get("owner_name", d.owner)
            if new_name != d.name and new_name in b.databases:
                raise ApiError(409, f'database with the provided name "{new_name}" already exists')
            if owner not in b.roles:
                raise ApiError(404, f'role "{owner}" not found')
            job = self._new_job(self._endpoint_actions(b), req)
        try:
            if owner != d.owner:
                self.cluster.psql(f"ALTER DATABASE {neon_pg.ident(d.physical)} "
                                  f"OWNER TO {neon_pg.ident(owner)}")
            with self.lock:
                # The API name changes; the backing name stays (it is only a label).
                if new_name != d.name:
                    del b.databases[d.name]
                    d.name = new_name
                    b.databases[new_name] = d
                d.owner, d.updated_at = owner, now()
                b.history.append(History(now(), lsn_to_int(self.cluster.current_lsn()),
                                         self._mapping(b)))
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
            raise ApiError(500, f"could not update the database: {err}") from err
        with self.lock:
            return 200, {"database": self.database_json(b, d),
                         "operations": [self.op_json(op) for op in job.ops]}

    def delete_database(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            d = b.databases.get(req.params["database_name"])
            if d is None:
                return 204, None
            self._assert_unlocked()
            job = self._new_job(self._endpoint_actions(b), req)
            del b.databases[d.name]
        try:
            self.cluster.drop_database(d.physical)
            with self.lock:
                b.history.append(History(now(), lsn_to_int(self.cluster.current_lsn()),
                                         self._mapping(b)))
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
        with self.lock:
            return 200, {"database": self.database_json(b, d),
                         "operations": [self.op_json(op) for op in job.ops]}

    # -- roles ----------------------------------------------------------------------------

    def list_roles(self, req: Request):
        self._project(req)
        with self.lock:
            b = self._branch(req.params["branch_id"])
            return 200, {"roles": [self.role_json(b, r) for r in b.roles.values()]}

    def _role(self, req: Request) -> tuple[Branch, RoleEntry]:
        b = self._branch(req.params["branch_id"])
        r = b.roles.get(req.params["role_name"])
        if r is None:
            raise ApiError(404, "role not found")
        return b, r

    def get_role(self, req: Request):
        self._project(req)
        with self.lock:
            b, r = self._role(req)
            return 200, {"role": self.role_json(b, r)}

    def reveal_password(self, req: Request):
        self._project(req)
        with self.lock:
            _, r = self._role(req)
            return 200, {"password": self.passwords.get(r.name, "")}

    def create_role(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "role")
        name = spec.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 63:
            raise ApiError(400, "invalid request: decode application/json: invalid: role.name "
                                "(field required, at most 63 characters)")
        login = not bool(opt_bool(spec, "no_login", "role.no_login"))
        with self.lock:
            b = self._branch(req.params["branch_id"])
            self._assert_unlocked()
            if name in b.roles:
                raise ApiError(409, f'role with the provided name "{name}" already exists')
            password = self.passwords.get(name) or new_password()
            job = self._new_job(self._endpoint_actions(b), req)
        try:
            # Roles are cluster-wide here: a role of the same name on another
            # branch is the same PostgreSQL role with the same password.
            created = self.cluster.create_or_adopt_role(name, password, login=login)
            with self.lock:
                if created:
                    self.created_roles.add(name)
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
            raise ApiError(500, f"could not create the role: {err}") from err
        with self.lock:
            self.passwords[name] = password
            t = now()
            r = b.roles[name] = RoleEntry(name, t, t)
            return 201, {"role": self.role_json(b, r, with_password=True),
                         "operations": [self.op_json(op) for op in job.ops]}

    def delete_role(self, req: Request):
        self._project(req)
        with self.lock:
            b = self.branches.get(req.params["branch_id"])
            if b is None:
                raise ApiError(404, "branch not found")
            r = b.roles.get(req.params["role_name"])
            if r is None:
                return 204, None
            self._assert_unlocked()
            owned = [d.name for d in b.databases.values() if d.owner == r.name]
            if owned:
                raise ApiError(400, f'role "{r.name}" owns databases: {", ".join(owned)}; '
                                    "delete them or change their owner first")
            job = self._new_job(self._endpoint_actions(b), req)
            del b.roles[r.name]
            still_used = any(r.name in other.roles for other in self.branches.values())
        if not still_used and r.name in self.created_roles:
            try:
                self.cluster.drop_role(r.name)
                with self.lock:
                    self.created_roles.discard(r.name)
                    self.passwords.pop(r.name, None)
            except PgError as err:  # still owns objects inside a database: keep it
                self.log(f"role {r.name} kept: {err}")
        self._work_done(job)
        with self.lock:
            return 200, {"role": self.role_json(b, r), "operations": [self.op_json(op) for op in job.ops]}

    def reset_password(self, req: Request):
        self._project(req)
        with self.lock:
            b, r = self._role(req)
            self._assert_unlocked()
            password = new_password()
            job = self._new_job(self._endpoint_actions(b), req)
        try:
            self.cluster.set_password(r.name, password)
            self._work_done(job)
        except Exception as err:  # noqa: BLE001 - any failure ends the job
            self._work_done(job, error=str(err))
            raise ApiError(500, f"could not reset the password: {err}") from err
        with self.lock:
            self.passwords[r.name] = password
            r.updated_at = now()
            return 200, {"role": self.role_json(b, r, with_password=True),
                         "operations": [self.op_json(op) for op in job.ops]}

    # -- endpoints and connection URIs ------------------------------------------------------------

    def connection_uri_route(self, req: Request):
        self._project(req)
        q = req.query
        for key in ("database_name", "role_name"):
            if not q.get(key):
                raise ApiError(400, f"invalid request: query parameter {key} is required")
        pooled = bool(query_bool(q, "pooled"))
        with self.lock:
            b = self._branch(q["branch_id"]) if q.get("branch_id") else self._default_branch()
            if q.get("endpoint_id"):
                ep = self.endpoints.get(q["endpoint_id"])
                if ep is None or ep.branch_id != b.id:
                    raise ApiError(404, "endpoint not found")
            else:
                ep = next((e for e in self.endpoints.values()
                           if e.branch_id == b.id and e.type == "read_write"), None)
                if ep is None:
                    raise ApiError(404, f"read-write endpoint not found for branch {b.id}")
            d = b.databases.get(q["database_name"])
            if d is None:
                raise ApiError(404, "database not found")
            if q["role_name"] not in b.roles:
                raise ApiError(404, "role not found")
            return 200, {"uri": self.connection_uri(ep, q["role_name"], d, pooled)}

    def list_endpoints(self, req: Request):
        self._project(req)
        with self.lock:
            return 200, {"endpoints": [self.endpoint_json(e) for e in self.endpoints.values()]}

    def _endpoint(self, req: Request) -> Endpoint:
        ep = self.endpoints.get(req.params["endpoint_id"])
        if ep is None:
            raise ApiError(404, "endpoint not found")
        return ep

    def get_endpoint(self, req: Request):
        self._project(req)
        with self.lock:
            return 200, {"endpoint": self.endpoint_json(self._endpoint(req))}

    def create_endpoint(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "endpoint")
        branch_id = opt_str(spec, "branch_id", "endpoint.branch_id")
        if not branch_id:
            raise ApiError(400, "invalid request: decode application/json: invalid: "
                                "endpoint.branch_id (field required)")
        options = self._endpoint_options(spec, "endpoint")
        with self.lock:
            b = self._branch(branch_id)
            self._assert_unlocked()
            if options["type"] == "read_write" and any(
                    e.branch_id == b.id and e.type == "read_write" for e in self.endpoints.values()):
                raise ApiError(409, "read-write endpoint already exists for this branch")
            t = now()
            ep = self._make_endpoint(b.id, options, t)
            job = self._new_job([("start_compute", b.id, ep.id)], req)
            self._activate_on_finish(job, None, [ep])
            self.endpoints[ep.id] = ep
            job.work_done = True
            return 201, {"endpoint": self.endpoint_json(ep),
                         "operations": [self.op_json(op) for op in job.ops]}

    def update_endpoint(self, req: Request):
        self._project(req)
        spec = body_object(req.body, "endpoint")
        options = self._endpoint_options(spec, "endpoint", require_type=False)
        with self.lock:
            ep = self._endpoint(req)
            self._assert_unlocked()
            if "branch_id" in spec and spec["branch_id"] != ep.branch_id:
                dest = self._branch(spec["branch_id"])
                if ep.type == "read_write" and any(e.branch_id == dest.id and e.type == "read_write"
                                                   for e in self.endpoints.values()):
                    raise ApiError(409, "read-write endpoint already exists for this branch")
                ep.branch_id = dest.id
            ep.min_cu = options.get("autoscaling_limit_min_cu", ep.min_cu)
            ep.max_cu = max(options.get("autoscaling_limit_max_cu", ep.max_cu), ep.min_cu)
            ep.suspend_timeout_seconds = options.get("suspend_timeout_seconds",
                                                     ep.suspend_timeout_seconds)
            ep.name = options.get("name", ep.name)
            if isinstance(spec.get("disabled"), bool):
                ep.disabled = spec["disabled"]
            ep.updated_at = now()
            job = self._new_job([("apply_config", ep.branch_id, ep.id)], req)
            job.work_done = True
            return 200, {"endpoint": self.endpoint_json(ep),
                         "operations": [self.op_json(op) for op in job.ops]}

    def delete_endpoint(self, req: Request):
        self._project(req)
        with self.lock:
            ep = self.endpoints.get(req.params["endpoint_id"])
            if ep is None:
                return 204, None
            self._assert_unlocked()
            job = self._new_job([("suspend_compute", ep.branch_id, ep.id)], req)
            job.work_done = True
            del self.endpoints[ep.id]
            return 200, {"endpoint": self.endpoint_json(ep),
                         "operations": [self.op_json(op) for op in job.ops]}

    def _endpoint_transition(self, req: Request, actions: list[str], final: str):
        self._project(req)
        with self.lock:
            ep = self._endpoint(req)
            self._assert_unlocked()
            t = now()
            job = self._new_job([(a, ep.branch_id, ep.id) for a in actions], req)
            job.work_done = True
            ep.pending_state, ep.updated_at = final, t

            def done(at: dt.datetime):
                ep.current_state, ep.pending_state, ep.updated_at = final, None, at
                if final == "active":
                    ep.started_at = ep.last_active = at
                else:
                    ep.suspended_at = at
            job.on_finish.append(done)
            return 200, {"endpoint": self.endpoint_json(ep),
                         "operations": [self.op_json(op) for op in job.ops]}

    def start_endpoint(self, req: Request):
        return self._endpoint_transition(req, ["start_compute"], "active")

    def suspend_endpoint(self, req: Request):
        return self._endpoint_transition(req, ["suspend_compute"], "idle")

    def restart_endpoint(self, req: Request):
        return self._endpoint_transition(req, ["suspend_compute", "start_compute"], "active")

    # -- operations --------------------------------------------------------------------------

    def list_operations(self, req: Request):
        self._project(req)
        limit = query_int(req.query, "limit", 1, 1000) or 1000
        cursor = req.query.get("cursor")
        if cursor:
            try:
                after = dt.datetime.fromisoformat(cursor)
            except ValueError:
                raise ApiError(400, "invalid request: cursor is malformed") from None
        with self.lock:
            ops = sorted(self.operations.values(), key=lambda o: o.created_at, reverse=True)
            if cursor:
                ops = [o for o in ops if o.created_at < after]
            page = ops[:limit]
            doc = {"operations": [self.op_json(o) for o in page]}
            if page:
                doc["pagination"] = {"cursor": page[-1].created_at.isoformat()}
            return 200, doc

    def get_operation(self, req: Request):
        self._project(req)
        with self.lock:
            op = self.operations.get(req.params["operation_id"])
            if op is None:
                raise ApiError(404, "operation not found")
            return 200, {"operation": self.op_json(op)}

    # -- routing table -------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Callable[[Request], tuple[int, object]]]]:
        P = "/projects/{project_id}"
        B = P + "/branches/{branch_id}"
        return [
            ("GET", "/projects", self.list_projects),
            ("GET", P, self.get_project),
            ("GET", P + "/branches", self.list_branches),
            ("POST", P + "/branches", self.create_branch),
            ("GET", P + "/branches/count", self.count_branches),
            ("GET", B, self.get_branch),
            ("PATCH", B, self.update_branch),
            ("DELETE", B, self.delete_branch),
            ("POST", B + "/restore", self.restore_branch),
            ("POST", B + "/set_as_default", self.set_default_branch),
            ("POST", B + "/finalize_restore", self.finalize_restore),
            ("GET", B + "/endpoints", self.list_branch_endpoints),
            ("GET", B + "/databases", self.list_databases),
            ("POST", B + "/databases", self.create_database),
            ("GET", B + "/databases/{database_name}", self.get_database),
            ("PATCH", B + "/databases/{database_name}", self.update_database),
            ("DELETE", B + "/databases/{database_name}", self.delete_database),
            ("GET", B + "/roles", self.list_roles),
            ("POST", B + "/roles", self.create_role),
            ("GET", B + "/roles/{role_name}", self.get_role),
            ("DELETE", B + "/roles/{role_name}", self.delete_role),
            ("GET", B + "/roles/{role_name}/reveal_password", self.reveal_password),
            ("POST", B + "/roles/{role_name}/reset_password", self.reset_password),
            ("POST", B + "/snapshot", self.create_snapshot),
            ("GET", B + "/backup_schedule", self.get_backup_schedule),
            ("PUT", B + "/backup_schedule", self.set_backup_schedule),
            ("GET", P + "/snapshots", self.list_snapshots),
            ("PATCH", P + "/snapshots/{snapshot_id}", self.update_snapshot),
            ("DELETE", P + "/snapshots/{snapshot_id}", self.delete_snapshot),
            ("POST", P + "/snapshots/{snapshot_id}/restore", self.restore_snapshot),
            ("GET", P + "/connection_uri", self.connection_uri_route),
            ("GET", P + "/endpoints", self.list_endpoints),
            ("POST", P + "/endpoints", self.create_endpoint),
            ("GET", P + "/endpoints/{endpoint_id}", self.get_endpoint),
            ("PATCH", P + "/endpoints/{endpoint_id}", self.update_endpoint),
            ("DELETE", P + "/endpoints/{endpoint_id}", self.delete_endpoint),
            ("POST", P + "/endpoints/{endpoint_id}/start", self.start_endpoint),
            ("POST", P + "/endpoints/{endpoint_id}/suspend", self.suspend_endpoint),
            ("POST", P + "/endpoints/{endpoint_id}/restart", self.restart_endpoint),
            ("GET", P + "/operations", self.list_operations),
            ("GET", P + "/operations/{operation_id}", self.get_operation),
        ]
