"""The deploy report validates against docs/schema/deploy-report.v1.json on
real output of the CLI (the same JSON dbsafe_deploy returns): a dry run, a
deploy, a gate stop, an approval and a failure after the snapshot (whose
report comes with the error)."""
import json
import os
import subprocess
from pathlib import Path

import jsonschema

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("DBSAFE_CLI", REPO / "build" / "dbsafe"))
VALIDATOR = jsonschema.Draft202012Validator(
    json.loads((REPO / "docs/schema/deploy-report.v1.json").read_text()))


def deploy(project, url, expected_exit, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DIRECT_URL", "DBSAFE_APPROVE", "DBSAFE_APPROVED_BY",
                        "DBSAFE_SLACK_WEBHOOK_URL", "GITHUB_STEP_SUMMARY")}
    env["DATABASE_URL"] = url
    out = subprocess.run([str(CLI), "deploy", "--target", "docs", "--format", "json", "-q", *args],
                         capture_output=True, text=True, cwd=project, env=env,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == expected_exit, out.stderr
    report = json.loads(out.stdout)
    VALIDATOR.validate(report)
    return report


def test_the_deploy_report_matches_its_schema(database_url, psql, tmp_path):
    migrations = tmp_path / "prisma" / "migrations"
    (migrations / "20240101000000_init").mkdir(parents=True)
    (migrations / "migration_lock.toml").write_text('provider = "postgresql"\n')
    (migrations / "20240101000000_init" / "migration.sql").write_text(
        "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n")
    (tmp_path / "dbsafe.toml").write_text('[targets.docs]\nprovider = "local"\n')

    dry = deploy(tmp_path, database_url, 0, "--dry-run")
    assert dry["outcome"] == "dry-run" and dry["audit"]["file"] is None
    done = deploy(tmp_path, database_url, 0)
    assert done["outcome"] == "deployed" and done["snapshot"]["name"] == "pre-deploy-backup"
    assert done["audit"] == {"file": str(tmp_path / ".dbsafe/audit.jsonl"),
                             "row_written": True, "line_written": True}
    psql(database_url, "INSERT INTO t VALUES (1, 'x')")  # a column with data: an error to drop
    (migrations / "20240201000000_drop").mkdir()
    (migrations / "20240201000000_drop" / "migration.sql").write_text(
        "ALTER TABLE t DROP COLUMN a;\n")
    stopped = deploy(tmp_path, database_url, 1)
    assert stopped["gate"]["approve_hint"] == "dbsafe deploy --target docs --approve"
    assert stopped["check"]["findings"][0]["rule"] == "drop-column"
    approved = deploy(tmp_path, database_url, 0, "--approved-by", "alice")
    assert approved["gate"]["approved_by"] == ["alice"]
    (migrations / "20240301000000_bad").mkdir()
    (migrations / "20240301000000_bad" / "migration.sql").write_text("SELECT nosuch FROM t;\n")
    failed = deploy(tmp_path, database_url, 5)
    assert failed["outcome"] == "failed"
    assert failed["restore_command"].startswith("dbsafe snapshot restore ")
    for line in (tmp_path / ".dbsafe/audit.jsonl").read_text().splitlines():
        VALIDATOR.validate(json.loads(line)["report"])
    # The local provider's copies of this database.
    for snap in json.loads(subprocess.run(
            [str(CLI), "snapshot", "list", "--provider", "local", "--database-url", database_url,
             "--format", "json"], capture_output=True, text=True, check=True).stdout)["snapshots"]:
        subprocess.run([str(CLI), "snapshot", "delete", snap["id"], "--provider", "local",
                        "--database-url", database_url, "--confirm", snap["id"]],
                       capture_output=True, check=True)
