"""dbsafe.Provider: snapshots and branches on a real PostgreSQL server (the local
provider) and on the Neon API v2 test server (tests/neon-server), backed by the
same server, so restores really bring data back. The Neon tests run with a
canary API key that must never show in an exception, a log record, a report or
a repr."""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import secrets
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import dbsafe

REPO = Path(__file__).resolve().parents[2]
CANARY_KEY = "napi_canary_py_" + secrets.token_hex(12)


def validate_rotate_report(document):
    """The rotate report against docs/schema/rotate-report.v1.json, whose $refs
    name the files beside it."""
    import jsonschema

    schemas = Path(__file__).resolve().parents[2] / "docs" / "schema"
    schema = json.loads((schemas / "rotate-report.v1.json").read_text())
    store = {f"https://dbsafe.dev/schema/{p.name}": json.loads(p.read_text())
             for p in schemas.glob("*.json")}
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    jsonschema.Draft202012Validator(schema, resolver=resolver).validate(document)


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"


def database_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def soon(days: int = 1) -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


def assert_no_key(*texts: object) -> None:
    for text in texts:
        assert CANARY_KEY not in str(text), "the API key leaked"


def assert_clean_error(err: dbsafe.Error) -> None:
    assert_no_key(str(err), repr(err), err.json, json.dumps(err.detail))


# --- without a server ------------------------------------------------------------------


def test_the_provider_api_is_exported():
    for name in ("Provider", "Branch", "Snapshot", "RestoreResult", "RotateReport",
                 "PruneReport", "PruneKept", "PROVIDER_KINDS", "LOCAL_METHODS"):
        assert name in dbsafe.__all__, name
        assert hasattr(dbsafe, name), name
    assert dbsafe.PROVIDER_KINDS == ("neon", "local")


