"""dbsafe.migrations() on the shared corpus of real Prisma projects."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dbsafe

CORPUS_COUNTS = {
    "hoppscotch": 21,
    "documenso": 163,
    "inbox-zero": 240,
    "langfuse": 434,
    "trigger.dev": 820,
}


@pytest.mark.parametrize("project", sorted(CORPUS_COUNTS))
def test_corpus_listing_counts_and_checksums(corpus, project):
    ms = dbsafe.migrations(corpus(project))

    assert isinstance(ms, dbsafe.MigrationSet)
    assert ms.schema_version == 1
    assert ms.layout == "prisma"
    assert ms.provider == "postgresql"
    assert ms.count == CORPUS_COUNTS[project]
    assert len(ms.migrations) == CORPUS_COUNTS[project]
    assert len(ms) == ms.count
    assert ms.repeatables == []

    root = Path(ms.root)
    assert root.is_dir()
    assert root.name == "migrations"
    assert (root / "migration_lock.toml").is_file()

    names = [m.name for m in ms.migrations]
    assert names == sorted(names, key=lambda name: name.encode())  # Prisma's byte order
    assert len(set(names)) == len(names)

    total = 0
    for m in ms.migrations:
        assert isinstance(m, dbsafe.Migration)
        assert m.path == f"{m.name}/migration.sql"
        assert Path(m.file) == root / m.path
        data = Path(m.file).read_bytes()
        assert m.bytes == len(data)
        assert m.checksum == hashlib.sha256(data).hexdigest()
        assert m.version and m.name.startswith(m.version + "_")
        assert isinstance(m.transactional, bool)
        total += len(data)
    assert ms.total_bytes == total


def test_listing_accepts_pathlike_str_and_bytes(corpus):
    project = corpus("hoppscotch")
    by_path = dbsafe.migrations(project)
    by_str = dbsafe.migrations(str(project))
    by_bytes = dbsafe.migrations(os.fsencode(project))
    assert by_path == by_str == by_bytes
    assert by_path.json == by_str.json == by_bytes.json


def test_migration_directory_and_project_directory_agree(corpus):
    project = dbsafe.migrations(corpus("hoppscotch"))
    direct = dbsafe.migrations(project.root, layout="prisma")
    assert direct.root == project.root
    assert direct.migrations == project.migrations


def test_flyway_layout_with_repeatables(tmp_path):
    (tmp_path / "V1__create_users.sql").write_text("CREATE TABLE users (id int);\n")
    (tmp_path / "V2__add_email.sql").write_text("ALTER TABLE users ADD email text;\n")
    (tmp_path / "R__users_view.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT 1;\n")
    ms = dbsafe.migrations(tmp_path)
    assert ms.layout == "flyway"
    assert ms.provider is None
    assert [(m.version, m.description) for m in ms.migrations] == [
        ("1", "create_users"), ("2", "add_email")]
    assert [m.name for m in ms.repeatables] == ["R__users_view"]
    assert ms.repeatables[0].version == ""
    for m in ms.migrations + ms.repeatables:
        assert m.checksum == hashlib.sha256(Path(m.file).read_bytes()).hexdigest()
    assert dbsafe.migrations(tmp_path, layout="flyway").json == ms.json


def test_dataclasses_are_frozen(corpus):
    ms = dbsafe.migrations(corpus("hoppscotch"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ms.count = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ms.migrations[0].checksum = "0" * 64  # type: ignore[misc]


def test_json_is_the_library_text_and_matches_the_fields(corpus):
    import json

    ms = dbsafe.migrations(corpus("documenso"))
    doc = json.loads(ms.json)
    assert doc["count"] == ms.count
    assert doc["root"] == ms.root
    assert [m["checksum"] for m in doc["migrations"]] == [m.checksum for m in ms.migrations]


def test_json_equals_cli_list_output(corpus):
    project = corpus("inbox-zero")
    ms = dbsafe.migrations(project)
    package_parent = str(Path(dbsafe.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    result = subprocess.run(
        [sys.executable, "-m", "dbsafe", "list", "--format", "json", str(project)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    stdout = result.stdout.decode("utf-8")
    assert stdout.endswith("\n")
    assert stdout[:-1] == ms.json
