"""The GitHub Action (action.yml, scripts/github-action) and examples/github.

scripts/github-action runs here as the runner would run it, and as
docs/github-actions.md runs it by hand: the GITHUB_* variables point at
temporary files, the inputs are INPUT_* variables, and the
workspace is a git repository with Prisma migrations where a pull request
adds a risky one. What the runner would make of it is read back: the step
summary, the workflow commands on stdout (annotations, masks), the outputs
file (heredoc form), the SARIF file (validated against the SARIF 2.1.0
schema of tests/tools, as test_sarif_schema.py does).

The command line is ``$DBSAFE_CLI`` or ``<repo>/build/dbsafe``; the database
tests use conftest's ``database_url`` (a fresh database, dropped afterwards).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "github-action"
ACTION_YML = REPO_ROOT / "action.yml"
EXAMPLES = REPO_ROOT / "examples" / "github"
FIXTURE_MIGRATIONS = REPO_ROOT / "tests" / "fixtures" / "prisma"
TOOLS_DIR = REPO_ROOT / "tests" / "tools"
SCHEMA_PATH = (TOOLS_DIR / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas"
               / "sarif-2.1.0-rtm.5.json")

RISKY = "20240103000000_drop_email"
RISKY_FILE = f"prisma/migrations/{RISKY}/migration.sql"
# Not a real password: the test server trusts local connections, so libpq
# never sends it, but the action must still keep it out of every log.
PASSWORD = "s3cr3t-Pw0rd"


def cli_path() -> Path:
    return Path(os.environ.get("DBSAFE_CLI") or REPO_ROOT / "build" / "dbsafe")


@pytest.fixture(scope="module")
def dbsafe_cli():
    path = cli_path()
    assert path.is_file(), (f"{path} does not exist: build it with 'cmake --build build' "
                            "or point DBSAFE_CLI at the dbsafe binary")
    return path


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node")
    assert path, "node (20 or newer) is needed to run scripts/github-action"
    return path


@pytest.fixture(scope="module")
def sarif_validator():
    if not SCHEMA_PATH.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"{SCHEMA_PATH} is missing and npm is not installed to fetch it "
                        "(run 'npm ci --prefix tests/tools')")
        proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                              cwd=TOOLS_DIR, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"npm ci in {TOOLS_DIR} failed:\n{proc.stderr}"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def git(cwd, *args):
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


@pytest.fixture
def pr_workspace(tmp_path):
    """A shallow clone of a pull request's branch, as actions/checkout leaves it.

    origin has main (the two fixture migrations) and feature (main plus a
    migration that drops a column); the clone has only feature, so the action
    has to fetch main to tell which migrations the pull request adds.
    """
    seed = tmp_path / "seed"
    (seed / "prisma").mkdir(parents=True)
    shutil.copytree(FIXTURE_MIGRATIONS, seed / "prisma" / "migrations")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "init")
    git(seed, "checkout", "-q", "-b", "feature")
    risky = seed / RISKY_FILE
    risky.parent.mkdir()
    risky.write_text('-- the column moved to "Profile"\nALTER TABLE "User" DROP COLUMN "email";\n')
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "drop User.email")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", f"file://{origin}", str(workspace))
    assert "origin/main" not in git(workspace, "branch", "-r")
    return workspace


class ActionRun:
    def __init__(self, proc, summary: Path, outputs: Path):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.summary = summary.read_text(encoding="utf-8")
        self.outputs_text = outputs.read_text(encoding="utf-8")
        self.outputs = parse_outputs(self.outputs_text)

    def __repr__(self):
        return (f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
                f"\n--- summary\n{self.summary}\n--- outputs\n{self.outputs_text}")


def parse_outputs(text):
    """The runner's reading of GITHUB_OUTPUT: name=value or name<<DELIM ... DELIM."""
    outputs = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while lines[i] != delimiter:
                value.append(lines[i])
                i += 1
            i += 1
            outputs[name] = "\n".join(value)
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@pytest.fixture
def run_action(tmp_path, node, dbsafe_cli):
    """run_action(workspace, INPUT=value..., env={...}) -> ActionRun."""
    counter = [0]

    def run(workspace, env=None, script_args=(), **inputs):
        counter[0] += 1
        runner = tmp_path / f"runner{counter[0]}"
        (runner / "temp").mkdir(parents=True)
        summary = runner / "step_summary.md"
        outputs = runner / "output.txt"
        summary.write_text("")
        outputs.write_text("")
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))
                    and k not in ("DATABASE_URL", "DIRECT_URL", "DBSAFE_CACHE_DIR")}
        full_env.update({
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_ACTOR": "octocat",
            "RUNNER_TEMP": str(runner / "temp"),
            "INPUT_DBSAFE": str(dbsafe_cli),
        })
        full_env.update(env or {})
        for name, value in inputs.items():
            full_env["INPUT_" + name.upper()] = value
        proc = subprocess.run([node, str(SCRIPT), *script_args], cwd=workspace, env=full_env,
                              capture_output=True, text=True, timeout=300)
        return ActionRun(proc, summary, outputs)

    return run


