"""Runs the safe-deploy pipeline (docs/deploy.md) for one target of dbsafe.toml from a
Python deploy step: check, gate, snapshot, apply, verify, audit.

    python3 examples/python/deploy.py [TARGET]      (default: production)

It exits with the report's exit code, so a deploy the gate stopped (1) fails the
pipeline; approve it with DBSAFE_APPROVE=1 or DBSAFE_APPROVED_BY=alice,bob."""
import sys
from typing import Any

import dbsafe


def show_step(event: dict[str, Any]) -> None:
    if event["event"] == "deploy-step":
        detail = f" ({event['detail']})" if event["detail"] else ""
        print(f"{event['step']}: {event['status']}{detail}", flush=True)


def main(target: str) -> int:
    try:
        report = dbsafe.deploy(target, progress=show_step)
    except dbsafe.Error as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        # Once the target was read, a failure carries the deploy report: its exit code,
        # and after a snapshot the command that restores it.
        if isinstance(err.report, dbsafe.DeployReport):
            if err.report.restore_command:
                print(f"restore with: {err.report.restore_command}", file=sys.stderr)
            return err.report.exit_code
        return 130 if isinstance(err, dbsafe.CancelledError) else 3
    print(report.message)
    # A gate stop is a report, not an exception: exit_code 1, outcome "stopped" or "blocked".
    if report.stopped:
        print(f"stopped by the gate; approve with: {report.gate.approve_hint}", file=sys.stderr)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "production"))
