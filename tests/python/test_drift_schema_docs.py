"""The schema model, the diff report and the verify report validate against
the JSON Schemas in docs/schema, on real output of the CLI (the same JSON
every surface returns), and the examples of docs/drift.md are the files in
examples/, which run. The database tests need DBSAFE_TEST_DATABASE_URL (a
server whose role may create databases: the shadow databases go there)."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("DBSAFE_CLI", REPO / "build" / "dbsafe"))
SCHEMAS = ["schema-model.v1.json", "diff-report.v1.json", "verify-report.v1.json"]

needs_database = pytest.mark.skipif(
    not os.environ.get("DBSAFE_TEST_DATABASE_URL"), reason="needs DBSAFE_TEST_DATABASE_URL")

# A Prisma project with an enum, a foreign key, an index, a view, a
# function, a trigger, a policy and comments.
MIGRATIONS = {
    "20240101000000_init": (
        'CREATE TYPE "Role" AS ENUM (\'USER\', \'ADMIN\');\n'
        'CREATE TABLE "User" (id SERIAL PRIMARY KEY, email TEXT NOT NULL, '
        'role "Role" NOT NULL DEFAULT \'USER\');\n'
        'CREATE UNIQUE INDEX "User_email_key" ON "User"(email);\n'
        "COMMENT ON TABLE \"User\" IS 'people';\n"
    ),
    "20240201000000_posts": (
        'CREATE TABLE "Post" (id SERIAL PRIMARY KEY, title VARCHAR(200) NOT NULL, '
        '"authorId" INTEGER NOT NULL);\n'
        'CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");\n'
        'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") '
        'REFERENCES "User"(id) ON DELETE RESTRICT ON UPDATE CASCADE;\n'
        'CREATE VIEW "PostCount" AS SELECT "authorId", count(*) AS n FROM "Post" GROUP BY 1;\n'
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
        'CREATE TRIGGER post_touch BEFORE UPDATE ON "Post" FOR EACH ROW EXECUTE FUNCTION touch();\n'
        'ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY;\n'
        'CREATE POLICY readall ON "Post" FOR SELECT USING (true);\n'
    ),
}

# Every other kind of object the model holds or lists as unsupported.
RICH = """
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the app';
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.posint AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE SEQUENCE app.counter AS integer START 10 INCREMENT 5 MAXVALUE 1000 CYCLE;
CREATE TABLE app.person (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100) PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  mood app.mood DEFAULT 'ok',
  moods app.mood[],
  score app.posint,
  doubled integer GENERATED ALWAYS AS (score * 2) STORED
) WITH (fillfactor = 70);
COMMENT ON COLUMN app.person.name IS 'full name';
CREATE UNLOGGED TABLE app.scratch (k text);
CREATE TABLE app.event (id bigint, at date NOT NULL,
  person_id bigint REFERENCES app.person(id)) PARTITION BY RANGE (at);
