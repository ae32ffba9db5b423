"""Typed views of the JSON documents the library returns."""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

__all__ = [
    "BackupManifest",
    "BackupCheck",
    "RestoredTable",
    "TestRestore",
    "BackupCreateReport",
    "BackupVerifyReport",
    "BackupRestoreReport",
    "Migration",
    "MigrationSet",
    "Impact",
    "Finding",
    "CheckSummary",
    "CheckReport",
    "TableStats",
    "IndexStats",
    "Stats",
    "MigrationStep",
    "PlannedMigration",
    "AppliedMigration",
    "MigrationFailure",
    "MigrateSummary",
    "MigrateReport",
    "SchemaChange",
    "DiffSummary",
    "DiffReport",
    "VerifyChecked",
    "VerifyProblem",
    "VerifyReport",
    "Branch",
    "Snapshot",
    "RestoreResult",
    "RotateReport",
    "PruneKept",
    "PruneReport",
    "DeployStep",
    "DeployGate",
    "DeployVerify",
    "DeployAudit",
    "DeployReport",
    "CopyDifference",
    "CopyVerification",
    "CopyTable",
    "CopyFailure",
    "CopyReport",
]


@dataclass(frozen=True)
class Migration:
    """One migration of a set, as listed by the library."""

    #: The migration's name, e.g. ``"20230518191501_init"`` (Prisma: the directory name).
    name: str
    #: The ordering version, e.g. ``"20230518191501"``; empty for a repeatable migration.
    version: str
    #: The human part of the name, e.g. ``"init"``.
    description: str
    #: The script's path relative to the set's root, e.g. ``"20230518191501_init/migration.sql"``.
    path: str
    #: The script's full path (the root joined with ``path``).
    file: str
    #: The script's size in bytes.
    bytes: int
    #: SHA-256 of the script, 64 lower-case hex digits (what Prisma stores).
    checksum: str
    #: Whether the script can run inside a transaction.
    transactional: bool
    #: The matching down script relative to the root, if the layout has one.
    down_path: Optional[str] = None

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "Migration":
        return cls(
            name=doc["name"],
            version=doc.get("version") or "",
            description=doc.get("description", ""),
            path=doc["path"],
            file=doc["file"],
            bytes=doc["bytes"],
            checksum=doc["checksum"],
            transactional=doc.get("transactional", True),
            down_path=doc.get("down_path"),
        )


@dataclass(frozen=True)
class MigrationSet:
    """A migration set read from disk (``docs/schema/migration-set.v1.json``)."""

    schema_version: int
    #: The directory actually read (a project directory resolves to its migrations directory).
    root: str
    #: The layout detected or asked for: prisma, plain, flyway, dbmate or golang-migrate.
    layout: str
    #: The provider named in ``migration_lock.toml`` (Prisma), else None.
    provider: Optional[str]
    count: int
    total_bytes: int
    #: Versioned migrations in the order they apply.
    migrations: List[Migration]
    #: Repeatable migrations (Flyway ``R__``), in the order they apply.
    repeatables: List[Migration]
    #: The listing exactly as the library produced it.
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "MigrationSet":
        doc = _json.loads(text)
        return cls(
            schema_version=doc["schema_version"],
            root=doc["root"],
            layout=doc["layout"],
            provider=doc.get("provider"),
            count=doc["count"],
            total_bytes=doc["total_bytes"],
            migrations=[Migration.from_dict(m) for m in doc.get("migrations", [])],
            repeatables=[Migration.from_dict(m) for m in doc.get("repeatables", [])],
            json=text,
        )

    def __len__(self) -> int:
        return len(self.migrations)

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)


@dataclass(frozen=True)
class Impact:
    """Live facts about the table a finding touches, from table statistics (``stats``)."""

    #: The table, e.g. ``"public.users"``.
    table: str
    #: ``pg_class.reltuples``; None when unknown.
    row_estimate: Optional[int] = None
    #: Table, indexes and TOAST in bytes; None when unknown.
    total_bytes: Optional[int] = None
    index_count: Optional[int] = None
    #: Scans of an index the statement drops; None when unknown or not an index drop.
    idx_scan: Optional[int] = None
    #: Whether the table has no rows; None when unknown.
    empty: Optional[bool] = None
    #: How long the lock is held while the table is rewritten or scanned; None when unknown.
    estimated_lock_seconds: Optional[float] = None
    #: The rewrite/scan rate that estimate assumes, in bytes per second.
    assumed_bytes_per_second: Optional[int] = None

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "Impact":
        return cls(
            table=doc["table"],
            row_estimate=doc.get("row_estimate"),
            total_bytes=doc.get("total_bytes"),
            index_count=doc.get("index_count"),
            idx_scan=doc.get("idx_scan"),
            empty=doc.get("empty"),
            estimated_lock_seconds=doc.get("estimated_lock_seconds"),
            assumed_bytes_per_second=doc.get("assumed_bytes_per_second"),
        )


@dataclass(frozen=True)
class Finding:
    """One risky statement, judged by a rule of the catalogue (``docs/rules.md``)."""

    #: The rule's id, e.g. ``"drop-column"``.
    rule: str
    #: Risk classes, primary first, e.g. ``["data-loss", "backward-incompatible"]``.
    severity: List[str]
    #: ``"info"``, ``"warning"`` or ``"error"``.
    level: str
    #: The path as given joined with the file's path in its migration set.
    file: str
    #: The migration's name.
    migration: str
    #: 1-based position of the statement in ``file``.
    line: int
    column: int
    end_line: int
    end_column: int
    #: The statement's SQL text.
    statement: str
    #: Qualified names the statement touches, e.g. ``["public.users.email"]``.
    objects: List[str]
    #: The strongest lock it takes, e.g. ``"ACCESS EXCLUSIVE"``; None when it takes none.
    lock: Optional[str]
    #: Whether it rewrites the table.
    rewrite: bool
    #: Whether it scans the table under its lock.
    scan: bool
    #: What the statement does.
    message: str
    #: Why it is risky.
    why: str
    #: The safe alternative.
    fix: str
    #: 32 hex digits, stable across pushes (rule, file and statement).
    fingerprint: str
    #: Table statistics for the table it touches, when they were given.
    impact: Optional[Impact] = None

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "Finding":
        impact = doc.get("impact")
        return cls(
            rule=doc["rule"],
            severity=list(doc.get("severity", [])),
            level=doc["level"],
            file=doc["file"],
            migration=doc["migration"],
            line=doc["line"],
            column=doc["column"],
            end_line=doc["end_line"],
            end_column=doc["end_column"],
            statement=doc["statement"],
            objects=list(doc.get("objects", [])),
            lock=doc.get("lock"),
            rewrite=doc.get("rewrite", False),
            scan=doc.get("scan", False),
            message=doc["message"],
            why=doc["why"],
            fix=doc["fix"],
            fingerprint=doc["fingerprint"],
            impact=Impact.from_dict(impact) if impact is not None else None,
        )


