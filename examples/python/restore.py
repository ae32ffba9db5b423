"""The guarded restore (docs/deploy.md, "Restore") from a Python ops script.

    python3 examples/python/restore.py TARGET SNAPSHOT|TIME --confirm TARGET [--reapply]

A safety snapshot of the current data comes first; the exit code is the CLI's
(2: half-done, and the report names the command that undoes it)."""
import argparse
import sys

import dbsafe


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("source", metavar="SNAPSHOT|TIME")
    parser.add_argument("--confirm", required=True)
    parser.add_argument("--reapply", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = dbsafe.restore(args.target, args.source, confirm=args.confirm,
                                reapply=args.reapply)
    except dbsafe.Error as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        if isinstance(err.report, dbsafe.DeployReport):
            if err.report.restore_command:
                print(f"to undo: {err.report.restore_command}", file=sys.stderr)
            return err.report.exit_code
        return 3
    print(report.message)
    for warning in report.warnings:
        print(f"warning: {warning}")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