CREATE TABLE app.event_2024 PARTITION OF app.event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX event_at ON app.event (at);
CREATE VIEW app.happy AS SELECT id, name FROM app.person WHERE mood = 'happy' WITH CASCADED CHECK OPTION;
CREATE MATERIALIZED VIEW app.counts AS SELECT mood, count(*) AS n FROM app.person GROUP BY mood WITH NO DATA;
CREATE FUNCTION app.label(p app.person) RETURNS text LANGUAGE sql AS $$ SELECT p.name $$;
CREATE PROCEDURE app.noop(n integer) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER person_touch BEFORE UPDATE ON app.person FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.person DISABLE TRIGGER person_touch;
ALTER TABLE app.person ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.person FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON app.person AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (true) WITH CHECK (score > 0);
CREATE AGGREGATE app.my_sum(integer) (SFUNC = int4pl, STYPE = integer);
CREATE TABLE app.parent (x int);
CREATE TABLE app.child (y int) INHERITS (app.parent);
CREATE RULE r AS ON INSERT TO app.scratch DO INSTEAD NOTHING;
CREATE SEQUENCE app.owned;
ALTER SEQUENCE app.owned OWNED BY app.scratch.k;
"""

UNREACHABLE = "postgresql://u:pw@127.0.0.1:1/db?connect_timeout=2"


def validator(name):
    return jsonschema.Draft202012Validator(json.loads((REPO / "docs/schema" / name).read_text()))


def run(*args, **kwargs):
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, **kwargs)


def run_json(expected_exit, *args):
    out = run(*args, "--format", "json", "-q")
    assert out.returncode == expected_exit, out.stderr
    return json.loads(out.stdout)


def run_example(argv, database_url, **kwargs):
    """Runs an example with DATABASE_URL (and no DIRECT_URL) set."""
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL", "DATABASE_URL")}
    env.update(kwargs.pop("env", {}), DATABASE_URL=database_url)
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env, **kwargs)


def write_migrations(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, sql in MIGRATIONS.items():
        (root / name).mkdir()
        (root / name / "migration.sql").write_text(sql)
    return root


@pytest.fixture
def deployed(database_url, tmp_path):
    """(database URL, migration directory) with every migration applied."""
    root = write_migrations(tmp_path / "prisma" / "migrations")
    out = run("migrate", "deploy", "--database-url", database_url, "--migrations", str(root), "-q")
    assert out.returncode == 0, out.stderr
    return database_url, root


def drifted(psql, url):
    """Drift of several kinds: a column added by hand, an index dropped, an
    enum value added, a foreign key left NOT VALID, an INVALID index."""
    psql(url, 'ALTER TABLE "User" ADD COLUMN nickname text;\n'
              'DROP INDEX "Post_authorId_idx";\n'
              "ALTER TYPE \"Role\" ADD VALUE 'GUEST';\n"
              'ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\n'
              'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") '
              'REFERENCES "User"(id) ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID;\n'
              "INSERT INTO \"User\" (email) VALUES ('a'), ('b');\n"
              'UPDATE "User" SET nickname = \'same\';\n')
    # A unique build that fails leaves an INVALID index behind.
    psql(url, 'CREATE UNIQUE INDEX CONCURRENTLY "User_nickname_key" ON "User"(nickname);', check=False)


# --- without a database -----------------------------------------------------


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_schemas_are_valid_json_schemas(name):
    jsonschema.Draft202012Validator.check_schema(json.loads((REPO / "docs/schema" / name).read_text()))


def test_drift_md_shows_the_example_files_verbatim():
    text = (REPO / "docs" / "drift.md").read_text()
    examples = re.findall(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", text, re.S)
    assert {path for path, _ in examples} == {
        "examples/cpp/drift_check.cpp",
        "examples/c/drift_check.c",
        "examples/node/drift.js",
        "examples/python/drift.py",
    }
    for path, code in examples:
        assert (REPO / path).read_text() == code, f"docs/drift.md block differs from {path}"


def test_the_empty_model_validates():
    out = run("schema", "render", "empty", "--format", "json", "-q")
    assert out.returncode == 0, out.stderr
    model = json.loads(out.stdout)
    validator("schema-model.v1.json").validate(model)
    assert model["server_version_num"] == 0
    assert model["schemas"] == [{"name": "public", "comment": "standard public schema"}]


# --- with a database --------------------------------------------------------


@needs_database
def test_models_of_a_live_database_and_of_migrations_validate(deployed, psql, tmp_path, pg_server_url):
    url, root = deployed
    psql(url, RICH)
    model = run_json(0, "schema", "dump", url)
    validator("schema-model.v1.json").validate(model)
    assert "aggregate app.my_sum(integer)" in model["unsupported"]
    assert "inheritance app.child INHERITS app.parent" in model["unsupported"]
    assert {t["name"] for t in model["tables"]} >= {"User", "Post", "person", "event_2024"}
    assert all(t["name"] != "_prisma_migrations" for t in model["tables"])

    with_history = run_json(0, "schema", "dump", url, "--include-history")
    validator("schema-model.v1.json").validate(with_history)
    assert any(t["name"] == "_prisma_migrations" for t in with_history["tables"])

    rendered = run_json(0, "schema", "render", f"migrations:{root}", "--server-url", pg_server_url)
    validator("schema-model.v1.json").validate(rendered)

    # A saved model is a diff source: the database against itself is no change.
    saved = tmp_path / "schema.json"
    saved.write_text(json.dumps(model))
    same = run_json(0, "diff", "--from", str(saved), "--to", f"url:{url}")
    validator("diff-report.v1.json").validate(same)
    assert same["drift"] is False and same["sql"] == ""


@needs_database
def test_drift_reports_validate(deployed, psql):
    url, root = deployed
    clean = run_json(0, "drift", "--database-url", url, "--migrations", str(root))
    validator("diff-report.v1.json").validate(clean)
    assert clean["kind"] == "drift" and clean["drift"] is False and clean["changes"] == []

    drifted(psql, url)
    psql(url, "CREATE AGGREGATE my_sum(integer) (SFUNC = int4pl, STYPE = integer);")
    found = run_json(1, "drift", "--database-url", url, "--migrations", str(root))
    validator("diff-report.v1.json").validate(found)
    assert found["drift"] is True
    assert found["summary"]["changes"] == len(found["changes"])
    assert found["summary"]["destructive"] >= 1
    assert found["findings"], "the reconcile SQL is judged by the risk rules"
    assert all(f["file"] == "reconcile" for f in found["findings"])
    types = {(c["action"], c["object_type"]) for c in found["changes"]}
    assert ("drop", "column") in types and ("create", "index") in types
    assert ("alter", "enum") in types  # GUEST is not in the migrations: the type is rebuilt
    assert ("alter", "foreign key") in types  # VALIDATE CONSTRAINT
    assert any("not modelled by dbsafe" in w for w in found["warnings"])


@needs_database
def test_diff_reports_validate(deployed, pg_server_url, tmp_path):
    url, root = deployed
    from_empty = run_json(1, "diff", "--from", "empty", "--to", f"migrations:{root}",
                          "--server-url", pg_server_url)
    validator("diff-report.v1.json").validate(from_empty)
    assert from_empty["kind"] == "diff" and from_empty["from"] == "empty"

    # A column renamed in a new migration: a warning names the --rename hint;
    # an enum value added becomes ADD VALUE and the SQL says how to run it.
    later = tmp_path / "later"
    shutil.copytree(root, later)
    (later / "20240301000000_rename").mkdir()
    (later / "20240301000000_rename" / "migration.sql").write_text(
        'ALTER TABLE "User" RENAME COLUMN email TO mail;\n'
        "ALTER TYPE \"Role\" ADD VALUE 'GUEST';\n")
    guessed = run_json(1, "diff", "--from", f"url:{url}", "--to", f"migrations:{later}",
                       "--server-url", pg_server_url)
    validator("diff-report.v1.json").validate(guessed)
    assert any("--rename 'column public.User.email=mail'" in w for w in guessed["warnings"])
    assert "run it statement by statement (psql -f)" in guessed["sql"]
    hinted = run_json(1, "diff", "--from", f"url:{url}", "--to", f"migrations:{later}",
                      "--server-url", pg_server_url, "--rename", "column public.User.email=mail")
    validator("diff-report.v1.json").validate(hinted)
    assert hinted["changes"][0]["action"] == "rename"


@needs_database
def test_verify_reports_validate(deployed, psql):
    url, root = deployed
    ok = run_json(0, "verify", "--database-url", url, "--migrations", str(root))
    validator("verify-report.v1.json").validate(ok)
    assert ok["ok"] is True and ok["checked"]["tables"] == 2

    drifted(psql, url)
    bad = run_json(1, "verify", "--database-url", url, "--migrations", str(root))
    validator("verify-report.v1.json").validate(bad)
    problems = {(p["object"], p["problem"]) for p in bad["problems"]}
    assert ("public.Post_authorId_idx", "missing") in problems
    assert ("public.Post.Post_authorId_fkey", "not valid") in problems
    assert ("public.User_nickname_key", "invalid") in problems


@needs_database
def test_python_drift_example_runs(deployed, psql):
    url, root = deployed
    example = [sys.executable, REPO / "examples/python/drift.py", root]
    clean = run_example(example, url)
    assert (clean.returncode, clean.stdout) == (0, "no drift\n"), clean.stderr
    psql(url, 'ALTER TABLE "User" ADD COLUMN nickname text;')
    found = run_example(example, url)
    assert found.returncode == 1, found.stderr
    assert "! column public.User.nickname is not expected" in found.stdout
    assert 'ALTER TABLE "public"."User" DROP COLUMN "nickname";' in found.stdout
    gone = run_example(example, UNREACHABLE)
    assert gone.returncode == 4 and gone.stderr.startswith("DBSAFE_ECONNECT: ")
    missing = run_example(example[:2] + [root.parent / "nope"], url)
    assert missing.returncode == 3 and missing.stderr.startswith("DBSAFE_ENOTFOUND: ")


def node_addon():
    """The addon for the Node example: DBSAFE_NODE_ADDON, else the one built
    beside the CLI (as scripts/test passes it to node --test), else npm's."""
    if os.environ.get("DBSAFE_NODE_ADDON"):
        return Path(os.environ["DBSAFE_NODE_ADDON"]).resolve()
    for candidate in (CLI.resolve().parent / "bindings/node/dbsafe.node",
                      REPO / "bindings/node/build/Release/dbsafe.node"):
        if candidate.exists():
            return candidate
    return None


