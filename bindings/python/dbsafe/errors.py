"""The dbsafe exception hierarchy, one class per C status code.

Every exception raised by the library is an :class:`Error`. The fields of the C
``dbsafe_error`` are copied onto it before the C object is freed: ``code``
(symbolic, e.g. ``"DBSAFE_ENOTFOUND"``), ``status`` (the negative C value),
``message``, ``sqlstate``, ``file``, ``line``, ``column``, ``http_status`` and
``detail``, with the C meanings: ``sqlstate`` and ``file`` are None when
absent; ``line``, ``column`` (1-based) and ``http_status`` are 0 when unknown,
as in ``docs/schema/error.v1.json``. Where a built-in exception means the same thing, the class also
derives from it, so ``except FileNotFoundError`` or ``except TimeoutError``
works as a Python programmer expects.

When the detail is a migrate report (a failed ``migrate_deploy``), ``report``
is that :class:`MigrateReport` and ``failure`` its :class:`MigrationFailure`;
when it is a deploy report (a failed ``deploy``), ``report`` is that
:class:`DeployReport` and ``failure`` None; otherwise both are None.

This module is pure Python and does not import the native extension.
"""

from __future__ import annotations

import builtins
import errno as _errno
import json as _json
from typing import Any, Dict, Optional, Type, Union

from ._types import BackupRestoreReport, DeployReport, MigrateReport, MigrationFailure

__all__ = [
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
    "error_class",
]


def _migrate_report(
    detail: Dict[str, Any]
) -> Optional[Union[MigrateReport, DeployReport, BackupRestoreReport]]:
    """The report an error's detail holds (a failed migrate call's, deploy's or backup
    restore's), else None."""
    if MigrateReport.is_report(detail):
        kind: Any = MigrateReport
    elif DeployReport.is_report(detail):
        kind = DeployReport
    elif BackupRestoreReport.is_report(detail):
        kind = BackupRestoreReport
    else:
        return None
    try:
        return kind.from_dict(detail)
    except (KeyError, TypeError, ValueError):
        return None  # a malformed report must not stand in the way of the error itself


def _rebuild(cls: Type["Error"], message: str, fields: Dict[str, Any]) -> "Error":
    return cls(message, **fields)


class Error(Exception):
    """Base class of every dbsafe error."""

    #: The C status this class stands for (overridden by each subclass).
    default_code = "DBSAFE_ERROR"
    default_status = -1

    code: str
    status: int
    message: str
    sqlstate: Optional[str]
    file: Optional[str]
    line: int
    column: int
    http_status: int
    detail: Dict[str, Any]
    json: Optional[str]
    report: Optional[Union[MigrateReport, DeployReport, BackupRestoreReport]]
    failure: Optional[MigrationFailure]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        sqlstate: Optional[str] = None,
        file: Optional[str] = None,
        line: int = 0,
        column: int = 0,
        http_status: int = 0,
        detail: Optional[Dict[str, Any]] = None,
        json: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.status = status if status is not None else self.default_status
        self.sqlstate = sqlstate
        self.file = file
        self.line = line
        self.column = column
        self.http_status = http_status
        self.detail = dict(detail) if detail else {}
        self.json = json
        # Built from `detail`, so a pickled error gets them back too.
        self.report = _migrate_report(self.detail)
        self.failure = self.report.failure if isinstance(self.report, MigrateReport) else None
        if isinstance(self, OSError):
            # What OSError-based handlers look at.
            self.filename = file
            self.strerror = message

    def _fields(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "sqlstate": self.sqlstate,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "http_status": self.http_status,
            "detail": self.detail,
            "json": self.json,
        }

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("sqlstate", self.sqlstate),
                ("file", self.file),
                ("line", self.line),
                ("column", self.column),
                ("http_status", self.http_status),
            )
            if value
        )
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}{extra})"

    def __reduce__(self):  # type: ignore[override]
        # The default pickling of OSError subclasses would call __init__ with
        # (errno, strerror, filename); rebuild from the message and fields.
        return (_rebuild, (type(self), self.message, self._fields()))


class InternalError(Error):
    """DBSAFE_ERROR: a bug in dbsafe; please report it."""

    default_code = "DBSAFE_ERROR"
    default_status = -1


class InvalidInputError(Error, ValueError):
    """DBSAFE_EINVALID: an invalid argument or input (bad file, bad option)."""

    default_code = "DBSAFE_EINVALID"
    default_status = -2