@dataclass(frozen=True)
class CheckSummary:
    """The counts of a check and whether it failed."""

    #: Files checked (not counting those given only as context by ``only_migrations``).
    files: int
    statements: int
    errors: int
    warnings: int
    infos: int
    #: The PostgreSQL major version checked for.
    pg_version: int
    #: ``"safe"`` or ``"prisma"``.
    runner: str
    #: The lowest level that fails the check.
    fail_on: str
    #: Whether a finding is at or above ``fail_on``.
    failed: bool
    #: Findings per rule id.
    by_rule: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "CheckSummary":
        return cls(
            files=doc["files"],
            statements=doc["statements"],
            errors=doc["errors"],
            warnings=doc["warnings"],
            infos=doc["infos"],
            pg_version=doc["pg_version"],
            runner=doc["runner"],
            fail_on=doc["fail_on"],
            failed=doc["failed"],
            by_rule=dict(doc.get("by_rule", {})),
        )


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`dbsafe.check` (``docs/schema/check-report.v1.json``)."""

    schema_version: int
    #: In file order, then by line and column.
    findings: List[Finding]
    summary: CheckSummary
    #: The report exactly as the library produced it (what ``dbsafe check --format json`` prints).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "CheckReport":
        doc = _json.loads(text)
        return cls(
            schema_version=doc["schema_version"],
            findings=[Finding.from_dict(f) for f in doc.get("findings", [])],
            summary=CheckSummary.from_dict(doc["summary"]),
            json=text,
        )


@dataclass(frozen=True)
class TableStats:
    """One table of a stats document."""

    #: ``pg_class.reltuples``; -1 when the table was never vacuumed or analyzed.
    row_estimate: int
    #: Table, indexes and TOAST in bytes.
    total_bytes: int
    index_count: int
    #: Whether the table has no rows (asked with ``EXISTS``); None when it could not be read.
    empty: Optional[bool] = None

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "TableStats":
        return cls(
            row_estimate=doc.get("row_estimate", -1),
            total_bytes=doc.get("total_bytes", 0),
            index_count=doc.get("index_count", 0),
            empty=doc.get("empty"),
        )


@dataclass(frozen=True)
class IndexStats:
    """One index of a stats document."""

    #: The index's table, e.g. ``"public.users"``.
    table: str
    #: Scans since the statistics were last reset (``pg_stat_user_indexes.idx_scan``).
    idx_scan: int
    #: The index's size in bytes.
    bytes: int

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "IndexStats":
        return cls(
            table=doc.get("table", ""),
            idx_scan=doc.get("idx_scan", -1),
            bytes=doc.get("bytes", 0),
        )


@dataclass(frozen=True)
class Stats:
    """Live table statistics from :func:`dbsafe.stats` (``docs/schema/stats.v1.json``).

    Pass it (or ``json.loads(stats.json)``) as :func:`dbsafe.check`'s ``stats``.
    """

    #: The server's ``server_version_num``, e.g. ``150018``.
    server_version_num: int
    #: By ``"schema.table"``.
    tables: Dict[str, TableStats]
    #: By ``"schema.index"``.
    indexes: Dict[str, IndexStats]
    #: The document exactly as the library produced it (what ``dbsafe stats`` writes).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "Stats":
        doc = _json.loads(text)
        return cls(
            server_version_num=doc.get("server_version_num", 0),
            tables={name: TableStats.from_dict(t) for name, t in doc.get("tables", {}).items()},
            indexes={name: IndexStats.from_dict(i) for name, i in doc.get("indexes", {}).items()},
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The stats document as plain JSON values."""
        return _json.loads(self.json)


@dataclass(frozen=True)
class MigrationStep:
    """One unit the runner sends: statements in one transaction, or one that cannot run in one."""

    #: 1-based position where the step starts in the migration's file.
    line: int
    column: int
    #: False: runs outside any transaction (``CREATE INDEX CONCURRENTLY``, ``VACUUM``, ...).
    transactional: bool
    sql: str

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "MigrationStep":
        return cls(
            line=doc["line"],
            column=doc["column"],
            transactional=doc["transactional"],
            sql=doc["sql"],
        )


@dataclass(frozen=True)
class PlannedMigration:
    """One migration of a migrate report and how it stands against ``_prisma_migrations``."""

    name: str
    #: ``"applied"``, ``"pending"``, ``"failed"``, ``"modified"``, ``"missing"`` or
    #: ``"out-of-order"`` (pending, but a later one is applied: deploy runs it, status warns).
    state: str
    #: Relative to the report's ``root``; empty when the migration is missing.
    path: str
    #: SHA-256 of the file on disk.
    checksum: str
    #: The checksum recorded in ``_prisma_migrations``; empty when not recorded.
    recorded_checksum: str
    #: ISO 8601 times from the history; None when not recorded.
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    #: The failure recorded in the history, if any.
    logs: Optional[str] = None
    #: A multi-step migration stopped part-way by a crash: the next deploy resumes it.
    resumable: bool = False
    #: ``migrate_deploy(dry_run=True)`` only: what each step would send.
    steps: List[MigrationStep] = field(default_factory=list)

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "PlannedMigration":
        return cls(
            name=doc["name"],
            state=doc["state"],
            path=doc.get("path", ""),
            checksum=doc.get("checksum", ""),
            recorded_checksum=doc.get("recorded_checksum", ""),
            started_at=doc.get("started_at"),
            finished_at=doc.get("finished_at"),
            logs=doc.get("logs"),
            resumable=doc.get("resumable", False),
            steps=[MigrationStep.from_dict(step) for step in doc.get("steps", [])],
        )


