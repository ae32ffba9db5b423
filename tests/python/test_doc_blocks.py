"""Every fenced code block of README.md and docs/*.md runs in the tests, or
says why not. The line right before the opening fence is one of:

  <!-- run -->                  run here (below), every command must exit 0
  <!-- run: exit 0,1 (why) -->  ... or with one of these exit codes
  <!-- example: PATH -->        the block is the file PATH verbatim (checked
                                here); the tests of its surface run the file
  <!-- example: NAME -->        a named example a test extracts: some file
                                under tests/ names "example: NAME"
  <!-- checked-by: PATH -->     PATH (a test) runs or checks the block; it
                                must name the page
  <!-- not-run: REASON -->      not runnable, and why

An unmarked block fails. `run` blocks: sh/console through bash, one command
after another, in a sample project (examples/prisma-app with
tests/fixtures/flyway as db/migrations, a git repository with origin/main,
../shared -> the corpus) with the built `dbsafe` first on PATH and
DATABASE_URL naming a fresh database of the test server; js through node
with `require('dbsafe')` resolved to bindings/node; python through python3;
toml as a dbsafe.toml that `dbsafe check --config` accepts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARKER = re.compile(r"^<!-- (run|example|checked-by|not-run)(?::\s*(.*?))? -->$")


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    kind: str | None
    arg: str | None

    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    lines = page.read_text().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+|~~~+)(\S*)", lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(2)
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        indent = len(m.group(1))
        code = "\n".join(line[indent:] for line in lines[i + 1: j]) + "\n"
        marker = MARKER.match(lines[i - 1].strip()) if i > 0 else None
        out.append(Block(page, i + 1, m.group(3), code, marker.group(1) if marker else None,
                         marker.group(2) if marker else None))
        i = j + 1
    return out


ALL = [b for page in PAGES for b in blocks(page)]


def test_every_block_is_run_or_says_why_not():
    assert len(ALL) > 50, "the block scanner finds the pages' blocks"
    unmarked = [b.where() for b in ALL if b.kind is None]
    assert not unmarked, (
        "blocks neither run nor marked <!-- not-run: reason --> (see this file's docstring): "
        + ", ".join(unmarked))
    for b in ALL:
        if b.kind in ("not-run", "checked-by", "example"):
            assert b.arg and b.arg.strip(), f"{b.where()}: {b.kind} needs an argument"


def test_examples_are_the_files_verbatim():
    for b in ALL:
        if b.kind != "example":
            continue
        path = REPO / b.arg
        if path.is_file():
            assert path.read_text() == b.code, f"{b.where()}: differs from {b.arg}"
        else:
            named = [p for p in (REPO / "tests").rglob("*") if p.is_file() and p.suffix in (".py", ".js", ".sh")
                     and f"example: {b.arg}" in p.read_text(errors="replace")]
            assert named, f"{b.where()}: no file {b.arg}, and no test extracts 'example: {b.arg}'"


def test_checked_by_names_a_test_that_names_the_page():
    for b in ALL:
        if b.kind != "checked-by":
            continue
        for path in b.arg.split(","):
            test = REPO / path.strip()
            assert test.is_file(), f"{b.where()}: {path} does not exist"
            text = test.read_text()
            page = b.page.name
            assert page in text or (page == "README.md" and "README" in text), (
                f"{b.where()}: {path} does not mention {page}")


# --- running ---------------------------------------------------------------

RUN = [b for b in ALL if b.kind == "run"]


def cli() -> Path:
    for build in ("build", "build-clang"):
        if (REPO / build / "dbsafe").is_file():
            return REPO / build / "dbsafe"
    pytest.skip("no built dbsafe (build/dbsafe)")


@pytest.fixture
def project(tmp_path, database_url):
    root = tmp_path / "work"
    app = root / "app"
    shutil.copytree(REPO / "examples" / "prisma-app", app)
    shutil.copytree(REPO / "tests" / "fixtures" / "flyway", app / "db" / "migrations")
    corpus = REPO.parent / "shared"
    if corpus.is_dir():
        (root / "shared").symlink_to(corpus, target_is_directory=True)
    (app / "node_modules").mkdir()
    (app / "node_modules" / "dbsafe").symlink_to(REPO / "bindings" / "node", target_is_directory=True)
    git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "sample"],
                 ["update-ref", "refs/remotes/origin/main", "HEAD"]):
        subprocess.run([*git, *args], cwd=app, check=True, capture_output=True)
    env = {**os.environ, "PATH": f"{cli().parent}:{os.environ['PATH']}", "DATABASE_URL": database_url,
           "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("DIRECT_URL", None)
    env.setdefault("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    addon = REPO / "build" / "bindings" / "node" / "dbsafe.node"
    if "DBSAFE_NODE_ADDON" not in env and addon.is_file():
        env["DBSAFE_NODE_ADDON"] = str(addon)
    return app, env


def commands(code: str) -> list[str]:
    # One command per line; a trailing backslash continues it. Comments and
    # a "$ " prompt are dropped.
    out, current = [], ""
    for line in code.splitlines():
        line = re.sub(r"^\$ ", "", line)
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip() and not current.strip().startswith("#"):
            out.append(current)
        current = ""
    return out


@pytest.mark.parametrize("block", RUN, ids=[b.where() for b in RUN])
def test_run_block(block, project):
    app, env = project
    allowed = {0}
    if block.arg:
        m = re.match(r"exit ([\d,]+)", block.arg.strip())
        assert m, f"{block.where()}: run takes 'exit N,M', not {block.arg!r}"
        allowed = {int(x) for x in m.group(1).split(",")}
    if block.lang in ("sh", "bash", "console", "shell"):
        for command in commands(block.code):
            r = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=app, env=env,
                               capture_output=True, text=True, timeout=300)
            assert r.returncode in allowed, (
                f"{block.where()}: `{command}` exited {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    elif block.lang in ("js", "javascript", "mjs"):
        ext = ".mjs" if re.search(r"^import ", block.code, re.M) else ".cjs"
        script = app / f"block{ext}"
        script.write_text(block.code)
        r = subprocess.run(["node", str(script)], cwd=app, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode in allowed, f"{block.where()}: exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    elif block.lang == "python":
        r = subprocess.run([sys.executable, "-c", block.code], cwd=app, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode in allowed, f"{block.where()}: exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    elif block.lang == "toml":
        config = app / "dbsafe.toml"
        config.write_text(block.code)
        r = subprocess.run([str(cli()), "check", "--config", str(config), "prisma/migrations"], cwd=app, env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode in allowed | {0, 1}, f"{block.where()}: dbsafe check --config: {r.stderr}"
    else:
        pytest.fail(f"{block.where()}: cannot run a {block.lang or 'plain'} block; mark it not-run or checked-by")
