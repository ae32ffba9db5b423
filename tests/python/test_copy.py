"""dbsafe copy (docs/copy.md) through the command line: the game backend's
SQLite database (tests/fixtures/sqlite-copy, 111,000 rows in every Prisma
storage form) copied into the schema its PostgreSQL migration makes, then
verified; conversion failures, a tampered row, a SIGKILL half-way and a
resume, the foreign-key cycle, --dry-run, the non-empty-target rule."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import dbsafe

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "sqlite-copy"
SCHEMA = json.loads((ROOT / "docs" / "schema" / "copy-report.v1.json").read_text())
CANARY = "canary-Copy-77d1"
TABLES = ["Player", "Item", "Match", "Score", "InventoryEntry"]


def cli(*args, **kwargs):
    env = dict(os.environ)
    package_parent = str(Path(dbsafe.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return [sys.executable, "-m", "dbsafe", "copy", *args], env


def run(*args):
    argv, env = cli(*args)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def report_of(result):
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc


def with_password(url):
    # Replaces a password the URL may already carry (scripts/test's canary).
    return re.sub(r"^(postgres(?:ql)?://[^:/@]+)(?::[^@/]*)?@", rf"\1:{CANARY}@", url)


@pytest.fixture(scope="module")
def game_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "game.db"
    subprocess.run([sys.executable, str(FIXTURE / "generate.py"), str(path)], check=True)
    return path


@pytest.fixture
def target(psql, database_url):
    psql(database_url, (FIXTURE / "postgres-migration.sql").read_text())
    return database_url


def counts(psql, url):
    return {t: int(psql(url, f'SELECT count(*) FROM "{t}"').strip()) for t in TABLES}


def copy_ok(game_db, url):
    result = run("--from", f"sqlite:{game_db}", "--to", with_password(url), "--format", "json")
    assert result.returncode == 0, result.stderr + result.stdout
    return report_of(result)


def test_copy_then_verify_equal(game_db, target, psql):
    doc = copy_ok(game_db, target)
    assert doc["ok"] and doc["rows_copied"] == 111_000
    assert CANARY not in json.dumps(doc) and "***" in doc["target"]
    by_name = {t["source"]: t for t in doc["tables"]}
    assert set(by_name) == set(TABLES)
    for t in doc["tables"]:
        assert t["status"] == "copied"
        v = t["verification"]
        assert v["equal"] and v["target_rows"] == t["source_rows"] == t["copied_rows"]
        assert v["source_digest"] == v["target_digest"]
    # Parents first; the cycle's two tables together.
    order = [t["source"] for t in doc["tables"]]
    assert order.index("Player") < order.index("Score")
    assert order.index("Match") < order.index("Score")
    assert order.index("Item") < order.index("InventoryEntry")
    assert any("Item, Player" in c and "DEFERRED" in c for c in doc["cycles"])
    assert any(s.startswith("_prisma_migrations") for s in doc["skipped"])
    assert counts(psql, target) == {"Player": 10000, "Item": 1000, "Match": 20000,
                                    "Score": 60000, "InventoryEntry": 20000}
    # Sequences continue after the copied rows.
    assert any(s.endswith("= 10000") for s in by_name["Player"]["sequences_reset"])
    assert psql(target, "SELECT nextval(pg_get_serial_sequence('\"Player\"', 'id'))").strip() == "10001"
    # Values, as the application reads them.
    src = sqlite3.connect(game_db)
    for pid, created, settings, avatar, banned, role, coins in src.execute(
            'SELECT id, createdAt, settings, avatar, isBanned, role, coins FROM "Player" '
            "WHERE id IN (3, 7, 13, 26, 4242)"):
        row = psql(target, "SELECT to_char(\"createdAt\", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS'), "
                           "settings = $j$" + settings + "$j$::jsonb, encode(avatar, 'hex'), "
                           f"\"isBanned\", role, coins FROM \"Player\" WHERE id = {pid}").strip()
        stamp, same_json, hex_avatar, is_banned, pg_role, pg_coins = row.split("|")
        if isinstance(created, int):
            from datetime import datetime, timezone
            expected = datetime.fromtimestamp(created / 1000, tz=timezone.utc)
            assert stamp == expected.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created % 1000:03d}"
        else:
            assert stamp[:19] == created.replace(" ", "T")[:19]
        assert same_json == "t"
        assert hex_avatar == (avatar.hex() if avatar is not None else "")
        assert is_banned == ("t" if banned else "f") and pg_role == role and int(pg_coins) == coins
    name = src.execute('SELECT name FROM "Item" WHERE id = 50').fetchone()[0]
    assert psql(target, 'SELECT name = $n$' + name + '$n$ FROM "Item" WHERE id = 50').strip() == "t"


def test_markdown_and_text_reports(game_db, target):
    md = run("--from", f"sqlite:{game_db}", "--to", target, "--tables", "Match",
             "--format", "markdown")
    assert md.returncode == 0, md.stderr
    assert "| Match | public.Match | copied | 20000 | 20000 |" in md.stdout and "equal" in md.stdout
    text = run("--from", f"sqlite:{game_db}", "--to", target, "--tables", "Match")
    assert text.returncode == 0, text.stderr
    assert "resumed" in text.stdout and "digests match" in text.stdout
    # Progress per table on stderr; nothing for a table an earlier run finished.
    assert re.search(r"public\.Match: 20000/20000 rows, \d+ rows/s \(done\)", md.stderr)
    assert "(done)" not in text.stderr and "NOTICE" not in text.stderr


@pytest.fixture
def bad_db(game_db, tmp_path):
    path = tmp_path / "bad.db"
    shutil.copy(game_db, path)
    db = sqlite3.connect(path)
    db.executescript("""
        UPDATE "Player" SET "isBanned" = 2 WHERE id = 5;
        UPDATE "Match" SET "metadata" = '{"map": "dust",' WHERE rowid = 17;
        UPDATE "Score" SET "recordedAt" = 'yesterday' WHERE id = 999;
        UPDATE "InventoryEntry" SET "acquiredAt" = 1700000000000 WHERE rowid = 3;
    """)
    db.commit()
    match_id = db.execute('SELECT id FROM "Match" WHERE rowid = 17').fetchone()[0]
    db.close()
    return path, match_id


def failures_of(doc):
    return {(f["table"], f["rowid"], f["column"], f["value"]) for f in doc["failures"]}


def test_dry_run_lists_every_failure_and_changes_nothing(bad_db, target, psql):
    path, match_id = bad_db
    result = run("--from", f"sqlite:{path}", "--to", target, "--dry-run", "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = report_of(result)
    assert doc["dry_run"] and not doc["ok"] and doc["failures_total"] == 3
    assert failures_of(doc) == {
        ("Player", 5, "isBanned", "2"),
        ("Match", 17, "metadata", '{"map": "dust",'),
        ("Score", 999, "recordedAt", "yesterday"),
    }
    keys = {f["table"]: f["key"] for f in doc["failures"]}
    assert keys["Player"] == "5" and keys["Match"] == match_id
    assert all(t["status"] in ("planned", "failed") for t in doc["tables"])
    assert all(v == 0 for v in counts(psql, target).values())
    assert psql(target, "SELECT to_regclass('dbsafe.copy_progress') IS NULL").strip() == "t"


def test_conversion_failure_rolls_back_the_table(bad_db, target, psql):
    path, _ = bad_db
    result = run("--from", f"sqlite:{path}", "--to", target, "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = report_of(result)
    status = {t["source"]: t["status"] for t in doc["tables"]}
    # Player failed, so Item (its cycle partner) rolled back with it, and
    # every table referencing them was not attempted; Match failed alone.
    assert status == {"Player": "failed", "Item": "failed", "Match": "failed",
                      "Score": "blocked", "InventoryEntry": "blocked"}
    assert all(v == 0 for v in counts(psql, target).values())


def test_tampered_row_is_caught(game_db, target, psql):
    copy_ok(game_db, target)
    psql(target, 'UPDATE "Score" SET points = points + 1 WHERE id = 777;'
                 'DELETE FROM "InventoryEntry" WHERE ("playerId", "itemId") IN '
                 '(SELECT "playerId", "itemId" FROM "InventoryEntry" ORDER BY 1, 2 LIMIT 1)')
    result = run("--from", f"sqlite:{game_db}", "--to", target, "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = report_of(result)
    by_name = {t["source"]: t for t in doc["tables"]}
    assert all(t["status"] == "resumed" for t in doc["tables"])
    score = by_name["Score"]["verification"]
    assert not score["equal"] and score["differences"] == [{"key": "777", "kind": "changed"}]
    inv = by_name["InventoryEntry"]["verification"]
    assert inv["target_rows"] == 19999 and inv["differences_total"] == 1
    assert inv["differences"][0]["kind"] == "missing"
    assert by_name["Player"]["verification"]["equal"]


def test_sigkill_half_way_then_resume(game_db, target, psql, tmp_path):
    argv, env = cli("--from", f"sqlite:{game_db}", "--to", target)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    finished = []
    for line in proc.stderr:
        if "(done)" in line:
            finished.append(line.split(":")[1].strip())
            if len(finished) == 3:  # the cycle (Item, Player) and one more: the next is under way
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    recorded = set(filter(None, psql(target, "SELECT table_name FROM dbsafe.copy_progress")
                          .split()))
    # Committed with their progress rows, or not at all: a table finished
    # reading may not have reached COMMIT before the kill.
    assert {"public.Item", "public.Player"} <= recorded <= set(finished)
    partial = counts(psql, target)
    assert all(partial[t.split(".")[1]] == 0 for t in set(finished) | {"public.Score"}
               if t not in recorded)
    doc = copy_ok(game_db, target)
    status = {t["target"]: t["status"] for t in doc["tables"]}
    assert {t for t, s in status.items() if s == "resumed"} == recorded
    assert {t for t, s in status.items() if s == "copied"} == set(status) - recorded
    assert all(t["verification"]["equal"] for t in doc["tables"])
    assert counts(psql, target)["Score"] == 60000


def test_non_empty_target_is_refused_without_truncate(game_db, target, psql):
    psql(target, "INSERT INTO \"Match\" VALUES ('x', 'duel', true, now(), NULL, NULL)")
    refused = run("--from", f"sqlite:{game_db}", "--to", target)
    assert refused.returncode == 2, refused.stderr
    assert "public.Match" in refused.stderr and "--truncate" in refused.stderr
    assert counts(psql, target)["Player"] == 0
    unconfirmed = run("--from", f"sqlite:{game_db}", "--to", target, "--truncate")
    assert unconfirmed.returncode == 3 and "--confirm" in unconfirmed.stderr
    name = psql(target, "SELECT current_database()").strip()
    done = run("--from", f"sqlite:{game_db}", "--to", target, "--truncate", "--confirm", name,
               "--single-transaction", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert report_of(done)["single_transaction"]
    assert counts(psql, target)["Match"] == 20000


def test_cycle_without_deferrable_keys_is_refused(game_db, target, psql):
    psql(target, 'ALTER TABLE "Item" ALTER CONSTRAINT "Item_createdById_fkey" NOT DEFERRABLE')
    result = run("--from", f"sqlite:{game_db}", "--to", target)
    assert result.returncode == 3
    assert ('ALTER TABLE "public"."Item" ALTER CONSTRAINT "Item_createdById_fkey" DEFERRABLE'
            in result.stderr)
    assert counts(psql, target)["Match"] == 0


def mapping_blocks():
    """The mapping file examples of docs/copy.md, TOML and JSON, as written there."""
    page = (ROOT / "docs" / "copy.md").read_text()
    return {lang: re.search(rf"```{lang}\n(.*?)```", page, re.S).group(1) for lang in ("toml", "json")}


@pytest.mark.parametrize("lang", ["toml", "json"])
def test_mapping_renames_tables_and_columns(tmp_path, database_url, psql, lang):
    """docs/copy.md's mapping examples: a renamed table and column, a column and a table left behind."""
    src = tmp_path / "legacy.db"
    db = sqlite3.connect(src)
    db.executescript("""
        CREATE TABLE legacy_user (id INTEGER PRIMARY KEY, full_name TEXT, password_md5 TEXT,
                                  joined DATETIME);
        INSERT INTO legacy_user VALUES (1, 'Ann', 'x', 1700000000123),
                                       (2, 'Bo', 'y', '2024-02-29 12:00:00');
        CREATE TABLE audit_scratch (id INTEGER PRIMARY KEY, note TEXT);
        INSERT INTO audit_scratch VALUES (1, 'not copied');
    """)
    db.commit()
    db.close()
    psql(database_url, 'CREATE TABLE "User" (id int PRIMARY KEY, name text NOT NULL, '
                       'joined timestamptz)')
    mapping = tmp_path / f"mapping.{lang}"
    mapping.write_text(mapping_blocks()[lang])
    result = run("--from", f"sqlite:{src}", "--to", database_url, "--mapping", str(mapping),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    assert report_of(result)["tables"][0]["verification"]["equal"]
    assert psql(database_url, "SET TimeZone = 'UTC'; SELECT string_agg(name || '@' || "
                              "joined::text, ',' ORDER BY id) FROM \"User\"").strip() == \
        "Ann@2023-11-14 22:13:20.123+00,Bo@2024-02-29 12:00:00+00"
    bad = tmp_path / "bad.toml"
    bad.write_text('[tables.legacy_user]\nrename = "User"\n')
    result = run("--from", f"sqlite:{src}", "--to", database_url, "--mapping", str(bad))
    assert result.returncode == 3 and f"{bad}:2:" in result.stderr and "rename" in result.stderr
    unmapped = run("--from", f"sqlite:{src}", "--to", database_url)
    assert unmapped.returncode == 3 and "legacy_user" in unmapped.stderr


def test_python_binding_releases_the_gil(game_db, target):
    import threading
    events, result, ticks = [], {}, [0]
    worker = threading.Thread(target=lambda: result.update(report=dbsafe.copy(
        game_db, to=target, tables=["Match"], progress=events.append)))
    worker.start()
    while worker.is_alive():
        ticks[0] += 1
        worker.join(0.001)
    report = result["report"]
    assert isinstance(report, dbsafe.CopyReport)
    jsonschema.Draft202012Validator(SCHEMA).validate(report.to_dict())
    assert report.ok and report.rows_copied == 20000 and not report.failures
    (match,) = report.tables
    assert (match.source, match.status, match.copied_rows) == ("Match", "copied", 20000)
    assert match.verification is not None and match.verification.equal
    assert match.verification.source_digest == match.verification.target_digest
    assert not report.unverified_tables
    assert ticks[0] > 10, "the main thread ran while the copy did"
    assert any(e["event"] == "copy-progress" and e["done"] for e in events)
    with pytest.raises(TypeError):
        dbsafe.copy(game_db, to=target, dry_run="yes")


def test_example_script(game_db, target, psql):
    """examples/python/copy.py, as docs/copy.md shows it: copy and verify from an ops script."""
    example = ROOT / "examples" / "python" / "copy.py"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "DATABASE_URL": target}
    run_ = subprocess.run([sys.executable, str(example), f"sqlite:{game_db}"],
                          capture_output=True, text=True, env=env)
    assert run_.returncode == 0, run_.stderr + run_.stdout
    assert "Player: " in run_.stdout and " rows/s)" in run_.stdout
    total = sum(counts(psql, target).values())
    assert run_.stdout.strip().endswith(f"ok: {total} rows into {len(TABLES)} tables")