def annotations(stdout):
    return [line for line in stdout.splitlines() if re.match(r"::(error|warning|notice) ", line)]


# ---------------------------------------------------------------------------
# check


def test_check_on_a_pull_request_reports_the_new_migration(pr_workspace, run_action, sarif_validator):
    run = run_action(pr_workspace, env={"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"},
                     command="check")
    assert run.returncode == 1, run
    assert run.outputs["exit-code"] == "1"
    assert run.outputs["base"] == "origin/main"
    # Only the pull request's migration: the old ones' info findings are not reported.
    assert run.outputs["errors"] == "1" and run.outputs["findings"] == "1", run

    assert run.summary.startswith("### dbsafe check"), run
    assert f"`{RISKY_FILE}:2:1`" in run.summary
    assert "drop-column" in run.summary and "prefer-bigint-over-int" not in run.summary

    notes = annotations(run.stdout)
    assert len(notes) == 1, run
    assert notes[0].startswith(f"::error file={RISKY_FILE},line=2,"), notes
    assert "title=dbsafe drop-column::" in notes[0]

    sarif_file = Path(run.outputs["sarif-file"])
    assert sarif_file == pr_workspace / "dbsafe.sarif"
    sarif = json.loads(sarif_file.read_text(encoding="utf-8"))
    errors = sorted(sarif_validator.iter_errors(sarif), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # The SARIF covers every migration: code scanning diffs it against the
    # base branch's analysis itself, and would read missing ones as fixed.
    results = sarif["runs"][0]["results"]
    risky = [r for r in results
             if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == RISKY_FILE]
    assert [r["ruleId"] for r in risky] == ["drop-column"]
    assert risky[0]["level"] == "error"
    assert risky[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert {r["ruleId"] for r in results} >= {"drop-column", "prefer-bigint-over-int"}
    fingerprints = [r["partialFingerprints"]["dbsafe/v1"] for r in results]
    assert len(set(fingerprints)) == len(results)

    report = json.loads(Path(run.outputs["report"]).read_text(encoding="utf-8"))
    assert report["summary"]["failed"] is True
    assert [f["migration"] for f in report["findings"]] == [RISKY]


def test_check_on_a_push_reports_every_migration(pr_workspace, run_action):
    run = run_action(pr_workspace, command="check", fail_on="never", format="markdown")
    # fail-on never: the step passes, the output still says what dbsafe said.
    assert run.returncode == 0, run
    assert run.outputs["exit-code"] == "1"
    assert "base" not in run.outputs
    assert int(run.outputs["infos"]) > 0 and run.outputs["errors"] == "1"
    assert "prefer-bigint-over-int" in run.summary
    assert annotations(run.stdout) == []
    assert "sarif-file" not in run.outputs and not (pr_workspace / "dbsafe.sarif").exists()


def test_check_of_a_pull_request_without_migrations_passes(pr_workspace, run_action):
    run = run_action(pr_workspace, command="check", base="HEAD", format="markdown,github")
    assert run.returncode == 0, run
    assert run.outputs["findings"] == "0" and run.outputs["base"] == "HEAD"
    assert "**Passed**" in run.summary
    assert annotations(run.stdout) == []


def test_check_fail_on_warning_and_custom_sarif_path(pr_workspace, run_action):
    (pr_workspace / "dbsafe.toml").write_text('[rules]\ndrop-column = "warning"\n')
    run = run_action(pr_workspace, command="check", format="sarif", sarif_file="out/check.sarif")
    assert run.returncode == 0, run
    assert run.outputs["warnings"] == "1" and run.outputs["errors"] == "0"
    assert Path(run.outputs["sarif-file"]) == pr_workspace / "out" / "check.sarif"
    run = run_action(pr_workspace, command="check", format="sarif", fail_on="warning")
    assert run.returncode == 1, run


def test_check_bad_inputs_fail_with_a_message(pr_workspace, run_action):
    run = run_action(pr_workspace, command="check", format="junit")
    assert run.returncode == 3, run
    assert "::error title=dbsafe::format: 'junit' is not a format of command 'check'" in run.stdout
    assert run.outputs["exit-code"] == "3"
    run = run_action(pr_workspace, command="lint")
    assert run.returncode == 3 and "command: 'lint' is not one of" in run.stdout, run
    run = run_action(pr_workspace, command="check", migrations="no/such/dir")
    assert run.returncode == 3, run
    assert "no/such/dir" in run.stdout
    run = run_action(pr_workspace, command="check", args="--rule 'drop-column=warning")
    assert run.returncode == 3 and "quote opened" in run.stdout, run


def test_check_without_the_base_branch_fails_rather_than_checking_everything(pr_workspace, run_action):
    git(pr_workspace, "remote", "set-url", "origin", str(pr_workspace.parent / "gone.git"))
    run = run_action(pr_workspace, env={"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"},
                     command="check")
    assert run.returncode == 3, run
    assert "cannot find the pull request's base branch 'main'" in run.stdout
    assert "fetch-depth: 0" in run.stdout
    assert run.summary == ""


# ---------------------------------------------------------------------------
# drift and diff on a real database


def with_password(url):
    # Replaces a password the URL may already carry (scripts/test's canary):
    # the tests check that this one is masked.
    return re.sub(r"^(postgres(?:ql)?://)([^:@/]+)(?::[^@/]*)?@", rf"\1\2:{PASSWORD}@", url)


def assert_password_hidden(run):
    # The runner hides a value only after ::add-mask::, so the mask must come
    # first, and nothing else may print the password.
    assert f"::add-mask::{PASSWORD}" in run.stdout, run
    for text in (run.stdout.replace(f"::add-mask::{PASSWORD}", ""), run.stderr, run.summary, run.outputs_text):
        assert PASSWORD not in text, run


def test_drift_on_a_database_that_drifted(pr_workspace, run_action, database_url, psql):
    psql(database_url, 'CREATE TABLE "Audit" (id bigint PRIMARY KEY, note text)')
    run = run_action(pr_workspace, command="drift", database_url=with_password(database_url))
    assert run.returncode == 1, run
    assert run.outputs["exit-code"] == "1" and run.outputs["drift"] == "true"
    assert int(run.outputs["changes"]) > 0
    assert "### Schema drift" in run.summary
    assert 'DROP TABLE "public"."Audit"' in run.summary
    assert 'CREATE TABLE "public"."User"' in run.summary
    sql = Path(run.outputs["sql-file"]).read_text(encoding="utf-8")
    assert 'DROP TABLE "public"."Audit"' in sql
    assert any(n.startswith("::error title=dbsafe drift::the database has drifted") for n in annotations(run.stdout))
    report = json.loads(Path(run.outputs["report"]).read_text(encoding="utf-8"))
    assert report["kind"] == "drift" and report["drift"] is True
    assert_password_hidden(run)


def test_drift_on_a_database_that_matches(pr_workspace, run_action, database_url, dbsafe_cli):
    proc = subprocess.run([str(dbsafe_cli), "migrate", "deploy", "--database-url", database_url,
                           "--migrations", "prisma/migrations", "-q"],
                          cwd=pr_workspace, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # From the environment, as a workflow's env: DATABASE_URL: ${{ secrets.DATABASE_URL }} gives it.
    run = run_action(pr_workspace, command="drift", env={"DATABASE_URL": with_password(database_url)})
    assert run.returncode == 0, run
    assert run.outputs["drift"] == "false" and run.outputs["exit-code"] == "0"
    assert "sql-file" not in run.outputs
    assert run.summary.strip(), run
    assert annotations(run.stdout) == []
    assert_password_hidden(run)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["drift", "diff", "status"])
def test_an_unreachable_database_fails_the_step(pr_workspace, run_action, command):
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:{closed_port()}/app"
    run = run_action(pr_workspace, command=command, database_url=url)
    assert run.returncode == 4, run
    assert run.outputs["exit-code"] == "4"
    assert "drift" not in run.outputs and "report" not in run.outputs
    assert "could not" in run.summary, run
    assert any(n.startswith("::error title=dbsafe::") and "exited 4 (cannot reach" in n
               for n in annotations(run.stdout)), run
    assert_password_hidden(run)


def test_diff_previews_the_sql_without_failing(pr_workspace, run_action, database_url):
    run = run_action(pr_workspace, command="diff", env={"DATABASE_URL": database_url})
    # A diff on a pull request is a preview: changes do not fail the step (fail-on defaults to never).
    assert run.returncode == 0, run
    assert run.outputs["exit-code"] == "1" and run.outputs["drift"] == "true"
    assert 'CREATE TABLE "public"."Post"' in run.summary
    assert 'CREATE TABLE "public"."Post"' in Path(run.outputs["sql-file"]).read_text(encoding="utf-8")
    assert any(n.startswith("::notice title=dbsafe diff::") for n in annotations(run.stdout)), run
    run = run_action(pr_workspace, command="diff", fail_on="found", format="sql", env={"DATABASE_URL": database_url})
    assert run.returncode == 1 and run.summary == "", run


# ---------------------------------------------------------------------------
# deploy and status


def test_deploy_a_target_writes_the_summary_and_outputs(pr_workspace, run_action, database_url):
    (pr_workspace / "dbsafe.toml").write_text(
        '[targets.ci]\nmigrations = "prisma/migrations"\nprovider = "none"\nsnapshot = "none"\n'
        'approvals = 2\naudit_file = "../audit.jsonl"\n')
    url = with_password(database_url)

    run = run_action(pr_workspace, command="status", database_url=url)
    assert run.returncode == 1, run
    assert run.outputs["pending"] == "3" and run.outputs["exit-code"] == "1"
    assert "### dbsafe migrate status: 3 pending" in run.summary
    assert f"| `{RISKY}` | pending |" in run.summary

    run = run_action(pr_workspace, command="deploy", target="ci", database_url=url)
    assert run.returncode == 1, run
    assert run.outputs["outcome"] == "stopped" and run.outputs["errors"] == "1"
    assert "### dbsafe deploy `ci`: stopped" in run.summary, run
    assert any(n.startswith("::error title=dbsafe deploy::ci: the deploy was stopped by its gate")
               for n in annotations(run.stdout)), run
    assert_password_hidden(run)

    # Two approvers, one name with a space: args is split like a shell splits it.
    run = run_action(pr_workspace, command="deploy", target="ci", database_url=url,
                     args="--approved-by 'Jane Doe' --approved-by octocat")
    assert run.returncode == 0, run
    assert run.outputs["outcome"] == "deployed" and run.outputs["exit-code"] == "0"
    assert "### dbsafe deploy `ci`: deployed" in run.summary, run
    report = json.loads(Path(run.outputs["report"]).read_text(encoding="utf-8"))
    assert report["applied"] == ["20240101000000_init", "20240102000000_add_posts", RISKY]
    assert sorted(report["gate"]["approved_by"]) == ["Jane Doe", "octocat"]
    assert report["actor"] == "octocat"
    assert_password_hidden(run)

    run = run_action(pr_workspace, command="status", database_url=url)
    assert run.returncode == 0 and run.outputs["pending"] == "0", run
    assert "### dbsafe migrate status: up to date" in run.summary


def test_restore_through_the_action_after_a_deploy(pr_workspace, run_action, database_url, dbsafe_cli,
                                                   psql):
    """Seed 004's restore job: the real dbsafe restore with the local provider."""
    (pr_workspace / "dbsafe.toml").write_text(
        '[targets.ci]\nmigrations = "prisma/migrations"\nprovider = "local"\napprove_on = "off"\n'
        'audit_file = "../audit.jsonl"\n')
    url = with_password(database_url)
    try:
        run = run_action(pr_workspace, command="deploy", target="ci", database_url=url)
        assert run.returncode == 0 and run.outputs["outcome"] == "deployed", run
        run = run_action(pr_workspace, command="restore", target="ci", database_url=url,
                         args="--from pre-deploy-backup")
        assert run.returncode == 3, run  # no --confirm, no terminal: nothing touched
        run = run_action(pr_workspace, command="restore", target="ci", database_url=url,
                         args="--from pre-deploy-backup --confirm ci")
        assert run.returncode == 0, run
        assert "### dbsafe restore `ci`: restored" in run.summary, run
        assert "pre-restore-" in run.summary
        # The snapshot was taken before the first deploy: the database is empty again.
        assert psql(database_url, "SELECT to_regclass('_prisma_migrations') IS NULL").strip() == "t"
        assert_password_hidden(run)
    finally:
        listed = subprocess.run([str(dbsafe_cli), "snapshot", "list", "--provider", "local",
                                 "--database-url", database_url, "--format", "json"],
                                capture_output=True, text=True)
        for snap in json.loads(listed.stdout or '{"snapshots": []}')["snapshots"]:
            subprocess.run([str(dbsafe_cli), "snapshot", "delete", snap["id"], "--provider", "local",
                            "--database-url", database_url, "--confirm", snap["id"]],
                           capture_output=True)


def test_deploy_configuration_errors_reach_the_summary(pr_workspace, run_action, database_url):
    (pr_workspace / "dbsafe.toml").write_text('[targets.ci]\nsnapshot = "sometimes"\n')
    run = run_action(pr_workspace, command="deploy", target="ci", database_url=database_url)
    assert run.returncode == 3, run
    assert "### dbsafe deploy `ci`" in run.summary
    assert "snapshot" in run.summary
    run = run_action(pr_workspace, command="deploy", database_url=database_url)
    assert run.returncode == 3 and "the target input is required" in run.stdout, run


# ---------------------------------------------------------------------------
# backup and restore are dbsafe's: the action hands them through


@pytest.fixture
def recording_dbsafe(tmp_path):
    """A stand-in for dbsafe that records its arguments and DATABASE_URL."""
    record = tmp_path / "record.json"
    stub = tmp_path / "fake-dbsafe"
    stub.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'url': os.environ.get('DATABASE_URL')}}, open({str(record)!r}, 'w'))\n"
        "print('restored 3 tables')\n"
        "sys.exit(int(os.environ.get('FAKE_EXIT', '0')))\n")
    stub.chmod(0o755)
    return stub, record


