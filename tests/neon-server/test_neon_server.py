"""Tests of the Neon API v2 test server (tests/neon-server).

Run from the repository root:

    /usr/bin/python3 -m pytest tests/neon-server -q

The session starts scripts/neon-test-server, which starts its own WAL-archiving
cluster through scripts/pg-throwaway (point-in-time restore needs the archive).
The --database-url mode is tested against DBSAFE_TEST_DATABASE_URL when set,
else against a second throwaway cluster. Every JSON response the client sees is
validated against openapi.yaml. The neonctl tests need
`npm install --ignore-scripts` in tests/neon-server (they skip otherwise).
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SPEC_PATH = REPO_ROOT.parent / "shared" / "neon-api" / "openapi.yaml"
LAUNCHER = REPO_ROOT / "scripts" / "neon-test-server"
NEONCTL = HERE / "node_modules" / "neonctl" / "bin" / "cli.js"

sys.path.insert(0, str(HERE))
from openapi_check import OpenApi  # noqa: E402

VALIDATED: set[tuple[str, int]] = set()


def find_psql() -> str:
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"), reverse=True):
        return str(cand)
    found = shutil.which("psql")
    assert found, "psql is needed (install postgresql-client)"
    return found


PSQL = find_psql()


def psql(url: str, sql: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    proc = subprocess.run([PSQL, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
                           "-c", sql], capture_output=True, text=True, env=env, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"psql failed: {proc.stderr.strip()}")
    return proc


def rows(url: str, sql: str) -> list[str]:
    out = psql(url, sql).stdout.strip()
    return out.splitlines() if out else []


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Server processes


class ServerProcess:
    """scripts/neon-test-server in the background; .env holds its NAME=VALUE lines."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([str(LAUNCHER), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: os.nice(5))
        self.env: dict[str, str] = {}
        self.stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.monotonic() + 180
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            key, _, value = line.strip().partition("=")
            self.env[key] = value
            if key == "NEON_TEST_SERVER_READY":
                return
        self.stop()
        raise AssertionError("the server did not become ready:\n" + "".join(self.stderr[-40:]))

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Response:
    def __init__(self, status: int, headers, raw: bytes):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.json = json.loads(raw) if raw else None

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.raw[:300]!r}>"


