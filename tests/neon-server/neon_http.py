"""HTTP(S) front end of the Neon API test server.

HTTP/1.1 with keep-alive (ThreadingHTTPServer, one thread per connection). TLS
handshakes happen in the connection's thread, so a stuck client cannot block
accept(). Paths below /api/v2 go to the NeonState route table after the
cross-cutting rules: fault injection, rate limit, Bearer authentication,
request IDs, JSON bodies and GeneralError responses. /__admin/* is the test
control plane and needs no key.
"""

from __future__ import annotations

import collections
import gzip
import hmac
import json
import re
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import neon_faults
from neon_faults import Fault, FaultBook, FaultSpecError
from neon_model import ApiError, NeonState, Request, iso, now

BASE_PATH = "/api/v2"
FAULT_HEADER = "X-Neon-Test-Fault"
MAX_LOG = 20000


def compile_routes(routes):
    """(method, template, fn) -> list of (regex, method, template, fn); literal segments first."""
    compiled = []
    for method, template, fn in routes:
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
        compiled.append((literal, re.compile(pattern), method, template, fn))
    compiled.sort(key=lambda c: -c[0])
    return [(rx, method, template, fn) for _, rx, method, template, fn in compiled]


class RateLimiter:
    """At most N requests in any sliding second (0 disables it)."""

    def __init__(self, per_second: int):
        self.per_second = per_second
        self._hits: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def check(self) -> float | None:
        """Record a request; return seconds to wait when over the limit."""
        if self.per_second <= 0:
            return None
        t = time.monotonic()
        with self._lock:
            while self._hits and t - self._hits[0] >= 1.0:
                self._hits.popleft()
            if len(self._hits) >= self.per_second:
                return 1.0 - (t - self._hits[0])
            self._hits.append(t)
        return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class App:
    """Everything the request handler needs, shared by both listening ports."""

    def __init__(self, state: NeonState, api_key: str, faults: FaultBook, rate_limit: int,
                 verbose: bool = False, info: dict | None = None):
        self.state = state
        self.api_key = api_key
        self.faults = faults
        self.limiter = RateLimiter(rate_limit)
        self.routes = compile_routes(state.routes())
        self.verbose = verbose
        self.info = info or {}
        self.request_log: collections.deque[dict] = collections.deque(maxlen=MAX_LOG)
        self.log_lock = threading.Lock()

    def log(self, line: str) -> None:
        print(f"neon-test-server: {line}", file=sys.stderr, flush=True)

    def record(self, entry: dict) -> None:
        with self.log_lock:
            self.request_log.append(entry)
        if self.verbose:
            self.log(f"{entry['method']} {entry['path']} -> {entry['status']} "
                     f"({entry['duration_ms']} ms){' fault=' + entry['fault'] if entry.get('fault') else ''}")

    def route(self, method: str, path: str):
        allowed = []
        for rx, m, template, fn in self.routes:
            match = rx.match(path)
            if match:
                if m == method:
                    return fn, {k: unquote(v) for k, v in match.groupdict().items()}, template
                allowed.append(m)
        if allowed:
            raise ApiError(405, f"method {method} is not allowed on {path}",
                           {"Allow": ", ".join(sorted(set(allowed)))})
        raise ApiError(404, f"not found: {path}")

    # -- admin -------------------------------------------------------------------------

    def admin(self, method: str, path: str, query: dict, body) -> tuple[int, object]:
        state = self.state
        if path == "/__admin/faults":
            if method == "GET":
                return 200, {"faults": self.faults.describe()}
            if method == "DELETE":
                self.faults.clear()
                return 200, {"faults": []}
            if method == "POST":
                entries = body if isinstance(body, list) else (
                    body.get("faults") if isinstance(body, dict) and "faults" in body else [body])
                try:
                    for entry in entries:
                        self.faults.add(entry)
                except FaultSpecError as err:
                    raise ApiError(400, str(err)) from err
                return 200, {"faults": self.faults.describe()}
        elif path == "/__admin/requests":
            if method == "GET":
                with self.log_lock:
                    return 200, {"requests": list(self.request_log)}
            if method == "DELETE":
                with self.log_lock:
                    self.request_log.clear()
                return 200, {"requests": []}
        elif path == "/__admin/reset" and method == "POST":
            self.faults.clear()
            self.limiter.reset()
            with self.log_lock:
                self.request_log.clear()
            if isinstance(body, dict) and body.get("state"):
                state.reset()
            return 200, {"ok": True}
        elif path == "/__admin/config":
            cfg = state.config
            if method == "POST":
                if not isinstance(body, dict):
                    raise ApiError(400, "expected a JSON object")
                for key in ("operation_delay_ms", "snapshot_quota", "history_retention_seconds"):
                    if key in body:
                        if not isinstance(body[key], int) or body[key] < 0:
                            raise ApiError(400, f"{key} must be a non-negative integer")
                        setattr(cfg, key, body[key])
                if "rate_limit_per_second" in body:
                    if not isinstance(body["rate_limit_per_second"], int):
                        raise ApiError(400, "rate_limit_per_second must be an integer")
                    self.limiter.per_second = body["rate_limit_per_second"]
                    self.limiter.reset()
                if "connect_gate" in body:
                    cfg.connect_gate = bool(body["connect_gate"])
            if method in ("GET", "POST"):
                return 200, {"operation_delay_ms": cfg.operation_delay_ms,
                             "snapshot_quota": cfg.snapshot_quota,
                             "history_retention_seconds": cfg.history_retention_seconds,
                             "rate_limit_per_second": self.limiter.per_second,
                             "connect_gate": cfg.connect_gate}
        elif path == "/__admin/info" and method == "GET":
            with state.lock:
                doc = dict(self.info)
                doc.update({
                    "project_id": state.config.project_id,
                    "default_branch_id": next((b.id for b in state.branches.values() if b.default),
                                              None),
                    "pg_host": state.pg_host, "pg_port": state.pg_port,
                    "pitr_available": state.pitr is not None,
                    "pitr_unavailable_reason": state.config.pitr_unavailable_reason,
                    "base_backup_time": iso(state.pitr.backup_time) if state.pitr else None,
                    "branch_databases": {b.id: {n: d.physical for n, d in b.databases.items()}
                                         for b in state.branches.values()},
                    "running_operations": sum(1 for o in state.operations.values()
                                              if o.status == "running"),
                })
            doc["physical_databases"] = state.physical_databases()
            return 200, doc
        else:
            raise ApiError(404, f"unknown admin endpoint {path}; see tests/neon-server/README.md")
        raise ApiError(405, f"method {method} is not allowed on {path}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "neon-test-server/1"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        pass  # the App logs its own lines; never the Authorization header

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_OPTIONS(self):
        self._handle("OPTIONS")

    def do_HEAD(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.send_header("Allow", "GET, POST, PATCH, PUT, DELETE")
        self.end_headers()

    def send_error(self, code, message=None, explain=None):
        """Malformed requests (bad request line, huge headers, unknown verbs) get a
        GeneralError too, never http.server's HTML page."""
        self.close_connection = True
        try:
            self._send(code, {"code": "", "message": message or self.responses.get(code, ("",))[0],
                              "request_id": str(uuid.uuid4())}, "", {})
        except Exception:  # noqa: BLE001 - the connection is going away anyway
            pass

    # ------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self, method: str) -> None:
        app: App = self.server.app
        started = time.monotonic()
        request_id = self.headers.get("X-Request-ID") or str(uuid.uuid4())
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        entry = {"time": now().isoformat(), "method": method, "path": path,
                 "query": url.query, "status": 0, "duration_ms": 0, "request_id": request_id}

        if path.startswith("/__admin"):
            try:
                body = json.loads(raw) if raw.strip() else None
                status, doc = app.admin(method, path, query, body)
                self._send(status, doc, request_id, {})
            except json.JSONDecodeError as err:
                self._send_error(400, f"invalid JSON: {err}", request_id, {})
            except ApiError as err:
                self._send_error(err.status, err.message, request_id, err.headers)
            return

        fault = Fault()
        spec = self.headers.get(FAULT_HEADER)
        rel = path[len(BASE_PATH):] if path.startswith(BASE_PATH + "/") else path
        try:
            if spec:
                fault.merge(neon_faults.parse(spec))
            fault.merge(app.faults.take(method, rel))
        except FaultSpecError as err:
            self._send_error(400, f"bad {FAULT_HEADER} header: {err}", request_id, {})
            self._finish(entry, started, 400)
            return
        entry["fault"] = "; ".join(fault.labels)
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.drop:
            self._drop()
            self._finish(entry, started, "dropped")
            return

        status, doc, headers = self._dispatch(app, method, path, rel, query, raw, request_id,
                                              fault)
        if fault.drop_after:
            self._drop()
            self._finish(entry, started, "dropped-after")
            return
        if status >= 400:
            self._send_error(status, doc, request_id, headers, truncate=fault.truncate)
        else:
            self._send(status, doc, request_id, headers, truncate=fault.truncate)
        self._finish(entry, started, status)

    def _dispatch(self, app: App, method, path, rel, query, raw, request_id, fault):
        """Return (status, body or error message, extra headers)."""
        wait = app.limiter.check()
        if wait is not None:
            return 429, "rate limit exceeded, retry later", {"Retry-After": str(max(1, round(wait)))}
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                                 app.api_key.encode()):
            return 401, "authentication required: send a valid API key as Authorization: Bearer <key>", {}
        if fault.status is not None:
            headers = {"Retry-After": "1"} if fault.status in (429, 503) else {}
            return fault.status, f"injected fault: HTTP {fault.status}", headers
        if not path.startswith(BASE_PATH + "/"):
            return 404, f"not found: {path} (the API lives below {BASE_PATH})", {}
        try:
            fn, params, _template = app.route(method, rel)
            body = None
            if raw.strip():
                try:
                    body = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as err:
                    raise ApiError(400, f"invalid request: decode application/json: {err}") from None
            status, doc = fn(Request(params, query, body, op_fail=fault.op_fail))
            return status, doc, {}
        except ApiError as err:
            return err.status, err.message, err.headers
        except Exception:  # noqa: BLE001 - answer 500 rather than kill the connection
            app.log("internal error:\n" + traceback.format_exc())
            return 500, "internal server error (see the test server's log)", {}

    def _finish(self, entry: dict, started: float, status) -> None:
        entry["status"] = status
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self.server.app.record(entry)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_error(self, status: int, message: str, request_id: str, headers: dict,
                    truncate: bool = False) -> None:
        self._send(status, {"code": "", "message": message, "request_id": request_id},
                   request_id, headers, truncate)

    def _send(self, status: int, doc, request_id: str, headers: dict, truncate: bool = False):
        payload = b"" if status == 204 or doc is None else json.dumps(doc).encode()
        encoding = None
        headers_in = getattr(self, "headers", None)
        if payload and headers_in is not None and "gzip" in headers_in.get("Accept-Encoding", "").lower():
            payload = gzip.compress(payload, compresslevel=5)
            encoding = "gzip"
        try:
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            if encoding:
                self.send_header("Content-Encoding", encoding)
                self.send_header("Vary", "Accept-Encoding")
            if status != 204:  # a 204 carries no Content-Length (RFC 9110)
                self.send_header("Content-Length", str(len(payload)))
            if request_id:
                self.send_header("X-Neon-Ret-Request-Id", request_id)
                self.send_header("X-Request-Id", request_id)
            for key, value in headers.items():
                self.send_header(key, value)
            if truncate:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if truncate:
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self._drop()
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


class ApiHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app: App, ssl_context: ssl.SSLContext | None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        conn = request
        if self.ssl_context is not None:
            request.settimeout(30)
            try:
                conn = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as err:
                if self.app.verbose:
                    self.app.log(f"TLS handshake with {client_address[0]} failed: {err}")
                return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def tls_context(cert, key, wrong_host: ssl.SSLContext | None = None,
                faults: FaultBook | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    if wrong_host is not None and faults is not None:
        def pick(sslobj, _server_name, _ctx):
            # The wrong-host-cert rule switches new handshakes on the main port.
            if faults.wrong_host_active():
                sslobj.context = wrong_host
        ctx.sni_callback = pick
    return ctx
