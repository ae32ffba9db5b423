"""Fails a deploy script when a migration would lose data:
python3 examples/python/check_migrations.py prisma/migrations"""
import sys

import dbsafe


def main(directory: str) -> int:
    report = dbsafe.check(directory, runner="prisma")
    for finding in report.findings:
        print(f"{finding.file}:{finding.line}: {finding.level} [{finding.rule}] {finding.message}")
    return 1 if report.summary.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "prisma/migrations"))