def test_restore_and_backup_are_passed_through(pr_workspace, run_action, recording_dbsafe):
    stub, record = recording_dbsafe
    url = f"postgresql://app:{PASSWORD}@db.example.com/app"
    run = run_action(pr_workspace, command="restore", target="production", database_url=url,
                     args="--from 'pre-migration-20250101-0200' --confirm production",
                     dbsafe=str(stub))
    assert run.returncode == 0, run
    seen = json.loads(record.read_text())
    assert seen["argv"] == ["restore", "--target", "production", "--from", "pre-migration-20250101-0200",
                            "--confirm", "production"]
    # The URL travels in the environment, never on a command line.
    assert seen["url"] == url
    # dbsafe restore writes its own report to the step summary; the action adds none.
    assert "restored 3 tables" in run.stdout and "restored 3 tables" not in run.summary, run
    assert_password_hidden(run)

    run = run_action(pr_workspace, command="backup", args="verify --latest --test-restore",
                     dbsafe=str(stub), env={"FAKE_EXIT": "2"})
    assert run.returncode == 2 and run.outputs["exit-code"] == "2", run
    assert json.loads(record.read_text())["argv"] == ["backup", "verify", "--latest", "--test-restore"]
    assert "exit 2" in run.summary

    run = run_action(pr_workspace, command="backup", dbsafe=str(stub))
    assert run.returncode == 3 and "args must name the subcommand" in run.stdout, run


