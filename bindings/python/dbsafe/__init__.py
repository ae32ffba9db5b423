"""dbsafe: deploy PostgreSQL schema changes safely.

The Python binding of the dbsafe library. Blocking calls release the GIL, so
other Python threads keep running; on the main thread they can be interrupted
with Ctrl-C (the call is cancelled, then ``KeyboardInterrupt`` is raised).

    >>> import dbsafe
    >>> ms = dbsafe.migrations("prisma/migrations")
    >>> for m in ms.migrations:
    ...     print(m.name, m.checksum)
    >>> report = dbsafe.check("prisma/migrations")
    >>> for f in report.findings:
    ...     print(f.file, f.line, f.level, f.rule, f.message)
    >>> stats = dbsafe.stats("postgresql://app@db/app")   # read-only queries
    >>> report = dbsafe.check("prisma/migrations", stats=stats)
    >>> report = dbsafe.migrate_deploy("prisma/migrations", database_url="postgresql://app@db/app")
    >>> [m.name for m in report.applied]
    >>> report = dbsafe.deploy("production")   # [targets.production] of dbsafe.toml
    >>> report.exit_code                        # 1: the gate stopped it; approve=True
    >>> with dbsafe.Provider("local", database_url="postgresql://app@db/app") as provider:
    ...     backup = provider.rotate_snapshot()       # the pre-deploy backup

Library log messages go to the ``logging`` logger ``"dbsafe"`` (children named
after the component, e.g. ``"dbsafe.source"``).
"""

from __future__ import annotations

import datetime as _datetime
import json as _json
import logging as _logging
import math as _math
import os as _os
import re as _re
import sys as _sys
import time as _time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _dbsafe
from ._dbsafe import CancelToken
from ._types import (
    AppliedMigration,
    BackupCheck,
    BackupCreateReport,
    BackupManifest,
    BackupRestoreReport,
    BackupVerifyReport,
    Branch,
    CheckReport,
    CheckSummary,
    DeployAudit,
    DeployGate,
    DeployReport,
    RestoreDetails,
    DeployStep,
    DeployVerify,
    DiffReport,
    DiffSummary,
    Finding,
    Impact,
    IndexStats,
    MigrateReport,
    MigrateSummary,
    Migration,
    MigrationFailure,
    MigrationSet,
    MigrationStep,
    PlannedMigration,
    PruneKept,
    PruneReport,
    RestoreResult,
    RotateReport,
    SchemaChange,
    Snapshot,
    Stats,
    TableStats,
    VerifyChecked,
    VerifyProblem,
    VerifyReport,
    MaintenanceReport,
    MaintenanceWindow,
    MaintenanceWriter,
    CopyDifference,
    CopyFailure,
    CopyReport,
    CopyTable,
    CopyVerification,
)
from .errors import (
    AuthError,
    CallbackError,
    CancelledError,
    ConnectError,
    DatabaseError,
    Error,
    FileError,
    HttpError,
    InternalError,
    InvalidInputError,
    NotFoundError,
    ParseError,
    StateError,
    TimeoutError,
    VersionError,
)

__all__ = [
    "__version__",
    "version",
    "version_info",
    "abi_version",
    "migrations",
    "check",
    "check_sql",
    "stats",
    "migrate_status",
    "migrate_deploy",
    "migrate_resolve",
    "migrate_baseline",
    "migrate_baseline_from_database",
    "schema_dump",
    "schema_render",
    "schema_diff",
    "drift",
    "verify",
    "deploy",
    "restore",
    "backup_create",
    "backup_verify",
    "backup_restore",
    "backup_prune",
    "maintenance",
    "MaintenanceReport",
    "MaintenanceWindow",
    "MaintenanceWriter",
    "copy",
    "CopyReport",
    "CopyTable",
    "CopyVerification",
    "CopyDifference",
    "CopyFailure",
    "BackupManifest",
    "BackupCheck",
    "BackupCreateReport",
    "BackupVerifyReport",
    "BackupRestoreReport",
    "cli_main",
    "checksum_matches",
    "CancelToken",
    "Migration",
    "MigrationSet",
    "CheckReport",
    "CheckSummary",
    "Finding",
    "Impact",
    "Stats",
    "TableStats",
    "IndexStats",
    "MigrateReport",
    "MigrateSummary",
    "PlannedMigration",
    "AppliedMigration",
    "MigrationFailure",
    "MigrationStep",
    "DiffReport",
    "DiffSummary",
    "SchemaChange",
    "VerifyReport",
    "VerifyChecked",
    "VerifyProblem",
    "DeployReport",
    "RestoreDetails",
    "DeployStep",
    "DeployGate",
    "DeployVerify",
    "DeployAudit",
    "Provider",
    "Branch",
    "Snapshot",
    "RestoreResult",
    "RotateReport",
    "PruneReport",
    "PruneKept",
    "PROVIDER_KINDS",
    "LOCAL_METHODS",
    "LAYOUTS",
    "MIGRATE_MODES",
    "SCHEMA_FORMATS",
    "ProgressCallback",
]
# The exception classes of errors.py (all but its error_class helper), as a
# literal list so that type checkers see them exported; tests/python
# test_module.py checks that it matches errors.__all__.
__all__ += [
    "Error",
    "InternalError",
    "InvalidInputError",
    "NotFoundError",
    "ParseError",
    "DatabaseError",
    "HttpError",
    "AuthError",
    "TimeoutError",
    "CancelledError",
    "CallbackError",
    "VersionError",
    "FileError",
    "ConnectError",
    "StateError",
]

__version__: str = _dbsafe.version()

#: Migration directory layouts understood by :func:`migrations`.
LAYOUTS: Tuple[str, ...] = ("auto", "prisma", "plain", "flyway", "dbmate", "golang-migrate")

#: How the migrate calls apply a migration: ``"safe"`` (each file in its own
#: transaction, statements that cannot run in one outside it) or ``"prisma"``
#: (each file sent as one query, as Prisma does).
MIGRATE_MODES: Tuple[str, ...] = ("safe", "prisma")

#: What :func:`schema_dump` and :func:`schema_render` write: ``"sql"`` (DDL in
#: dependency order) or ``"json"`` (the schema model, which :func:`schema_diff`
#: takes back as a saved model).
SCHEMA_FORMATS: Tuple[str, ...] = ("sql", "json")

#: A progress callback receives each event as a dict with at least ``"event"``.
ProgressCallback = Callable[[Dict[str, Any]], Any]

StrPath = Union[str, bytes, "_os.PathLike[str]", "_os.PathLike[bytes]"]

#: What :func:`check` takes: one path, or several checked in order.
CheckPaths = Union[StrPath, Sequence[StrPath]]

_logger = _logging.getLogger("dbsafe")
_logger.addHandler(_logging.NullHandler())

_MAX_TIMEOUT_MS = 2**32 - 1


def version() -> str:
    """The version of the loaded dbsafe library, e.g. ``"0.1.0"``."""
    return _dbsafe.version()


def version_info() -> Tuple[int, int, int]:
    """The version of the loaded dbsafe library as ``(major, minor, patch)``."""
    return tuple(_dbsafe.version_info())  # type: ignore[return-value]


def abi_version() -> int:
    """The C ABI version of the loaded library (checked against the headers at import)."""
    return _dbsafe.abi_version()


def _forward_log(level: int, component: str, message: str) -> None:
    logger = _logger.getChild(component) if component else _logger
    logger.log(level, "%s", message)


def _log_arguments() -> Tuple[Optional[Callable[[int, str, str], None]], int]:
    """The log callback and the lowest level worth crossing into Python for."""
    level = _logger.getEffectiveLevel()
    if level > _logging.ERROR:
        return None, level
    return _forward_log, max(level, _logging.DEBUG)


def _timeout_ms(timeout: Optional[float]) -> int:
    if timeout is None:
        return 0
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidInputError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
    if not timeout > 0 or _math.isinf(timeout):
        raise InvalidInputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    ms = _math.ceil(timeout * 1000)
    if ms > _MAX_TIMEOUT_MS:
        raise InvalidInputError(f"timeout {timeout!r} s is too long; the limit is ~49 days")
    return ms


def migrations(
    path: StrPath,
    *,
    layout: str = "auto",
    max_file_bytes: Optional[int] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> MigrationSet:
    """Read the migration set at ``path``.

    ``path`` is a migration directory, or a project directory with exactly
    one Prisma migration directory below it.

    :param layout: one of :data:`LAYOUTS`; ``"auto"`` detects it.
    :param max_file_bytes: refuse scripts larger than this (default 64 MiB).
    :param timeout: give up after this many seconds (:class:`TimeoutError`).
    :param progress: called with each progress event, a dict such as
        ``{"event": "migration_read", "index": 0, "total": 21, "name": "..."}``.
        It runs on a library thread while the caller waits; an exception it
        raises stops the call and is re-raised here unchanged.
    :param cancel: a :class:`CancelToken`; cancelling it (from any thread, or
        from the callback) stops the call with :class:`CancelledError`. Ctrl-C
        during the call also cancels through this token.
    :raises NotFoundError: ``path`` does not exist (``file`` names it).
    :raises Error: any other failure, as the subclass of its status code.
    """
    raw_path = _os.fsencode(path)
    if layout not in LAYOUTS:
        raise InvalidInputError(
            f"unknown migration layout {layout!r}; use one of {', '.join(LAYOUTS)}"
        )
    if max_file_bytes is None:
        limit = 0
    elif isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, int) or max_file_bytes <= 0:
        raise InvalidInputError(f"max_file_bytes must be a positive integer, got {max_file_bytes!r}")
    else:
        limit = max_file_bytes
    on_event = _progress_events(progress)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    text = _dbsafe.migrations_open(
        raw_path,
        layout,
        limit,
        _timeout_ms(timeout),
        on_event,
        cancel,
        log,
        log_level,
    )
    return MigrationSet.from_json(text)


def _progress_events(progress: Optional[ProgressCallback]) -> Optional[Callable[[str], None]]:
    """The native progress callback: parses each event and hands it to ``progress``."""
    if progress is None:
        return None
    if not callable(progress):
        raise TypeError("progress must be callable or None")
    callback = progress

    def on_event(event_json: str) -> None:
        callback(_json.loads(event_json))

    return on_event


def _check_cancel(cancel: Optional[CancelToken]) -> None:
    if cancel is not None and not isinstance(cancel, CancelToken):
        raise TypeError(f"cancel must be a dbsafe.CancelToken, not {type(cancel).__name__}")


def _check_paths(paths: CheckPaths) -> List[bytes]:
    if isinstance(paths, (str, bytes, _os.PathLike)):
        return [_os.fsencode(paths)]
    if not isinstance(paths, Iterable):
        raise TypeError(
            f"paths must be a path or a sequence of paths, not {type(paths).__name__}"
        )
    return [_os.fsencode(path) for path in paths]