class NotFoundError(Error, FileNotFoundError):
    """DBSAFE_ENOTFOUND: a path or named object does not exist."""

    default_code = "DBSAFE_ENOTFOUND"
    default_status = -3

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.errno = _errno.ENOENT


class ParseError(Error, ValueError):
    """DBSAFE_EPARSE: SQL or configuration could not be parsed (see line/column)."""

    default_code = "DBSAFE_EPARSE"
    default_status = -4


class DatabaseError(Error):
    """DBSAFE_EDB: the database reported an error; ``sqlstate`` says which."""

    default_code = "DBSAFE_EDB"
    default_status = -5


class HttpError(Error):
    """DBSAFE_EHTTP: an HTTP API reported an error; ``http_status`` says which."""

    default_code = "DBSAFE_EHTTP"
    default_status = -6


class AuthError(Error):
    """DBSAFE_EAUTH: authentication or authorisation failed."""

    default_code = "DBSAFE_EAUTH"
    default_status = -7


class TimeoutError(Error, builtins.TimeoutError):  # noqa: A001 - mirrors DBSAFE_ETIMEOUT
    """DBSAFE_ETIMEOUT: the call's timeout expired."""

    default_code = "DBSAFE_ETIMEOUT"
    default_status = -8

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.errno = _errno.ETIMEDOUT


class CancelledError(Error):
    """DBSAFE_ECANCELLED: the call's cancel token was triggered."""

    default_code = "DBSAFE_ECANCELLED"
    default_status = -9


class CallbackError(Error):
    """DBSAFE_EUSER: a callback asked to stop the call.

    An exception raised by a Python callback is re-raised as itself, not as
    this class.
    """

    default_code = "DBSAFE_EUSER"
    default_status = -10


class VersionError(Error):
    """DBSAFE_EVERSION: an options struct carries a version the library does not know."""

    default_code = "DBSAFE_EVERSION"
    default_status = -11


class FileError(Error, OSError):
    """DBSAFE_EIO: reading or writing a file failed."""

    default_code = "DBSAFE_EIO"
    default_status = -12


class ConnectError(Error, builtins.ConnectionError):
    """DBSAFE_ECONNECT: the server (database, HTTP API) cannot be reached.

    Also the built-in :class:`ConnectionError`. The message never includes the
    password of the connection URL.
    """

    default_code = "DBSAFE_ECONNECT"
    default_status = -13


class StateError(Error):
    """DBSAFE_ESTATE: the target's state needs a person first.

    A failed or modified migration, a half-done restore: the message names
    the command that clears it.
    """

    default_code = "DBSAFE_ESTATE"
    default_status = -14


_BY_CODE: Dict[str, Type[Error]] = {
    cls.default_code: cls
    for cls in (
        InternalError,
        InvalidInputError,
        NotFoundError,
        ParseError,
        DatabaseError,
        HttpError,
        AuthError,
        TimeoutError,
        CancelledError,
        CallbackError,
        VersionError,
        FileError,
        ConnectError,
        StateError,
    )
}


def error_class(code: str) -> Type[Error]:
    """The exception class for a symbolic status name; :class:`Error` for an unknown one."""
    return _BY_CODE.get(code, Error)


def _int_or_zero(value: Any) -> int:
    """Line, column and HTTP status are 0 when unknown."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


def _optional_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _from_native(
    status: int, name: str, error_json: Optional[str], message: Optional[str] = None
) -> Error:
    """Builds the exception for a failed C call (called by the native module).

    ``error_json`` is ``dbsafe_error_json()``; ``message`` is used when the
    binding itself rejects an argument before calling the library.
    """
    doc: Dict[str, Any] = {}
    if error_json:
        try:
            parsed = _json.loads(error_json)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            doc = parsed
    code = name if name and name != "DBSAFE_UNKNOWN" else _optional_str(doc.get("name"))
    if code is None:
        code = f"DBSAFE_STATUS_{status}"
    text = message or _optional_str(doc.get("message")) or f"dbsafe call failed ({code})"
    detail = doc.get("detail")
    return error_class(code)(
        text,
        code=code,
        status=status,
        sqlstate=_optional_str(doc.get("sqlstate")),
        file=_optional_str(doc.get("file")),
        line=_int_or_zero(doc.get("line")),
        column=_int_or_zero(doc.get("column")),
        http_status=_int_or_zero(doc.get("http_status")),
        detail=detail if isinstance(detail, dict) else {},
        json=error_json,
    )
