"""dbsafe: deploy PostgreSQL schema changes safely.

The Python binding of the dbsafe library. Blocking calls release the GIL, so
other Python threads keep running; on the main thread they can be interrupted
with Ctrl-C (the call is cancelled, then ``KeyboardInterrupt`` is raised).

    >>> import dbsafe
    >>> ms = dbsafe.migrations("prisma/migrations")
    >>> for m in ms.migrations:
    ...     print(m.name, m.checksum)

Library log messages go to the ``logging`` logger ``"dbsafe"`` (children named
after the component, e.g. ``"dbsafe.source"``).
"""

from __future__ import annotations

import json as _json
import logging as _logging
import math as _math
import os as _os
import sys as _sys
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, Union

from . import _dbsafe
from ._dbsafe import CancelToken
from ._types import Migration, MigrationSet
from .errors import (
    AuthError,
    CallbackError,
    CancelledError,
    DatabaseError,
    Error,
    FileError,
    HttpError,
    InternalError,
    InvalidInputError,
    NotFoundError,
    ParseError,
    TimeoutError,
    VersionError,
)

__all__ = [
    "__version__",
    "version",
    "version_info",
    "abi_version",
    "migrations",
    "cli_main",
    "checksum_matches",
    "CancelToken",
    "Migration",
    "MigrationSet",
    "LAYOUTS",
    "ProgressCallback",
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
]

__version__: str = _dbsafe.version()

#: Migration directory layouts understood by :func:`migrations`.
LAYOUTS: Tuple[str, ...] = ("auto", "prisma", "plain", "flyway", "dbmate", "golang-migrate")

#: A progress callback receives each event as a dict with at least ``"event"``.
ProgressCallback = Callable[[Dict[str, Any]], Any]

StrPath = Union[str, bytes, "_os.PathLike[str]", "_os.PathLike[bytes]"]

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
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable or None")
    if cancel is not None and not isinstance(cancel, CancelToken):
        raise TypeError(f"cancel must be a dbsafe.CancelToken, not {type(cancel).__name__}")

    on_event = None
    if progress is not None:
        callback = progress

        def on_event(event_json: str) -> None:
            callback(_json.loads(event_json))

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