@dataclass(frozen=True)
class AppliedMigration:
    """A migration a deploy ran."""

    name: str
    steps: int
    elapsed_ms: float
    #: It continued a crashed multi-step migration.
    resumed: bool = False

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "AppliedMigration":
        return cls(
            name=doc["name"],
            steps=doc["steps"],
            elapsed_ms=doc["elapsed_ms"],
            resumed=doc.get("resumed", False),
        )


@dataclass(frozen=True)
class MigrationFailure:
    """Where and why a deploy stopped."""

    migration: str
    #: The migration's file: the report's root joined with its path.
    file: str
    #: 1-based position of the failing statement in ``file``; 0 when unknown.
    line: int
    column: int
    sqlstate: str
    message: str
    #: Nothing of the failed migration is left in the database.
    rolled_back: bool
    #: Steps of the migration that committed.
    steps_done: int
    #: The command that clears the failure, e.g. ``dbsafe migrate resolve --rolled-back <name>``.
    resolve_command: str

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "MigrationFailure":
        return cls(
            migration=doc["migration"],
            file=doc["file"],
            line=doc.get("line", 0),
            column=doc.get("column", 0),
            sqlstate=doc.get("sqlstate", ""),
            message=doc["message"],
            rolled_back=doc.get("rolled_back", False),
            steps_done=doc.get("steps_done", 0),
            resolve_command=doc.get("resolve_command", ""),
        )


@dataclass(frozen=True)
class MigrateSummary:
    """How many migrations are in each state."""

    applied: int
    pending: int
    failed: int
    modified: int
    missing: int
    out_of_order: int

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "MigrateSummary":
        return cls(
            applied=doc.get("applied", 0),
            pending=doc.get("pending", 0),
            failed=doc.get("failed", 0),
            modified=doc.get("modified", 0),
            missing=doc.get("missing", 0),
            out_of_order=doc.get("out_of_order", 0),
        )


_MIGRATE_COMMANDS = ("status", "deploy", "resolve", "baseline")