def test_bad_settings_name_the_option(monkeypatch):
    monkeypatch.delenv("NEON_API_KEY", raising=False)
    monkeypatch.delenv("NEON_PROJECT_ID", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cases = [
        (dict(kind="cloud"), "unknown provider kind 'cloud'"),
        (dict(kind="local", database_url="postgresql://a@h/app", local_method="copy"),
         "unknown local_method 'copy'"),
        (dict(kind="neon", api_key=CANARY_KEY), "needs a project"),
        (dict(kind="neon", project_id="p"), "needs an API key"),
        (dict(kind="neon", api_key=CANARY_KEY, project_id="p", poll_interval_ms=-5),
         "poll_interval_ms must be a non-negative integer"),
        (dict(kind="neon", api_key=CANARY_KEY, project_id="p", terminate_blockers=True),
         "terminate_blockers is a setting of the local provider"),
        (dict(kind="local", database_url="postgresql://a@h/app", api_key=CANARY_KEY),
         "api_key is a setting of the neon provider"),
        (dict(kind="local"), "no database URL"),
        (dict(kind="local", database_url="postgresql://a@h/postgres"), "cannot be \"postgres\""),
    ]
    for kwargs, expected in cases:
        with pytest.raises(dbsafe.InvalidInputError) as caught:
            dbsafe.Provider(**kwargs)
        assert expected in caught.value.message, (kwargs, caught.value.message)
        assert not caught.value.message.startswith("options_json"), caught.value.message
        assert_clean_error(caught.value)
    with pytest.raises(TypeError, match="api_key must be a str"):
        dbsafe.Provider("neon", api_key=b"napi_bytes", project_id="p")


def test_a_closed_provider_says_so_and_is_a_context_manager():
    # Opening the local provider parses its URL; nothing connects until a call.
    with dbsafe.Provider("local", database_url="postgresql://app@127.0.0.1:1/app") as provider:
        assert repr(provider) == "<dbsafe.Provider kind='local' open>"
        assert provider.kind == "local" and not provider.closed
        assert provider.requests_made == 0
    assert provider.closed
    assert repr(provider) == "<dbsafe.Provider kind='local' closed>"
    for call in (provider.list_branches, provider.list_snapshots, provider.rotate_snapshot,
                 lambda: provider.connection_url("app"),
                 lambda: provider.delete_snapshot("x", confirm="x")):
        with pytest.raises(dbsafe.InvalidInputError, match="the provider is closed"):
            call()
    provider.close()  # idempotent
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(provider)


def test_arguments_are_checked_before_anything_runs():
    provider = dbsafe.Provider("local", database_url="postgresql://app@127.0.0.1:1/app")
    naive = datetime.datetime(2026, 1, 1, 9, 30)
    with pytest.raises(dbsafe.InvalidInputError, match="expires_at must be a timezone-aware"):
        provider.create_snapshot("s", expires_at=naive)
    with pytest.raises(dbsafe.InvalidInputError, match="name is empty"):
        provider.create_branch("")
    with pytest.raises(dbsafe.InvalidInputError, match="max_age must be a positive duration"):
        provider.prune_branches(max_age=datetime.timedelta(0))
    with pytest.raises(TypeError, match="pooled must be a bool"):
        provider.connection_url("app", pooled="yes")
    with pytest.raises(dbsafe.InvalidInputError, match="timeout must be a positive number"):
        provider.list_branches(timeout=-1)
    # Nothing was asked of the server: the call that does fails to connect.
    with pytest.raises(dbsafe.ConnectError):
        provider.list_branches(timeout=10)
    provider.close()


# --- the local provider ----------------------------------------------------------------


def count_rows(psql, url: str, table: str = "t") -> int:
    return int(psql(url, f"SELECT count(*) FROM {table};").strip())


def test_local_snapshot_restore_branch_and_prune(database_url, psql):
    db = database_of(database_url)
    psql(database_url, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
    with dbsafe.Provider("local", database_url=database_url) as provider:
        try:
            snap = provider.create_snapshot("py-local", expires_at=soon(7))
            assert isinstance(snap, dbsafe.Snapshot)
            assert (snap.name, snap.source_branch_id, snap.kind) == ("py-local", db, "snapshot")
            assert snap.expires_at is not None and snap.expires_at.startswith(str(soon(7).year))
            assert [s.id for s in provider.list_snapshots()] == [snap.id]
            psql(database_url, "INSERT INTO t VALUES (2);")

            # A restore replaces data: without the confirmation nothing changes.
            with pytest.raises(dbsafe.InvalidInputError) as refused:
                provider.restore_snapshot("py-local")
            assert refused.value.message == (
                f"refusing to replace the data of branch {db} with snapshot py-local ({snap.id}) "
                f"without a confirmation; to go ahead pass confirm='{db}'")
            with pytest.raises(dbsafe.InvalidInputError) as wrong:
                provider.restore_snapshot("py-local", confirm="py-local")
            assert wrong.value.message.startswith(f"confirm='py-local' does not name {db} ")
            assert wrong.value.message.endswith(f"pass confirm='{db}'")
            assert count_rows(psql, database_url) == 2

            result = provider.restore_snapshot("py-local", confirm=db)
            assert isinstance(result, dbsafe.RestoreResult)
            assert result.branch.name == db and result.branch.default
            assert result.replaced_by is not None and result.replaced_by.startswith(f"{db}_old_")
            assert result.to_dict()["schema_version"] == 1
            assert count_rows(psql, database_url) == 1  # the data came back

            # A branch is a copy with its own URL; the default branch's URL is the source's.
            feature = provider.create_branch("feature")
            assert feature.state == "ready" and not feature.default
            assert count_rows(psql, provider.connection_url("feature")) == 1
            assert count_rows(psql, provider.connection_url()) == 1
            names = {b.name for b in provider.list_branches()}
            assert {db, "feature"} <= names
            assert any(n.startswith(f"{db} (old") for n in names), names

            with pytest.raises(dbsafe.StateError, match="default"):
                provider.delete_branch(db, confirm=db)
            with pytest.raises(dbsafe.NotFoundError, match='no branch named "nope"'):
                provider.delete_branch("nope", confirm="nope")
            with pytest.raises(dbsafe.InvalidInputError, match="pass confirm='feature'"):
                provider.delete_branch("feature")
            assert provider.delete_branch("feature", confirm=feature.id) == feature
            assert "feature" not in {b.name for b in provider.list_branches()}

            # Point in time needs WAL archiving: the local provider refuses.
            with pytest.raises(dbsafe.InvalidInputError, match="WAL archiving"):
                provider.create_snapshot("past", at_timestamp="2026-01-01T00:00:00Z")
            with pytest.raises(dbsafe.InvalidInputError):
                provider.restore_branch(db, datetime.datetime.now(datetime.timezone.utc),
                                        confirm=db)
            with pytest.raises(dbsafe.NotFoundError, match='no snapshot named "nope"'):
                provider.restore_snapshot("nope", confirm=db)
            with pytest.raises(dbsafe.NotFoundError, match='no branch named "elsewhere"'):
                provider.restore_snapshot("py-local", target_branch="elsewhere", confirm=db)

            # The rotating backup: the second rotation replaces the first.
            first = provider.rotate_snapshot()
            assert first.snapshot.name == "pre-deploy-backup" and first.replaced is None
            second = provider.rotate_snapshot()
            assert second.replaced is not None and second.replaced.id == first.snapshot.id
            assert second.bridge_branch is None and second.steps
            for report in (first, second):
                validate_rotate_report(report.to_dict())

            # Retention: the one just taken is never deleted; a dry run deletes nothing.
            dry = provider.apply_snapshot_retention("", keep_last=0, just_taken=second.snapshot,
                                                    dry_run=True)
            assert dry.dry_run and dry.deleted == ["py-local"]
            assert dbsafe.PruneKept("pre-deploy-backup", "just taken") in dry.kept
            assert len(provider.list_snapshots()) == 2
            done = provider.apply_snapshot_retention("py-", keep_last=0)
            assert (done.dry_run, done.deleted) == (False, ["py-local"])
            assert [s.name for s in provider.list_snapshots()] == ["pre-deploy-backup"]

            # The "(old ...)" copy the restore left is what prune removes.
            preview = provider.prune_branches(dry_run=True)
            assert len(preview.deleted) == 1, preview.deleted
            assert preview.deleted[0].startswith(f"{db} (old "), preview.deleted
            assert preview.deleted[0] in {b.name for b in provider.list_branches()}
            pruned = provider.prune_branches()
            assert pruned.deleted == preview.deleted
            assert [b.name for b in provider.list_branches()] == [db]
            assert provider.delete_snapshot("pre-deploy-backup",
                                            confirm="pre-deploy-backup").name == "pre-deploy-backup"
            assert provider.list_snapshots() == []
            assert provider.requests_made == 0
        finally:
            cleanup(provider, db)


def cleanup(provider: dbsafe.Provider, db: str) -> None:
    """Leaves no copy of a test database behind, whatever failed."""
    for s in provider.list_snapshots():
        provider.delete_snapshot(s.id, confirm=s.id)
    for b in provider.list_branches():
        if not b.default:
            provider.delete_branch(b.id, confirm=b.id)


def test_one_call_at_a_time_from_several_threads(database_url):
    with dbsafe.Provider("local", database_url=database_url) as provider:
        errors = []

        def lister():
            try:
                for _ in range(5):
                    assert provider.list_snapshots() == []
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=lister) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


# --- Neon (the API v2 test server) -----------------------------------------------------


class NeonServer:
    def __init__(self, env: dict):
        self.env = env
        self.context = ssl.create_default_context(cafile=env["NEON_CA_FILE"])
        self.records: list = []

    def admin(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.env["NEON_ADMIN_URL"] + path, data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def provider(self, **overrides) -> dbsafe.Provider:
        settings = dict(api_key=self.env["NEON_API_KEY"], project_id=self.env["NEON_PROJECT_ID"],
                        api_host=self.env["NEON_API_HOST"], ca_file=self.env["NEON_CA_FILE"],
                        poll_interval_ms=25, operation_timeout_ms=60000)
        settings.update(overrides)
        return dbsafe.Provider("neon", **settings)


class _Collect(logging.Handler):
    def __init__(self, records: list):
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


@pytest.fixture(scope="module")
def neon(pg_server_url, neon_test_server):
    """The Neon API v2 test server on the suite's PostgreSQL, with the canary key; always
    stopped (it drops its databases and roles when it gets SIGTERM)."""
    with neon_test_server("--database-url", pg_server_url, "--api-key", CANARY_KEY,
                          "--operation-delay-ms", "50", "--snapshot-quota", "10") as env:
        server = NeonServer(env)
        # Every library log record of the Neon tests, at every level, for the key check.
        logger = logging.getLogger("dbsafe")
        handler = _Collect(server.records)
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            yield server
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_neon_branches_and_connection_urls(neon, psql):
    provider = neon.provider()
    name = unique("py-preview")
    branch = provider.create_branch(name, expires_at=soon(3))
    assert isinstance(branch, dbsafe.Branch)
    assert branch.name == name and branch.id.startswith("br-") and branch.state == "ready"
    assert branch.expires_at is not None
    branches = provider.list_branches()
    main = next(b for b in branches if b.default)
    assert main.name == "main" and branch.id in {b.id for b in branches}

    url = provider.connection_url(name)
    assert psql(url, "SELECT 41 + 1;").strip() == "42"
    assert psql(provider.connection_url(), "SELECT current_user;").strip() == "neondb_owner"
    assert provider.connection_url(name, pooled=True).startswith("postgresql://")

    with pytest.raises(dbsafe.InvalidInputError) as refused:
        provider.delete_branch(name)
    assert refused.value.message == (f"refusing to delete branch {name} ({branch.id}) without a "
                                     f"confirmation; to go ahead pass confirm='{name}'")
    with pytest.raises(dbsafe.InvalidInputError, match=f"does not name {name}"):
        provider.delete_branch(name, confirm="main")
    assert branch.id in {b.id for b in provider.list_branches()}
    with pytest.raises(dbsafe.StateError, match="default branch"):
        provider.delete_branch("main", confirm="main")
    with pytest.raises(dbsafe.NotFoundError) as missing:
        provider.delete_branch("no-such-branch", confirm="no-such-branch")
    assert isinstance(missing.value, FileNotFoundError)

    deleted = provider.delete_branch(name, confirm=name)
    assert deleted.id == branch.id
    assert branch.id not in {b.id for b in provider.list_branches()}
    assert provider.requests_made > 0
    assert_no_key(repr(provider), branch, deleted)
    provider.close()


def test_neon_snapshot_restore_brings_the_data_back(neon, psql):
    table = f"py_restore_{secrets.token_hex(3)}"
    with neon.provider() as provider:
        url = provider.connection_url()
        psql(url, f"CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1);")
        snap = provider.create_snapshot(unique("py-snap"))
        assert snap.id.startswith("snap-") and snap.kind == "snapshot"
        assert snap.id in {s.id for s in provider.list_snapshots()}
        psql(url, f"INSERT INTO {table} VALUES (2);")

        with pytest.raises(dbsafe.InvalidInputError, match="pass confirm='main'"):
            provider.restore_snapshot(snap.name)
        assert count_rows(psql, url, table) == 2

        result = provider.restore_snapshot(snap.name, confirm="main")
        assert result.branch.name == "main" and result.branch.default
        assert result.replaced_by
        assert_no_key(result.json)
        # Finalized: the same URL now reaches the snapshot's data.
        assert count_rows(psql, url, table) == 1

        preview = provider.prune_branches(dry_run=True)
        assert preview.dry_run and result.replaced_by in preview.deleted
        assert result.replaced_by in {b.name for b in provider.list_branches()}
        pruned = provider.prune_branches()
        assert result.replaced_by in pruned.deleted
        assert result.replaced_by not in {b.name for b in provider.list_branches()}
        assert provider.delete_snapshot(snap.name, confirm=snap.id).id == snap.id
        psql(url, f"DROP TABLE {table};")


def test_neon_rotation_under_a_one_snapshot_quota_and_retention(neon):
    name = unique("py-backup")
    with neon.provider() as provider:
        neon.admin("POST", "/config", {"snapshot_quota": 1})
        try:
            for s in provider.list_snapshots():
                provider.delete_snapshot(s.id, confirm=s.id)
            first = provider.rotate_snapshot(name)
            assert (first.replaced, first.bridge_branch) == (None, None)
            second = provider.rotate_snapshot(name)
            assert second.replaced is not None and second.replaced.id == first.snapshot.id
            assert second.bridge_branch is not None and second.bridge_branch.startswith(
                f"{name}-bridge-")
            assert second.bridge_branch not in {b.name for b in provider.list_branches()}
            assert [s.id for s in provider.list_snapshots() if s.name == name] == [
                second.snapshot.id]
            validate_rotate_report(second.to_dict())  # with a bridge branch
        finally:
            neon.admin("POST", "/config", {"snapshot_quota": 10})

        third = provider.rotate_snapshot(name)
        assert third.bridge_branch is None and third.replaced.id == second.snapshot.id

        dry = provider.apply_snapshot_retention(name, keep_last=0, dry_run=True)
        assert dry.dry_run and dry.deleted == [name]
        assert third.snapshot.id in {s.id for s in provider.list_snapshots()}
        kept = provider.apply_snapshot_retention(name, keep_last=0, just_taken=third.snapshot.id,
                                                 max_age=datetime.timedelta(days=1))
        assert kept.deleted == [] and kept.kept == [dbsafe.PruneKept(name, "just taken")]

        # A backup left on a bridge branch (an interrupted rotation) is not restored by name.
        provider.delete_snapshot(name, confirm=name)
        bridge = provider.create_branch(f"{name}-bridge-20260101-0930")
        with pytest.raises(dbsafe.StateError) as held:
            provider.restore_snapshot(name, confirm="main")
        assert f"held by branch {bridge.name}" in held.value.message
        assert held.value.detail["backup"] == {"kind": "branch", "name": bridge.name,
                                               "id": bridge.id}
        provider.delete_branch(bridge.id, confirm=bridge.name)


def test_neon_cancel_and_timeout_stop_a_wait(neon):
    name = unique("py-slow")
    with neon.provider() as provider:
        neon.admin("POST", "/config", {"operation_delay_ms": 3000})
        try:
            token = dbsafe.CancelToken()
            timer = threading.Timer(0.3, token.cancel)
            timer.start()
            started = time.monotonic()
            with pytest.raises(dbsafe.CancelledError):
                provider.create_branch(name, cancel=token)
            assert time.monotonic() - started < 2.5
            timer.join()
            started = time.monotonic()
            with pytest.raises(dbsafe.TimeoutError) as timed_out:
                provider.create_snapshot(unique("py-slow-snap"), timeout=0.5)
            assert time.monotonic() - started < 2.5
            assert isinstance(timed_out.value, TimeoutError)
        finally:
            neon.admin("POST", "/config", {"operation_delay_ms": 50})
        # The server went on with what was asked: clear it away.
        for s in provider.list_snapshots():
            if s.name.startswith("py-slow-snap"):
                provider.delete_snapshot(s.id, confirm=s.id)
        for b in provider.list_branches():
            if b.name == name:
                provider.delete_branch(b.id, confirm=b.id)


def test_neon_errors_never_carry_the_key(neon):
    wrong = "napi_wrong_" + CANARY_KEY
    with neon.provider(api_key=wrong) as provider:
        assert wrong not in repr(provider) and CANARY_KEY not in repr(provider)
        with pytest.raises(dbsafe.AuthError) as refused:
            provider.list_branches()
        assert refused.value.http_status == 401
        assert_clean_error(refused.value)
        assert wrong not in str(refused.value) and wrong not in (refused.value.json or "")
    with neon.provider() as provider:
        for call, error in (
            (lambda: provider.apply_snapshot_retention("x", keep_last=-1),
             "keep_last must be a non-negative integer"),
            (lambda: provider.create_branch("b", at_timestamp="2026-01-01T00:00:00Z",
                                            at_lsn="0/1"), "not both"),
        ):
            with pytest.raises(dbsafe.InvalidInputError) as caught:
                call()
            assert error in caught.value.message
            assert_clean_error(caught.value)
        with pytest.raises(dbsafe.HttpError) as http:
            # Point in time needs the WAL archive this test server (--database-url) lacks.
            provider.restore_branch("main", "2026-01-01T00:00:00Z", confirm="main")
        assert http.value.http_status == 422
        assert_clean_error(http.value)


def test_neon_logs_never_carry_the_key(neon):
    # Runs last in this module: every record the library logged during the Neon tests.
    assert neon.records, "the Neon tests logged nothing; the check would be empty"
    for message in neon.records:
        assert CANARY_KEY not in message, message


# --- the example of docs/providers.md --------------------------------------------------


def test_providers_md_shows_the_python_example_verbatim():
    text = (REPO / "docs" / "providers.md").read_text()
    examples = re.findall(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", text, re.S)
    assert "examples/python/backup.py" in {path for path, _ in examples}
    for path, code in examples:
        assert (REPO / path).read_text() == code, f"docs/providers.md block differs from {path}"


def test_the_python_backup_example_runs(database_url, psql):
    db = database_of(database_url)
    psql(database_url, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
    env = dict(os.environ, DATABASE_URL=database_url)
    for name in ("NEON_API_KEY", "DIRECT_URL"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    script = [sys.executable, str(REPO / "examples" / "python" / "backup.py")]

    def run(*args):
        return subprocess.run(script + list(args), capture_output=True, text=True, env=env)

    try:
        taken = run()
        assert taken.returncode == 0, taken.stderr
        assert re.match(r"backup pre-deploy-backup \(\w+\) is ready\n", taken.stdout), taken.stdout
        psql(database_url, "INSERT INTO t VALUES (2);")
        unconfirmed = run("restore")
        assert unconfirmed.returncode == 3
        assert f"pass confirm='{db}'" in unconfirmed.stderr
        restored = run("restore", db)
        assert restored.returncode == 0, restored.stderr
        assert f"restored pre-deploy-backup into {db}; the replaced data is kept as " \
            in restored.stdout
        assert count_rows(psql, database_url) == 1
    finally:
        with dbsafe.Provider("local", database_url=database_url) as provider:
            cleanup(provider, db)
