"""Failures become the exception class of their C status, with the fields copied over."""

from __future__ import annotations

import builtins
import pickle

import pytest

import dbsafe
from dbsafe import errors


def test_missing_directory_raises_not_found(tmp_path):
    missing = tmp_path / "no-such-migrations"
    with pytest.raises(dbsafe.NotFoundError) as excinfo:
        dbsafe.migrations(missing)
    err = excinfo.value
    assert isinstance(err, dbsafe.Error)
    assert isinstance(err, FileNotFoundError)
    assert err.code == "DBSAFE_ENOTFOUND"
    assert err.status == -3
    assert err.file is not None and str(missing) in err.file
    assert err.filename == err.file
    assert (err.line, err.column, err.http_status, err.sqlstate) == (0, 0, 0, None)
    assert err.message and str(err) == err.message
    assert isinstance(err.detail, dict)
    assert err.json and '"DBSAFE_ENOTFOUND"' in err.json


def test_unknown_layout_is_invalid_input(corpus):
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.migrations(corpus("hoppscotch"), layout="liquibase")
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.code == "DBSAFE_EINVALID"
    assert "liquibase" in str(excinfo.value)


def test_native_layer_rejects_unknown_layout_the_same_way(corpus):
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe._dbsafe.migrations_open(str(corpus("hoppscotch")), "liquibase")


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_bad_max_file_bytes(corpus, value):
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.migrations(corpus("hoppscotch"), max_file_bytes=value)


@pytest.mark.parametrize("value", [0, -2.0, float("nan"), float("inf"), "5"])
def test_bad_timeout(corpus, value):
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.migrations(corpus("hoppscotch"), timeout=value)


def test_file_over_the_size_limit_is_rejected(corpus):
    with pytest.raises(dbsafe.InvalidInputError) as excinfo:
        dbsafe.migrations(corpus("hoppscotch"), max_file_bytes=16)
    assert excinfo.value.code == "DBSAFE_EINVALID"
    assert excinfo.value.file and excinfo.value.file.startswith(str(corpus("hoppscotch")))
    assert "16 bytes" in excinfo.value.message


def test_wrong_argument_types():
    with pytest.raises(TypeError):
        dbsafe.migrations(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.migrations(".", progress=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.migrations(".", cancel=object())  # type: ignore[arg-type]


EXPECTED_CLASSES = {
    -1: ("DBSAFE_ERROR", dbsafe.InternalError, ()),
    -2: ("DBSAFE_EINVALID", dbsafe.InvalidInputError, (ValueError,)),
    -3: ("DBSAFE_ENOTFOUND", dbsafe.NotFoundError, (FileNotFoundError,)),
    -4: ("DBSAFE_EPARSE", dbsafe.ParseError, (ValueError,)),
    -5: ("DBSAFE_EDB", dbsafe.DatabaseError, ()),
    -6: ("DBSAFE_EHTTP", dbsafe.HttpError, ()),
    -7: ("DBSAFE_EAUTH", dbsafe.AuthError, ()),
    -8: ("DBSAFE_ETIMEOUT", dbsafe.TimeoutError, (builtins.TimeoutError,)),
    -9: ("DBSAFE_ECANCELLED", dbsafe.CancelledError, ()),
    -10: ("DBSAFE_EUSER", dbsafe.CallbackError, ()),
    -11: ("DBSAFE_EVERSION", dbsafe.VersionError, ()),
    -12: ("DBSAFE_EIO", dbsafe.FileError, (OSError,)),
    -13: ("DBSAFE_ECONNECT", dbsafe.ConnectError, (ConnectionError, OSError)),
}


@pytest.mark.parametrize("status", sorted(EXPECTED_CLASSES))
def test_every_status_maps_to_its_class(status):
    name, cls, builtin_bases = EXPECTED_CLASSES[status]
    assert dbsafe._dbsafe.status_name(status) == name
    error_json = (
        '{"schema_version":1,"code":%d,"name":"%s","message":"boom","sqlstate":"42P01",'
        '"file":"a.sql","line":3,"column":7,"http_status":423,"detail":{"k":"v"}}' % (status, name)
    )
    err = errors._from_native(status, name, error_json)
    assert type(err) is cls
    assert isinstance(err, dbsafe.Error)
    for base in builtin_bases:
        assert isinstance(err, base)
    assert (err.code, err.status, err.message) == (name, status, "boom")
    assert (err.sqlstate, err.file, err.line, err.column) == ("42P01", "a.sql", 3, 7)
    assert err.http_status == 423
    assert err.detail == {"k": "v"}
    assert str(err) == "boom"

    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    assert (copy.code, copy.status, copy.message, copy.file, copy.line) == (
        name, status, "boom", "a.sql", 3)


def test_unknown_values_are_none_and_unknown_codes_use_the_base_class():
    err = errors._from_native(
        -99, "DBSAFE_UNKNOWN",
        '{"code":-99,"name":"DBSAFE_UNKNOWN","message":"new","sqlstate":null,"file":null,'
        '"line":0,"column":0,"http_status":0,"detail":{}}')
    assert type(err) is dbsafe.Error
    assert err.status == -99
    assert (err.sqlstate, err.file) == (None, None)
    assert (err.line, err.column, err.http_status) == (0, 0, 0)
    assert err.detail == {}


def test_error_without_json_still_has_a_message():
    err = errors._from_native(-9, "DBSAFE_ECANCELLED", None)
    assert isinstance(err, dbsafe.CancelledError)
    assert "DBSAFE_ECANCELLED" in str(err)
