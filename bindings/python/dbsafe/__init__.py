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

Library log messages go to the ``logging`` logger ``"dbsafe"`` (children named
after the component, e.g. ``"dbsafe.source"``).
"""

from __future__ import annotations

import json as _json
import logging as _logging
import math as _math
import os as _os
import re as _re
import sys as _sys
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _dbsafe
from ._dbsafe import CancelToken
from ._types import (
    AppliedMigration,
    CheckReport,
    CheckSummary,
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
    SchemaChange,
    Stats,
    TableStats,
    VerifyChecked,
    VerifyProblem,
    VerifyReport,
)
from . import errors as _errors
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
    "LAYOUTS",
    "MIGRATE_MODES",
    "SCHEMA_FORMATS",
    "ProgressCallback",
]
# The exception classes are listed once, in errors.py.
__all__ += [name for name in _errors.__all__ if name != "error_class"]

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