# ---------------------------------------------------------------------------
# locate


def test_locate_finds_the_binary_or_asks_for_a_build(pr_workspace, run_action, dbsafe_cli, tmp_path):
    run = run_action(pr_workspace, script_args=["locate"])
    assert run.returncode == 0, run
    assert run.outputs == {"path": str(dbsafe_cli), "build": "false"}

    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "dbsafe").symlink_to(dbsafe_cli)
    no_dbsafe_path = "/usr/bin:/bin"
    run = run_action(pr_workspace, script_args=["locate"], dbsafe="",
                     env={"PATH": f"{bindir}:{no_dbsafe_path}"})
    assert run.outputs == {"path": str(bindir / "dbsafe"), "build": "false"}, run

    runs = [run_action(pr_workspace, script_args=["locate"], dbsafe="",
                       env={"PATH": no_dbsafe_path, "GITHUB_ACTION_PATH": str(REPO_ROOT),
                            "RUNNER_TOOL_CACHE": str(tmp_path / "tools")}) for _ in range(2)]
    assert runs[0].outputs["build"] == "true", runs[0]
    assert re.fullmatch(r"dbsafe-cli-linux-\w+-\w+-[0-9a-f]{32}", runs[0].outputs["cache-key"])
    assert runs[0].outputs["cache-key"] == runs[1].outputs["cache-key"]
    assert runs[0].outputs["build-dir"] == str(tmp_path / "tools" / "dbsafe-action" / "build")

    run = run_action(pr_workspace, script_args=["locate"], dbsafe="./no-such-dbsafe")
    assert run.returncode == 3 and "no-such-dbsafe' does not exist" in run.stdout, run


