"""The check report and the stats document validate against the JSON Schemas
in docs/schema, on real output of the CLI (the same JSON every surface
returns), and docs/rules.md is the catalogue the binary lists."""
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
CLI = Path(os.environ.get("DBSAFE_CLI", REPO / "build" / "dbsafe"))


def schema(name):
    return jsonschema.Draft202012Validator(json.loads((REPO / "docs/schema" / name).read_text()))


def run(*args, **kwargs):
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, **kwargs)


@pytest.mark.parametrize("project", ["hoppscotch", "langfuse"])
def test_corpus_report_validates(project):
    if not CORPUS.exists():
        pytest.skip("no corpus")
    out = run("check", "--format", "json", "--config", "-", str(CORPUS / project))
    assert out.returncode in (0, 1), out.stderr
    schema("check-report.v1.json").validate(json.loads(out.stdout))


def test_report_with_impact_validates(tmp_path):
    stats = {"schema_version": 1, "server_version_num": 150018,
             "tables": {"public.users": {"row_estimate": 5000000, "total_bytes": 1 << 31,
                                         "index_count": 3, "empty": False}},
             "indexes": {}}
    schema("stats.v1.json").validate(stats)
    (tmp_path / "stats.json").write_text(json.dumps(stats))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001.sql").write_text("ALTER TABLE users ADD COLUMN n uuid DEFAULT gen_random_uuid();\n")
    out = run("check", "--format", "json", "--config", "-", "--stats", str(tmp_path / "stats.json"),
              str(tmp_path / "m"))
    report = json.loads(out.stdout)
    schema("check-report.v1.json").validate(report)
    finding = next(f for f in report["findings"] if f["rule"] == "add-column-volatile-default")
    assert finding["level"] == "error"  # a large table raises a rewrite to error
    assert finding["impact"]["estimated_lock_seconds"] == pytest.approx(20.48, rel=1e-3)


def test_stats_from_a_live_database_validate(database_url, psql):
    psql(database_url, "CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t VALUES (1); "
                       "CREATE TABLE e (id int);")
    out = run("stats", "--database-url", database_url)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    schema("stats.v1.json").validate(stats)
    assert stats["tables"]["public.t"]["empty"] is False
    assert stats["tables"]["public.e"]["empty"] is True
    assert stats["indexes"]["public.t_pkey"]["table"] == "public.t"


def test_rules_doc_lists_the_catalogue():
    listed = run("rules", "--format", "markdown").stdout
    doc = (REPO / "docs" / "rules.md").read_text()
    assert listed in doc, "docs/rules.md is out of date: regenerate its table with `dbsafe rules --format markdown`"
