"""``python -m dbsafe``: the dbsafe command line, the same program as the native binary."""

from __future__ import annotations

import signal
import sys
import threading
from typing import List, Optional

from . import cli_main


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``dbsafe`` with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    # The command line runs in C and never returns to Python until it ends, so
    # Python's SIGINT handler would only note Ctrl-C; give the signal back its
    # default action (or the command line's own handler, if it installs one).
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if on_main_thread else None
    if on_main_thread:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return cli_main(["dbsafe", *args])
    finally:
        if on_main_thread and previous is not None:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