# ---------------------------------------------------------------------------
# action.yml, the script and the example workflows agree


def load_action():
    return yaml.safe_load(ACTION_YML.read_text(encoding="utf-8"))


def script_text():
    return SCRIPT.read_text(encoding="utf-8")


def test_action_yml_declares_what_the_script_reads_and_writes():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    steps = {s.get("id"): s for s in action["runs"]["steps"]}
    declared = set(action["inputs"])

    passed = set()
    for step in steps.values():
        for var, value in (step.get("env") or {}).items():
            m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", str(value))
            if m:
                assert var == "INPUT_" + m.group(1).upper().replace("-", "_"), (var, value)
                passed.add(m.group(1))
    # `dbsafe` reaches the run step resolved by locate/build.
    assert steps["run"]["env"]["INPUT_DBSAFE"] == "${{ steps.build.outputs.path || steps.locate.outputs.path }}"
    assert passed == declared, f"declared but not passed: {declared - passed}; passed but not declared: {passed - declared}"

    read = set(re.findall(r"\binput\('([a-z-]+)'\)", script_text()))
    assert read == declared, f"declared but not read: {declared - read}; read but not declared: {read - declared}"


def test_action_yml_outputs_are_the_ones_the_script_sets():
    action = load_action()
    text = script_text()
    written = set(re.findall(r"ctx\.outputs\.([a-z]+)\s*=", text))
    written |= set(re.findall(r"ctx\.outputs\['([a-z-]+)'\]\s*=", text))
    declared = {}
    for name, spec in action["outputs"].items():
        m = re.fullmatch(r"\$\{\{ steps\.run\.outputs\.([a-z-]+) \}\}", spec["value"])
        assert m, (name, spec)
        declared[name] = m.group(1)
    assert all(k == v for k, v in declared.items())
    assert set(declared) == written, (f"declared, never set: {set(declared) - written}; "
                                      f"set, not declared: {written - set(declared)}")
    located = set(re.findall(r"setOutput\('([a-z-]+)'", text)) - {"exit-code"}
    used = set(re.findall(r"steps\.locate\.outputs\.([a-z-]+)", ACTION_YML.read_text(encoding="utf-8")))
    assert used == located, (used, located)