@dataclass(frozen=True)
class MigrateReport:
    """What a migrate call found and did (``docs/schema/migrate-report.v1.json``).

    Returned by :func:`dbsafe.migrate_status`, :func:`dbsafe.migrate_deploy`,
    :func:`dbsafe.migrate_resolve` and :func:`dbsafe.migrate_baseline`; a failed
    deploy's exception carries one as ``report``.
    """

    schema_version: int
    #: ``"status"``, ``"deploy"``, ``"resolve"`` or ``"baseline"``.
    command: str
    #: ``"safe"`` or ``"prisma"``.
    mode: str
    dry_run: bool
    #: The migration directory read.
    root: str
    #: The quoted, schema-qualified history table, e.g. ``"public"."_prisma_migrations"``.
    history_table: str
    history_exists: bool
    #: 0 up to date, 1 pending, 2 failed, modified or missing migrations (the CLI's exit code).
    status_code: int
    summary: MigrateSummary
    #: Every migration in disk order, then those recorded but not on disk (after the command).
    migrations: List[PlannedMigration]
    #: What a deploy ran, in order.
    applied: List[AppliedMigration]
    #: resolve and baseline: the migrations they marked.
    resolved: List[str]
    warnings: List[str]
    #: Where and why a deploy stopped; None when it did not.
    failure: Optional[MigrationFailure]
    elapsed_ms: float
    #: The report as JSON text: exactly as the library produced it for a returned report;
    #: re-serialised from the error's detail for an exception's ``report``.
    json: str = field(repr=False, compare=False)

    @staticmethod
    def is_report(doc: Any) -> bool:
        """Whether ``doc`` (a parsed JSON value) is a migrate report."""
        return (
            isinstance(doc, dict)
            and doc.get("schema_version") == 1
            and doc.get("command") in _MIGRATE_COMMANDS
            and isinstance(doc.get("migrations"), list)
        )

    @classmethod
    def from_json(cls, text: str) -> "MigrateReport":
        return cls._from_document(_json.loads(text), text)

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "MigrateReport":
        return cls._from_document(doc, _json.dumps(doc))

    @classmethod
    def _from_document(cls, doc: Dict[str, Any], text: str) -> "MigrateReport":
        failure = doc.get("failure")
        return cls(
            schema_version=doc["schema_version"],
            command=doc["command"],
            mode=doc["mode"],
            dry_run=doc.get("dry_run", False),
            root=doc["root"],
            history_table=doc["history_table"],
            history_exists=doc["history_exists"],
            status_code=doc["status_code"],
            summary=MigrateSummary.from_dict(doc.get("summary", {})),
            migrations=[PlannedMigration.from_dict(m) for m in doc.get("migrations", [])],
            applied=[AppliedMigration.from_dict(a) for a in doc.get("applied", [])],
            resolved=list(doc.get("resolved", [])),
            warnings=list(doc.get("warnings", [])),
            failure=MigrationFailure.from_dict(failure) if failure is not None else None,
            elapsed_ms=doc.get("elapsed_ms", 0),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain JSON values (the raw document)."""
        return _json.loads(self.json)

    def migration(self, name: str) -> PlannedMigration:
        """The migration called ``name``; KeyError when the report has none."""
        for planned in self.migrations:
            if planned.name == name:
                return planned
        raise KeyError(name)


@dataclass(frozen=True)
class SchemaChange:
    """One change of a diff, in the order it must run."""

    #: ``"create"``, ``"drop"``, ``"alter"`` or ``"rename"``.
    action: str
    #: ``"table"``, ``"column"``, ``"index"``, ``"constraint"``, ``"foreign key"``, ``"enum"``, ...
    object_type: str
    #: The qualified name, e.g. ``"public.User.email"``.
    object: str
    #: What differs, in words.
    description: str
    #: The statements, each ending in ``;``.
    sql: List[str]
    #: Loses data or objects (a drop).
    destructive: bool = False

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "SchemaChange":
        return cls(
            action=doc["action"],
            object_type=doc["object_type"],
            object=doc["object"],
            description=doc.get("description", ""),
            sql=list(doc.get("sql", [])),
            destructive=doc.get("destructive", False),
        )


@dataclass(frozen=True)
class DiffSummary:
    """The counts of a diff: its changes, and the findings of the risk check of its SQL."""

    changes: int
    destructive: int
    errors: int
    warnings: int
    infos: int

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "DiffSummary":
        return cls(
            changes=doc.get("changes", 0),
            destructive=doc.get("destructive", 0),
            errors=doc.get("errors", 0),
            warnings=doc.get("warnings", 0),
            infos=doc.get("infos", 0),
        )


@dataclass(frozen=True)
class DiffReport:
    """What :func:`dbsafe.schema_diff` and :func:`dbsafe.drift` found
    (``docs/schema/diff-report.v1.json``)."""

    schema_version: int
    #: ``"diff"`` or ``"drift"``.
    kind: str
    #: The sources, described (passwords redacted). ``from`` is a keyword, hence ``from_``.
    from_: str
    to: str
    #: Whether there is any change (drift: the database differs from its migrations).
    drift: bool
    #: In the order they must run.
    changes: List[SchemaChange]
    #: Likely renames, differences dbsafe cannot express.
    warnings: List[str]
    #: Every statement in order with a header comment; ``""`` when there is no change.
    sql: str
    #: The risk check of ``sql``, run as one migration file.
    findings: List[Finding]
    summary: DiffSummary
    elapsed_ms: float
    #: The report exactly as the library produced it (what ``--format json`` prints).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "DiffReport":
        doc = _json.loads(text)
        changes = [SchemaChange.from_dict(c) for c in doc.get("changes", [])]
        return cls(
            schema_version=doc["schema_version"],
            kind=doc.get("kind", "diff"),
            from_=doc.get("from", ""),
            to=doc.get("to", ""),
            drift=doc.get("drift", bool(changes)),
            changes=changes,
            warnings=list(doc.get("warnings", [])),
            sql=doc.get("sql", ""),
            findings=[Finding.from_dict(f) for f in doc.get("findings", [])],
            summary=DiffSummary.from_dict(doc.get("summary", {})),
            elapsed_ms=doc.get("elapsed_ms", 0),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain JSON values (the raw document)."""
        return _json.loads(self.json)


@dataclass(frozen=True)
class VerifyChecked:
    """How many objects of each kind :func:`dbsafe.verify` checked."""

    tables: int
    indexes: int
    foreign_keys: int
    constraints: int

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "VerifyChecked":
        return cls(
            tables=doc.get("tables", 0),
            indexes=doc.get("indexes", 0),
            foreign_keys=doc.get("foreign_keys", 0),
            constraints=doc.get("constraints", 0),
        )


@dataclass(frozen=True)
class VerifyProblem:
    """One object the migrations define that the database lacks, or has in a bad state."""

    #: ``"table"``, ``"index"``, ``"foreign key"`` or ``"constraint"``.
    object_type: str
    #: The qualified name.
    object: str
    #: ``"missing"``, ``"invalid"``, ``"not valid"`` or ``"different"``.
    problem: str
    #: Expected against found, in words.
    detail: str = ""

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "VerifyProblem":
        return cls(
            object_type=doc["object_type"],
            object=doc["object"],
            problem=doc["problem"],
            detail=doc.get("detail", ""),
        )


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`dbsafe.verify` found (``docs/schema/verify-report.v1.json``)."""

    schema_version: int
    #: No problem found.
    ok: bool
    checked: VerifyChecked
    problems: List[VerifyProblem]
    elapsed_ms: float
    #: The report exactly as the library produced it (what ``dbsafe verify --format json`` prints).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "VerifyReport":
        doc = _json.loads(text)
        problems = [VerifyProblem.from_dict(p) for p in doc.get("problems", [])]
        return cls(
            schema_version=doc["schema_version"],
            ok=doc.get("ok", not problems),
            checked=VerifyChecked.from_dict(doc.get("checked", {})),
            problems=problems,
            elapsed_ms=doc.get("elapsed_ms", 0),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain JSON values (the raw document)."""
        return _json.loads(self.json)


@dataclass(frozen=True)
class Branch:
    """A branch of a provider (:class:`dbsafe.Provider`): a Neon branch, or for the local
    provider a database (the source database is the default branch)."""

    #: Neon: ``"br-..."``; local: the database's name.
    id: str
    name: str
    #: The parent branch's id; ``""`` for a root branch.
    parent_id: str
    #: Neon: ``"init"``, ``"ready"``, ...; local: ``"ready"``.
    state: str
    #: The project's default branch (local: the source database). Never deleted.
    default: bool
    #: Never deleted by :meth:`dbsafe.Provider.delete_branch` or pruning.
    protected: bool
    #: RFC 3339, UTC.
    created_at: str
    #: When it expires (RFC 3339); None when it does not.
    expires_at: Optional[str] = None

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "Branch":
        return cls(
            id=doc["id"],
            name=doc["name"],
            parent_id=doc.get("parent_id") or "",
            state=doc.get("state", ""),
            default=doc.get("default", False),
            protected=doc.get("protected", False),
            created_at=doc.get("created_at", ""),
            expires_at=doc.get("expires_at"),
        )

    def to_dict(self) -> Dict[str, Any]:
        """The branch as the library writes it (``"default"``, ``"protected"``, ...)."""
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "state": self.state,
            "default": self.default,
            "protected": self.protected,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True)
