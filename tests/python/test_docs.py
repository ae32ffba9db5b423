"""The README's examples are the files the tests run, and the JSON documents
the library emits validate against the schemas published in docs/schema."""
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import dbsafe

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"


def readme_examples():
    text = (REPO / "README.md").read_text()
    pattern = re.compile(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", re.S)
    return pattern.findall(text)


def test_readme_shows_the_example_files_verbatim():
    examples = readme_examples()
    assert {path for path, _ in examples} >= {
        "examples/cpp/list_migrations.cpp",
        "examples/c/list_migrations.c",
        "examples/node/list-migrations.js",
        "examples/python/list_migrations.py",
    }
    for path, code in examples:
        assert (REPO / path).read_text() == code, f"README block differs from {path}"


def test_python_example_runs():
    out = subprocess.run(
        [sys.executable, str(REPO / "examples/python/list_migrations.py"),
         str(REPO / "examples/prisma-app/prisma/migrations")],
        capture_output=True, text=True, check=True)
    assert out.stdout.startswith("3 prisma migrations in ")
    failed = subprocess.run(
        [sys.executable, str(REPO / "examples/python/list_migrations.py"), str(REPO / "nope")],
        capture_output=True, text=True)
    assert failed.returncode == 3
    assert failed.stderr.startswith("DBSAFE_ENOTFOUND: ")


def test_python_check_example_runs(tmp_path):
    (tmp_path / "001_a.sql").write_text("CREATE TABLE t (id bigint, a text);\n")
    (tmp_path / "002_b.sql").write_text("ALTER TABLE t DROP COLUMN a;\n")
    out = subprocess.run([sys.executable, str(REPO / "examples/python/check_migrations.py"),
                          str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    assert f"{tmp_path}/002_b.sql:1: error [drop-column] drops column a of public.t" in out.stdout


def schema(name):
    return json.loads((REPO / "docs/schema" / name).read_text())


@pytest.mark.parametrize("fixture", ["prisma", "plain", "flyway", "dbmate", "golang-migrate"])
def test_listing_validates_against_its_schema(fixture):
    listing = json.loads(dbsafe.migrations(REPO / "tests/fixtures" / fixture).json)
    jsonschema.validate(listing, schema("migration-set.v1.json"))


def test_corpus_listing_validates_against_its_schema():
    if not CORPUS.exists():
        pytest.skip("no corpus")
    validator = jsonschema.Draft202012Validator(schema("migration-set.v1.json"))
    for project in ["hoppscotch", "documenso", "inbox-zero", "langfuse", "trigger.dev"]:
        validator.validate(json.loads(dbsafe.migrations(CORPUS / project).json))


def test_error_object_validates_against_its_schema():
    with pytest.raises(dbsafe.Error) as caught:
        dbsafe.migrations(REPO / "tests/fixtures/nope")
    err = caught.value
    document = {
        "schema_version": 1, "code": err.status, "name": err.code, "message": err.message,
        "sqlstate": err.sqlstate, "file": err.file, "line": err.line, "column": err.column,
        "http_status": err.http_status, "detail": err.detail,
    }
    jsonschema.validate(document, schema("error.v1.json"))