class Client:
    """A keep-alive HTTPS client that validates every /api/v2 response against openapi.yaml."""

    def __init__(self, env: dict[str, str], spec: OpenApi, key: str | None = None):
        url = urlsplit(env["NEON_API_HOST"])
        self.host, self.port, self.base = url.hostname, url.port, url.path
        self.key = env["NEON_API_KEY"] if key is None else key
        self.project = env["NEON_PROJECT_ID"]
        self.spec = spec
        self.ctx = ssl.create_default_context(cafile=env["NEON_CA_FILE"])
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=120)

    def request(self, method: str, path: str, body=None, query: dict | None = None,
                headers: dict | None = None, auth: bool = True, validate: bool = True,
                raw_path: bool = False) -> Response:
        full = path if raw_path else self.base + path
        if query:
            full += "?" + urlencode(query)
        hdrs = {"Accept": "application/json"}
        if auth:
            hdrs["Authorization"] = f"Bearer {self.key}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in (1, 2):
            try:
                self.conn.request(method, full, body=payload, headers=hdrs)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A server-side close of an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = self._connect()
                if attempt == 2:
                    raise
        if resp.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = self._connect()
        result = Response(resp.status, resp, raw)
        if validate and not raw_path:
            self.check(method, path, result)
        return result

    def check(self, method: str, path: str, resp: Response) -> None:
        assert resp.headers.getheader("X-Neon-Ret-Request-Id"), "missing X-Neon-Ret-Request-Id"
        if resp.raw:
            assert resp.headers.getheader("Content-Type") == "application/json; charset=utf-8"
        op_id = self.spec.validate(method, path, resp.status, resp.json)
        VALIDATED.add((op_id, resp.status))
        if resp.status >= 400:
            assert resp.json["request_id"] == resp.headers.getheader("X-Neon-Ret-Request-Id")

    # conveniences ---------------------------------------------------------------

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    @property
    def p(self) -> str:
        return f"/projects/{self.project}"

    def ok(self, resp: Response, status: int = 200) -> dict:
        assert resp.status == status, resp
        return resp.json

    def wait_ops(self, ops: list[dict], timeout: float = 120) -> list[dict]:
        """Poll each operation until it leaves scheduling/running; return the final ones."""
        final = []
        deadline = time.monotonic() + timeout
        for op in ops:
            while True:
                got = self.ok(self.get(f"{self.p}/operations/{op['id']}"))["operation"]
                if got["status"] not in ("scheduling", "running", "cancelling"):
                    final.append(got)
                    break
                assert time.monotonic() < deadline, f"operation {op['id']} still {got['status']}"
                time.sleep(0.05)
        return final

    def wait_idle(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            ops = self.ok(self.get(f"{self.p}/operations", query={"limit": 50}))["operations"]
            if not any(o["status"] in ("scheduling", "running") for o in ops):
                return
            assert time.monotonic() < deadline, "operations still running"
            time.sleep(0.05)

    def branches(self) -> dict[str, dict]:
        return {b["name"]: b for b in self.ok(self.get(f"{self.p}/branches"))["branches"]}

    def uri(self, branch_id: str, pooled: bool = False) -> str:
        return self.ok(self.get(f"{self.p}/connection_uri", query={
            "branch_id": branch_id, "database_name": "neondb", "role_name": "neondb_owner",
            "pooled": str(pooled).lower()}))["uri"]

    def create_branch(self, wait: bool = True, **branch) -> dict:
        body = {"branch": branch, "endpoints": [{"type": "read_write"}]}
        doc = self.ok(self.post(f"{self.p}/branches", body), 201)
        if wait:
            assert all(o["status"] == "finished" for o in self.wait_ops(doc["operations"]))
        return doc

    def delete_branch(self, branch_id: str) -> None:
        doc = self.ok(self.delete(f"{self.p}/branches/{branch_id}"))
        self.wait_ops(doc["operations"])

    def admin(self, method: str, what: str, body=None) -> dict:
        resp = self.request(method, f"/__admin/{what}", body=body, raw_path=True, auth=False)
        assert resp.status == 200, resp
        return resp.json


@pytest.fixture(scope="session")
def spec() -> OpenApi:
    assert SPEC_PATH.exists(), f"missing {SPEC_PATH}"
    return OpenApi(SPEC_PATH)


@pytest.fixture(scope="session")
def server():
    srv = ServerProcess("--operation-delay-ms", "150", "--rate-limit", "500")
    yield srv
    rc = srv.stop()
    if os.environ.get("NEON_TEST_SERVER_LOG"):  # debugging: show the server's own log
        sys.stdout.write("".join(srv.stderr))
    assert rc == 0, "".join(srv.stderr[-30:])
    assert not Path(srv.env["NEON_STATE_DIR"]).exists(), "the temporary state dir was not removed"


@pytest.fixture(scope="session")
def client(server, spec) -> Client:
    return Client(server.env, spec)


@pytest.fixture(autouse=True)
def clean_slate(request):
    """Before each test using the server: no faults, no running operations."""
    if "client" in request.fixturenames:
        c = request.getfixturevalue("client")
        c.admin("DELETE", "faults")
        c.wait_idle()
    yield


@pytest.fixture
def main(client) -> dict:
    return client.branches()["main"]


@pytest.fixture
def table_in_main(client, main):
    """A fresh table `items` in main holding ('a', 'b'); dropped afterwards."""
    url = client.uri(main["id"])
    psql(url, "DROP TABLE IF EXISTS items; CREATE TABLE items (v text); "
              "INSERT INTO items VALUES ('a'), ('b')")
    yield url
    current = client.branches()["main"]
    psql(client.uri(current["id"]), "DROP TABLE IF EXISTS items")


# ---------------------------------------------------------------------------
# Transport, auth, errors


def test_ready_lines_and_tls(server, client):
    env = server.env
    assert env["NEON_API_HOST"].startswith("https://127.0.0.1:")
    assert env["NEON_API_HOST"].endswith("/api/v2")
    assert Path(env["NEON_CA_FILE"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert env["NEON_API_KEY"] and env["NEON_PROJECT_ID"] == "test-project-123456"
    # Keep-alive: two requests, one TLS connection.
    client.get(client.p)
    sock = client.conn.sock
    client.get(client.p)
    assert client.conn.sock is sock
    # The key never reaches the log.
    assert not any(env["NEON_API_KEY"] in line for line in server.stderr)


def test_auth_is_required(client, spec, server):
    for headers, key in (({}, None), ({}, "napi_wrong"), ({"Authorization": "Basic abc"}, None)):
        c = Client(server.env, spec, key=key) if key else client
        resp = c.request("GET", c.p, headers=headers, auth=bool(key))
        assert resp.status == 401, resp
        assert resp.json["code"] == "" and "API key" in resp.json["message"]
    resp = client.get(client.p, headers={"X-Request-ID": "my-request-42"})
    assert resp.headers.getheader("X-Neon-Ret-Request-Id") == "my-request-42"
    resp = client.get(client.p + "/branches/br-missing-123")
    assert resp.status == 404 and resp.json["request_id"]


def test_projects_and_gzip(client):
    project = client.ok(client.get(client.p))["project"]
    assert project["id"] == client.project and project["pg_version"] >= 14
    listing = client.ok(client.get("/projects", query={"limit": 5}))
    assert [p["id"] for p in listing["projects"]] == [client.project]
    nxt = client.ok(client.get("/projects", query={"cursor": listing["pagination"]["cursor"]}))
    assert nxt["projects"] == []
    resp = client.get(client.p, headers={"Accept-Encoding": "gzip"})
    assert resp.headers.getheader("Content-Encoding") == "gzip"
    assert resp.json["project"]["id"] == client.project


def test_decode_errors_are_400(client, main):
    resp = client.patch(f"{client.p}/branches/{main['id']}", {"name": "x"})
    assert resp.status == 400 and "branch (field required)" in resp.json["message"]
    resp = client.post(f"{client.p}/branches/{main['id']}/restore", {})
    assert resp.status == 400 and "source_branch_id" in resp.json["message"]
    resp = client.request("POST", f"{client.p}/branches", headers={"Content-Type": "application/json"},
                          body=None)
    assert resp.status in (201,), resp  # no body is allowed: a branch from the default one
    client.wait_ops(resp.json["operations"])
    client.delete_branch(resp.json["branch"]["id"])
    client.conn.request("POST", client.base + client.p + "/branches", body=b"{not json",
                        headers={"Authorization": f"Bearer {client.key}"})
    r = client.conn.getresponse()
    body = json.loads(r.read())
    assert r.status == 400 and body["message"].startswith("invalid request: decode application/json")
    # Methods the API does not have still get a JSON error, never an HTML page.
    client.conn.request("OPTIONS", client.base + client.p, headers={"Authorization": f"Bearer {client.key}"})
    r = client.conn.getresponse()
    assert r.status == 405 and json.loads(r.read())["code"] == ""
    assert r.getheader("Content-Type") == "application/json; charset=utf-8"


# ---------------------------------------------------------------------------
# Branches


def test_default_branch_and_connection_uri(client, main):
    assert main["default"] is True and main["current_state"] == "ready"
    endpoints = client.ok(client.get(f"{client.p}/branches/{main['id']}/endpoints"))["endpoints"]
    assert len(endpoints) == 1 and endpoints[0]["type"] == "read_write"
    assert endpoints[0]["current_state"] == "active" and endpoints[0]["id"].startswith("ep-")
    dbs = client.ok(client.get(f"{client.p}/branches/{main['id']}/databases"))["databases"]
    assert [(d["name"], d["owner_name"]) for d in dbs] == [("neondb", "neondb_owner")]
    roles = client.ok(client.get(f"{client.p}/branches/{main['id']}/roles"))["roles"]
    assert [r["name"] for r in roles] == ["neondb_owner"]
    password = client.ok(client.get(
        f"{client.p}/branches/{main['id']}/roles/neondb_owner/reveal_password"))["password"]
    uri = client.uri(main["id"])
    assert uri.startswith(f"postgresql://neondb_owner:{password}@127.0.0.1:")
    assert uri.endswith("?sslmode=require&channel_binding=require")
    out = rows(uri, "SELECT current_user, current_database(), ssl FROM pg_stat_ssl "
                    "WHERE pid = pg_backend_pid()")
    assert out == [f"neondb_owner|neon_{main['id']}_neondb|t"]
    # The role really has this password: a wrong one is refused.
    bad = psql(uri.replace(password, "npg_wrong"), "SELECT 1", check=False)
    assert bad.returncode != 0 and "password authentication failed" in bad.stderr
    pooled = client.uri(main["id"], pooled=True)
    assert f"@{endpoints[0]['id']}-pooler.localhost:" in pooled
    # Default branch and endpoint when omitted.
    same = client.ok(client.get(f"{client.p}/connection_uri", query={
        "database_name": "neondb", "role_name": "neondb_owner"}))["uri"]
    assert same == uri
    assert client.get(f"{client.p}/connection_uri", query={"role_name": "x"}).status == 400
    assert client.get(f"{client.p}/branches/{main['id']}/roles/nobody/reveal_password").status == 404


def test_branch_data_is_real_and_waits_for_operations(client, table_in_main, server):
    client.admin("POST", "config", {"operation_delay_ms": 2000})
    try:
        doc = client.create_branch(wait=False, name="data-branch")
    finally:
        client.admin("POST", "config", {"operation_delay_ms": 150})
    branch, ops = doc["branch"], doc["operations"]
    assert branch["current_state"] == "init" and branch["parent_id"]
    assert [o["action"] for o in ops] == ["create_branch", "start_compute"]
    assert all(o["status"] == "running" for o in ops)
    assert doc["endpoints"][0]["current_state"] == "init"
    assert [d["name"] for d in doc["databases"]] == ["neondb"]
    uri = doc["connection_uris"][0]["connection_uri"]
    assert f"/neon_{branch['id']}_neondb?" in uri
    # Until the operations finish the database refuses connections, like a compute
    # that is still starting.
    early = psql(uri, "SELECT 1", check=False)
    assert early.returncode != 0 and "not currently accepting connections" in early.stderr
    final = client.wait_ops(ops)
    assert [o["status"] for o in final] == ["finished", "finished"]
    assert all(o["total_duration_ms"] >= 100 for o in final)
    got = client.ok(client.get(f"{client.p}/branches/{branch['id']}"))
    assert got["branch"]["current_state"] == "ready" and got["annotation"]["object"]["id"] == branch["id"]
    ep = client.ok(client.get(f"{client.p}/endpoints/{doc['endpoints'][0]['id']}"))["endpoint"]
    assert ep["current_state"] == "active"
    assert rows(uri, "SELECT v FROM items ORDER BY v") == ["a", "b"]
    psql(uri, "INSERT INTO items VALUES ('only-in-branch')")
    assert rows(table_in_main, "SELECT count(*) FROM items") == ["2"]
    assert client.uri(branch["id"]) == uri
    client.delete_branch(branch["id"])
    info = client.admin("GET", "info")
    assert f"neon_{branch['id']}_neondb" not in info["physical_databases"]


def test_branch_copy_while_parent_is_in_use(client, table_in_main, server):
    """Someone is connected to main: the copy must not kick them out (pg_dump path)."""
    holder = subprocess.Popen([PSQL, "-X", "-d", table_in_main, "-c", "SELECT pg_sleep(20)"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while rows(table_in_main, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                  "'SELECT pg_sleep(20)%' AND pid <> pg_backend_pid()") != ["1"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        doc = client.create_branch(name="while-busy")
        uri = doc["connection_uris"][0]["connection_uri"]
        assert rows(uri, "SELECT count(*) FROM items") == ["2"]
        assert holder.poll() is None, "the session on main was terminated"
        client.delete_branch(doc["branch"]["id"])
    finally:
        holder.kill()
        holder.wait()
        psql(server.env["NEON_PG_SUPERUSER_URL"], "SELECT pg_terminate_backend(pid) FROM "
             "pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%'")


def test_locked_while_operations_run(client, main):
    client.admin("POST", "config", {"operation_delay_ms": 1500})
    try:
        doc = client.ok(client.post(f"{client.p}/branches", {"branch": {"name": "lock-a"}}), 201)
        resp = client.post(f"{client.p}/branches", {"branch": {"name": "lock-b"}})
        assert resp.status == 423, resp
        assert resp.json["message"] == ("project already has running conflicting operations, "
                                        "scheduling of new ones is prohibited")
        assert client.post(f"{client.p}/branches/{main['id']}/snapshot").status == 423
        # A plain rename starts no operation and is accepted meanwhile.
        renamed = client.ok(client.patch(f"{client.p}/branches/{doc['branch']['id']}",
                                         {"branch": {"name": "lock-a2"}}))
        assert renamed["branch"]["name"] == "lock-a2" and renamed["operations"] == []
        running = client.ok(client.get(f"{client.p}/operations/{doc['operations'][0]['id']}"))
        assert running["operation"]["status"] == "running"
        client.wait_ops(doc["operations"])
    finally:
        client.admin("POST", "config", {"operation_delay_ms": 150})
    client.delete_branch(doc["branch"]["id"])


def test_branch_listing_pagination_search_and_count(client):
    made = []
    for suffix in "cab":
        made.append(client.ok(client.post(f"{client.p}/branches",
                                          {"branch": {"name": f"pg-{suffix}"}}), 201))
        client.wait_idle()
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, "sort_by": "name", "sort_order": "asc", "search": "pg-"}
        if cursor:
            query = {"limit": 2, "cursor": cursor, "search": "pg-"}
        page = client.ok(client.get(f"{client.p}/branches", query=query))
        pages += 1
        if not page["branches"]:
            break
        assert page["pagination"]["sort_by"] == "name" and page["pagination"]["sort_order"] == "ASC"
        seen += [b["name"] for b in page["branches"]]
        cursor = page["pagination"].get("next")
        if not cursor:
            break
    assert seen == ["pg-a", "pg-b", "pg-c"] and pages == 3
    desc = client.ok(client.get(f"{client.p}/branches",
                                query={"search": "PG-", "sort_by": "created_at"}))
    assert [b["name"] for b in desc["branches"]] == ["pg-b", "pg-a", "pg-c"]
    assert client.ok(client.get(f"{client.p}/branches/count", query={"search": "pg-"}))["count"] == 3
    assert client.get(f"{client.p}/branches", query={"limit": 0}).status == 400
    assert client.get(f"{client.p}/branches", query={"cursor": "garbage"}).status == 400
    for doc in made:
        client.delete_branch(doc["branch"]["id"])


def test_operations_listing_pagination(client):
    ids, cursor = [], None
    while True:
        query = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.ok(client.get(f"{client.p}/operations", query=query))
        if not page["operations"]:
            break
        ids += [o["id"] for o in page["operations"]]
        cursor = page["pagination"]["cursor"]
    assert len(ids) == len(set(ids)) >= 6
    assert client.get(f"{client.p}/operations/00000000-0000-4000-8000-000000000000").status == 404


def test_branch_update_expiry_delete(client, main):
    doc = client.create_branch(name="to-update")
    bid = doc["branch"]["id"]
    path = f"{client.p}/branches/{bid}"
    future = iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
    got = client.ok(client.patch(path, {"branch": {"name": "updated", "protected": True,
                                                   "expires_at": future}}))["branch"]
    assert (got["name"], got["protected"], got["expires_at"]) == ("updated", True, future)
    assert 0 < got["ttl_interval_seconds"] <= 2 * 86400
    past = client.patch(path, {"branch": {"expires_at": "2001-01-01T00:00:00Z"}})
    assert past.status == 400
    cleared = client.ok(client.patch(path, {"branch": {"expires_at": None}}))["branch"]
    assert "expires_at" not in cleared
    assert client.post(f"{client.p}/branches", {"branch": {"name": "updated"}}).status == 409
    assert client.delete(path).status == 403  # protected
    client.ok(client.patch(path, {"branch": {"protected": False}}))
    assert client.delete(f"{client.p}/branches/{main['id']}").status == 400  # the default branch
    deleted = client.ok(client.delete(path))
    assert [o["action"] for o in deleted["operations"]] == ["suspend_compute", "delete_timeline"]
    client.wait_ops(deleted["operations"])
    assert client.delete(path).status == 204
    assert client.get(path).status == 404


def test_branch_expires_at_deletes_it(client):
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    doc = client.create_branch(name="short-lived", expires_at=soon.isoformat(timespec="milliseconds"))
    assert doc["branch"]["expires_at"] == iso(soon)
    deadline = time.monotonic() + 30
    while client.get(f"{client.p}/branches/{doc['branch']['id']}").status != 404:
        assert time.monotonic() < deadline, "the expired branch was not deleted"
        time.sleep(0.2)


def test_set_as_default_roles_databases_endpoints(client, main):
    doc = client.create_branch(name="promote-me")
    bid = doc["branch"]["id"]
    b = f"{client.p}/branches/{bid}"
    role = client.ok(client.post(f"{b}/roles", {"role": {"name": "app_user"}}), 201)
    client.wait_ops(role["operations"])
    assert role["role"]["password"].startswith("npg_")
    db = client.ok(client.post(f"{b}/databases", {"database": {"name": "appdb",
                                                              "owner_name": "app_user"}}), 201)
    client.wait_ops(db["operations"])
    uri = client.ok(client.get(f"{client.p}/connection_uri", query={
        "branch_id": bid, "database_name": "appdb", "role_name": "app_user"}))["uri"]
    assert rows(uri, "SELECT current_user") == ["app_user"]
    reset = client.ok(client.post(f"{b}/roles/app_user/reset_password"))
    client.wait_ops(reset["operations"])
    assert reset["role"]["password"] != role["role"]["password"]
    assert client.get(f"{b}/databases/appdb").status == 200
    assert client.post(f"{b}/databases", {"database": {"name": "appdb",
                                                       "owner_name": "app_user"}}).status == 409
    assert client.delete(f"{b}/roles/app_user").status == 400  # still owns appdb
    client.wait_ops(client.ok(client.delete(f"{b}/databases/appdb"))["operations"])
    client.wait_ops(client.ok(client.delete(f"{b}/roles/app_user"))["operations"])
    ro = client.ok(client.post(f"{client.p}/endpoints", {"endpoint": {"branch_id": bid,
                                                                      "type": "read_only"}}), 201)
    client.wait_ops(ro["operations"])
    assert client.post(f"{client.p}/endpoints", {"endpoint": {"branch_id": bid,
                                                              "type": "read_write"}}).status == 409
    suspended = client.ok(client.post(f"{client.p}/endpoints/{ro['endpoint']['id']}/suspend"))
    client.wait_ops(suspended["operations"])
    assert client.ok(client.get(f"{client.p}/endpoints/{ro['endpoint']['id']}"))["endpoint"][
        "current_state"] == "idle"
    all_eps = client.ok(client.get(f"{client.p}/endpoints"))["endpoints"]
    assert ro["endpoint"]["id"] in [e["id"] for e in all_eps]
    promoted = client.ok(client.post(f"{b}/set_as_default"))
    assert promoted["branch"]["default"] is True
    assert client.branches()["main"]["default"] is False
    client.ok(client.post(f"{client.p}/branches/{main['id']}/set_as_default"))
    client.delete_branch(bid)


# ---------------------------------------------------------------------------
# Snapshots


def test_snapshot_restore_finalized_brings_data_back(client, main, table_in_main):
    old_uri = client.uri(main["id"])
    endpoint_id = client.ok(client.get(
        f"{client.p}/branches/{main['id']}/endpoints"))["endpoints"][0]["id"]
    future = iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    snap_doc = client.ok(client.post(f"{client.p}/branches/{main['id']}/snapshot",
                                     query={"name": "pre-migration", "expires_at": future}))
    snap = snap_doc["snapshot"]
    assert snap["id"].startswith("snap-") and snap["name"] == "pre-migration"
    assert snap["source_branch_id"] == main["id"] and snap["expires_at"] == future and snap["lsn"]
    client.wait_ops(snap_doc["operations"])
    # Free-plan quota: one snapshot.
    over = client.post(f"{client.p}/branches/{main['id']}/snapshot")
    assert over.status == 422 and "snapshots limit exceeded" in over.json["message"]
    psql(table_in_main, "DELETE FROM items; INSERT INTO items VALUES ('after-migration')")
    restored = client.ok(client.post(f"{client.p}/snapshots/{snap['id']}/restore",
                                     {"target_branch_id": main["id"], "finalize_restore": True}))
    new = restored["branch"]
    assert new["id"] != main["id"] and new["name"] == "main" and new["restored_from"] == snap["id"]
    client.wait_ops(restored["operations"])
    branches = client.branches()
    assert branches["main"]["id"] == new["id"] and branches["main"]["default"] is True
    assert branches["main"]["restore_status"] == "finalized"
    assert branches["main"]["restored_as"] == main["id"]
    assert branches["main (old)"]["id"] == main["id"]
    # Same endpoint, same connection string, the snapshot's data.
    eps = client.ok(client.get(f"{client.p}/branches/{new['id']}/endpoints"))["endpoints"]
    assert [e["id"] for e in eps] == [endpoint_id]
    assert client.uri(new["id"]) == old_uri
    assert rows(old_uri, "SELECT v FROM items ORDER BY v") == ["a", "b"]
    assert rows(_uri_of(client, main["id"]), "SELECT v FROM items") == ["after-migration"]
    client.wait_ops(client.ok(client.delete(f"{client.p}/snapshots/{snap['id']}"), 202)["operations"])
    client.delete_branch(main["id"])


def _uri_of(client: Client, branch_id: str) -> str:
    """A URI for a branch without an endpoint: add a read-write endpoint first."""
    eps = client.ok(client.get(f"{client.p}/branches/{branch_id}/endpoints"))["endpoints"]
    if not eps:
        doc = client.ok(client.post(f"{client.p}/endpoints", {"endpoint": {
            "branch_id": branch_id, "type": "read_write"}}), 201)
        client.wait_ops(doc["operations"])
    return client.uri(branch_id)


def test_snapshot_preview_then_finalize(client, main, table_in_main):
    snap_doc = client.ok(client.post(f"{client.p}/branches/{main['id']}/snapshot"))
    snap = snap_doc["snapshot"]
    client.wait_ops(snap_doc["operations"])
    renamed = client.ok(client.patch(f"{client.p}/snapshots/{snap['id']}",
                                     {"snapshot": {"name": "renamed"}}))
    assert renamed["snapshot"]["name"] == "renamed"
    listed = client.ok(client.get(f"{client.p}/snapshots"))["snapshots"]
    assert [s["id"] for s in listed] == [snap["id"]]
    psql(table_in_main, "INSERT INTO items VALUES ('c')")
    preview = client.ok(client.post(f"{client.p}/snapshots/{snap['id']}/restore",
                                    {"name": "preview"}))
    branch = preview["branch"]
    assert branch["name"] == "preview" and branch["restore_status"] == "restored"
    assert "parent_id" not in branch and preview.get("endpoints", []) == []
    client.wait_ops(preview["operations"])
    assert rows(_uri_of(client, branch["id"]), "SELECT count(*) FROM items") == ["2"]
    done = client.ok(client.post(f"{client.p}/branches/{branch['id']}/finalize_restore",
                                 {"name": "main-before-preview"}))
    client.wait_ops(done["operations"])
    names = client.branches()
    assert names["main"]["id"] == branch["id"]
    assert names["main-before-preview"]["id"] == main["id"]
    assert rows(client.uri(branch["id"]), "SELECT count(*) FROM items") == ["2"]
    assert client.post(f"{client.p}/branches/{branch['id']}/finalize_restore").status == 400
    client.wait_ops(client.ok(client.delete(f"{client.p}/snapshots/{snap['id']}"), 202)["operations"])
    assert client.delete(f"{client.p}/snapshots/{snap['id']}").status == 404
    for eid in [e["id"] for e in client.ok(client.get(
            f"{client.p}/branches/{main['id']}/endpoints"))["endpoints"]]:
        client.wait_ops(client.ok(client.delete(f"{client.p}/endpoints/{eid}"))["operations"])
    client.delete_branch(main["id"])


def test_schema_only_branch(client, table_in_main):
    doc = client.create_branch(name="schema-copy", init_source="schema-only")
    assert doc["branch"]["init_source"] == "schema-only" and "parent_id" not in doc["branch"]
    uri = doc["connection_uris"][0]["connection_uri"]
    assert rows(uri, "SELECT count(*) FROM items") == ["0"]
    client.delete_branch(doc["branch"]["id"])


def test_snapshot_at_a_past_timestamp(client, main, table_in_main):
    time.sleep(1.1)
    ts = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.1)
    psql(table_in_main, "TRUNCATE items")
    # Whole seconds (Neon's precision) round down: still after the rows were written.
    doc = client.ok(client.post(f"{client.p}/branches/{main['id']}/snapshot",
                                query={"timestamp": iso(ts)}))
    assert doc["operations"][0]["status"] == "running"
    assert all(o["status"] == "finished" for o in client.wait_ops(doc["operations"]))
    snap = doc["snapshot"]
    listed = client.ok(client.get(f"{client.p}/snapshots"))["snapshots"][0]
    assert listed["timestamp"] == iso(ts)
    assert re.match(r"^[0-9A-F]+/[0-9A-F]+$", listed["lsn"])
    preview = client.ok(client.post(f"{client.p}/snapshots/{snap['id']}/restore",
                                    {"name": "from-the-past"}))
    client.wait_ops(preview["operations"])
    assert rows(_uri_of(client, preview["branch"]["id"]), "SELECT v FROM items ORDER BY v") == ["a", "b"]
    client.delete_branch(preview["branch"]["id"])
    client.wait_ops(client.ok(client.delete(f"{client.p}/snapshots/{snap['id']}"), 202)["operations"])


def test_snapshot_only_from_root_branches(client):
    child = client.create_branch(name="child-no-snap")
    resp = client.post(f"{client.p}/branches/{child['branch']['id']}/snapshot")
    assert resp.status == 400 and "root branches" in resp.json["message"]
    client.delete_branch(child["branch"]["id"])


# ---------------------------------------------------------------------------
# Point in time


def test_point_in_time_branch_and_restore(client, main, table_in_main):
    time.sleep(1.2)
    ts = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.2)
    psql(table_in_main, "DELETE FROM items WHERE v = 'a'; INSERT INTO items VALUES ('later')")
    doc = client.create_branch(wait=False, name="pitr-branch", parent_id=main["id"],
                               parent_timestamp=ts.isoformat(timespec="milliseconds"))
    assert all(o["status"] == "running" for o in doc["operations"])
    final = client.wait_ops(doc["operations"])
    assert all(o["status"] == "finished" for o in final), final
    branch = client.ok(client.get(f"{client.p}/branches/{doc['branch']['id']}"))["branch"]
    assert branch["parent_timestamp"] == iso(ts) and re.match(r"^[0-9A-F]+/[0-9A-F]+$",
                                                              branch["parent_lsn"])
    uri = doc["connection_uris"][0]["connection_uri"]
    assert rows(uri, "SELECT v FROM items ORDER BY v") == ["a", "b"]

    # The same point in time by LSN.
    by_lsn = client.create_branch(name="pitr-lsn", parent_id=main["id"],
                                  parent_lsn=branch["parent_lsn"])
    assert rows(by_lsn["connection_uris"][0]["connection_uri"],
                "SELECT v FROM items ORDER BY v") == ["a", "b"]

    # In place: main keeps its ID and URI; the current state is kept aside.
    main_uri = client.uri(main["id"])
    restored = client.ok(client.post(f"{client.p}/branches/{main['id']}/restore", {
        "source_branch_id": main["id"], "source_timestamp": ts.isoformat(),
        "preserve_under_name": "main-before-restore"}))
    assert restored["branch"]["id"] == main["id"] and restored["branch"]["last_reset_at"]
    final = client.wait_ops(restored["operations"])
    assert all(o["status"] == "finished" for o in final), final
    assert rows(main_uri, "SELECT v FROM items ORDER BY v") == ["a", "b"]
    backup_id = client.ok(client.get(f"{client.p}/branches/{main['id']}"))["branch"]["parent_id"]
    backup = client.ok(client.get(f"{client.p}/branches/{backup_id}"))["branch"]
    assert backup["name"] == "main-before-restore"
    assert rows(_uri_of(client, backup_id), "SELECT v FROM items ORDER BY v") == ["b", "later"]
    # Reset a child to its parent's head.
    reset = client.ok(client.post(f"{client.p}/branches/{by_lsn['branch']['id']}/restore",
                                  {"source_branch_id": main["id"]}))
    client.wait_ops(reset["operations"])
    for doc_ in (doc, by_lsn):
        client.delete_branch(doc_["branch"]["id"])
    # main is now a child of its backup, which therefore cannot be deleted; go back
    # to the initial project instead (same IDs, empty database).
    assert client.delete(f"{client.p}/branches/{backup_id}").status == 400
    client.admin("POST", "reset", {"state": True})
    fresh = client.branches()
    assert list(fresh) == ["main"] and fresh["main"]["current_state"] == "ready"
    assert "parent_id" not in fresh["main"]


def test_point_in_time_errors(client, main):
    base = dt.datetime.fromisoformat(client.admin("GET", "info")["base_backup_time"])
    too_old = client.post(f"{client.p}/branches", {"branch": {
        "parent_timestamp": iso(base - dt.timedelta(minutes=5))}})
    assert too_old.status == 400 and "history retention window" in too_old.json["message"]
    future = client.post(f"{client.p}/branches", {"branch": {
        "parent_timestamp": iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))}})
    assert future.status == 400 and "future" in future.json["message"]
    both = client.post(f"{client.p}/branches", {"branch": {
        "parent_timestamp": iso(base), "parent_lsn": "0/1"}})
    assert both.status == 400
    self_restore = client.post(f"{client.p}/branches/{main['id']}/restore",
                               {"source_branch_id": main["id"]})
    assert self_restore.status == 400
    bad_lsn = client.post(f"{client.p}/branches", {"branch": {"parent_lsn": "nonsense"}})
    assert bad_lsn.status == 400


# ---------------------------------------------------------------------------
# Limits and faults


def test_rate_limit_429(client):
    client.admin("POST", "config", {"rate_limit_per_second": 5})
    try:
        statuses = [client.get(client.p) for _ in range(10)]
    finally:
        client.admin("POST", "config", {"rate_limit_per_second": 500})
    limited = [r for r in statuses if r.status == 429]
    assert limited and statuses[0].status == 200
    assert int(limited[0].headers.getheader("Retry-After")) >= 1


def test_fault_header(client):
    before = len(client.branches())
    resp = client.post(f"{client.p}/branches", {"branch": {"name": "never"}},
                       headers={"X-Neon-Test-Fault": "status=503"})
    assert resp.status == 503 and resp.headers.getheader("Retry-After") == "1"
    assert len(client.branches()) == before
    t0 = time.monotonic()
    assert client.get(client.p, headers={"X-Neon-Test-Fault": "latency=300ms"}).status == 200
    assert time.monotonic() - t0 >= 0.3
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.conn.request("GET", client.base + client.p,
                            headers={"Authorization": f"Bearer {client.key}",
                                     "X-Neon-Test-Fault": "drop"})
        client.conn.getresponse().read()
    client.conn.close()
    client.conn.request("GET", client.base + client.p + "/branches",
                        headers={"Authorization": f"Bearer {client.key}",
                                 "X-Neon-Test-Fault": "truncate"})
    r = client.conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        r.read()
    client.conn.close()
    # drop-after: the work happens although the client sees no answer.
    client.conn.request("POST", client.base + client.p + "/branches",
                        body=json.dumps({"branch": {"name": "created-unseen"}}),
                        headers={"Authorization": f"Bearer {client.key}",
                                 "Content-Type": "application/json",
                                 "X-Neon-Test-Fault": "drop-after"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.conn.getresponse().read()
    client.conn.close()
    client.wait_idle()
    unseen = client.branches()["created-unseen"]
    failing = client.ok(client.post(f"{client.p}/branches", {"branch": {"name": "op-fails"}},
                                    headers={"X-Neon-Test-Fault": "op-fail"}), 201)
    final = client.wait_ops(failing["operations"])
    assert final[0]["status"] == "failed" and "injected" in final[0]["error"]
    assert client.get(client.p, headers={"X-Neon-Test-Fault": "bogus"}).status == 400
    client.delete_branch(unseen["id"])
    client.delete_branch(failing["branch"]["id"])


def test_fault_rules_and_request_log(client):
    client.admin("DELETE", "requests")
    client.admin("POST", "faults", {"fault": "status=502", "times": 2, "method": "GET",
                                    "path": "/projects/*/branches"})
    assert client.get(client.p).status == 200  # other paths are not affected
    assert [client.get(f"{client.p}/branches").status for _ in range(3)] == [502, 502, 200]
    rules = client.admin("GET", "faults")["faults"]
    assert rules[0]["fired"] == 2 and rules[0]["times"] == 2
    client.admin("POST", "faults", {"faults": [{"fault": "latency=100ms"}]})
    t0 = time.monotonic()
    client.get(client.p)
    assert time.monotonic() - t0 >= 0.1
    client.admin("DELETE", "faults")
    log = client.admin("GET", "requests")["requests"]
    statuses = [(e["method"], e["path"].rsplit("/", 1)[-1], e["status"]) for e in log]
    assert statuses[:4] == [("GET", client.project, 200), ("GET", "branches", 502),
                            ("GET", "branches", 502), ("GET", "branches", 200)]
    assert all({"time", "duration_ms", "request_id"} <= set(e) for e in log)
    bad = client.request("POST", "/__admin/faults", body={"fault": "explode"}, raw_path=True,
                         auth=False)
    assert bad.status == 400


def test_wrong_host_certificate(client, server):
    host = urlsplit(server.env["NEON_WRONG_HOST_API_HOST"])
    ctx = ssl.create_default_context(cafile=server.env["NEON_CA_FILE"])
    with pytest.raises(ssl.SSLCertVerificationError, match="match|mismatch"):
        with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
            ctx.wrap_socket(sock, server_hostname=host.hostname)
    # The chain itself is trusted: only the name is wrong.
    relaxed = ssl.create_default_context(cafile=server.env["NEON_CA_FILE"])
    relaxed.check_hostname = False
    with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
        with relaxed.wrap_socket(sock) as tls:
            assert tls.getpeercert()["subjectAltName"] == (("DNS", "wrong-host.invalid"),)
    # As a rule, the main port switches certificates for new connections.
    client.admin("POST", "faults", {"fault": "wrong-host-cert"})
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            with socket.create_connection((client.host, client.port), timeout=10) as sock:
                ctx.wrap_socket(sock, server_hostname=client.host)
    finally:
        client.admin("DELETE", "faults")
    with socket.create_connection((client.host, client.port), timeout=10) as sock:
        ctx.wrap_socket(sock, server_hostname=client.host).close()


# ---------------------------------------------------------------------------
# --database-url mode


@pytest.fixture(scope="module")
def external_cluster():
    url = os.environ.get("DBSAFE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    directory = tempfile.mkdtemp(prefix="neon-ext-pg.", dir="/tmp")
    os.chmod(directory, 0o755)
    throwaway = REPO_ROOT / "scripts" / "pg-throwaway"
    url = subprocess.run([str(throwaway), "start", directory], capture_output=True, text=True,
                         check=True).stdout.strip()
    yield url
    subprocess.run([str(throwaway), "stop", directory, "--remove"], capture_output=True)


def test_database_url_mode(external_cluster, spec):
    roles_before = rows(external_cluster, "SELECT rolname FROM pg_roles WHERE rolname IN "
                                          "('neondb_owner', 'neon_api_roles')")
    srv = ServerProcess("--database-url", external_cluster, "--operation-delay-ms", "50",
                        "--project-id", "ext-project-1")
    try:
        c = Client(srv.env, spec)
        main_ = c.branches()["main"]
        uri = c.uri(main_["id"])
        psql(uri, "CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        doc = c.create_branch(name="ext-branch")
        assert rows(doc["connection_uris"][0]["connection_uri"], "SELECT x FROM t") == ["7"]
        pitr = c.post(f"{c.p}/branches", {"branch": {"parent_timestamp": iso(
            dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5))}})
        assert pitr.status == 422 and "point-in-time restore is not available" in pitr.json["message"]
        physical = c.admin("GET", "info")["physical_databases"]
    finally:
        assert srv.stop() == 0
    left = rows(external_cluster, "SELECT datname FROM pg_database WHERE datname LIKE 'neon\\_%'")
    assert not set(physical) & set(left), "the server left its databases behind"
    assert rows(external_cluster, "SELECT rolname FROM pg_roles WHERE rolname IN "
                                  "('neondb_owner', 'neon_api_roles')") == roles_before


def test_database_url_mode_with_wal_archive(server, spec):
    """An existing archiving cluster plus --wal-archive-dir: real PITR there too.

    The session server's own cluster serves as that cluster; a different role
    name keeps the two servers' roles apart."""
    archive = Path(server.env["NEON_STATE_DIR"]) / "pg" / "wal-archive"
    srv = ServerProcess("--database-url", server.env["NEON_PG_SUPERUSER_URL"],
                        "--wal-archive-dir", str(archive), "--role-name", "ext_owner",
                        "--project-id", "ext-project-2", "--operation-delay-ms", "50")
    try:
        c = Client(srv.env, spec)
        main_ = c.branches()["main"]
        uri = c.ok(c.get(f"{c.p}/connection_uri", query={
            "branch_id": main_["id"], "database_name": "neondb", "role_name": "ext_owner"}))["uri"]
        assert uri.endswith("?sslmode=require")  # that cluster has ssl=on
        psql(uri, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        time.sleep(1.1)
        ts = dt.datetime.now(dt.timezone.utc)
        time.sleep(1.1)
        psql(uri, "INSERT INTO t VALUES (2)")
        doc = c.create_branch(name="past", parent_timestamp=ts.isoformat())
        assert rows(doc["connection_uris"][0]["connection_uri"], "SELECT x FROM t") == ["1"]
    finally:
        assert srv.stop() == 0
    left = rows(server.env["NEON_PG_SUPERUSER_URL"],
                "SELECT count(*) FROM pg_roles WHERE rolname = 'ext_owner'")
    assert left == ["0"]


# ---------------------------------------------------------------------------
# neonctl against the server


@pytest.fixture
def neonctl(server, tmp_path):
    if not NEONCTL.exists():
        pytest.skip("neonctl is not installed: run `npm install --ignore-scripts` in tests/neon-server")
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=server.env["NEON_CA_FILE"], HOME=str(tmp_path),
               NO_COLOR="1", CI="1")
    env.pop("NEON_API_KEY", None)
    env.pop("NEON_API_HOST", None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [node, str(NEONCTL), *args, "--api-host", server.env["NEON_API_HOST"],
               "--api-key", server.env["NEON_API_KEY"], "--project-id", server.env["NEON_PROJECT_ID"],
               "--no-analytics", "--config-dir", str(tmp_path / "config")]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120,
                              cwd=tmp_path)
        if check and proc.returncode != 0:
            raise AssertionError(f"neonctl {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc
    return run


def test_neonctl_branches_and_connection_string(neonctl, client, table_in_main):
    listed = json.loads(neonctl("branches", "list", "--output", "json").stdout)
    assert "main" in [b["name"] for b in listed]
    created = json.loads(neonctl("branches", "create", "--name", "via-neonctl",
                                 "--output", "json").stdout)
    assert created["branch"]["name"] == "via-neonctl"
    assert created["endpoints"][0]["type"] == "read_write"
    uri = created["connection_uris"][0]["connection_uri"]
    client.wait_idle()
    assert rows(uri, "SELECT count(*) FROM items") == ["2"]
    cs = neonctl("connection-string", "via-neonctl").stdout.strip()
    password = client.ok(client.get(
        f"{client.p}/branches/{created['branch']['id']}/roles/neondb_owner/reveal_password"))["password"]
    port = urlsplit(uri).port
    # neonctl builds the URI itself from the API's database *name* (neondb); the
    # backing database is neon_<branch>_neondb, so only the name differs.
    assert cs == (f"postgresql://neondb_owner:{password}@127.0.0.1:{port}/neondb"
                  "?sslmode=require&channel_binding=require")
    assert rows(cs.replace("/neondb?", f"/neon_{created['branch']['id']}_neondb?"),
                "SELECT count(*) FROM items") == ["2"]
    deleted = neonctl("branches", "delete", "via-neonctl", "--output", "json")
    assert json.loads(deleted.stdout)["id"] == created["branch"]["id"]
    client.wait_idle()
    assert "via-neonctl" not in client.branches()


# ---------------------------------------------------------------------------


def test_zz_responses_were_validated():
    """Every response above went through the schema check; make sure the main ones did."""
    seen = {op for op, _ in VALIDATED}
    expected = {"getProject", "listProjects", "listProjectBranches", "createProjectBranch",
                "getProjectBranch", "updateProjectBranch", "deleteProjectBranch",
                "restoreProjectBranch", "setDefaultProjectBranch", "finalizeRestoreBranch",
                "listProjectBranchEndpoints", "listProjectBranchDatabases",
                "listProjectBranchRoles", "getProjectBranchRolePassword", "getConnectionURI",
                "listProjectOperations", "getProjectOperation", "createSnapshot",
                "listSnapshots", "updateSnapshot", "deleteSnapshot", "restoreSnapshot",
                "createProjectEndpoint", "countProjectBranches"}
    missing = expected - seen
    if len(VALIDATED) < 20:
        pytest.skip("ran as a subset: too few responses to judge coverage")
    assert not missing, f"never validated: {sorted(missing)}"
    assert any(status == 401 for _, status in VALIDATED)
