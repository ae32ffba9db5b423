"""Fault injection for the Neon API test server.

A fault spec is a ``;``-separated list of items (the same grammar in the
``X-Neon-Test-Fault`` request header and in ``POST /__admin/faults`` rules):

    latency=50ms | latency=1.5s | latency=200   delay the response (ms by default)
    status=503                                 answer with this status (400-599) and a
                                               GeneralError body, without doing the work
    drop                                       close the connection before doing anything
    drop-after                                 do the work, then close without answering
    truncate                                   do the work, send the headers and half of
                                               the body (Content-Length says full size)
    op-fail                                    the operations the request starts end as
                                               "failed" (the work itself is still done)
    wrong-host-cert                            rules only: new TLS handshakes on the main
                                               port get the certificate for the wrong host

Global rules live in ``FaultBook``. Each rule has an optional ``method``,
``path`` (an fnmatch pattern over the path below /api/v2, e.g.
``/projects/*/branches``) and ``times``: how many matching requests it fires
for. ``times`` defaults to unlimited for ``latency`` and ``wrong-host-cert`` and
to 1 (one-shot) for everything else; ``null`` means unlimited.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass, field

KINDS = ("latency", "status", "drop", "drop-after", "truncate", "op-fail", "wrong-host-cert")
STICKY_KINDS = ("latency", "wrong-host-cert")


class FaultSpecError(ValueError):
    pass


@dataclass
class Fault:
    """The effect of one or more spec items on one request."""
    latency_ms: float = 0.0
    status: int | None = None
    drop: bool = False
    drop_after: bool = False
    truncate: bool = False
    op_fail: bool = False
    wrong_host_cert: bool = False
    labels: list[str] = field(default_factory=list)

    def merge(self, other: "Fault") -> None:
        self.latency_ms += other.latency_ms
        self.status = other.status if other.status is not None else self.status
        self.drop |= other.drop
        self.drop_after |= other.drop_after
        self.truncate |= other.truncate
        self.op_fail |= other.op_fail
        self.wrong_host_cert |= other.wrong_host_cert
        self.labels += other.labels

    def __bool__(self) -> bool:
        return bool(self.labels)


def _parse_duration_ms(text: str) -> float:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*", text)
    if not m:
        raise FaultSpecError(f"bad latency {text!r}: use e.g. 50ms or 1.5s")
    value = float(m.group(1))
    return value * 1000 if m.group(2) == "s" else value


def parse(spec: str) -> Fault:
    """Parse a spec string; raise FaultSpecError with a readable message."""
    fault = Fault()
    for raw in spec.split(";"):
        item = raw.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name = name.strip().lower()
        value = value.strip()
        if name == "latency":
            fault.latency_ms += _parse_duration_ms(value)
        elif name == "status":
            if not value.isdigit() or not 400 <= int(value) <= 599:
                raise FaultSpecError(f"bad status {value!r}: use a code from 400 to 599")
            fault.status = int(value)
        elif name in ("drop", "drop-after", "truncate", "op-fail", "wrong-host-cert") and not value:
            setattr(fault, name.replace("-", "_"), True)
        else:
            raise FaultSpecError(f"unknown fault {item!r}; known: {', '.join(KINDS)}")
        fault.labels.append(item)
    if not fault.labels:
        raise FaultSpecError("empty fault spec")
    return fault


@dataclass
class Rule:
    spec: str
    fault: Fault
    method: str | None
    path: str | None
    times: int | None  # None: unlimited
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.times is None or self.fired < self.times

    def describe(self) -> dict:
        return {"fault": self.spec, "method": self.method, "path": self.path,
                "times": self.times, "fired": self.fired}


class FaultBook:
    """Global fault rules, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(self, entry: dict) -> Rule:
        if not isinstance(entry, dict) or not isinstance(entry.get("fault"), str):
            raise FaultSpecError('each rule needs a "fault" string, e.g. {"fault": "status=503"}')
        fault = parse(entry["fault"])
        sticky = all(label.split("=")[0].strip().lower() in STICKY_KINDS for label in fault.labels)
        times = entry.get("times", None if sticky else 1)
        if times is not None and (not isinstance(times, int) or times < 1):
            raise FaultSpecError('"times" must be a positive integer or null (unlimited)')
        method = entry.get("method")
        path = entry.get("path")
        for key, val in (("method", method), ("path", path)):
            if val is not None and not isinstance(val, str):
                raise FaultSpecError(f'"{key}" must be a string')
        rule = Rule(entry["fault"], fault, method, path, times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def describe(self) -> list[dict]:
        with self._lock:
            return [r.describe() for r in self._rules]

    def take(self, method: str, path: str) -> Fault:
        """The combined fault for one request; counts the rules that fire."""
        result = Fault()
        with self._lock:
            for rule in self._rules:
                if rule.fault.wrong_host_cert and len(rule.fault.labels) == 1:
                    continue  # acts at the TLS handshake, see wrong_host_active()
                if rule.matches(method, path):
                    rule.fired += 1
                    result.merge(rule.fault)
        return result

    def wrong_host_active(self) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule.fault.wrong_host_cert and (rule.times is None or rule.fired < rule.times):
                    rule.fired += 1
                    return True
        return False
