"""dbsafe.backup_create / verify / restore / prune on a real PostgreSQL, and
examples/python/backup_dump.py as docs/backup.md shows it."""
import os
import re
import subprocess
import sys
from pathlib import Path

import json

import jsonschema
import pytest

import dbsafe

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schema"


def validate(document, name):
    """Validates against docs/schema/NAME, whose $refs name files beside it."""
    schema = json.loads((SCHEMAS / name).read_text())
    store = {
        f"https://dbsafe.dev/schema/{p.name}": json.loads(p.read_text())
        for p in SCHEMAS.glob("*.json")
    }
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    jsonschema.Draft202012Validator(schema, resolver=resolver).validate(document)

CANARY = "canary-Py-51c2"


def with_password(url):
    # Replaces a password the URL may already carry (scripts/test's canary).
    return re.sub(r"^(postgres(?:ql)?://[^:/@]+)(?::[^@/]*)?@", rf"\1:{CANARY}@", url)


def fill(psql, url):
    psql(url, "CREATE TABLE item (id int PRIMARY KEY, label text);"
              "INSERT INTO item SELECT g, 'item ' || g FROM generate_series(1, 300) g;")


@pytest.mark.parametrize("fmt", ["custom", "plain-gz"])
def test_round_trip(tmp_path, psql, database_url, temporary_database, pg_server_url, fmt):
    fill(psql, database_url)
    created = dbsafe.backup_create(tmp_path, database_url=with_password(database_url), format=fmt)
    assert isinstance(created, dbsafe.BackupCreateReport)
    assert created.manifest.format == fmt and created.manifest.tables == 1
    assert Path(created.path).stat().st_size == created.manifest.bytes
    assert CANARY not in created.json and CANARY not in Path(created.manifest_path).read_text()
    validate(created.to_dict(), "backup-report.v1.json")
    validate(json.loads(Path(created.manifest_path).read_text()), "backup-manifest.v1.json")
    with pytest.raises(dataclasses_frozen_error()):
        created.path = "x"  # frozen

    verified = dbsafe.backup_verify(dir=tmp_path, test_restore=True, server_url=pg_server_url)
    assert verified.ok, verified.json
    assert verified.test_restore.rows == 300 and verified.test_restore.tables == 1
    validate(verified.to_dict(), "backup-report.v1.json")

    with temporary_database(pg_server_url) as target:
        name = target.rsplit("/", 1)[1]
        with pytest.raises(dbsafe.InvalidInputError, match=name):
            dbsafe.backup_restore(created.path, confirm="", database_url=target)
        restored = dbsafe.backup_restore(created.path, confirm=name, database_url=target)
        assert restored.tables == 1 and restored.target_was_empty
        assert psql(target, "SELECT count(*) FROM item").strip() == "300"
        validate(restored.to_dict(), "backup-report.v1.json")
        with pytest.raises(dbsafe.StateError) as err:
            dbsafe.backup_restore(created.path, confirm=name, database_url=target)
        assert isinstance(err.value.report, dbsafe.BackupRestoreReport)
        assert not err.value.report.target_was_empty
        validate(err.value.detail, "backup-report.v1.json")


def dataclasses_frozen_error():
    import dataclasses
    return dataclasses.FrozenInstanceError


def test_damage_is_reported_not_raised(tmp_path, psql, database_url):
    fill(psql, database_url)
    created = dbsafe.backup_create(tmp_path, database_url=database_url, name="nightly")
    with open(created.path, "r+b") as f:
        f.seek(created.manifest.bytes // 2)
        f.write(b"\x00\xff\x00\xff")
    verified = dbsafe.backup_verify(created.path)
    assert not verified.ok
    assert "sha256" in {c.name for c in verified.failed}


def test_prune_and_option_errors(tmp_path, psql, database_url):
    fill(psql, database_url)
    dbsafe.backup_create(tmp_path, database_url=database_url, name="only")
    report = dbsafe.backup_prune(tmp_path, keep_days=0, dry_run=True)
    assert report.deleted == [] and report.kept[0].name == "only.dump"
    validate(report.to_dict(), "prune-report.v1.json")
    with pytest.raises(TypeError):
        dbsafe.backup_prune(tmp_path, keep_days="7")
    with pytest.raises(dbsafe.InvalidInputError, match="compression"):
        dbsafe.backup_create(tmp_path, database_url=database_url, compression=12)
    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.backup_verify(tmp_path / "missing.dump")


def test_example_runs_and_is_in_the_docs(tmp_path, psql, database_url, repo_root):
    script = repo_root / "examples" / "python" / "backup_dump.py"
    text = (repo_root / "docs" / "backup.md").read_text()
    examples = dict(re.findall(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", text, re.S))
    assert examples["examples/python/backup_dump.py"] == script.read_text()
    fill(psql, database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "DIRECT_URL": ""}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    daily = subprocess.run([sys.executable, str(script), "daily", str(tmp_path)],
                           capture_output=True, text=True, env=env)
    assert daily.returncode == 0, daily.stderr
    assert re.match(r"backup .*\.dump: 1 tables, sha256 [0-9a-f]{64}\npruned 0, kept 1\n$",
                    daily.stdout)
    usage = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert usage.returncode == 3
