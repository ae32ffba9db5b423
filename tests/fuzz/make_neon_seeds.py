#!/usr/bin/env python3
"""Writes tests/fuzz/seeds/neon/: seed inputs for the Neon fuzz target, made of
the Neon API test server's own answers (scripts/neon-test-server).

Each seed is what fuzz_neon.cpp reads: one byte choosing the provider call,
then the answers the server gives that call, in order, separated by
"\\n%%\\n" (an answer other than 200 starts with its status and a space).

    /usr/bin/python3 tests/fuzz/make_neon_seeds.py

Starts the test server on its own throwaway cluster and stops it afterwards.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "seeds" / "neon"
SEP = b"\n%%\n"


def body(answer):
    """The JSON of an answer, without its status prefix."""
    if answer[:1].isdigit() and answer[3:4] == b" ":
        answer = answer[4:]
    return json.loads(answer)


class Api:
    def __init__(self, env):
        self.env = env
        self.tls = ssl.create_default_context(cafile=env["NEON_CA_FILE"])
        self.base = env["NEON_API_HOST"] + "/projects/" + env["NEON_PROJECT_ID"]

    def call(self, method, path, body=None):
        """The answer as fuzz_neon.cpp writes it: b"STATUS body" unless 200."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.env["NEON_API_KEY"],
            "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self.tls, timeout=60) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        # The key never goes into a committed file.
        text = text.replace(self.env["NEON_API_KEY"].encode(), b"napi_redacted")
        return text if status == 200 else str(status).encode() + b" " + text

    def wait(self, answer):
        """The operation polls for a mutation's answer, until each is finished."""
        polls = []
        try:
            ops = body(answer).get("operations", [])
        except ValueError:
            return polls
        for op in ops:
            for _ in range(200):
                a = self.call("GET", "/operations/" + op["id"])
                polls.append(a)
                if body(a)["operation"]["status"] in ("finished", "failed", "skipped"):
                    break
        return polls


def main():
    proc = subprocess.Popen([str(ROOT / "scripts" / "neon-test-server"), "--operation-delay-ms", "20"],
                            stdout=subprocess.PIPE, text=True)
    try:
        env = {}
        while env.get("NEON_TEST_SERVER_READY") != "1":
            line = proc.stdout.readline()
            if not line:
                sys.exit("the Neon test server did not start")
            k, _, v = line.strip().partition("=")
            env[k] = v
        api = Api(env)
        seeds = {}
        branches = api.call("GET", "/branches?limit=10000")
        main_id = next(b["id"] for b in body(branches)["branches"] if b["default"])
        seeds["list_branches"] = (0, [branches])
        seeds["default_branch"] = (3, [branches])
        created = api.call("POST", "/branches", {"branch": {"name": "dbsafe-fuzz", "parent_id": main_id},
                                                 "endpoints": [{"type": "read_write"}]})
        polls = api.wait(created)
        seeds["create_branch"] = (4, [branches, created, *polls])
        conflict = api.call("POST", "/branches", {"branch": {"name": "dbsafe-fuzz", "parent_id": main_id}})
        seeds["create_branch_conflict"] = (4, [branches, conflict, branches])
        new_id = body(created)["branch"]["id"]
        one = api.call("GET", "/branches/" + new_id)
        missing = api.call("GET", "/branches/br-fuzzy-branch-123456")
        seeds["find_branch_by_id"] = (1, [one])
        seeds["find_branch_missing"] = (1, [missing, branches])
        uri = api.call("GET", "/connection_uri?database_name=neondb&role_name=neondb_owner&pooled=true")
        seeds["connection_url"] = (7, [uri])
        snap = api.call("POST", f"/branches/{main_id}/snapshot?name=dbsafe-pre-deploy")
        snap_polls = api.wait(snap)
        seeds["create_snapshot"] = (10, [branches, snap, *snap_polls])
        snaps = api.call("GET", "/snapshots")
        seeds["list_snapshots"] = (9, [snaps])
        snap_id = body(snaps)["snapshots"][0]["id"]
        restored = api.call("POST", f"/snapshots/{snap_id}/restore",
                            {"target_branch_id": main_id, "finalize_restore": True})
        restore_polls = api.wait(restored)
        after = api.call("GET", "/branches/" + main_id)
        seeds["restore_snapshot"] = (12, [branches, restored, *restore_polls, after])
        deleted = api.call("DELETE", "/snapshots/" + snap_id)
        seeds["delete_snapshot"] = (11, [snaps, deleted, *api.wait(deleted)])
        gone = api.call("DELETE", "/branches/" + new_id)
        seeds["delete_branch"] = (5, [branches, gone, *api.wait(gone)])
        OUT.mkdir(parents=True, exist_ok=True)
        for name, (op, answers) in seeds.items():
            (OUT / name).write_bytes(bytes([op]) + SEP.join(answers))
        print(f"wrote {len(seeds)} seeds to {OUT.relative_to(ROOT)}")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