@needs_database
def test_node_drift_example_runs(deployed, psql, tmp_path):
    node, addon = shutil.which("node"), node_addon()
    if node is None or addon is None:
        pytest.skip("needs node and a built addon")
    url, root = deployed
    project = tmp_path / "app"
    (project / "node_modules").mkdir(parents=True)
    (project / "node_modules" / "dbsafe").symlink_to(REPO / "bindings" / "node")
    script = project / "drift.js"
    shutil.copy(REPO / "examples/node/drift.js", script)
    env = {"DBSAFE_NODE_ADDON": str(addon)}
    clean = run_example([node, script, root], url, env=env, cwd=project)
    assert (clean.returncode, clean.stdout) == (0, "no drift\n"), clean.stderr
    psql(url, 'DROP INDEX "Post_authorId_idx";')
    found = run_example([node, script, root], url, env=env, cwd=project)
    assert found.returncode == 1, found.stderr
    assert "- index public.Post_authorId_idx is missing" in found.stdout
    assert 'CREATE INDEX "Post_authorId_idx"' in found.stdout


@needs_database
@pytest.mark.parametrize("source, compiler, flags", [
    ("examples/c/drift_check.c", "cc", ["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"]),
    ("examples/cpp/drift_check.cpp", "c++", ["-std=c++20", "-Wall", "-Wextra", "-Werror"]),
])
def test_native_drift_examples_run(deployed, psql, tmp_path, source, compiler, flags):
    libdir = CLI.resolve().parent
    if shutil.which(compiler) is None or not (libdir / "libdbsafe.so").exists():
        pytest.skip(f"needs {compiler} and {libdir}/libdbsafe.so")
    url, root = deployed
    binary = tmp_path / "drift_check"
    subprocess.run([compiler, *flags, str(REPO / source), f"-I{REPO / 'include'}", f"-L{libdir}", "-ldbsafe",
                    f"-Wl,-rpath,{libdir}", "-o", str(binary)], check=True)
    clean = run_example([binary, root], url)
    assert clean.returncode == 0, clean.stderr
    psql(url, 'ALTER TABLE "User" ADD COLUMN nickname text;')
    found = run_example([binary, root], url)
    assert found.returncode == 1, found.stderr
    if source.endswith(".c"):
        validator("diff-report.v1.json").validate(json.loads(found.stdout))
    else:
        assert "! column public.User.nickname is not expected" in found.stdout
    gone = run_example([binary, root], UNREACHABLE)
    assert gone.returncode == 4, gone.stderr