def dbsafe_steps(workflow):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            uses = step.get("uses", "")
            if uses == "./" or uses.startswith("dbsafe/dbsafe@"):
                yield job_name, step


def test_example_workflows_use_only_what_the_action_declares():
    action = load_action()
    inputs = action["inputs"]
    outputs = set(action["outputs"])
    commands = {"check", "diff", "drift", "deploy", "backup", "restore", "status"}
    files = sorted(EXAMPLES.glob("*.yml"))
    assert len(files) == 5, files
    seen_commands = set()
    for path in files:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        # YAML 1.1 reads the key `on` as true.
        assert workflow.get("on", workflow.get(True)), f"{path.name}: no triggers"
        steps = list(dbsafe_steps(workflow))
        assert steps, f"{path.name} does not use the action"
        ids = {}
        for job_name, step in steps:
            assert step["uses"] == "dbsafe/dbsafe@v1", f"{path.name}: {step['uses']}"
            given = step.get("with") or {}
            unknown = set(given) - set(inputs)
            assert not unknown, f"{path.name} job {job_name}: inputs the action does not declare: {unknown}"
            required = {n for n, spec in inputs.items() if spec.get("required")}
            assert required <= set(given), f"{path.name} job {job_name}: missing {required - set(given)}"
            assert given["command"] in commands
            seen_commands.add(given["command"])
            if "id" in step:
                ids[step["id"]] = job_name
            for key, value in given.items():
                assert "secrets." not in str(value) or key == "database-url", (
                    f"{path.name}: a secret in input {key}; pass secrets as database-url or env")
        text = path.read_text(encoding="utf-8")
        for step_id, name in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([a-z-]+)", text):
            if step_id in ids:
                assert name in outputs, f"{path.name}: steps.{step_id}.outputs.{name} is not an output"
        assert not re.search(r"postgres(ql)?://[^$\s]*:[^$\s]*@", text), f"{path.name}: a password in the file"
    assert {"check", "diff", "drift", "deploy", "backup", "restore"} <= seen_commands
