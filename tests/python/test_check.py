"""dbsafe.check() and dbsafe.check_sql(): the check report of dbsafe_check / dbsafe_check_sql,
options mapped onto the options document, errors as dbsafe exceptions."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import dbsafe
from dbsafe import _dbsafe

CREATE = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
DROP = "ALTER TABLE users DROP COLUMN email;\n"

STATS = {
    "schema_version": 1,
    "server_version_num": 140005,
    "tables": {
        "public.users": {
            "row_estimate": 5000000,
            "total_bytes": 2147483648,
            "index_count": 2,
            "empty": False,
        }
    },
}


@pytest.fixture
def migrations_dir(tmp_path):
    """Two plain SQL migrations: 001 creates users, 002 drops its email column."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "001.sql").write_text(CREATE)
    (directory / "002.sql").write_text(DROP)
    return directory


def drop_findings(report):
    return [f for f in report.findings if f.rule == "drop-column"]


def assert_drop_column(finding, *, file, line=1, level="error"):
    assert isinstance(finding, dbsafe.Finding)
    assert finding.rule == "drop-column"
    assert finding.level == level
    assert finding.file == file
    assert (finding.line, finding.column, finding.end_line) == (line, 1, line)
    assert finding.end_column > 1
    assert finding.severity[0] == "data-loss"
    assert finding.statement.startswith("ALTER TABLE users DROP COLUMN email")
    assert finding.objects == ["public.users.email"]
    assert finding.lock == "ACCESS EXCLUSIVE"
    assert finding.rewrite is False and finding.scan is False
    assert finding.message and finding.why and finding.fix
    assert re.fullmatch(r"[0-9a-f]{32}", finding.fingerprint)
    assert finding.impact is None


