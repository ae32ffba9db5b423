"""Typed views of the JSON documents the library returns."""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

__all__ = [
    "Migration",
    "MigrationSet",
    "Impact",
    "Finding",
    "CheckSummary",
    "CheckReport",
    "TableStats",
    "IndexStats",
    "Stats",
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