class Snapshot:
    """A snapshot: a native Neon snapshot, or for the local provider a database copy."""

    #: Neon: ``"snap-..."``; local: 8 hex digits.
    id: str
    #: Names need not be unique; by name, the newest one is found.
    name: str
    #: Neon: the branch it was taken of; local: the source database's name.
    source_branch_id: str
    #: RFC 3339, UTC.
    created_at: str
    #: When it expires (RFC 3339); None when it does not.
    expires_at: Optional[str] = None
    #: Never deleted by retention.
    protected: bool = False
    #: ``"snapshot"``, or ``"branch"`` when a bridge branch holds the backup (a rotation
    #: under a full snapshot quota).
    kind: str = "snapshot"

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "Snapshot":
        return cls(
            id=doc["id"],
            name=doc["name"],
            source_branch_id=doc.get("source_branch_id") or "",
            created_at=doc.get("created_at", ""),
            expires_at=doc.get("expires_at"),
            protected=doc.get("protected", False),
            kind=doc.get("kind", "snapshot"),
        )

    def to_dict(self) -> Dict[str, Any]:
        """The snapshot as the library writes it."""
        return {
            "id": self.id,
            "name": self.name,
            "source_branch_id": self.source_branch_id,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "protected": self.protected,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class RestoreResult:
    """What :meth:`dbsafe.Provider.restore_snapshot` and
    :meth:`~dbsafe.Provider.restore_branch` did."""

    schema_version: int
    #: The branch that now holds the restored data.
    branch: Branch
    #: The name the replaced data is kept under (a branch that
    #: :meth:`dbsafe.Provider.prune_branches` removes later); None when nothing was kept.
    replaced_by: Optional[str]
    #: What else happened, in words.
    notes: List[str]
    #: The result exactly as the library produced it (``--format json``).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "RestoreResult":
        doc = _json.loads(text)
        return cls(
            schema_version=doc["schema_version"],
            branch=Branch.from_dict(doc["branch"]),
            replaced_by=doc.get("replaced_by") or None,
            notes=list(doc.get("notes", [])),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The result as plain JSON values (the raw document)."""
        return _json.loads(self.json)


@dataclass(frozen=True)
class RotateReport:
    """What :meth:`dbsafe.Provider.rotate_snapshot` did
    (``docs/schema/rotate-report.v1.json``)."""

    schema_version: int
    #: The new backup, ready.
    snapshot: Snapshot
    #: The newest previous snapshot of the name, deleted after the new one was ready;
    #: None on the first rotation.
    replaced: Optional[Snapshot]
    #: The temporary branch that held the backup while a full snapshot quota was made
    #: room in (deleted at the end); None when not needed.
    bridge_branch: Optional[str]
    #: What was done, in order.
    steps: List[str]
    #: The report exactly as the library produced it (``dbsafe snapshot rotate --format json``).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "RotateReport":
        doc = _json.loads(text)
        replaced = doc.get("replaced")
        return cls(
            schema_version=doc["schema_version"],
            snapshot=Snapshot.from_dict(doc["snapshot"]),
            replaced=Snapshot.from_dict(replaced) if replaced is not None else None,
            bridge_branch=doc.get("bridge_branch"),
            steps=list(doc.get("steps", [])),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain JSON values (the raw document)."""
        return _json.loads(self.json)


@dataclass(frozen=True)
class PruneKept:
    """A snapshot or branch a prune kept, and why."""

    name: str
    #: E.g. ``"just taken"``, ``"protected"``, ``"default branch"``, ``"among the 3 newest"``,
    #: ``"no rule applies"``.
    reason: str

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "PruneKept":
        return cls(name=doc["name"], reason=doc.get("reason", ""))


@dataclass(frozen=True)
class PruneReport:
    """What :meth:`dbsafe.Provider.apply_snapshot_retention` and
    :meth:`~dbsafe.Provider.prune_branches` deleted and kept
    (``docs/schema/prune-report.v1.json``)."""

    schema_version: int
    #: True: ``deleted`` lists what would have been deleted; nothing was.
    dry_run: bool
    #: Names, newest first.
    deleted: List[str]
    kept: List[PruneKept]
    #: The report exactly as the library produced it (``--format json``).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "PruneReport":
        doc = _json.loads(text)
        return cls(
            schema_version=doc["schema_version"],
            dry_run=doc.get("dry_run", False),
            deleted=list(doc.get("deleted", [])),
            kept=[PruneKept.from_dict(k) for k in doc.get("kept", [])],
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain JSON values (the raw document)."""
        return _json.loads(self.json)


@dataclass(frozen=True)
class DeployStep:
    """One step of the safe-deploy pipeline, in the order it ran."""

    #: ``"connect"``, ``"plan"``, ``"check"``, ``"gate"``, ``"snapshot"``, ``"apply"``,
    #: ``"restore"``, ``"verify"``, ``"audit"`` or ``"notify"``.
    name: str
    #: ``"ok"``, ``"skipped"``, ``"failed"`` or ``"blocked"``.
    status: str
    duration_ms: float
    #: What it did, or why it was skipped or failed.
    detail: str

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "DeployStep":
        return cls(
            name=doc["name"],
            status=doc["status"],
            duration_ms=doc.get("duration_ms", 0),
            detail=doc.get("detail", ""),
        )


@dataclass(frozen=True)
class DeployGate:
    """What the deploy's gate decided."""

    #: ``"none"``, ``"approved"``, ``"needs-approval"`` or ``"blocked"``.
    decision: str
    #: The highest finding level of the pending migrations: ``"off"`` (none) to ``"error"``.
    highest_level: str
    #: The target's ``approvals`` when an approval was needed, else 0.
    approvals_required: int
    #: Distinct approver names, sorted.
    approved_by: List[str]
    #: When the gate stopped the deploy: the command line that approves it.
    approve_hint: Optional[str]

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "DeployGate":
        return cls(
            decision=doc["decision"],
            highest_level=doc.get("highest_level", "off"),
            approvals_required=doc.get("approvals_required", 0),
            approved_by=list(doc.get("approved_by", [])),
            approve_hint=doc.get("approve_hint"),
        )


@dataclass(frozen=True)
class DeployVerify:
    """The verify step after applying."""

    ran: bool
    #: Changes between the database and the migrations after applying (0: no drift).
    drift_changes: int
    #: Objects the migrations define that are missing or invalid.
    problems: List[str]

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "DeployVerify":
        return cls(
            ran=doc.get("ran", False),
            drift_changes=doc.get("drift_changes", 0),
            problems=list(doc.get("problems", [])),
        )


@dataclass(frozen=True)
class DeployAudit:
    """Where the deploy's audit record went."""

    #: The JSON-lines audit file; None in a dry run or when none is configured.
    file: Optional[str]
    #: The row reached ``dbsafe.audit``.
    row_written: bool
    #: The line was appended to the audit file.
    line_written: bool

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "DeployAudit":
        return cls(
            file=doc.get("file"),
            row_written=doc.get("row_written", False),
            line_written=doc.get("line_written", False),
        )


@dataclass(frozen=True)
class RestoreDetails:
    """What :func:`dbsafe.restore` restored and what it kept."""

    #: "snapshot NAME (ID, taken ...)" or "the state of branch B at TIME".
    from_: str
    #: The snapshot of the data the restore replaced; None when turned off.
    safety_snapshot: Optional[Snapshot]
    #: Audit rows the restore rewound out of ``dbsafe.audit``, written back from the file.
    audit_rows_written_back: int

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "RestoreDetails":
        safety = doc.get("safety_snapshot")
        return cls(
            from_=doc.get("from", ""),
            safety_snapshot=Snapshot.from_dict(safety) if safety is not None else None,
            audit_rows_written_back=doc.get("audit_rows_written_back", 0),
        )


@dataclass(frozen=True)
class DeployReport:
    """What :func:`dbsafe.deploy` did (``docs/schema/deploy-report.v1.json``).

    A deploy the gate stopped is returned, not raised: ``exit_code`` is 1 and
    ``outcome`` ``"stopped"`` (or ``"blocked"``); :attr:`stopped` says so. A
    failed deploy's exception carries one as ``report``.
    """

    schema_version: int
    #: The primary key of its ``dbsafe.audit`` row and the id of its audit file line.
    id: str
    #: The ``[targets.NAME]`` of dbsafe.toml.
    target: str
    dry_run: bool
    #: ``"deployed"``, ``"up-to-date"``, ``"dry-run"``, ``"stopped"`` (the gate needs an
    #: approval), ``"blocked"``, ``"failed"``, ``"restored"`` or ``"cancelled"``.
    outcome: str
    #: The CLI's exit code: 0 done, 1 stopped by the gate (or would be, in a dry run),
    #: 2 needs a person, 3 configuration, 4 cannot connect, 5 failed part-way, 130 cancelled.
    exit_code: int
    #: What happened, in one sentence.
    message: str
    started_at: str
    finished_at: str
    git_sha: str
    actor: str
    #: The URL applied through, its password replaced by ``***``.
    database: str
    server_version_num: int
    #: VERCEL_ENV when the target came from the ``[vercel]`` table; None otherwise.
    vercel_env: Optional[str]
    #: branch_per_git_branch: the Neon branch deployed to (``id``, ``name``,
    #: ``expires_at``, ``created``); None otherwise.
    branch: Optional[Dict[str, Any]]
    steps: List[DeployStep]
    #: Migrations pending when the deploy planned, in order.
    pending: List[str]
    #: Migrations this deploy applied.
    applied: List[str]
    gate: DeployGate
    #: The check report of the pending migrations; None when the check did not run.
    check: Optional[CheckReport]
    #: The snapshot taken before applying; None when none was taken.
    snapshot: Optional[Snapshot]
    #: After a failure once the snapshot exists: the ``dbsafe snapshot restore`` command
    #: (a restore left half-done: the ``dbsafe restore`` that puts the replaced data back).
    restore_command: Optional[str]
    restored: bool
    #: :func:`dbsafe.restore` only: what it restored and what it kept.
    restore: Optional[RestoreDetails]
    verify: DeployVerify
    warnings: List[str]
    audit: DeployAudit
    notified: bool
    #: ``"deploy"`` (:func:`dbsafe.deploy`) or ``"restore"`` (:func:`dbsafe.restore`).
    operation: str
    #: The report as JSON text: exactly as the library produced it for a returned report;
    #: re-serialised from the error's detail for an exception's ``report``.
    json: str = field(repr=False, compare=False)

    @property
    def stopped(self) -> bool:
        """The gate stopped the deploy (or would have, in a dry run): ``exit_code == 1``."""
        return self.exit_code == 1

    @staticmethod
    def is_report(doc: Any) -> bool:
        """Whether ``doc`` (a parsed JSON value) is a deploy report."""
        return (
            isinstance(doc, dict)
            and doc.get("schema_version") == 1
            and isinstance(doc.get("target"), str)
            and isinstance(doc.get("exit_code"), int)
            and isinstance(doc.get("steps"), list)
        )

    @classmethod
    def from_json(cls, text: str) -> "DeployReport":
        return cls._from_document(_json.loads(text), text)

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "DeployReport":
        return cls._from_document(doc, _json.dumps(doc))

    @classmethod
    def _from_document(cls, doc: Dict[str, Any], text: str) -> "DeployReport":
        check = doc.get("check")
        snapshot = doc.get("snapshot")
        return cls(
            schema_version=doc["schema_version"],
            id=doc["id"],
            target=doc["target"],
            dry_run=doc.get("dry_run", False),
            outcome=doc["outcome"],
            exit_code=doc["exit_code"],
            message=doc.get("message", ""),
            started_at=doc.get("started_at", ""),
            finished_at=doc.get("finished_at", ""),
            git_sha=doc.get("git_sha", ""),
            actor=doc.get("actor", ""),
            database=doc.get("database", ""),
            server_version_num=doc.get("server_version_num", 0),
            vercel_env=doc.get("vercel_env"),
            branch=doc.get("branch"),
            steps=[DeployStep.from_dict(step) for step in doc.get("steps", [])],
            pending=list(doc.get("pending", [])),
            applied=list(doc.get("applied", [])),
            gate=DeployGate.from_dict(doc["gate"]),
            check=CheckReport.from_json(_json.dumps(check)) if check is not None else None,
            snapshot=Snapshot.from_dict(snapshot) if snapshot is not None else None,
            restore_command=doc.get("restore_command"),
            restored=doc.get("restored", False),
            restore=(
                RestoreDetails.from_dict(doc["restore"])
                if doc.get("restore") is not None
                else None
            ),
            verify=DeployVerify.from_dict(doc.get("verify", {})),
            warnings=list(doc.get("warnings", [])),
            audit=DeployAudit.from_dict(doc.get("audit", {})),
            notified=doc.get("notified", False),
            operation=doc.get("operation", "deploy"),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain JSON values (the raw document)."""
        return _json.loads(self.json)

    def step(self, name: str) -> DeployStep:
        """The step called ``name``; KeyError when it did not run."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


# --- backups to files (docs/backup.md, docs/schema/backup-report.v1.json) ---


@dataclass(frozen=True)
class BackupManifest:
    """``<backup file>.manifest.json`` (``docs/schema/backup-manifest.v1.json``)."""

    file: str
    #: ``"custom"`` (pg_dump -Fc) or ``"plain-gz"`` (gzipped SQL).
    format: str
    bytes: int
    sha256: str
    database: str
    #: The URL it was dumped from, password replaced by ``***``.
    source: str
    server_version: str
    pg_dump_version: str
    #: RFC 3339 UTC, when the dump started.
    created_at: str
    tables: int
    table_data: int
    entries: int
    dbsafe_version: str

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "BackupManifest":
        return cls(
            file=doc["file"],
            format=doc["format"],
            bytes=doc["bytes"],
            sha256=doc["sha256"],
            database=doc["database"],
            source=doc["source"],
            server_version=doc["server_version"],
            pg_dump_version=doc["pg_dump_version"],
            created_at=doc["created_at"],
            tables=doc["tables"],
            table_data=doc["table_data"],
            entries=doc["entries"],
            dbsafe_version=doc["dbsafe_version"],
        )


@dataclass(frozen=True)
class BackupCheck:
    """One check of a verify: ``manifest``, ``size``, ``sha256``, ``toc``, ``read``,
    ``gzip``, ``sql`` or ``test_restore``."""

    name: str
    ok: bool
    #: What was found, in words.
    detail: str


@dataclass(frozen=True)
class RestoredTable:
    name: str
    rows: int


@dataclass(frozen=True)
class TestRestore:
    """What a test restore into a throwaway database brought back (then dropped)."""

    __test__ = False  # not a pytest test class

    where: str
    tables: int
    rows: int
    table_rows: List[RestoredTable]
    duration_ms: int

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "TestRestore":
        return cls(
            where=doc["where"],
            tables=doc["tables"],
            rows=doc["rows"],
            table_rows=[RestoredTable(t["name"], t["rows"]) for t in doc["table_rows"]],
            duration_ms=doc["duration_ms"],
        )


def _created(doc: Dict[str, Any], text: str) -> "BackupCreateReport":
    return BackupCreateReport(
        path=doc["path"],
        manifest_path=doc["manifest_path"],
        manifest=BackupManifest.from_dict(doc["manifest"]),
        pg_dump=doc["pg_dump"],
        duration_ms=doc["duration_ms"],
        json=text,
    )


def _verified(doc: Dict[str, Any], text: str) -> "BackupVerifyReport":
    return BackupVerifyReport(
        path=doc["path"],
        ok=doc["ok"],
        manifest=BackupManifest.from_dict(doc["manifest"]) if doc.get("manifest") else None,
        checks=[BackupCheck(c["name"], c["ok"], c["detail"]) for c in doc["checks"]],
        test_restore=TestRestore.from_dict(doc["test_restore"]) if doc.get("test_restore") else None,
        duration_ms=doc["duration_ms"],
        json=text,
    )


@dataclass(frozen=True)
class BackupCreateReport:
    """What :func:`dbsafe.backup_create` wrote."""

    #: The backup file; its manifest is ``manifest_path``.
    path: str
    manifest_path: str
    manifest: BackupManifest
    #: The pg_dump program used.
    pg_dump: str
    duration_ms: int
    #: The report exactly as the library produced it (``--format json``).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "BackupCreateReport":
        return _created(_json.loads(text)["backup"], text)

    def to_dict(self) -> Dict[str, Any]:
        return _json.loads(self.json)


@dataclass(frozen=True)
class BackupVerifyReport:
    """What :func:`dbsafe.backup_verify` found. ``ok`` False: the backup cannot be trusted."""

    path: str
    ok: bool
    #: None when the manifest itself is damaged.
    manifest: Optional[BackupManifest]
    checks: List[BackupCheck]
    test_restore: Optional[TestRestore]
    duration_ms: int
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "BackupVerifyReport":
        return _verified(_json.loads(text)["verify"], text)

    @property
    def failed(self) -> List[BackupCheck]:
        """The checks that failed."""
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> Dict[str, Any]:
        return _json.loads(self.json)


@dataclass(frozen=True)
class BackupRestoreReport:
    """What :func:`dbsafe.backup_restore` did; also the ``report`` of its errors."""

    path: str
    #: The target database's name (what ``confirm`` had to be).
    database: str
    #: Its URL, password replaced by ``***``.
    target: str
    target_was_empty: bool
    clean: bool
    #: The backup of the target taken before a ``clean`` restore over it.
    safety_backup: Optional[BackupCreateReport]
    single_transaction: bool
    #: User tables in the target afterwards.
    tables: int
    #: pg_restore or psql; empty when refused before it ran.
    program: str
    duration_ms: int
    verify: BackupVerifyReport
    json: str = field(repr=False, compare=False)

    @staticmethod
    def is_report(doc: Any) -> bool:
        """Whether ``doc`` (a parsed JSON value) is a restore report."""
        return (
            isinstance(doc, dict)
            and doc.get("schema_version") == 1
            and doc.get("operation") == "restore"
        )

    @classmethod
    def from_json(cls, text: str) -> "BackupRestoreReport":
        return cls.from_dict(_json.loads(text), text)

    @classmethod
    def from_dict(cls, doc: Dict[str, Any], text: Optional[str] = None) -> "BackupRestoreReport":
        text = text if text is not None else _json.dumps(doc)
        r = doc["restore"]
        safety = r.get("safety_backup")
        return cls(
            path=r["path"],
            database=r["database"],
            target=r["target"],
            target_was_empty=r["target_was_empty"],
            clean=r["clean"],
            safety_backup=_created(safety, _json.dumps(safety)) if safety else None,
            single_transaction=r["single_transaction"],
            tables=r["tables"],
            program=r["program"],
            duration_ms=r["duration_ms"],
            verify=_verified(doc["verify"], _json.dumps(doc["verify"])),
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        return _json.loads(self.json)


@dataclass(frozen=True)
class MaintenanceWriter:
    """A session that connected before the read-only window and can still write."""

    pid: int
    user: str
    application_name: str
    #: None: a Unix-domain socket.
    client_addr: Optional[str]
    #: None: hidden from a role without pg_read_all_stats.
    backend_start: Optional[str]
    state: str
    #: With ``terminate_writers``: ``"terminated"``, ``"gone"`` (it disconnected by
    #: itself first) or ``"not_terminated"``; else None.
    outcome: Optional[str]
    #: Why it was not ended (e.g. lacking permission).
    error: Optional[str]


@dataclass(frozen=True)
class MaintenanceWindow:
    """The window as dbsafe recorded it (``dbsafe.maintenance_window``)."""

    since: str
    opened_by: str
    opened_by_role: str
    #: The per-database setting before the window; None: there was none (off RESETs).
    previous_setting: Optional[str]


@dataclass(frozen=True)
class MaintenanceReport:
    """What :func:`dbsafe.maintenance` did (``docs/schema/maintenance-report.v1.json``)."""

    action: str
    database: str
    #: The URL, password replaced by ``***``.
    target: str
    #: default_transaction_read_only is on for the database after the call.
    read_only: bool
    #: The call opened or closed the window (False: it already was so).
    changed: bool
    window: Optional[MaintenanceWindow]
    #: ``off`` only: the value put back; None: RESET (or not ``off``).
    restored_setting: Optional[str]
    writers: List[MaintenanceWriter]
    terminated: int
    not_terminated: int
    warnings: List[str]
    duration_ms: int
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "MaintenanceReport":
        doc = _json.loads(text)
        w = doc.get("window")
        return cls(
            action=doc["action"],
            database=doc["database"],
            target=doc["target"],
            read_only=doc["read_only"],
            changed=doc["changed"],
            window=MaintenanceWindow(**w) if w else None,
            restored_setting=doc.get("restored_setting"),
            writers=[
                MaintenanceWriter(
                    pid=s["pid"],
                    user=s["user"],
                    application_name=s["application_name"],
                    client_addr=s["client_addr"],
                    backend_start=s["backend_start"],
                    state=s["state"],
                    outcome=s.get("outcome"),
                    error=s.get("error"),
                )
                for s in doc["writers"]
            ],
            terminated=doc["terminated"],
            not_terminated=doc["not_terminated"],
            warnings=list(doc["warnings"]),
            duration_ms=doc["duration_ms"],
            json=text,
        )

    def to_dict(self) -> Dict[str, Any]:
        return _json.loads(self.json)


@dataclass(frozen=True)
class CopyDifference:
    """A row whose digest differs between the SQLite file and the target."""

    #: The primary key's normalised values, comma-separated.
    key: str
    #: ``"changed"``, ``"missing"`` (in the target) or ``"extra"`` (only in the target).
    kind: str


@dataclass(frozen=True)
class CopyVerification:
    """A copied table compared with its source by row count and per-row digests."""

    target_rows: int
    source_digest: str
    target_digest: str
    equal: bool
    differences_total: int
    #: The first 100 of them.
    differences: List[CopyDifference]


@dataclass(frozen=True)
class CopyTable:
    """One table of a copy, in the order copied (foreign-key parents first)."""

    source: str
    #: ``schema.table``.
    target: str
    #: ``"copied"``, ``"resumed"``, ``"planned"``, ``"failed"``, ``"blocked"`` or ``"rolled-back"``.
    status: str
    source_rows: int
    copied_rows: int
    duration_ms: int
    rows_per_second: int
    conversions: List[str]
    sequences_reset: List[str]
    note: str
    #: None when the table was not verified (``verify=False``, a dry run, a failure).
    verification: Optional[CopyVerification]


@dataclass(frozen=True)
class CopyFailure:
    """A SQLite value that does not convert to its target column's type."""

    table: str
    rowid: int
    key: str
    column: str
    #: As SQLite holds it, at most 80 bytes (blobs as ``x'hex'``).
    value: str
    reason: str


@dataclass(frozen=True)
class CopyReport:
    """What :func:`dbsafe.copy` did (``docs/schema/copy-report.v1.json``).

    ``ok`` is False when a value did not convert or verification found a
    difference.
    """

    source: str
    #: SHA-256 of the SQLite file (and its -wal file): a rerun resumes only for the same identity.
    source_identity: str
    #: The target URL, password replaced by ``***``.
    target: str
    schema: str
    copy_id: str
    dry_run: bool
    single_transaction: bool
    verify: bool
    ok: bool
    rows_copied: int
    duration_ms: int
    tables: List[CopyTable]
    skipped: List[str]
    cycles: List[str]
    failures_total: int
    #: The first 1,000 of them.
    failures: List[CopyFailure]
    #: The report exactly as the library produced it (``--format json``).
    json: str = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "CopyReport":
        doc = _json.loads(text)

        def verification(v: Optional[Dict[str, Any]]) -> Optional[CopyVerification]:
            if v is None:
                return None
            return CopyVerification(
                target_rows=v["target_rows"],
                source_digest=v["source_digest"],
                target_digest=v["target_digest"],
                equal=v["equal"],
                differences_total=v["differences_total"],
                differences=[CopyDifference(**d) for d in v["differences"]],
            )

        return cls(
            source=doc["source"],
            source_identity=doc["source_identity"],
            target=doc["target"],
            schema=doc["schema"],
            copy_id=doc["copy_id"],
            dry_run=doc["dry_run"],
            single_transaction=doc["single_transaction"],
            verify=doc["verify"],
            ok=doc["ok"],
            rows_copied=doc["rows_copied"],
            duration_ms=doc["duration_ms"],
            tables=[
                CopyTable(
                    source=t["source"],
                    target=t["target"],
                    status=t["status"],
                    source_rows=t["source_rows"],
                    copied_rows=t["copied_rows"],
                    duration_ms=t["duration_ms"],
                    rows_per_second=t["rows_per_second"],
                    conversions=list(t["conversions"]),
                    sequences_reset=list(t["sequences_reset"]),
                    note=t["note"],
                    verification=verification(t["verification"]),
                )
                for t in doc["tables"]
            ],
            skipped=list(doc["skipped"]),
            cycles=list(doc["cycles"]),
            failures_total=doc["failures_total"],
            failures=[CopyFailure(**f) for f in doc["failures"]],
            json=text,
        )

    @property
    def unverified_tables(self) -> List[CopyTable]:
        """The tables whose verification found a difference."""
        return [t for t in self.tables if t.verification is not None and not t.verification.equal]

    def to_dict(self) -> Dict[str, Any]:
        return _json.loads(self.json)