def run_module(*args):
    env = dict(os.environ)
    package_parent = str(Path(dbsafe.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    return subprocess.run(
        [sys.executable, "-m", "dbsafe", *args], capture_output=True, text=True, env=env,
        timeout=60)


def test_finds_the_dropped_column_and_fails(migrations_dir):
    report = dbsafe.check(migrations_dir)
    assert isinstance(report, dbsafe.CheckReport)
    assert report.schema_version == 1
    drops = drop_findings(report)
    assert len(drops) == 1
    assert_drop_column(drops[0], file=str(migrations_dir / "002.sql"))
    assert drops[0].migration == "002"
    summary = report.summary
    assert isinstance(summary, dbsafe.CheckSummary)
    assert (summary.files, summary.statements) == (2, 2)
    assert summary.errors >= 1
    assert summary.errors + summary.warnings + summary.infos == len(report.findings)
    assert summary.by_rule["drop-column"] == 1
    assert (summary.pg_version, summary.runner, summary.fail_on) == (15, "safe", "error")
    assert summary.failed is True


def test_the_dataclasses_mirror_the_json(migrations_dir):
    report = dbsafe.check(migrations_dir)
    doc = json.loads(report.json)
    assert doc["schema_version"] == report.schema_version
    assert dataclasses.asdict(report.summary) == doc["summary"]
    for finding, raw in zip(report.findings, doc["findings"]):
        fields = dataclasses.asdict(finding)
        assert fields.pop("impact") is None and "impact" not in raw
        assert fields == raw
    assert len(report.findings) == len(doc["findings"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.summary.failed = False  # type: ignore[misc]
    assert "json" not in repr(report)


def test_json_is_what_the_command_line_prints(migrations_dir):
    report = dbsafe.check(str(migrations_dir))
    result = run_module("check", "--format", "json", str(migrations_dir))
    assert result.stderr == ""
    assert result.returncode == 1  # the check fails
    assert result.stdout.endswith("\n")
    assert result.stdout[:-1] == report.json


def test_paths_one_or_several(migrations_dir):
    one = dbsafe.check(migrations_dir)
    assert dbsafe.check([str(migrations_dir)]).json == one.json
    assert dbsafe.check((os.fsencode(migrations_dir),)).json == one.json
    files = dbsafe.check([migrations_dir / "001.sql", migrations_dir / "002.sql"])
    assert files.summary.files == 2
    drops = drop_findings(files)
    assert len(drops) == 1
    assert drops[0].line == 1
    assert Path(drops[0].file).name == "002.sql"


def test_options_map_onto_the_options_document(migrations_dir):
    warning = dbsafe.check(migrations_dir, rules={"drop-column": "warning"})
    drops = drop_findings(warning)
    assert len(drops) == 1
    assert drops[0].level == "warning"
    assert warning.summary.failed is False

    strict = dbsafe.check(migrations_dir, rules={"drop-column": "warning"}, fail_on="warning")
    assert strict.summary.fail_on == "warning"
    assert strict.summary.failed is True

    off = dbsafe.check(migrations_dir, rules={"drop-column": "off"})
    assert "drop-column" not in off.summary.by_rule

    tuned = dbsafe.check(
        migrations_dir,
        pg_version=13,
        runner="prisma",
        config="-",
        layout="plain",
        max_file_bytes=1 << 20,
        large_table_rows=10,
        large_table_bytes=1024,
        enable=(),
        timeout=600,
    )
    assert tuned.summary.pg_version == 13
    assert tuned.summary.runner == "prisma"

    only = dbsafe.check(migrations_dir, only_migrations=["001"])
    assert only.summary.files == 1
    assert not [f for f in only.findings if f.migration == "002"]
    assert only.summary.failed is False


def test_table_statistics_inline_or_from_a_file(migrations_dir, tmp_path):
    inline = dbsafe.check(migrations_dir, stats=STATS)
    (finding,) = drop_findings(inline)
    assert isinstance(finding.impact, dbsafe.Impact)
    assert finding.impact.table == "public.users"
    assert finding.impact.row_estimate == 5000000
    assert finding.impact.total_bytes == 2147483648
    assert finding.impact.index_count == 2
    assert finding.impact.empty is False
    assert inline.summary.pg_version == 14  # the server's version when pg_version is not given
    raw = json.loads(inline.json)["findings"]
    assert dataclasses.asdict(finding.impact) == next(
        f["impact"] for f in raw if f["rule"] == "drop-column")

    stats_file = tmp_path / "stats.json"
    stats_file.write_text(json.dumps(STATS))
    assert dbsafe.check(migrations_dir, stats_file=stats_file).json == inline.json


def test_dbsafe_toml_beside_the_migrations_unless_config_is_dash(migrations_dir, tmp_path):
    project = tmp_path / "with-config"
    project.mkdir()
    for sql in migrations_dir.iterdir():
        (project / sql.name).write_text(sql.read_text())
    (project / "dbsafe.toml").write_text('[rules]\ndrop-column = "info"\n')
    assert drop_findings(dbsafe.check(project))[0].level == "info"
    assert drop_findings(dbsafe.check(project, config="-"))[0].level == "error"
    explicit = dbsafe.check(migrations_dir, config=project / "dbsafe.toml")
    assert drop_findings(explicit)[0].level == "info"


def test_progress_event_per_file(migrations_dir):
    events = []
    report = dbsafe.check(migrations_dir, progress=events.append)
    assert [(e["event"], e["index"], e["total"], e["name"]) for e in events] == [
        ("migration_read", 0, 2, "001"),
        ("migration_read", 1, 2, "002"),
    ]
    assert report.summary.files == 2


class Boom(Exception):
    pass


def test_exception_in_progress_propagates_unchanged(migrations_dir):
    raised = Boom("stop")

    def progress(event):
        raise raised

    with pytest.raises(Boom) as excinfo:
        dbsafe.check(migrations_dir, progress=progress)
    assert excinfo.value is raised


def test_cancelled_token_raises_cancelled_error(migrations_dir):
    token = dbsafe.CancelToken()
    token.cancel()
    with pytest.raises(dbsafe.CancelledError) as excinfo:
        dbsafe.check(migrations_dir, cancel=token)
    assert excinfo.value.code == "DBSAFE_ECANCELLED"
    assert excinfo.value.status == -9


def test_cancel_from_the_progress_callback(corpus):
    token = dbsafe.CancelToken()
    seen = []

    def progress(event):
        seen.append(event)
        token.cancel()

    with pytest.raises(dbsafe.CancelledError):
        dbsafe.check(corpus("trigger.dev"), progress=progress, cancel=token)
    assert 1 <= len(seen) < 820


def test_bad_option_is_invalid_input_naming_the_option(migrations_dir):
    cases = [
        (dict(fail_on="fatal"), r'^fail_on must be "off", "info", "warning" or "error"$'),
        (dict(rules={"drop-column": "loud"}), r"^rules\.drop-column must be "),
        (dict(pg_version=15.5), r"^pg_version must be an integer$"),
        (dict(runner="flyway"), r'^runner must be "safe" or "prisma"$'),
        (dict(enable="drop-column"), r"^enable must be an array of strings$"),
        (dict(max_file_bytes=0), r"^max_file_bytes must be positive$"),
        (dict(layout="liquibase"), r"unknown migration layout 'liquibase'"),
        (dict(stats={"a": object()}), r"^stats cannot be written as JSON"),
        (dict(large_table_rows=float("nan")), r"^large_table_rows cannot be written as JSON"),
        (dict(stats={"tables": {}}), r"schema_version"),
    ]
    for options, pattern in cases:
        with pytest.raises(dbsafe.InvalidInputError) as excinfo:
            dbsafe.check(migrations_dir, **options)
        err = excinfo.value
        assert isinstance(err, ValueError)
        assert err.code == "DBSAFE_EINVALID" and err.status == -2
        assert re.search(pattern, str(err)), (options, str(err))
    with pytest.raises(dbsafe.InvalidInputError, match="^fail_on must be"):
        dbsafe.check_sql(DROP, fail_on="fatal")
    with pytest.raises(TypeError):
        dbsafe.check(migrations_dir, failon="error")  # type: ignore[call-arg]


def test_no_paths_is_invalid_input():
    with pytest.raises(dbsafe.InvalidInputError, match="no paths"):
        dbsafe.check([])


def test_missing_path_or_stats_file_is_not_found(migrations_dir, tmp_path):
    missing = tmp_path / "missing"
    with pytest.raises(dbsafe.NotFoundError) as excinfo:
        dbsafe.check(missing)
    assert excinfo.value.file == str(missing)
    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.check([migrations_dir, missing])
    with pytest.raises(dbsafe.NotFoundError):
        dbsafe.check(migrations_dir, stats_file=tmp_path / "nope.json")


def test_bad_arguments(migrations_dir):
    with pytest.raises(TypeError):
        dbsafe.check(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.check(migrations_dir, progress="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.check(migrations_dir, cancel=object())  # type: ignore[arg-type]
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.check(migrations_dir, timeout=-1)
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.check(f"{migrations_dir}\0x")
    with pytest.raises(TypeError):
        dbsafe.check_sql(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dbsafe.check_sql(DROP, 5)  # type: ignore[arg-type]
    with pytest.raises(dbsafe.InvalidInputError):
        dbsafe.check_sql(DROP, "a\0b")


def test_check_sql_names_its_text_sql():
    report = dbsafe.check_sql(f"-- drop it\n{DROP}")
    drops = drop_findings(report)
    assert len(drops) == 1
    assert_drop_column(drops[0], file="<sql>", line=2)
    assert drops[0].migration == "<sql>"
    assert (report.summary.files, report.summary.statements) == (1, 1)
    assert report.summary.failed is True


def test_check_sql_takes_a_name_options_and_bytes():
    report = dbsafe.check_sql(DROP.encode(), "db/002.sql", rules={"drop-column": "warning"},
                              pg_version=16)
    (finding,) = drop_findings(report)
    assert_drop_column(finding, file="db/002.sql", level="warning")
    assert finding.migration == "db/002.sql"
    assert report.summary.pg_version == 16
    assert report.summary.failed is False
    same = dbsafe.check_sql(DROP, name="db/002.sql", rules={"drop-column": "warning"},
                            pg_version=16)
    assert same.json == report.json


def test_check_sql_syntax_error_is_a_finding():
    report = dbsafe.check_sql("ALTER TABLE users DROP COLUM email;", "bad.sql")
    assert [f.rule for f in report.findings] == ["syntax-error"]
    assert report.findings[0].file == "bad.sql"
    assert report.summary.failed is True


def test_native_layer(migrations_dir):
    text = _dbsafe.check([str(migrations_dir)])
    assert json.loads(text)["summary"]["failed"] is True
    relaxed = _dbsafe.check([str(migrations_dir)], '{"rules":{"drop-column":"info"}}')
    assert json.loads(relaxed)["summary"]["failed"] is False
    events = []
    _dbsafe.check([str(migrations_dir)], None, 0, events.append)
    assert len(events) == 2 and all(e.startswith("{") for e in events)
    with pytest.raises(dbsafe.InvalidInputError, match='unknown option "bogus"'):
        _dbsafe.check([str(migrations_dir)], '{"bogus":1}')
    with pytest.raises(dbsafe.InvalidInputError):
        _dbsafe.check([str(migrations_dir)], "[1]")
    with pytest.raises(dbsafe.InvalidInputError):
        _dbsafe.check_sql("SELECT 1", "x.sql", "{")
    assert json.loads(_dbsafe.check_sql("SELECT 1"))["summary"]["files"] == 1


def test_gil_is_released_during_a_check(corpus):
    """A Python thread keeps running while the library checks the largest corpus project."""
    project = str(corpus("trigger.dev"))
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0002)

    thread = threading.Thread(target=ticker)
    thread.start()
    windows = []
    try:
        while not ticks:
            time.sleep(0.001)
        for _ in range(3):
            start = time.perf_counter()
            _dbsafe.check([project])
            windows.append((start, time.perf_counter()))
    finally:
        stop.set()
        thread.join()
    inside = 0
    for start, end in windows:
        margin = (end - start) * 0.1
        inside += sum(1 for t in ticks if start + margin < t < end - margin)
    assert inside >= 10, f"only {inside} ticks during the checks"
