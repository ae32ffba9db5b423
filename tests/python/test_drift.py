"""Schema dump, render, diff, drift, verify and a baseline taken from a live database, from
Python, against a real PostgreSQL (the ``database_url`` fixture), with typed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dbsafe

INIT = (
    'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n'
    'CREATE UNIQUE INDEX "User_email_key" ON "User"(email);\n'
)
ADD_NAME = 'ALTER TABLE "User" ADD COLUMN name text;\n'

# Nothing listens on port 1; connect_timeout bounds the attempt anyway.
CANARY = "secretpw"
UNREACHABLE = f"postgresql://u:{CANARY}@127.0.0.1:1/db?connect_timeout=2"


def write_migrations(root: Path) -> Path:
    """The two-migration Prisma directory every test starts from."""
    root.mkdir(parents=True)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, sql in (("20240101000000_init", INIT), ("20240102000000_add_name", ADD_NAME)):
        (root / name).mkdir()
        (root / name / "migration.sql").write_text(sql)
    return root


@pytest.fixture
def deployed(database_url, tmp_path):
    """(database URL, migration directory) with both migrations applied."""
    root = write_migrations(tmp_path / "migrations")
    dbsafe.migrate_deploy(root, database_url=database_url)
    return database_url, root


def test_no_drift_then_a_dropped_index_then_repaired(deployed, psql):
    url, root = deployed
    clean = dbsafe.drift(url, root)
    assert isinstance(clean, dbsafe.DiffReport)
    assert (clean.kind, clean.drift, clean.changes, clean.sql) == ("drift", False, [], "")
    assert clean.schema_version == 1
    assert clean.summary.changes == 0

    psql(url, 'DROP INDEX "User_email_key";')
    found = dbsafe.drift(url, root)
    assert found.drift
    assert "CREATE UNIQUE INDEX" in found.sql
    assert all(isinstance(c, dbsafe.SchemaChange) for c in found.changes)
    index = next(c for c in found.changes if c.object_type == "index")
    assert index.action == "create" and not index.destructive
    assert "User_email_key" in index.object
    assert any("CREATE UNIQUE INDEX" in statement for statement in index.sql)
    assert found.summary.changes == len(found.changes)
    assert all(isinstance(f, dbsafe.Finding) for f in found.findings)
    assert found.to_dict()["drift"] is True

    psql(url, found.sql)
    assert not dbsafe.drift(url, root).drift


def test_diff_from_empty_to_the_migrations(tmp_path, pg_server_url):
    root = write_migrations(tmp_path / "migrations")
    report = dbsafe.schema_diff("empty", f"migrations:{root}", server_url=pg_server_url)
    assert report.kind == "diff"
    assert report.drift
    assert "CREATE TABLE" in report.sql
    assert "create" in {c.action for c in report.changes}
    assert not any(c.destructive for c in report.changes)


def test_dump_and_render(deployed, tmp_path, pg_server_url):
    url, root = deployed
    model = dbsafe.schema_dump(url, "json")
    assert json.loads(model)["schema_version"] == 1
    assert "_prisma_migrations" not in model  # left out unless include_history
    assert "_prisma_migrations" in dbsafe.schema_dump(url, "json", include_history=True)
    ddl = dbsafe.schema_dump(url)
    assert "CREATE TABLE" in ddl and '"User"' in ddl

    rendered = dbsafe.schema_render(f"migrations:{root}", server_url=pg_server_url)
    assert "CREATE TABLE" in rendered

    # A saved model is a source (a path object works too): the database against its own dump.
    saved = tmp_path / "model.json"
    saved.write_text(model)
    assert not dbsafe.schema_diff(f"url:{url}", saved).drift


def test_verify_reports_a_missing_index(deployed, psql):
    url, root = deployed
    ok = dbsafe.verify(url, root)
    assert isinstance(ok, dbsafe.VerifyReport)
    assert ok.ok and ok.problems == []
    assert ok.checked.tables >= 1 and ok.checked.indexes >= 1

    psql(url, 'DROP INDEX "User_email_key";')
    bad = dbsafe.verify(url, root)
    assert not bad.ok
    assert any(
        p.object_type == "index" and p.problem == "missing" and "User_email_key" in p.object
        for p in bad.problems
    ), bad.problems
    assert all(isinstance(p, dbsafe.VerifyProblem) for p in bad.problems)


def test_baseline_from_database(database_url, psql, tmp_path):
    psql(database_url, INIT)
    root = tmp_path / "migrations"
    root.mkdir()
    report = dbsafe.migrate_baseline_from_database(
        root, database_url=database_url, migration_name="0_baseline"
    )
    assert isinstance(report, dbsafe.MigrateReport)
    assert report.resolved == ["0_baseline"]
    written = (root / "0_baseline" / "migration.sql").read_text()
    assert "CREATE TABLE" in written
    assert dbsafe.migrate_status(root, database_url=database_url).status_code == 0


def test_options_are_checked_before_anything_runs(tmp_path):
    with pytest.raises(dbsafe.InvalidInputError, match="unknown schema format"):
        dbsafe.schema_dump(UNREACHABLE, "yaml")
    with pytest.raises(dbsafe.InvalidInputError, match="unknown mode"):
        dbsafe.schema_diff("empty", "empty", mode="fast")
    with pytest.raises(dbsafe.InvalidInputError, match="unknown migration layout"):
        dbsafe.drift(UNREACHABLE, tmp_path, layout="rails")
    # The library judges the rename specs; the message names the keyword.
    with pytest.raises(dbsafe.InvalidInputError) as caught:
        dbsafe.schema_diff("empty", "empty", renames=["sideways a=b"])
    assert caught.value.message.startswith("renames")
    with pytest.raises(dbsafe.InvalidInputError) as caught:
        dbsafe.schema_diff("empty", "empty", schemas="public")
    assert caught.value.message == "schemas must be an array of strings"
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.schema_diff("nonsense:thing", "empty")
    with pytest.raises(TypeError):
        dbsafe.schema_diff(42, "empty")
    with pytest.raises(dbsafe.InvalidInputError, match="is empty"):
        dbsafe.schema_render("")


def test_an_unreachable_database_is_a_connect_error_without_the_password(tmp_path):
    with pytest.raises(dbsafe.ConnectError) as caught:
        dbsafe.schema_dump(UNREACHABLE)
    assert CANARY not in str(caught.value)
    assert dbsafe.schema_diff("empty", "empty").drift is False