def _path_text(name: str, value: Any) -> Any:
    """A path option as JSON text; other values are left for the library to judge."""
    if isinstance(value, (str, bytes, _os.PathLike)):
        text = _os.fsdecode(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInputError(f"{name} must be a path that is valid UTF-8, got {text!r}") from None
        return text
    return value


def _names(value: Any) -> Any:
    """A list option as a JSON array; a string stays a string, which the library rejects."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value
    return list(value)


def _options_json(
    *,
    pg_version: Optional[int],
    runner: Optional[str],
    fail_on: Optional[str],
    rules: Optional[Mapping[str, str]],
    enable: Optional[Iterable[str]],
    config: Optional[StrPath],
    stats: Optional[Union[Stats, Mapping[str, Any]]],
    stats_file: Optional[StrPath],
    database_url: Optional[str] = None,
    only_migrations: Optional[Iterable[str]],
    layout: Optional[str],
    max_file_bytes: Optional[int],
    large_table_rows: Optional[float],
    large_table_bytes: Optional[int],
) -> Optional[str]:
    """The options document of dbsafe_check (``include/dbsafe/c/check.h``); None when empty.

    Options left as None are not set. The library judges the values (a bad one raises
    :class:`InvalidInputError`); a layout is checked here, as :func:`migrations` does.
    """
    if layout is not None and layout not in LAYOUTS:
        raise InvalidInputError(
            f"unknown migration layout {layout!r}; use one of {', '.join(LAYOUTS)}"
        )
    if isinstance(stats, Stats):
        stats = stats.to_dict()
    if database_url is not None:
        _check_database_url(database_url)
    options: Dict[str, Any] = {
        "pg_version": pg_version,
        "runner": runner,
        "fail_on": fail_on,
        "rules": dict(rules) if isinstance(rules, Mapping) else rules,
        "enable": _names(enable),
        "config": _path_text("config", config),
        "stats": stats,
        "stats_file": _path_text("stats_file", stats_file),
        "database_url": database_url,
        "only_migrations": _names(only_migrations),
        "layout": layout,
        "max_file_bytes": max_file_bytes,
        "large_table_rows": large_table_rows,
        "large_table_bytes": large_table_bytes,
    }
    return _document(options)


def _document(options: Mapping[str, Any]) -> Optional[str]:
    """The options document with the options that are not None; None when there are none."""
    document: Dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        try:
            _json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"{key} cannot be written as JSON: {exc}") from None
        document[key] = value
    return _json.dumps(document, allow_nan=False) if document else None


_OPTIONS_PREFIX = "options_json: "


def _renamed(
    exc: InvalidInputError, keywords: Optional[Mapping[str, str]] = None
) -> InvalidInputError:
    """The library names its options document "options_json"; the caller wrote keywords.

    ``keywords`` maps a document key to the keyword that sets it, where they differ.
    """
    if not exc.message.startswith(_OPTIONS_PREFIX):
        return exc
    text = exc.message[len(_OPTIONS_PREFIX) :]
    for key, keyword in (keywords or {}).items():
        # The key leads the message ("migrations must be ...") or is the option it
        # does not know ('unknown option "migrations.<name>.<key>"').
        text, renamed = _re.subn(
            rf'^(unknown option ")?{_re.escape(key)}\b', rf"\g<1>{keyword}", text
        )
        if renamed:
            break
    return type(exc)(text, **exc._fields())


def check(
    paths: CheckPaths,
    *,
    pg_version: Optional[int] = None,
    runner: Optional[str] = None,
    fail_on: Optional[str] = None,
    rules: Optional[Mapping[str, str]] = None,
    enable: Optional[Iterable[str]] = None,
    config: Optional[StrPath] = None,
    stats: Optional[Union[Stats, Mapping[str, Any]]] = None,
    stats_file: Optional[StrPath] = None,
    database_url: Optional[str] = None,
    only_migrations: Optional[Iterable[str]] = None,
    layout: Optional[str] = None,
    max_file_bytes: Optional[int] = None,
    large_table_rows: Optional[float] = None,
    large_table_bytes: Optional[int] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> CheckReport:
    """Classify the risk of every statement of the migration sets at ``paths``.

    ``paths`` is a migration directory or ``.sql`` file, or a sequence of them
    checked in order as one history. A check that finds problems still
    returns (see ``report.summary.failed``); SQL syntax errors are findings
    (rule ``"syntax-error"``). ``dbsafe.toml`` (found by walking up from the
    first path, or ``config``) is applied first; the options given here win.

    :param pg_version: target PostgreSQL major version (default 15).
    :param runner: ``"safe"`` (default) or ``"prisma"``: how the migrations will be applied.
    :param fail_on: lowest level that fails the check: ``"info"``, ``"warning"``,
        ``"error"`` (default).
    :param rules: per-rule levels, e.g. ``{"drop-column": "warning"}``; ``"off"``
        disables a rule.
    :param enable: rules that are off by default to turn on.
    :param config: the ``dbsafe.toml`` to use; ``"-"`` for none.
    :param stats: table statistics: a :class:`Stats` from :func:`stats`, or a
        ``dbsafe stats`` document (dict).
    :param stats_file: the path of such a document.
    :param database_url: read the statistics from this PostgreSQL database first
        (read-only queries, as :func:`stats` does), so findings carry ``impact``.
    :param only_migrations: report only these migrations (by name); the others are context.
    :param layout: one of :data:`LAYOUTS`.
    :param max_file_bytes: refuse scripts larger than this (default 64 MiB).
    :param large_table_rows: tables with at least this many rows are large (default 100000).
    :param large_table_bytes: tables with at least this many bytes are large (default 1 GiB).
    :param timeout: give up after this many seconds (:class:`TimeoutError`).
    :param progress: called with each progress event (one ``"migration_read"`` per file);
        as for :func:`migrations`.
    :param cancel: a :class:`CancelToken`, as for :func:`migrations`.
    :raises InvalidInputError: a bad option, or no paths.
    :raises NotFoundError: a path, ``config`` or ``stats_file`` does not exist.
    :raises ConnectError: ``database_url``'s server cannot be reached.
    :raises Error: any other failure, as the subclass of its status code.
    """
    raw_paths = _check_paths(paths)
    options = _options_json(
        pg_version=pg_version,
        runner=runner,
        fail_on=fail_on,
        rules=rules,
        enable=enable,
        config=config,
        stats=stats,
        stats_file=stats_file,
        database_url=database_url,
        only_migrations=only_migrations,
        layout=layout,
        max_file_bytes=max_file_bytes,
        large_table_rows=large_table_rows,
        large_table_bytes=large_table_bytes,
    )
    timeout_ms = _timeout_ms(timeout)
    on_event = _progress_events(progress)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    try:
        text = _dbsafe.check(raw_paths, options, timeout_ms, on_event, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc)
        if renamed is exc:
            raise
        raise renamed from None
    return CheckReport.from_json(text)


def check_sql(
    sql: Union[str, bytes],
    name: str = "<sql>",
    *,
    pg_version: Optional[int] = None,
    runner: Optional[str] = None,
    fail_on: Optional[str] = None,
    rules: Optional[Mapping[str, str]] = None,
    enable: Optional[Iterable[str]] = None,
    config: Optional[StrPath] = None,
    stats: Optional[Union[Stats, Mapping[str, Any]]] = None,
    stats_file: Optional[StrPath] = None,
    only_migrations: Optional[Iterable[str]] = None,
    layout: Optional[str] = None,
    max_file_bytes: Optional[int] = None,
    large_table_rows: Optional[float] = None,
    large_table_bytes: Optional[int] = None,
) -> CheckReport:
    """Check one SQL text as a one-file migration called ``name``.

    Takes the options of :func:`check`; ``dbsafe.toml`` is read only when
    ``config`` names it. The text is checked in memory (with the GIL released),
    so there is no timeout, progress or cancel token.
    """
    if isinstance(sql, str):
        data = sql.encode("utf-8")
    elif isinstance(sql, (bytes, bytearray, memoryview)):
        data = bytes(sql)
    else:
        raise TypeError(f"sql must be str or bytes, not {type(sql).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    options = _options_json(
        pg_version=pg_version,
        runner=runner,
        fail_on=fail_on,
        rules=rules,
        enable=enable,
        config=config,
        stats=stats,
        stats_file=stats_file,
        only_migrations=only_migrations,
        layout=layout,
        max_file_bytes=max_file_bytes,
        large_table_rows=large_table_rows,
        large_table_bytes=large_table_bytes,
    )
    try:
        text = _dbsafe.check_sql(data, name, options)
    except InvalidInputError as exc:
        renamed = _renamed(exc)
        if renamed is exc:
            raise
        raise renamed from None
    return CheckReport.from_json(text)


def _check_database_url(database_url: Any) -> None:
    # The URL may hold a password: no message here includes it.
    if not isinstance(database_url, str):
        raise TypeError(f"database_url must be a str, not {type(database_url).__name__}")
    if "\0" in database_url:
        raise InvalidInputError("database_url contains a NUL character")


def stats(
    database_url: str,
    *,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> Stats:
    """Read table sizes, row estimates, emptiness and index usage from a live database.

    Connects to the PostgreSQL database at ``database_url`` (a ``postgresql://``
    URL or a libpq ``key=value`` string) and reads, in one ``READ ONLY``
    transaction, each table's ``pg_class.reltuples``, total size, index count
    and whether it is empty (``EXISTS``, never ``COUNT``), and each index's
    scans and size. The result is what :func:`check`'s ``stats`` takes, so
    findings carry ``impact``; ``Stats.json`` is what ``dbsafe stats`` writes.
    The GIL is released while the library works.

    :param timeout: give up after this many seconds (:class:`TimeoutError`).
        Connecting is bounded by the URL's ``connect_timeout``.
    :param cancel: a :class:`CancelToken`, as for :func:`migrations`.
    :raises ConnectError: the server cannot be reached (also ``ConnectionError``).
    :raises AuthError: the server refused the login.
    :raises InvalidInputError: an empty URL.
    :raises Error: any other failure, as the subclass of its status code.

    Error messages never include the URL's password.
    """
    _check_database_url(database_url)
    timeout_ms = _timeout_ms(timeout)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    text = _dbsafe.stats_collect(database_url, timeout_ms, cancel, log, log_level)
    return Stats.from_json(text)


#: What :func:`migrate_deploy` and the other migrate calls take as ``migration_timeouts``:
#: ``{"<migration name>": {"lock_timeout_ms": n, "statement_timeout_ms": n}}``.
MigrationTimeouts = Mapping[str, Mapping[str, int]]

# The migrate options whose keyword is not the options document's key.
_MIGRATE_KEYWORDS = {"migrations": "migration_timeouts"}


def _migrate_options(
    *,
    database_url: Optional[str],
    mode: str,
    schema: Optional[str],
    layout: Optional[str],
    lock_timeout_ms: Optional[int],
    statement_timeout_ms: Optional[int],
    lock_retries: Optional[int],
    lock_retry_backoff_ms: Optional[int],
    advisory_lock_timeout_ms: Optional[int],
    connect_retry_ms: Optional[int],
    allow_modified: Optional[bool],
    migration_timeouts: Optional[MigrationTimeouts],
    dry_run: Optional[bool] = None,
) -> Dict[str, Any]:
    """The options of the dbsafe_migrate_* calls (``include/dbsafe/c/migrate.h``), by key.

    Options left as None are not set. The layout and mode are checked here, as
    :func:`migrations` does; the library judges the numbers.
    """
    if layout is not None and layout not in LAYOUTS:
        raise InvalidInputError(
            f"unknown migration layout {layout!r}; use one of {', '.join(LAYOUTS)}"
        )
    if mode not in MIGRATE_MODES:
        raise InvalidInputError(f"unknown mode {mode!r}; use one of {', '.join(MIGRATE_MODES)}")
    if database_url is not None:
        _check_database_url(database_url)
    if migration_timeouts is not None:
        if not isinstance(migration_timeouts, Mapping):
            raise TypeError(
                "migration_timeouts must map migration names to "
                '{"lock_timeout_ms": n, "statement_timeout_ms": n}'
            )
        migration_timeouts = {
            name: dict(timeouts) if isinstance(timeouts, Mapping) else timeouts
            for name, timeouts in migration_timeouts.items()
        }
    return {
        "database_url": database_url,
        "mode": mode,
        "schema": schema,
        "layout": layout,
        "lock_timeout_ms": lock_timeout_ms,
        "statement_timeout_ms": statement_timeout_ms,
        "lock_retries": lock_retries,
        "lock_retry_backoff_ms": lock_retry_backoff_ms,
        "advisory_lock_timeout_ms": advisory_lock_timeout_ms,
        "connect_retry_ms": connect_retry_ms,
        "allow_modified": allow_modified,
        "migrations": migration_timeouts,
        "dry_run": dry_run,
    }


def _migrate_options_json(**options: Any) -> Optional[str]:
    """The options document of the dbsafe_migrate_* calls; None when empty."""
    return _document(_migrate_options(**options))


def _run_migrate(
    native: Callable[..., str],
    *arguments: Any,
    options: Optional[str],
    timeout: Optional[float],
    progress: Optional[ProgressCallback],
    cancel: Optional[CancelToken],
) -> MigrateReport:
    """Runs one dbsafe_migrate_* call through the native layer and types its report."""
    timeout_ms = _timeout_ms(timeout)
    on_event = _progress_events(progress)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    try:
        text = native(*arguments, options, timeout_ms, on_event, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc, _MIGRATE_KEYWORDS)
        if renamed is exc:
            raise
        raise renamed from None
    return MigrateReport.from_json(text)


def migrate_status(
    directory: StrPath,
    *,
    database_url: Optional[str] = None,
    mode: str = "safe",
    schema: Optional[str] = None,
    layout: Optional[str] = None,
    lock_timeout_ms: Optional[int] = None,
    statement_timeout_ms: Optional[int] = None,
    lock_retries: Optional[int] = None,
    lock_retry_backoff_ms: Optional[int] = None,
    advisory_lock_timeout_ms: Optional[int] = None,
    connect_retry_ms: Optional[int] = None,
    allow_modified: Optional[bool] = None,
    migration_timeouts: Optional[MigrationTimeouts] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> MigrateReport:
    """Classify every migration at ``directory`` against the ``_prisma_migrations`` history.

    Each migration is applied, pending, failed, modified, missing or
    out-of-order; ``report.status_code`` is 0 (up to date), 1 (pending) or 2
    (needs a person), the exit code of ``dbsafe migrate status``. Read-only, so
    it works through a transaction pooler. The GIL is released while the
    library works.

    :param database_url: the database; default ``DIRECT_URL``, else ``DATABASE_URL``,
        from the environment (as Prisma).
    :param mode: one of :data:`MIGRATE_MODES`.
    :param schema: the schema of ``_prisma_migrations``; default the URL's ``schema``
        parameter, else ``"public"``.
    :param layout: one of :data:`LAYOUTS`.
    :param lock_timeout_ms: ``SET lock_timeout`` per statement (default 5000).
    :param statement_timeout_ms: ``SET statement_timeout`` per statement (default none).
    :param lock_retries: times a statement that hit the lock timeout is retried (default 3).
    :param lock_retry_backoff_ms: the first backoff between those retries.
    :param advisory_lock_timeout_ms: how long to wait for another deploy's migration
        advisory lock (default 60000).
    :param connect_retry_ms: how long to keep retrying a connection that fails to open,
        e.g. while a serverless compute wakes up (default 20000).
    :param allow_modified: deploy even though an applied migration's file changed since.
    :param migration_timeouts: per migration name,
        ``{"lock_timeout_ms": n, "statement_timeout_ms": n}``; wins over the run's values.
    :param timeout: give up after this many seconds (:class:`TimeoutError`); the
        running statement is cancelled on the server.
    :param progress: called with each progress event, a dict with ``"event"``
        (``"connect-retry"``, ``"lock-wait"``, ``"migration-start"``, ``"step-start"``,
        ``"statement-finish"``, ``"migration-finish"``, ``"lock-timeout-retry"``); as for
        :func:`migrations`.
    :param cancel: a :class:`CancelToken`; cancelling it cancels the running
        statement on the server (:class:`CancelledError`). Ctrl-C does too.
    :raises NotFoundError: ``directory`` does not exist.
    :raises ConnectError: the server cannot be reached (the message never includes
        the URL's password).
    :raises Error: any other failure, as the subclass of its status code.
    """
    options = _migrate_options_json(
        database_url=database_url,
        mode=mode,
        schema=schema,
        layout=layout,
        lock_timeout_ms=lock_timeout_ms,
        statement_timeout_ms=statement_timeout_ms,
        lock_retries=lock_retries,
        lock_retry_backoff_ms=lock_retry_backoff_ms,
        advisory_lock_timeout_ms=advisory_lock_timeout_ms,
        connect_retry_ms=connect_retry_ms,
        allow_modified=allow_modified,
        migration_timeouts=migration_timeouts,
    )
    return _run_migrate(
        _dbsafe.migrate_status,
        _os.fsencode(directory),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )


def migrate_deploy(
    directory: StrPath,
    *,
    database_url: Optional[str] = None,
    mode: str = "safe",
    schema: Optional[str] = None,
    layout: Optional[str] = None,
    lock_timeout_ms: Optional[int] = None,
    statement_timeout_ms: Optional[int] = None,
    lock_retries: Optional[int] = None,
    lock_retry_backoff_ms: Optional[int] = None,
    advisory_lock_timeout_ms: Optional[int] = None,
    connect_retry_ms: Optional[int] = None,
    allow_modified: Optional[bool] = None,
    migration_timeouts: Optional[MigrationTimeouts] = None,
    dry_run: bool = False,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> MigrateReport:
    """Apply the pending migrations at ``directory`` in order, as ``prisma migrate deploy`` does.

    Runs under Prisma's migration advisory lock and records each migration in
    ``_prisma_migrations`` exactly as Prisma does. Takes the options of
    :func:`migrate_status`, and ``dry_run``: report the plan and each pending
    migration's steps (``PlannedMigration.steps``) without running anything.

    :raises DatabaseError: an SQL error stopped the deploy: ``file``, ``line``,
        ``column`` and ``sqlstate`` say where, ``report`` is the migrate report and
        ``failure`` (also ``report.failure``) says what is left and the command that
        clears it.
    :raises StateError: a migration is recorded as failed, or was modified without
        ``allow_modified``; nothing was changed, and the message names the command
        that clears it.
    :raises InvalidInputError: the URL goes through a transaction-mode pooler;
        nothing was changed.
    :raises CancelledError: ``cancel`` was cancelled; the running statement was
        cancelled on the server.
    :raises Error: any other failure, as for :func:`migrate_status`.
    """
    if not isinstance(dry_run, bool):
        raise TypeError(f"dry_run must be a bool, not {type(dry_run).__name__}")
    options = _migrate_options_json(
        database_url=database_url,
        mode=mode,
        schema=schema,
        layout=layout,
        lock_timeout_ms=lock_timeout_ms,
        statement_timeout_ms=statement_timeout_ms,
        lock_retries=lock_retries,
        lock_retry_backoff_ms=lock_retry_backoff_ms,
        advisory_lock_timeout_ms=advisory_lock_timeout_ms,
        connect_retry_ms=connect_retry_ms,
        allow_modified=allow_modified,
        migration_timeouts=migration_timeouts,
        dry_run=dry_run or None,
    )
    return _run_migrate(
        _dbsafe.migrate_deploy,
        _os.fsencode(directory),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )


def migrate_resolve(
    directory: StrPath,
    *,
    applied: Optional[str] = None,
    rolled_back: Optional[str] = None,
    database_url: Optional[str] = None,
    mode: str = "safe",
    schema: Optional[str] = None,
    layout: Optional[str] = None,
    lock_timeout_ms: Optional[int] = None,
    statement_timeout_ms: Optional[int] = None,
    lock_retries: Optional[int] = None,
    lock_retry_backoff_ms: Optional[int] = None,
    advisory_lock_timeout_ms: Optional[int] = None,
    connect_retry_ms: Optional[int] = None,
    allow_modified: Optional[bool] = None,
    migration_timeouts: Optional[MigrationTimeouts] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> MigrateReport:
    """Prisma's ``migrate resolve``: give exactly one of ``applied`` and ``rolled_back``.

    ``applied=NAME`` records the migration as applied without running it (it
    was applied by hand); ``rolled_back=NAME`` marks a failed migration as
    rolled back, so the next :func:`migrate_deploy` runs it again. Takes the
    options of :func:`migrate_status`.
    """
    if (applied is None) == (rolled_back is None):
        raise TypeError("migrate_resolve takes exactly one of applied= and rolled_back=")
    name = applied if applied is not None else rolled_back
    if not isinstance(name, str):
        raise TypeError(f"the migration name must be a str, not {type(name).__name__}")
    action = _dbsafe.RESOLVE_APPLIED if applied is not None else _dbsafe.RESOLVE_ROLLED_BACK
    options = _migrate_options_json(
        database_url=database_url,
        mode=mode,
        schema=schema,
        layout=layout,
        lock_timeout_ms=lock_timeout_ms,
        statement_timeout_ms=statement_timeout_ms,
        lock_retries=lock_retries,
        lock_retry_backoff_ms=lock_retry_backoff_ms,
        advisory_lock_timeout_ms=advisory_lock_timeout_ms,
        connect_retry_ms=connect_retry_ms,
        allow_modified=allow_modified,
        migration_timeouts=migration_timeouts,
    )
    return _run_migrate(
        _dbsafe.migrate_resolve,
        _os.fsencode(directory),
        name,
        action,
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )


def migrate_baseline(
    directory: StrPath,
    name: str,
    *,
    database_url: Optional[str] = None,
    mode: str = "safe",
    schema: Optional[str] = None,
    layout: Optional[str] = None,
    lock_timeout_ms: Optional[int] = None,
    statement_timeout_ms: Optional[int] = None,
    lock_retries: Optional[int] = None,
    lock_retry_backoff_ms: Optional[int] = None,
    advisory_lock_timeout_ms: Optional[int] = None,
    connect_retry_ms: Optional[int] = None,
    allow_modified: Optional[bool] = None,
    migration_timeouts: Optional[MigrationTimeouts] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> MigrateReport:
    """Record every migration up to and including ``name`` as applied without running it.

    For a database made before its migration history: the migrations that
    built it are marked applied, and the next :func:`migrate_deploy` runs only
    the later ones. Takes the options of :func:`migrate_status`.
    """
    if not isinstance(name, str):
        raise TypeError(f"the migration name must be a str, not {type(name).__name__}")
    options = _migrate_options_json(
        database_url=database_url,
        mode=mode,
        schema=schema,
        layout=layout,
        lock_timeout_ms=lock_timeout_ms,
        statement_timeout_ms=statement_timeout_ms,
        lock_retries=lock_retries,
        lock_retry_backoff_ms=lock_retry_backoff_ms,
        advisory_lock_timeout_ms=advisory_lock_timeout_ms,
        connect_retry_ms=connect_retry_ms,
        allow_modified=allow_modified,
        migration_timeouts=migration_timeouts,
    )
    return _run_migrate(
        _dbsafe.migrate_baseline,
        _os.fsencode(directory),
        name,
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )


#: A schema source as ``dbsafe diff --from/--to`` spell it: ``"url:postgresql://..."``
#: (or a bare postgres URL), ``"migrations:DIR"``, ``"empty"``, or a saved JSON model
#: (``"file:PATH"`` or a path ending in ``.json``, also as a path object).
SchemaSource = Union[str, "_os.PathLike[str]"]


def _schema_source(value: Any, what: str) -> str:
    # The source may be a URL with a password: no message here includes it.
    if isinstance(value, _os.PathLike):
        value = _os.fsdecode(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str or a path, not {type(value).__name__}")
    if not value:
        raise InvalidInputError(f"{what} is empty")
    if "\0" in value:
        raise InvalidInputError(f"{what} contains a NUL character")
    return value


def _schema_format(format: str) -> str:
    if format not in SCHEMA_FORMATS:
        raise InvalidInputError(
            f"unknown schema format {format!r}; use one of {', '.join(SCHEMA_FORMATS)}"
        )
    return format


def _schema_options(
    *,
    schemas: Optional[Iterable[str]],
    exclude_schemas: Optional[Iterable[str]],
    include_history: Optional[bool],
    shadow_database_url: Optional[str] = None,
    server_url: Optional[str] = None,
    schema: Optional[str] = None,
    mode: Optional[str] = None,
    layout: Optional[str] = None,
    cache_dir: Optional[str] = None,
    renames: Optional[Iterable[str]] = None,
    pg_version: Optional[int] = None,
) -> Dict[str, Any]:
    """The options of the dbsafe_schema_* calls (``include/dbsafe/c/schema.h``), by key.

    Options left as None are not set. The layout and mode are checked here, as
    :func:`migrations` does; the library judges the other values.
    """
    if layout is not None and layout not in LAYOUTS:
        raise InvalidInputError(
            f"unknown migration layout {layout!r}; use one of {', '.join(LAYOUTS)}"
        )
    if mode is not None and mode not in MIGRATE_MODES:
        raise InvalidInputError(f"unknown mode {mode!r}; use one of {', '.join(MIGRATE_MODES)}")
    for name, url in (("shadow_database_url", shadow_database_url), ("server_url", server_url)):
        if url is not None:
            if not isinstance(url, str):
                raise TypeError(f"{name} must be a str, not {type(url).__name__}")
            if "\0" in url:
                raise InvalidInputError(f"{name} contains a NUL character")
    return {
        "schemas": _names(schemas),
        "exclude_schemas": _names(exclude_schemas),
        "include_history": include_history,
        "shadow_database_url": shadow_database_url,
        "server_url": server_url,
        "schema": schema,
        "mode": mode,
        "layout": layout,
        "cache_dir": _os.fspath(cache_dir) if cache_dir is not None else None,
        "renames": _names(renames),
        "pg_version": pg_version,
    }


def _schema_options_json(**options: Any) -> Optional[str]:
    """The options document of the dbsafe_schema_* calls; None when empty."""
    return _document(_schema_options(**options))


def _run_schema(
    native: Callable[..., str],
    *arguments: Any,
    options: Optional[str],
    timeout: Optional[float],
    progress: Optional[ProgressCallback],
    cancel: Optional[CancelToken],
) -> str:
    """Runs one dbsafe_schema_* call through the native layer; returns the text it wrote."""
    timeout_ms = _timeout_ms(timeout)
    on_event = _progress_events(progress)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    try:
        return native(*arguments, options, timeout_ms, on_event, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc, _MIGRATE_KEYWORDS)
        if renamed is exc:
            raise
        raise renamed from None


def schema_dump(
    database_url: str,
    format: str = "sql",
    *,
    schemas: Optional[Iterable[str]] = None,
    exclude_schemas: Optional[Iterable[str]] = None,
    include_history: Optional[bool] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> str:
    """Introspect the live database at ``database_url`` and return its schema.

    ``format="sql"`` (the default) gives DDL in dependency order; ``"json"`` the
    schema model (``docs/schema/schema-model.v1.json``), which saved to a
    ``.json`` file is a source :func:`schema_diff` takes. Read-only, so it
    works through a transaction pooler. The GIL is released while the library
    works.

    :param schemas: only these schemas (default: every schema but PostgreSQL's own).
    :param exclude_schemas: leave these schemas out.
    :param include_history: keep ``_prisma_migrations`` and dbsafe's own ``dbsafe``
        schema (left out by default).
    :param timeout: give up after this many seconds (:class:`TimeoutError`).
    :param progress: called with each progress event; as for :func:`migrations`.
    :param cancel: a :class:`CancelToken`; as for :func:`migrations`. Ctrl-C cancels too.
    :raises ConnectError: the server cannot be reached (the message never includes
        the URL's password).
    :raises Error: any other failure, as the subclass of its status code.
    """
    _check_database_url(database_url)
    options = _schema_options_json(
        schemas=schemas, exclude_schemas=exclude_schemas, include_history=include_history
    )
    return _run_schema(
        _dbsafe.schema_dump,
        database_url,
        _schema_format(format),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )


def schema_render(
    source: SchemaSource,
    format: str = "sql",
    *,
    schemas: Optional[Iterable[str]] = None,
    exclude_schemas: Optional[Iterable[str]] = None,
    include_history: Optional[bool] = None,
    shadow_database_url: Optional[str] = None,
    server_url: Optional[str] = None,
    schema: Optional[str] = None,
    mode: Optional[str] = None,
    layout: Optional[str] = None,
    cache_dir: Optional[str] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> str:
    """Load a model from ``source`` and return it as DDL (``"sql"``) or JSON text (``"json"``).

    ``source`` is any source :func:`schema_diff` takes: for example
    ``"migrations:prisma/migrations"`` renders the schema a migration
    directory produces. Takes the options of :func:`schema_diff`.
    """
    options = _schema_options_json(
        schemas=schemas,
        exclude_schemas=exclude_schemas,
        include_history=include_history,
        shadow_database_url=shadow_database_url,
        server_url=server_url,
        schema=schema,
        mode=mode,
        layout=layout,
        cache_dir=cache_dir,
    )
    return _run_schema(
        _dbsafe.schema_render,
        _schema_source(source, "source"),
        _schema_format(format),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )


def schema_diff(
    from_: SchemaSource,
    to: SchemaSource,
    *,
    schemas: Optional[Iterable[str]] = None,
    exclude_schemas: Optional[Iterable[str]] = None,
    include_history: Optional[bool] = None,
    shadow_database_url: Optional[str] = None,
    server_url: Optional[str] = None,
    schema: Optional[str] = None,
    mode: Optional[str] = None,
    layout: Optional[str] = None,
    cache_dir: Optional[str] = None,
    renames: Optional[Iterable[str]] = None,
    pg_version: Optional[int] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> DiffReport:
    """The ordered changes, and their SQL, that turn the schema ``from_`` into ``to``.

    A source is ``"url:postgresql://..."`` (or a bare postgres URL),
    ``"migrations:DIR"`` (replayed on a shadow database that is always
    dropped), ``"empty"``, or a saved JSON model (``"file:PATH"`` or a path
    ending in ``.json``). ``report.drift`` is true when there is any change;
    ``report.sql`` is the whole script and ``report.findings`` its risk check.

    :param schemas: only these schemas (default: every schema but PostgreSQL's own).
    :param exclude_schemas: leave these schemas out.
    :param include_history: keep ``_prisma_migrations`` and the ``dbsafe`` schema.
    :param shadow_database_url: an empty database to replay migrations on. Default:
        a temporary database on ``server_url`` when its role may create databases
        (as Prisma does), else a throwaway cluster started from the PostgreSQL
        server binaries on this machine.
    :param server_url: the server to create the temporary shadow database on.
    :param schema: the schema the migrations run in (default: the URL's ``schema``
        parameter, else ``"public"``).
    :param mode: how migrations are replayed, one of :data:`MIGRATE_MODES`.
    :param layout: one of :data:`LAYOUTS`.
    :param cache_dir: a directory where replayed schemas are kept and reused
        while the migrations are unchanged (keyed by their checksums, the
        mode, schema, filter, dbsafe version and the shadow server's major).
    :param renames: objects that were renamed, so the diff renames instead of
        dropping and adding: ``"table public.Old=public.New"``,
        ``"column public.Table.old=new"``.
    :param pg_version: the PostgreSQL major version the SQL is classified for (default 15).
    :param timeout: give up after this many seconds (:class:`TimeoutError`).
    :param progress: called with each progress event; as for :func:`migrations`.
    :param cancel: a :class:`CancelToken`; as for :func:`migrations`. Ctrl-C cancels too.
    :raises InvalidInputError: a source or option the library does not accept.
    :raises Error: any other failure, as the subclass of its status code.
    """
    options = _schema_options_json(
        schemas=schemas,
        exclude_schemas=exclude_schemas,
        include_history=include_history,
        shadow_database_url=shadow_database_url,
        server_url=server_url,
        schema=schema,
        mode=mode,
        layout=layout,
        cache_dir=cache_dir,
        renames=renames,
        pg_version=pg_version,
    )
    text = _run_schema(
        _dbsafe.schema_diff,
        _schema_source(from_, "from_"),
        _schema_source(to, "to"),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )
    return DiffReport.from_json(text)


def drift(
    database_url: str,
    migrations_dir: StrPath,
    *,
    schemas: Optional[Iterable[str]] = None,
    exclude_schemas: Optional[Iterable[str]] = None,
    include_history: Optional[bool] = None,
    shadow_database_url: Optional[str] = None,
    schema: Optional[str] = None,
    mode: Optional[str] = None,
    layout: Optional[str] = None,
    cache_dir: Optional[str] = None,
    renames: Optional[Iterable[str]] = None,
    pg_version: Optional[int] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> DiffReport:
    """Drift: the live database against what the migrations at ``migrations_dir`` produce.

    The migrations are replayed on a shadow database (by default a temporary
    database on the checked server, when its role may create one), which is
    always dropped. ``report.drift`` is true when they differ, and
    ``report.sql`` brings the database back to the migrations. Takes the
    options of :func:`schema_diff`.
    """
    _check_database_url(database_url)
    options = _schema_options_json(
        schemas=schemas,
        exclude_schemas=exclude_schemas,
        include_history=include_history,
        shadow_database_url=shadow_database_url,
        schema=schema,
        mode=mode,
        layout=layout,
        cache_dir=cache_dir,
        renames=renames,
        pg_version=pg_version,
    )
    text = _run_schema(
        _dbsafe.drift,
        database_url,
        _os.fsencode(migrations_dir),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )
    return DiffReport.from_json(text)


def verify(
    database_url: str,
    migrations_dir: StrPath,
    *,
    schemas: Optional[Iterable[str]] = None,
    exclude_schemas: Optional[Iterable[str]] = None,
    include_history: Optional[bool] = None,
    shadow_database_url: Optional[str] = None,
    schema: Optional[str] = None,
    mode: Optional[str] = None,
    layout: Optional[str] = None,
    cache_dir: Optional[str] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> VerifyReport:
    """After a deploy: every object the migrations define is present and valid.

    Checks every table, index, foreign key and other table constraint.
    Fails an index left INVALID (a failed ``CREATE INDEX CONCURRENTLY``) and a
    constraint left ``NOT VALID`` that the migrations do not leave so.
    ``report.ok`` is false when ``report.problems`` lists any. Takes the
    options of :func:`drift`.
    """
    _check_database_url(database_url)
    options = _schema_options_json(
        schemas=schemas,
        exclude_schemas=exclude_schemas,
        include_history=include_history,
        shadow_database_url=shadow_database_url,
        schema=schema,
        mode=mode,
        layout=layout,
        cache_dir=cache_dir,
    )
    text = _run_schema(
        _dbsafe.verify,
        database_url,
        _os.fsencode(migrations_dir),
        options=options,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )
    return VerifyReport.from_json(text)


def migrate_baseline_from_database(
    directory: StrPath,
    *,
    database_url: Optional[str] = None,
    migration_name: Optional[str] = None,
    schemas: Optional[Iterable[str]] = None,
    exclude_schemas: Optional[Iterable[str]] = None,
    include_history: Optional[bool] = None,
    mode: str = "safe",
    schema: Optional[str] = None,
    layout: Optional[str] = None,
    advisory_lock_timeout_ms: Optional[int] = None,
    connect_retry_ms: Optional[int] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> MigrateReport:
    """Adopt a migration history in one call: write the live database's schema as a baseline.

    Writes ``<directory>/<migration_name>/migration.sql`` with the database's
    schema (DDL) and records it as applied in ``_prisma_migrations``, so the
    next :func:`migrate_deploy` runs only migrations added after it. Refuses
    when ``directory`` already holds migrations the database has not applied.

    :param database_url: the database; default ``DIRECT_URL``, else ``DATABASE_URL``.
    :param migration_name: the directory written; default ``"<UTC yyyymmddHHMMSS>_baseline"``.
    :param schemas: only these schemas go into the baseline.
    :param exclude_schemas: leave these schemas out.
    :param include_history: keep ``_prisma_migrations`` and the ``dbsafe`` schema.
    :param schema: the schema of ``_prisma_migrations``; as for :func:`migrate_status`,
        which describes the other options.
    """
    if migration_name is not None:
        if not isinstance(migration_name, str):
            raise TypeError(
                f"migration_name must be a str, not {type(migration_name).__name__}"
            )
        if not migration_name or "\0" in migration_name:
            raise InvalidInputError(
                "migration_name must be a non-empty name without NUL characters"
            )
    # One document: the migrate options, the schema filter and the directory name.
    options = _migrate_options(
        database_url=database_url,
        mode=mode,
        schema=schema,
        layout=layout,
        lock_timeout_ms=None,
        statement_timeout_ms=None,
        lock_retries=None,
        lock_retry_backoff_ms=None,
        advisory_lock_timeout_ms=advisory_lock_timeout_ms,
        connect_retry_ms=connect_retry_ms,
        allow_modified=None,
        migration_timeouts=None,
    )
    options.update(
        schemas=_names(schemas),
        exclude_schemas=_names(exclude_schemas),
        include_history=include_history,
        migration_name=migration_name,
    )
    text = _run_schema(
        _dbsafe.migrate_baseline_from_database,
        _os.fsencode(directory),
        options=_document(options),
        timeout=timeout,
        progress=progress,
        cancel=cancel,
    )
    return MigrateReport.from_json(text)


def deploy(
    target: Optional[str] = None,
    *,
    config: Optional[StrPath] = None,
    dry_run: bool = False,
    approve: bool = False,
    approved_by: Optional[Iterable[str]] = None,
    seed_command: Optional[str] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> DeployReport:
    """Run the safe-deploy pipeline for one ``[targets.NAME]`` table of dbsafe.toml.

    Connect, plan, check, gate, snapshot, apply, verify, audit and notify, as
    ``dbsafe deploy --target NAME`` does (``docs/deploy.md``). The URLs come
    from the environment variables the target names (``url_env``,
    ``direct_url_env``). The GIL is released while the library works.

    A deploy the gate stopped is **returned**, not raised: ``report.exit_code``
    is 1, ``report.outcome`` ``"stopped"`` (or ``"blocked"``) and
    ``report.gate.approve_hint`` the command that approves it. A build step
    should exit with ``report.exit_code``.

    :param target: the NAME of the ``[targets.NAME]`` table. None in a Vercel
        build: the target the ``[vercel]`` table maps ``VERCEL_ENV`` to (a report
        with outcome ``"skipped"`` when it maps to ``"skip"``).
    :param config: the dbsafe.toml; default: in the current directory or the
        nearest parent. Paths in a target are relative to the file.
    :param dry_run: connect, plan, check and gate only: nothing changes, no audit record.
    :param approve: one approval, by the actor (like ``--approve``).
    :param approved_by: approvals by name; distinct names count toward the
        target's ``approvals``.
    :param seed_command: a command run with ``/bin/sh -c`` after the migrations,
        with ``DATABASE_URL`` and ``DIRECT_URL`` set (like ``--seed``); only on a
        target with ``allow_seed = true``, else :class:`InvalidInputError`.
    :param timeout: give up after this many seconds (:class:`TimeoutError`).
    :param progress: called after each step with
        ``{"event": "deploy-step", "step": ..., "status": ..., "detail": ...}``;
        as for :func:`migrations`.
    :param cancel: a :class:`CancelToken`; cancelling it cancels the running
        statement on the server (:class:`CancelledError`). Ctrl-C does too.
    :raises NotFoundError: no dbsafe.toml, or no such target (the message names the
        file's targets).
    :raises InvalidInputError: a bad option or configuration value.
    :raises StateError: failed or modified migrations, the migration lock held, or a
        database that does not match the migrations after applying.
    :raises DatabaseError: a migration failed.
    :raises Error: any other failure. Once the target was read, ``report`` is the
        :class:`DeployReport` (with ``restore_command`` after a snapshot).
    """
    if target is not None and (not isinstance(target, str) or not target):
        raise InvalidInputError(
            "target must be the NAME of a [targets.NAME] table of dbsafe.toml, or None in a "
            "Vercel build (VERCEL_ENV picks it through [vercel])"
        )
    for name, flag in (("dry_run", dry_run), ("approve", approve)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, not {type(flag).__name__}")
    options = _document(
        {
            "target": target,
            "config": _path_text("config", config),
            "dry_run": dry_run or None,
            "approve": approve or None,
            "approved_by": _names(approved_by),
            "seed_command": seed_command,
        }
    )
    timeout_ms = _timeout_ms(timeout)
    on_event = _progress_events(progress)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    try:
        text = _dbsafe.deploy(options, timeout_ms, on_event, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc)
        if renamed is exc:
            raise
        raise renamed from None
    return DeployReport.from_json(text)


def restore(
    target: str,
    from_: Union[str, _datetime.datetime],
    *,
    confirm: Optional[str] = None,
    config: Optional[StrPath] = None,
    reapply: bool = False,
    dry_run: bool = False,
    safety_snapshot: bool = True,
    approved_by: Optional[Iterable[str]] = None,
    timeout: Optional[float] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
    maintenance: bool = False,
) -> DeployReport:
    """The guarded restore of one ``[targets.NAME]`` table, as ``dbsafe restore`` does.

    A safety snapshot of the data being replaced (``pre-restore-...``), the
    restore from ``from_`` through the target's provider, the newer migrations
    again with ``reapply`` (then verify), the audit rows the restore rewound
    written back from the audit file, this restore's own row, and the
    notification (``docs/deploy.md``). The GIL is released while it works.

    :param target: the NAME of the ``[targets.NAME]`` table.
    :param from_: a snapshot's name or id, or a point in time (an aware
        :class:`datetime.datetime` or RFC 3339 text; Neon only).
    :param confirm: the target's NAME or ``"RESTORE"``; required unless
        ``dry_run`` (:class:`InvalidInputError` otherwise, before anything is touched).
    :param reapply: apply the migrations newer than the restored state again.
    :param dry_run: connect and find the snapshot only.
    :param safety_snapshot: snapshot the data being replaced first (default True).
    :param maintenance: hold the restored database read-only for other sessions
        while it is planned, re-applied and verified (``docs/maintenance.md``).
    :param approved_by: on a target with ``approvals = N > 1``: N distinct names; with
        fewer the restore is returned stopped (``exit_code`` 1) before anything is touched.
    :raises NotFoundError: no such snapshot (the message lists them) or target.
    :raises StateError: the restore was left half-done: ``report.restore_command``
        puts the replaced data back; or verify found problems after re-applying.
    :raises Error: any other failure, with ``report`` once the target was read.
    """
    if not isinstance(target, str) or not target:
        raise InvalidInputError(
            "target is required: the NAME of a [targets.NAME] table of dbsafe.toml"
        )
    from_ = _timestamp("from_", from_) if isinstance(from_, _datetime.datetime) else from_
    if not isinstance(from_, str) or not from_:
        raise InvalidInputError(
            "from_ is required: a snapshot's name or id, or a point in time (Neon)"
        )
    for name, flag in (
        ("reapply", reapply),
        ("dry_run", dry_run),
        ("safety_snapshot", safety_snapshot),
        ("maintenance", maintenance),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, not {type(flag).__name__}")
    options = _document(
        {
            "target": target,
            "from": from_,
            "confirm": confirm,
            "config": _path_text("config", config),
            "reapply": reapply or None,
            "dry_run": dry_run or None,
            "safety_snapshot": None if safety_snapshot else False,
            "maintenance": maintenance or None,
            "approved_by": _names(approved_by),
        }
    )
    timeout_ms = _timeout_ms(timeout)
    on_event = _progress_events(progress)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    text = _dbsafe.restore(options, timeout_ms, on_event, cancel, log, log_level)
    return DeployReport.from_json(text)


def _run_backup(
    command: str,
    document: Mapping[str, Any],
    timeout: Optional[float],
    cancel: Optional[CancelToken],
) -> str:
    options = _document(document) or "{}"
    timeout_ms = _timeout_ms(timeout)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    try:
        return _dbsafe.backup(command, options, timeout_ms, None, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc)
        if renamed is exc:
            raise
        raise renamed from None


def _backup_flag(name: str, value: Any) -> Optional[bool]:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value or None


def backup_create(
    dir: StrPath,
    *,
    database_url: Optional[str] = None,
    format: str = "custom",
    name: Optional[str] = None,
    compression: int = 6,
    pg_bindir: Optional[StrPath] = None,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> BackupCreateReport:
    """pg_dump a database into ``dir`` with ``<file>.manifest.json`` beside the file.

    As ``dbsafe backup create`` does (``docs/backup.md``). The file is written as
    ``<file>.partial``, read back, and only then renamed into place; an existing
    backup is never overwritten. The password reaches pg_dump through its
    environment, never its command line. The GIL is released while it runs.

    :param dir: the backup directory (created when missing).
    :param database_url: a direct connection (a pooler is refused); default
        ``DIRECT_URL``, else ``DATABASE_URL``.
    :param format: ``"custom"`` (pg_dump -Fc) or ``"plain-gz"`` (gzipped SQL).
    :param name: the file's base name; default ``<database>-YYYYMMDD-HHMMSS`` (UTC).
    :param compression: 0-9.
    :param pg_bindir: where pg_dump is; default ``PG_BINDIR``, the PostgreSQL
        installations of this machine, ``PATH`` (the oldest pg_dump at least as
        new as the server).
    :raises NotFoundError: no pg_dump as new as the server (the message names its version).
    :raises InvalidInputError: a bad option, an existing file, a pooler URL.
    :raises DatabaseError: pg_dump failed; nothing was left behind.
    """
    if not isinstance(compression, int) or isinstance(compression, bool):
        raise TypeError(f"compression must be an int, not {type(compression).__name__}")
    text = _run_backup(
        "create",
        {
            "dir": _path_text("dir", dir),
            "database_url": database_url,
            "format": format,
            "name": name,
            "compression": compression,
            "pg_bindir": _path_text("pg_bindir", pg_bindir),
        },
        timeout,
        cancel,
    )
    return BackupCreateReport.from_json(text)


def backup_verify(
    file: Optional[StrPath] = None,
    *,
    dir: Optional[StrPath] = None,
    test_restore: bool = False,
    shadow_database_url: Optional[str] = None,
    server_url: Optional[str] = None,
    pg_bindir: Optional[StrPath] = None,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> BackupVerifyReport:
    """Check a backup against its manifest and read it to its end.

    ``file`` is a backup (or its manifest); without it, the newest backup in
    ``dir``. A damaged backup is **returned** with ``ok`` False (``failed``
    lists the checks), not raised. With ``test_restore`` it is also restored
    into a throwaway database (the empty ``shadow_database_url``, else a
    temporary database on ``server_url``'s server, else a throwaway cluster
    from this machine's PostgreSQL), counted, and dropped.

    :raises NotFoundError: no such backup, or no manifest beside it.
    """
    text = _run_backup(
        "verify",
        {
            "file": _path_text("file", file),
            "dir": _path_text("dir", dir),
            "test_restore": _backup_flag("test_restore", test_restore),
            "shadow_database_url": shadow_database_url,
            "server_url": server_url,
            "pg_bindir": _path_text("pg_bindir", pg_bindir),
        },
        timeout,
        cancel,
    )
    return BackupVerifyReport.from_json(text)


def backup_restore(
    file: StrPath,
    *,
    confirm: str,
    database_url: Optional[str] = None,
    clean: bool = False,
    safety_backup_dir: Optional[StrPath] = None,
    no_owner: bool = False,
    pg_bindir: Optional[StrPath] = None,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> BackupRestoreReport:
    """Verify a backup, then restore it into a database in one transaction.

    :param confirm: the target database's name: a restore writes into it.
    :param database_url: the target; default ``DIRECT_URL``, else ``DATABASE_URL``.
    :param clean: restore over a database that holds tables (custom format):
        its copies of the backup's objects are dropped and recreated, after a
        safety backup of it into ``safety_backup_dir`` (default: the backup's directory).
    :param no_owner: skip owners and privileges (custom format).
    :raises InvalidInputError: no or a wrong confirmation.
    :raises StateError: the backup fails verification, or the target is not
        empty and ``clean`` is not set.
    :raises DatabaseError: the restore failed and was rolled back; the target is
        as it was. The error's ``report`` is the :class:`BackupRestoreReport`.
    """
    text = _run_backup(
        "restore",
        {
            "file": _path_text("file", file),
            "confirm": confirm,
            "database_url": database_url,
            "clean": _backup_flag("clean", clean),
            "safety_backup_dir": _path_text("safety_backup_dir", safety_backup_dir),
            "no_owner": _backup_flag("no_owner", no_owner),
            "pg_bindir": _path_text("pg_bindir", pg_bindir),
        },
        timeout,
        cancel,
    )
    return BackupRestoreReport.from_json(text)


def backup_prune(
    dir: StrPath,
    *,
    keep_days: int,
    keep_min: int = 1,
    dry_run: bool = False,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> PruneReport:
    """Delete backups in ``dir`` created more than ``keep_days`` days ago.

    The ``keep_min`` newest are always kept (the newest whatever
    ``keep_min`` says), and so is the newest backup that still matches its
    manifest; files without dbsafe manifests are never touched.
    ``deleted`` lists file names, newest first.
    """
    for key, value in (("keep_days", keep_days), ("keep_min", keep_min)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{key} must be an int, not {type(value).__name__}")
    text = _run_backup(
        "prune",
        {
            "dir": _path_text("dir", dir),
            "keep_days": keep_days,
            "keep_min": keep_min,
            "dry_run": _backup_flag("dry_run", dry_run),
        },
        timeout,
        cancel,
    )
    return PruneReport.from_json(text)


def maintenance(
    action: str,
    *,
    database_url: Optional[str] = None,
    terminate_writers: bool = False,
    actor: Optional[str] = None,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> MaintenanceReport:
    """Open (``"on"``), close (``"off"``) or report (``"status"``) the read-only window.

    As ``dbsafe maintenance`` does (``docs/maintenance.md``): ``on`` runs
    ``ALTER DATABASE … SET default_transaction_read_only = on`` and records the
    previous per-database value in ``dbsafe.maintenance_window``; ``on`` again
    keeps that record; ``off`` puts the value back (RESET when there was none).
    The report lists the sessions that connected before the window and can
    still write. The GIL is released while it runs.

    :param action: ``"on"``, ``"off"`` or ``"status"``.
    :param database_url: default ``DIRECT_URL``, else ``DATABASE_URL``; its
        owner or a superuser can open and close the window.
    :param terminate_writers: with ``on`` or ``status``: end those sessions
        (``pg_terminate_backend``); the report says which ended and which could not be.
    :param actor: who opens the window, recorded with it (default
        ``GITHUB_ACTOR`` or ``USER``).
    :raises DatabaseError: e.g. SQLSTATE 42501, the role may not alter the database.
    """
    if action not in ("on", "off", "status"):
        raise ValueError(f"action must be 'on', 'off' or 'status', not {action!r}")
    if not isinstance(terminate_writers, bool):
        raise TypeError(
            f"terminate_writers must be a bool, not {type(terminate_writers).__name__}"
        )
    options = _document(
        {
            "action": action,
            "database_url": database_url,
            "terminate_writers": terminate_writers or None,
            "actor": actor,
        }
    ) or "{}"
    timeout_ms = _timeout_ms(timeout)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    try:
        text = _dbsafe.maintenance(options, timeout_ms, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc)
        if renamed is exc:
            raise
        raise renamed from None
    return MaintenanceReport.from_json(text)


def copy(
    source: StrPath,
    *,
    to: Optional[str] = None,
    tables: Optional[Sequence[str]] = None,
    mapping: Optional[StrPath] = None,
    dry_run: bool = False,
    truncate: bool = False,
    confirm: Optional[str] = None,
    single_transaction: bool = False,
    verify: bool = True,
    progress: Optional[ProgressCallback] = None,
    timeout: Optional[float] = None,
    cancel: Optional[CancelToken] = None,
) -> CopyReport:
    """Copy a SQLite database into the existing schema of a PostgreSQL database.

    ``source`` is ``"sqlite:PATH"`` (or a path); ``to`` defaults to
    ``DATABASE_URL``. Values are converted by the target column's type,
    tables are copied parents first, each in its own transaction recorded for
    resume (or all in one with ``single_transaction``), then verified by row
    counts and digests. Returns a :class:`CopyReport`
    (docs/schema/copy-report.v1.json; ``to_dict()`` gives the document):
    ``report.ok`` is False when a value did not convert or verification found
    a difference. ``progress`` receives
    ``{"event": "copy-progress", "table", "rows", "total",
    "rows_per_second", "done"}`` dicts. The GIL is released while it runs.

    :raises InvalidInputError: bad options, a table or column without a
        counterpart, a foreign-key cycle that cannot be deferred.
    :raises StateError: a target table already holds rows (pass
        ``truncate=True, confirm=DBNAME``).
    :raises DatabaseError: the server refused a statement; rerun to resume.
    """
    source_text = _path_text("source", source)
    if not isinstance(source_text, str):
        raise TypeError(f"source must be a path or 'sqlite:PATH', not {type(source).__name__}")
    if not source_text.startswith(("sqlite:", "file:")):
        source_text = "sqlite:" + source_text
    if isinstance(tables, str):
        raise TypeError("tables must be a sequence of table names, not a str")
    for name, value in (("dry_run", dry_run), ("truncate", truncate),
                        ("single_transaction", single_transaction), ("verify", verify)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    options = _document({
        "from": source_text,
        "to": to,
        "tables": list(tables) if tables is not None else None,
        "mapping": _path_text("mapping", mapping),
        "dry_run": dry_run or None,
        "truncate": truncate or None,
        "confirm": confirm,
        "single_transaction": single_transaction or None,
        "verify": None if verify else False,
    })
    timeout_ms = _timeout_ms(timeout)
    _check_cancel(cancel)
    log, log_level = _log_arguments()
    on_event = _progress_events(progress)
    try:
        text = _dbsafe.copy(options, timeout_ms, on_event, cancel, log, log_level)
    except InvalidInputError as exc:
        renamed = _renamed(exc)
        if renamed is exc:
            raise
        raise renamed from None
    return CopyReport.from_json(text)


def checksum_matches(script: Union[bytes, str], stored_checksum: str) -> bool:
    """True when ``script`` matches a checksum stored in ``_prisma_migrations``.

    Compares the way Prisma does: as is, with CRLF turned to LF or LF to CRLF,
    and Prisma's old unpadded hex form.
    """
    data = script.encode("utf-8") if isinstance(script, str) else bytes(script)
    return _dbsafe.checksum_matches(data, stored_checksum)


def cli_main(argv: Iterable[Union[str, bytes, "_os.PathLike[str]"]]) -> int:
    """Run the ``dbsafe`` command line and return its exit code.

    ``argv[0]`` is the program name. The command line writes straight to file
    descriptors 1 and 2, so ``sys.stdout`` and ``sys.stderr`` are flushed
    first. It handles no Python signals while it runs: ``python -m dbsafe``
    restores the default SIGINT action so Ctrl-C stops it.
    """
    args = [_os.fsencode(arg) for arg in argv]
    for stream in (_sys.stdout, _sys.stderr):
        if stream is not None:
            stream.flush()
    return _dbsafe.cli_main(args)


# ---------------------------------------------------------------------------
# Snapshots and branches: the providers (include/dbsafe/c/provider.h, docs/providers.md).

#: The providers :class:`Provider` opens: ``"neon"`` (the Neon API v2) and ``"local"``
#: (any PostgreSQL server you own: a snapshot is a database copy).
PROVIDER_KINDS: Tuple[str, ...] = ("neon", "local")

#: How the local provider copies a database: ``"template"`` (``CREATE DATABASE ...
#: TEMPLATE``; no other session may be connected) or ``"dump"`` (``pg_dump``/``pg_restore``).
LOCAL_METHODS: Tuple[str, ...] = ("template", "dump")

# Settings that only one kind of provider reads; given to the other, they are a mistake.
_NEON_SETTINGS = (
    "api_key",
    "project_id",
    "api_host",
    "ca_file",
    "database",
    "role",
    "operation_timeout_ms",
    "poll_interval_ms",
)
_LOCAL_SETTINGS = ("database_url", "local_method", "terminate_blockers", "pg_bindir")

# The provider options whose keyword is not the options document's key.
_PROVIDER_KEYWORDS = {"max_age_seconds": "max_age"}


class _Call:
    """The call options of one :class:`Provider` method, shared by the C calls it makes:
    the timeout is for the whole method, so each call gets what is left of it."""

    __slots__ = ("_deadline", "_timeout", "_cancel", "_log", "_log_level")

    def __init__(self, timeout: Optional[float], cancel: Optional[CancelToken]) -> None:
        timeout_ms = _timeout_ms(timeout)
        _check_cancel(cancel)
        self._timeout = timeout
        self._deadline = _time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        self._cancel = cancel
        self._log, self._log_level = _log_arguments()

    def options(self) -> Dict[str, Any]:
        """The keywords of the next native call."""
        timeout_ms = 0
        if self._deadline is not None:
            left = self._deadline - _time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the call's timeout of {self._timeout} s expired")
            timeout_ms = min(max(1, _math.ceil(left * 1000)), _MAX_TIMEOUT_MS)
        return {
            "timeout_ms": timeout_ms,
            "cancel": self._cancel,
            "log": self._log,
            "log_level": self._log_level,
        }


def _setting_text(name: str, value: Any) -> Optional[str]:
    """A text setting: None (not set) or a str without NUL characters. The messages never
    include the value, which may be a key or a password."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidInputError(f"{name} contains a NUL character")
    return value


def _name_text(name: str, value: Any) -> str:
    """A branch or snapshot name (or id) that must be given."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise InvalidInputError(f"{name} is empty")
    if "\0" in value:
        raise InvalidInputError(f"{name} contains a NUL character")
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def _timestamp(name: str, value: Any) -> Optional[str]:
    """An RFC 3339 time: a str as given, or a timezone-aware datetime (written in UTC)."""
    if value is None:
        return None
    if isinstance(value, _datetime.datetime):
        if value.utcoffset() is None:
            raise InvalidInputError(
                f"{name} must be a timezone-aware datetime (or an RFC 3339 string); "
                "a naive datetime does not say which time zone it is in"
            )
        text = value.astimezone(_datetime.timezone.utc).isoformat()
        return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text
    return _name_text(name, value)


def _seconds(name: str, value: Any) -> Optional[int]:
    """A duration: a timedelta or a number of seconds, as whole seconds (rounded up)."""
    if value is None:
        return None
    if isinstance(value, _datetime.timedelta):
        value = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a timedelta or a number of seconds, not {type(value).__name__}")
    if not value > 0 or _math.isinf(value):
        raise InvalidInputError(f"{name} must be a positive duration, got {value!r} s")
    return _math.ceil(value)


def _list_document(text: str, key: str) -> List[Dict[str, Any]]:
    return list(_json.loads(text).get(key, []))


def _refuse_unconfirmed(confirm: Any, what: str, target: Union[Branch, Snapshot]) -> None:
    """A destructive call goes ahead only when ``confirm`` names its target (name or id),
    as ``--confirm`` does for the command line. Nothing has changed when this raises."""
    if confirm is None:
        raise InvalidInputError(
            f"refusing to {what} without a confirmation; to go ahead pass confirm={target.name!r}"
        )
    if not isinstance(confirm, str):
        raise TypeError(
            f"confirm must be the name or id of what is replaced or deleted (a str), "
            f"not {type(confirm).__name__}"
        )
    if not confirm or confirm not in (target.name, target.id):
        raise InvalidInputError(
            f"confirm={confirm!r} does not name {target.name} ({target.id}); nothing was "
            f"changed; to {what} pass confirm={target.name!r}"
        )


class Provider:
    """Snapshots and branches on Neon or on a PostgreSQL server you own (``docs/providers.md``).

    ``Provider("neon", ...)`` talks to the Neon API v2; ``Provider("local",
    database_url=...)`` keeps snapshots and branches as database copies on the
    server of ``database_url`` (its role needs ``CREATEDB``). Settings left as
    None come from the environment: ``NEON_API_KEY``, ``NEON_PROJECT_ID``,
    ``NEON_API_HOST``; ``DATABASE_URL``.

    The API key is sent only in the ``Authorization`` header; it is never in an
    exception, a log message, a report or ``repr(provider)``, and this object
    does not keep it.

    A provider is a context manager; :meth:`close` frees it, and a method called
    after that raises :class:`InvalidInputError`. It runs one call at a time: a
    call from another thread waits for the running one. Every method releases
    the GIL while the library works and takes ``timeout`` (seconds, for the
    whole method; :class:`TimeoutError`) and ``cancel`` (a :class:`CancelToken`;
    :class:`CancelledError`); Ctrl-C cancels too. Log messages go to the
    ``logging`` logger ``"dbsafe.provider..."``.

    The calls that delete or replace data (:meth:`delete_branch`,
    :meth:`restore_branch`, :meth:`delete_snapshot`, :meth:`restore_snapshot`)
    go ahead only when ``confirm`` names their target, as ``--confirm`` does for
    the command line; without it they change nothing and raise
    :class:`InvalidInputError` saying which ``confirm=`` to pass.

    :param kind: one of :data:`PROVIDER_KINDS`.
    :param api_key: neon: default ``NEON_API_KEY``.
    :param project_id: neon: default ``NEON_PROJECT_ID``.
    :param api_host: neon: the API base URL; default ``NEON_API_HOST``, else the Neon console.
    :param ca_file: neon: a PEM file of CA certificates trusted besides the system store.
    :param database: neon: the database connection URLs name (default ``"neondb"``).
    :param role: neon: the role connection URLs name (default ``"neondb_owner"``).
    :param operation_timeout_ms: neon: how long to wait for an operation (default 300000).
    :param poll_interval_ms: neon: how often to ask whether it finished (default 1000).
    :param database_url: local: the database snapshots are taken of; default ``DATABASE_URL``.
    :param local_method: local: one of :data:`LOCAL_METHODS` (default ``"template"``).
    :param terminate_blockers: local: end the sessions that block a copy or a
        restore instead of failing with their names.
    :param pg_bindir: local: where ``pg_dump`` and ``pg_restore`` are.
    :raises InvalidInputError: a bad or missing setting (the message names it).
    """

    __slots__ = ("_native", "_kind")

    def __init__(
        self,
        kind: str = "neon",
        *,
        api_key: Optional[str] = None,
        project_id: Optional[str] = None,
        api_host: Optional[str] = None,
        ca_file: Optional[StrPath] = None,
        database: Optional[str] = None,
        role: Optional[str] = None,
        operation_timeout_ms: Optional[int] = None,
        poll_interval_ms: Optional[int] = None,
        database_url: Optional[str] = None,
        local_method: Optional[str] = None,
        terminate_blockers: Optional[bool] = None,
        pg_bindir: Optional[StrPath] = None,
    ) -> None:
        if kind not in PROVIDER_KINDS:
            raise InvalidInputError(
                f"unknown provider kind {kind!r}; use one of {', '.join(PROVIDER_KINDS)}"
            )
        if local_method is not None and local_method not in LOCAL_METHODS:
            raise InvalidInputError(
                f"unknown local_method {local_method!r}; use one of {', '.join(LOCAL_METHODS)}"
            )
        if database_url is not None:
            _check_database_url(database_url)
        settings: Dict[str, Any] = {
            "kind": kind,
            "api_key": _setting_text("api_key", api_key),
            "project_id": _setting_text("project_id", project_id),
            "api_host": _setting_text("api_host", api_host),
            "ca_file": _path_text("ca_file", ca_file),
            "database": _setting_text("database", database),
            "role": _setting_text("role", role),
            "operation_timeout_ms": operation_timeout_ms,
            "poll_interval_ms": poll_interval_ms,
            "database_url": database_url,
            "local_method": local_method,
            "terminate_blockers": terminate_blockers,
            "pg_bindir": _path_text("pg_bindir", pg_bindir),
        }
        foreign = _LOCAL_SETTINGS if kind == "neon" else _NEON_SETTINGS
        for name in foreign:
            if settings[name] is not None:
                raise InvalidInputError(
                    f"{name} is a setting of the {'local' if kind == 'neon' else 'neon'} "
                    f"provider, not of {kind!r}"
                )
        try:
            self._native = _dbsafe.Provider(_document(settings))
        except InvalidInputError as exc:
            renamed = _renamed(exc)
            if renamed is exc:
                raise
            raise renamed from None
        self._kind = kind

    # --- the handle ---------------------------------------------------------

    @property
    def kind(self) -> str:
        """``"neon"`` or ``"local"``."""
        return self._kind

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._native.closed

    @property
    def requests_made(self) -> int:
        """HTTP requests made so far by the calls that returned (neon; 0 for local)."""
        return self._native.requests_made

    def close(self) -> None:
        """Free the provider (idempotent). Waits for a call running on another thread."""
        self._native.close()

    def __enter__(self) -> "Provider":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<dbsafe.Provider kind={self._kind!r} {'closed' if self.closed else 'open'}>"

    def _run(self, method: str, *arguments: Any, call: _Call) -> str:
        try:
            return getattr(self._native, method)(*arguments, **call.options())
        except InvalidInputError as exc:
            renamed = _renamed(exc, _PROVIDER_KEYWORDS)
            if renamed is exc:
                raise
            raise renamed from None

    def _branches(self, call: _Call) -> List[Branch]:
        text = self._run("list_branches", call=call)
        return [Branch.from_dict(b) for b in _list_document(text, "branches")]

    def _snapshots(self, call: _Call) -> List[Snapshot]:
        text = self._run("list_snapshots", call=call)
        return [Snapshot.from_dict(s) for s in _list_document(text, "snapshots")]

    @staticmethod
    def _find_branch(branches: List[Branch], name_or_id: str) -> Optional[Branch]:
        # By id, then by name, as listed (the library's own look-up on Neon). The local
        # provider's look-up also takes a copy's database name; the listing does not show it.
        for branch in branches:
            if branch.id == name_or_id:
                return branch
        for branch in branches:
            if branch.name == name_or_id:
                return branch
        return None

    def _require_branch(self, name_or_id: str, call: _Call) -> Branch:
        branch = self._find_branch(self._branches(call), name_or_id)
        if branch is None:
            raise NotFoundError(f'no branch named "{name_or_id}"')
        return branch

    @staticmethod
    def _newest(items: Iterable[Any]) -> Optional[Any]:
        """The newest by creation time, then by id (as the library picks among equal names)."""
        return max(items, key=lambda item: (item.created_at, item.id), default=None)

    # --- branches -----------------------------------------------------------

    def list_branches(
        self, *, timeout: Optional[float] = None, cancel: Optional[CancelToken] = None
    ) -> List[Branch]:
        """Every branch, in the provider's order (local: the source database, the
        branches made from it, and the ``"(old ...)"`` copies restores left)."""
        return self._branches(_Call(timeout, cancel))

    def create_branch(
        self,
        name: str,
        *,
        parent: Optional[str] = None,
        at_timestamp: Optional[Union[str, _datetime.datetime]] = None,
        at_lsn: Optional[str] = None,
        expires_at: Optional[Union[str, _datetime.datetime]] = None,
        with_endpoint: Optional[bool] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Branch:
        """Create a branch called ``name`` and wait until it is ready.

        :param parent: the parent's name or id (default: the default branch).
        :param at_timestamp: neon: branch from this point in the past (an RFC 3339
            string or a timezone-aware datetime); or ``at_lsn``. The local provider
            refuses both (:class:`InvalidInputError`).
        :param expires_at: when :meth:`prune_branches` may delete it.
        :param with_endpoint: neon: give it a read-write compute to connect to (default True).
        """
        call = _Call(timeout, cancel)
        options = _document(
            {
                "name": _name_text("name", name),
                "parent": _setting_text("parent", parent),
                "at_timestamp": _timestamp("at_timestamp", at_timestamp),
                "at_lsn": _setting_text("at_lsn", at_lsn),
                "expires_at": _timestamp("expires_at", expires_at),
                "with_endpoint": None if with_endpoint is None else _flag("with_endpoint", with_endpoint),
            }
        )
        return Branch.from_dict(_json.loads(self._run("create_branch", options, call=call)))

    def delete_branch(
        self,
        name_or_id: str,
        *,
        confirm: Optional[str] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Branch:
        """Delete a branch (by its id or name, as :meth:`list_branches` shows them);
        returns the branch that was deleted.

        Never the default branch or a protected one (:class:`StateError`).

        :param confirm: the branch's name or id: without it nothing is deleted
            (:class:`InvalidInputError`).
        :raises NotFoundError: there is no such branch.
        """
        call = _Call(timeout, cancel)
        branch = self._require_branch(_name_text("name_or_id", name_or_id), call)
        _refuse_unconfirmed(confirm, f"delete branch {branch.name} ({branch.id})", branch)
        self._run("delete_branch", branch.id, call=call)
        return branch

    def restore_branch(
        self,
        name_or_id: str,
        at_timestamp: Union[str, _datetime.datetime],
        *,
        preserve_under_name: Optional[str] = None,
        confirm: Optional[str] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> RestoreResult:
        """Neon: rewind a branch in place to ``at_timestamp`` (point-in-time restore).

        The data it held is kept as a branch named ``preserve_under_name``
        (default ``"<name> (old <timestamp>)"``). The local provider refuses
        (:class:`InvalidInputError`): take a snapshot instead.

        :param confirm: the branch's name or id: without it nothing changes
            (:class:`InvalidInputError`).
        :raises NotFoundError: there is no such branch.
        """
        call = _Call(timeout, cancel)
        name_or_id = _name_text("name_or_id", name_or_id)
        at = _timestamp("at_timestamp", at_timestamp)
        preserve = _setting_text("preserve_under_name", preserve_under_name) or ""
        branch = self._require_branch(name_or_id, call)
        _refuse_unconfirmed(confirm, f"rewind branch {branch.name} ({branch.id}) to {at}", branch)
        text = self._run("restore_branch", branch.id, at, preserve, call=call)
        return RestoreResult.from_json(text)

    def connection_url(
        self,
        name_or_id: Optional[str] = None,
        *,
        pooled: bool = False,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> str:
        """The connection URL of a branch (default: the default branch); it holds a password.

        :param pooled: through the connection pooler (local: the same as direct).
        """
        call = _Call(timeout, cancel)
        _flag("pooled", pooled)
        if name_or_id is None:
            default = next((b for b in self._branches(call) if b.default), None)
            if default is None:
                raise NotFoundError("the provider lists no default branch")
            name_or_id = default.id
        return self._run("connection_url", _name_text("name_or_id", name_or_id), pooled, call=call)

    # --- snapshots ----------------------------------------------------------

    def list_snapshots(
        self, *, timeout: Optional[float] = None, cancel: Optional[CancelToken] = None
    ) -> List[Snapshot]:
        """Every snapshot, in the provider's order (local: those of this database)."""
        return self._snapshots(_Call(timeout, cancel))

    def create_snapshot(
        self,
        name: str,
        *,
        branch: Optional[str] = None,
        at_timestamp: Optional[Union[str, _datetime.datetime]] = None,
        at_lsn: Optional[str] = None,
        expires_at: Optional[Union[str, _datetime.datetime]] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Snapshot:
        """Take a snapshot called ``name`` and wait until it is ready.

        Names need not be unique: by name, the newest is found. For the single
        rotating backup use :meth:`rotate_snapshot`.

        :param branch: the branch's name or id (default: the default branch).
        :param at_timestamp: neon: as of this point in the past; or ``at_lsn``.
        :param expires_at: when it expires (an RFC 3339 string or a timezone-aware datetime).
        """
        call = _Call(timeout, cancel)
        options = _document(
            {
                "name": _name_text("name", name),
                "branch": _setting_text("branch", branch),
                "at_timestamp": _timestamp("at_timestamp", at_timestamp),
                "at_lsn": _setting_text("at_lsn", at_lsn),
                "expires_at": _timestamp("expires_at", expires_at),
            }
        )
        return Snapshot.from_dict(_json.loads(self._run("create_snapshot", options, call=call)))

    def _find_snapshot(self, name_or_id: str, call: _Call) -> Optional[Snapshot]:
        snapshots = self._snapshots(call)
        for snapshot in snapshots:
            if snapshot.id == name_or_id:
                return snapshot
        return self._newest(s for s in snapshots if s.name == name_or_id)

    def delete_snapshot(
        self,
        name_or_id: str,
        *,
        confirm: Optional[str] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Snapshot:
        """Delete a snapshot (by name: the newest of that name); returns the one deleted.

        :param confirm: the snapshot's name or id: without it nothing is deleted
            (:class:`InvalidInputError`).
        :raises NotFoundError: there is no such snapshot.
        """
        call = _Call(timeout, cancel)
        name_or_id = _name_text("name_or_id", name_or_id)
        snapshot = self._find_snapshot(name_or_id, call)
        if snapshot is None:
            raise NotFoundError(f'no snapshot named "{name_or_id}"')
        _refuse_unconfirmed(confirm, f"delete snapshot {snapshot.name} ({snapshot.id})", snapshot)
        # By id: names need not be unique, and the confirmation named this one.
        self._run("delete_snapshot", snapshot.id, call=call)
        return snapshot

    def restore_snapshot(
        self,
        name_or_id: str,
        *,
        target_branch: Optional[str] = None,
        finalize: bool = True,
        preserve_under_name: Optional[str] = None,
        confirm: Optional[str] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> RestoreResult:
        """Put a snapshot's data back into a branch (by name: the newest of that name).

        Neon: with ``finalize`` (the default) the branch keeps its name, id and
        connection URL, and the data it held stays as ``"<name> (old)"``;
        without it the data comes back on a new branch. Local: the source
        database is replaced by a copy of the snapshot and kept as
        ``"<db> (old YYYYMMDDHHMMSS)"``. :meth:`prune_branches` removes those later.

        :param target_branch: the branch that gets the data (name or id); default
            the snapshot's source branch, or the default branch when that is gone.
        :param preserve_under_name: the name the replaced data is kept under.
        :param confirm: the target branch's name or id: without it nothing changes
            (:class:`InvalidInputError`, whose message names the branch).
        :raises NotFoundError: no such snapshot, or no such ``target_branch``.
        :raises StateError: an interrupted rotation left the backup on a bridge
            branch (``detail["backup"]`` names it); :meth:`rotate_snapshot` finishes it.
        """
        call = _Call(timeout, cancel)
        name_or_id = _name_text("name_or_id", name_or_id)
        target_ref = _setting_text("target_branch", target_branch)
        options: Dict[str, Any] = {
            "finalize": _flag("finalize", finalize),
            "preserve_under_name": _setting_text("preserve_under_name", preserve_under_name),
        }
        snapshot = self._find_snapshot(name_or_id, call)
        branches = self._branches(call)
        if snapshot is None:
            # An interrupted rotation under a full quota leaves the backup on a bridge branch.
            bridge = self._newest(b for b in branches if b.name.startswith(f"{name_or_id}-bridge-"))
            if bridge is None:
                raise NotFoundError(f'no snapshot named "{name_or_id}"')
            raise StateError(
                f"the backup {name_or_id} is held by branch {bridge.name} ({bridge.id}): a "
                "rotation was interrupted while the snapshot quota was full; connect to it "
                f"with connection_url({bridge.name!r}), or call "
                f"rotate_snapshot({name_or_id!r}) to finish the rotation first",
                detail={
                    "state": f"the backup is held by branch {bridge.name}",
                    "backup": {"kind": "branch", "name": bridge.name, "id": bridge.id},
                },
            )
        target = self._find_branch(branches, target_ref or snapshot.source_branch_id)
        # A target_branch that names nothing is a mistake, never a reason to restore elsewhere.
        if target is None and target_ref is not None:
            raise NotFoundError(f'no branch named "{target_ref}"')
        if target is None:
            # The snapshot's source branch is gone: the provider restores into the default.
            target = next((b for b in branches if b.default), None)
            if target is None:
                raise NotFoundError("the provider lists no default branch to restore into")
        _refuse_unconfirmed(
            confirm,
            f"replace the data of branch {target.name} with snapshot {snapshot.name} "
            f"({snapshot.id})",
            target,
        )
        options["target_branch"] = target.id
        text = self._run("restore_snapshot", snapshot.id, _document(options), call=call)
        return RestoreResult.from_json(text)

    # --- the policies -------------------------------------------------------

    def rotate_snapshot(
        self,
        name: str = "pre-deploy-backup",
        *,
        branch: Optional[str] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> RotateReport:
        """Replace the single rotating backup called ``name``.

        The new snapshot takes the same name and is ready before the old one is
        deleted, so there is never a moment without a backup. When the snapshot
        quota is full (Neon's Free plan), a temporary bridge branch holds the
        backup while the old snapshot is replaced (``report.bridge_branch``). A
        failure says in its message (``state: ...``) and ``detail`` what exists now.

        :param branch: the branch to back up (default: the default branch).
        """
        call = _Call(timeout, cancel)
        options = _document(
            {"name": _name_text("name", name), "branch": _setting_text("branch", branch)}
        )
        return RotateReport.from_json(self._run("rotate_snapshot", options, call=call))

    def apply_snapshot_retention(
        self,
        name_prefix: str,
        *,
        keep_last: Optional[int] = None,
        max_age: Optional[Union[float, _datetime.timedelta]] = None,
        protected_names: Optional[Iterable[str]] = None,
        just_taken: Optional[Union[str, Snapshot]] = None,
        dry_run: bool = False,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> PruneReport:
        """Delete old snapshots whose name starts with ``name_prefix`` (``""``: every one).

        Of those, the ``keep_last`` newest are kept whatever their age; the
        others are deleted when older than ``max_age``, or, without it, for
        being beyond the ``keep_last`` newest. With neither, nothing is deleted.
        Never deleted: ``just_taken``, a protected snapshot, ``protected_names``.

        :param max_age: a timedelta or a number of seconds.
        :param just_taken: the snapshot just taken (a :class:`Snapshot`, or its id or name).
        :param dry_run: report what would be deleted; delete nothing.
        """
        call = _Call(timeout, cancel)
        if not isinstance(name_prefix, str):
            raise TypeError(f"name_prefix must be a str, not {type(name_prefix).__name__}")
        if isinstance(just_taken, Snapshot):
            just_taken = just_taken.id
        options = _document(
            {
                "name_prefix": _setting_text("name_prefix", name_prefix),
                "keep_last": keep_last,
                "max_age_seconds": _seconds("max_age", max_age),
                "protected_names": _names(protected_names),
                "just_taken": _setting_text("just_taken", just_taken),
                "dry_run": _flag("dry_run", dry_run),
            }
        )
        return PruneReport.from_json(self._run("snapshot_retention", options, call=call))

    def prune_branches(
        self,
        *,
        name_prefix: Optional[str] = None,
        keep_last: Optional[int] = None,
        max_age: Optional[Union[float, _datetime.timedelta]] = None,
        protected_names: Optional[Iterable[str]] = None,
        expired: bool = True,
        old_restore_branches: bool = True,
        dry_run: bool = False,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> PruneReport:
        """Delete branches past their ``expires_at`` (``expired``) and the ``"(old ...)"``
        branches restores leave (``old_restore_branches``; with ``max_age``, only
        those older than it). With a ``name_prefix``, also apply ``keep_last`` and
        ``max_age`` to the branches whose name starts with it (preview branches).
        Never the default branch, a protected one, or one in ``protected_names``.

        :param max_age: a timedelta or a number of seconds.
        :param dry_run: report what would be deleted; delete nothing.
        """
        call = _Call(timeout, cancel)
        options = _document(
            {
                "name_prefix": _setting_text("name_prefix", name_prefix),
                "keep_last": keep_last,
                "max_age_seconds": _seconds("max_age", max_age),
                "protected_names": _names(protected_names),
                "expired": _flag("expired", expired),
                "old_restore_branches": _flag("old_restore_branches", old_restore_branches),
                "dry_run": _flag("dry_run", dry_run),
            }
        )
        return PruneReport.from_json(self._run("branch_prune", options, call=call))
