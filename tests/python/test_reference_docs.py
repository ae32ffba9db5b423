"""The reference pages say what the code does: docs/errors.md against
dbsafe.h, the Node and Python bindings and the CLI's exit codes;
docs/environment.md against every environment variable the sources read;
docs/reports.md against docs/schema and the tests that validate each schema;
docs/C_API.md, docs/cpp.md and docs/python.md against the functions they
document (tests/node/docs.test.js does docs/node.md)."""

from __future__ import annotations

import re
from pathlib import Path

import dbsafe
from dbsafe import errors

REPO = Path(__file__).resolve().parents[2]


def table_rows(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def first_code(cell: str) -> str:
    m = re.search(r"`([^`]+)`", cell)
    assert m, cell
    return m.group(1)


def c_statuses() -> dict[str, int]:
    text = (REPO / "include" / "dbsafe" / "c" / "common.h").read_text()
    return {name: int(value) for name, value in re.findall(r"\b(DBSAFE_E\w+|DBSAFE_ERROR)\s*=\s*(-\d+)", text)}


def node_classes() -> dict[str, str]:
    text = (REPO / "bindings" / "node" / "index.js").read_text()
    return dict(re.findall(r"\[Status\.(DBSAFE_\w+), (\w+)\]", text))


def cli_exit_codes() -> dict[int, int]:
    hpp = (REPO / "cli" / "exit_codes.hpp").read_text()
    values = {name: int(v) for name, v in re.findall(r"\b(kExit\w+) = (\d+)", hpp)}
    enum = (REPO / "include" / "dbsafe" / "error.hpp").read_text()
    codes = {name: int(v) for name, v in re.findall(r"^\s+(\w+) = (-?\d+),?$", enum, re.M)}
    body = hpp[hpp.index("exit_code_for"):]
    out: dict[int, int] = {}
    pending: list[str] = []
    for case, ret in re.findall(r"case ErrorCode::(\w+):|return (kExit\w+);", body):
        if case:
            pending.append(case)
        else:
            for name in pending:
                out[codes[name]] = values[ret]
            pending = []
    return out


def test_the_error_table_matches_the_code():
    rows = table_rows((REPO / "docs" / "errors.md").read_text(), "| status | C name |")
    statuses = c_statuses()
    assert len(statuses) == 14, statuses
    assert [first_code(r[1]) for r in rows] == sorted(statuses, key=lambda n: -statuses[n]), (
        "one row per status, in order")
    node = node_classes()
    exits = cli_exit_codes()
    for status, name, _meaning, node_cls, py_cls, exit_code in rows:
        name = first_code(name)
        assert int(status) == statuses[name], name
        assert first_code(node_cls) == node[name], name
        py = errors.error_class(name)
        assert first_code(py_cls) == py.__name__, name
        for base in re.findall(r"also (?:a |an |the built-in )?`(\w+)`", py_cls):
            assert any(b.__name__ == base for b in py.__mro__[1:]), (name, base)
        assert int(exit_code) == exits[statuses[name]], name


def test_the_error_accessors_match_the_error_json_schema():
    import json

    schema = json.loads((REPO / "docs" / "schema" / "error.v1.json").read_text())
    rows = table_rows((REPO / "docs" / "errors.md").read_text(), "| C accessor |")
    documented = {key for r in rows for key in re.findall(r"`(\w+)`", r[1])}
    assert documented == set(schema["properties"]) - {"schema_version"}
    err = dbsafe.Error("x")
    for r in rows:
        for attr in re.findall(r"`(\w+)`", r[3]):
            assert hasattr(err, attr), attr


# Lines that read the environment: a getenv call, or one of the helpers that
# wrap it (env, env_or, env_or_empty, pick), or a loop over variable names.
ENV_LINE = re.compile(r"getenv|\benv(_or(_empty)?)?\(|\bpick\(|for \(const char \*\w+ : \{|database_url\(")
NAME = re.compile(r'"([A-Z][A-Z0-9_]{2,}|[a-z]+_proxy)"')


def variables_read() -> set[str]:
    names: set[str] = set()
    for top in ("lib", "cli", "capi"):
        for path in (REPO / top).rglob("*.[ch]pp"):
            for line in path.read_text().splitlines():
                if ENV_LINE.search(line):
                    names |= set(NAME.findall(line))
    for path in [*(REPO / "bindings" / "node").glob("*.js"), *(REPO / "bindings" / "node" / "scripts").glob("*.js"),
                 *(REPO / "bindings" / "node" / "bin").glob("*.js")]:
        names |= set(re.findall(r"process\.env\.([A-Z][A-Z0-9_]+)", path.read_text()))
    for path in [*(REPO / "bindings" / "python" / "dbsafe").glob("*.py"), REPO / "bindings" / "python" / "setup.py"]:
        names |= set(re.findall(r"environ(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    return names


def test_every_environment_variable_read_is_documented():
    names = variables_read()
    # The scan finds what it should (so an empty result cannot pass).
    assert {"DATABASE_URL", "NEON_API_KEY", "PG_BINDIR", "DBSAFE_NODE_ADDON", "DBSAFE_SOURCE_DIR"} <= names
    doc = (REPO / "docs" / "environment.md").read_text()
    documented = set(re.findall(r"`([A-Za-z][A-Za-z0-9_]*)`", doc))
    missing = sorted(names - documented)
    assert not missing, f"read by dbsafe but not in docs/environment.md: {missing}"


def test_reports_md_lists_every_schema_and_where_it_is_validated():
    rows = table_rows((REPO / "docs" / "reports.md").read_text(), "| schema | document |")
    listed = {first_code(r[0]): first_code(r[3]) for r in rows}
    on_disk = {p.name for p in (REPO / "docs" / "schema").glob("*.json")}
    assert set(listed) == on_disk
    for schema, test in listed.items():
        assert schema in (REPO / test).read_text(), f"{test} does not validate against {schema}"


def exported_functions() -> list[str]:
    text = (REPO / "capi" / "exports.map").read_text()
    return re.findall(r"^\s+(dbsafe_[a-z0-9_]+);", text, re.M)


def test_c_api_md_names_every_exported_function():
    exported = exported_functions()
    named: set[str] = set()
    for line in (REPO / "docs" / "C_API.md").read_text().splitlines():
        tokens = re.findall(r"`(dbsafe_\w+\*?|_\w+)`", line)
        prefix = ""
        for token in tokens:
            if token.endswith("*"):
                named |= {f for f in exported if f.startswith(token[:-1])}
            elif token.startswith("dbsafe_"):
                named.add(token)
                prefix = token
            elif prefix:
                # "`dbsafe_cancel_new`, `_request`": the shortest prefix of the
                # first name that makes an exported function.
                parts = prefix.split("_")
                for i in range(len(parts) - 1, 1, -1):
                    if "_".join(parts[:i]) + token in exported:
                        named.add("_".join(parts[:i]) + token)
                        break
    missing = [f for f in exported if f not in named]
    assert not missing, f"docs/C_API.md does not mention {missing}"


def test_python_md_names_every_export_and_provider_method():
    doc = (REPO / "docs" / "python.md").read_text()
    named = set(re.findall(r"\b\w+\b", " ".join(re.findall(r"`([^`]+)`", doc))))
    missing = [n for n in dbsafe.__all__ if n not in named]
    missing += [m for m in dir(dbsafe.Provider) if not m.startswith("_") and m not in named]
    assert not missing, f"docs/python.md does not mention {missing}"


def test_cpp_md_names_every_function_of_the_cpp_api():
    names: set[str] = set()
    for header in (REPO / "include" / "dbsafe").glob("*.hpp"):
        text = header.read_text()
        # Free functions: "DBSAFE_CXX_API <type> name(" possibly over lines.
        for decl in re.findall(r"^DBSAFE_CXX_API\s+(?!struct|class)([^;{]*?)\(", text, re.M):
            names.add(re.findall(r"(\w+)\s*$", decl)[0])
        # The Provider handle's methods.
        if header.name == "provider.hpp":
            body = text[text.index("class DBSAFE_CXX_API Provider"):]
            body = body[: body.index("\n};")]
            names |= set(re.findall(r"\b([a-z_]+)\(", body)) - {"override"}
    assert {"check", "deploy", "schema_diff", "create_backup", "list_branches"} <= names
    doc = (REPO / "docs" / "cpp.md").read_text()
    named = set(re.findall(r"\w+", " ".join(re.findall(r"`([^`]+)`", doc))))
    missing = sorted(names - named)
    assert not missing, f"docs/cpp.md does not mention {missing}"
