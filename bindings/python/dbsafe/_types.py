"""Typed views of the JSON documents the library returns."""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

__all__ = ["Migration", "MigrationSet"]


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
