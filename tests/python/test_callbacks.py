"""Progress callbacks, cancellation, timeouts, Ctrl-C and the GIL."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest

import dbsafe
from dbsafe import _dbsafe


def test_progress_receives_every_event(corpus):
    events = []
    ms = dbsafe.migrations(corpus("documenso"), progress=events.append)
    reads = [e for e in events if e["event"] == "migration_read"]
    assert len(reads) == ms.count
    assert [e["index"] for e in reads] == list(range(ms.count))
    assert {e["total"] for e in reads} == {ms.count}
    assert [e["name"] for e in reads] == [m.name for m in ms.migrations]


def test_native_progress_gets_the_json_text(corpus):
    events = []
    _dbsafe.migrations_open(str(corpus("hoppscotch")), progress=events.append)
    assert events and all(isinstance(e, str) and e.startswith("{") for e in events)


class Boom(Exception):
    pass


def test_exception_in_progress_propagates_unchanged(corpus):
    raised = Boom("stop here")
    seen = []

    def progress(event):
        seen.append(event)
        if len(seen) == 3:
            raise raised

    with pytest.raises(Boom) as excinfo:
        dbsafe.migrations(corpus("langfuse"), progress=progress)
    assert excinfo.value is raised
    assert len(seen) == 3  # the call stopped at the first failure
    assert excinfo.value.__traceback__ is not None


def test_base_exception_in_progress_propagates(corpus):
    def progress(event):
        raise SystemExit(7)

    with pytest.raises(SystemExit) as excinfo:
        dbsafe.migrations(corpus("hoppscotch"), progress=progress)
    assert excinfo.value.code == 7


def test_cancel_from_the_progress_callback(corpus):
    token = dbsafe.CancelToken()
    seen = []

    def progress(event):
        seen.append(event)
        token.cancel()

    with pytest.raises(dbsafe.CancelledError) as excinfo:
        dbsafe.migrations(corpus("trigger.dev"), progress=progress, cancel=token)
    assert token.cancelled
    assert excinfo.value.code == "DBSAFE_ECANCELLED"
    assert 1 <= len(seen) < 820


def test_cancelled_token_stops_before_work(corpus):
    token = dbsafe.CancelToken()
    assert not token.cancelled
    token.cancel()
    token.cancel()  # idempotent
    assert token.cancelled
    assert "cancelled=True" in repr(token)
    with pytest.raises(dbsafe.CancelledError):
        dbsafe.migrations(corpus("hoppscotch"), cancel=token)


def test_cancel_from_another_thread(corpus):
    token = dbsafe.CancelToken()
    started = threading.Event()

    def progress(event):
        started.set()
        time.sleep(0.002)  # slow the call down so the other thread gets in

    canceller = threading.Thread(target=lambda: (started.wait(10), token.cancel()))
    canceller.start()
    try:
        with pytest.raises(dbsafe.CancelledError):
            dbsafe.migrations(corpus("trigger.dev"), progress=progress, cancel=token)
    finally:
        canceller.join()


def test_timeout(corpus):
    def progress(event):
        time.sleep(0.01)

    with pytest.raises(dbsafe.TimeoutError) as excinfo:
        dbsafe.migrations(corpus("langfuse"), progress=progress, timeout=0.05)
    assert isinstance(excinfo.value, TimeoutError)
    assert excinfo.value.code == "DBSAFE_ETIMEOUT"


def test_ctrl_c_cancels_the_call_and_raises_keyboard_interrupt(corpus):
    assert threading.current_thread() is threading.main_thread()
    token = dbsafe.CancelToken()
    seen = []

    def progress(event):
        seen.append(event)
        if len(seen) == 1:
            os.kill(os.getpid(), signal.SIGINT)
            # The waiting main thread runs the SIGINT handler and cancels the call.
            deadline = time.monotonic() + 10
            while not token.cancelled and time.monotonic() < deadline:
                time.sleep(0.005)

    with pytest.raises(KeyboardInterrupt):
        dbsafe.migrations(corpus("trigger.dev"), progress=progress, cancel=token)
    assert token.cancelled
    assert 1 <= len(seen) < 820


def test_calls_from_other_threads_run_in_parallel(corpus):
    results = {}

    def work(project):
        results[project] = dbsafe.migrations(corpus(project)).count

    threads = [threading.Thread(target=work, args=(p,)) for p in ("documenso", "inbox-zero")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"documenso": 163, "inbox-zero": 240}


def test_gil_is_released_during_a_call(corpus):
    """A Python thread keeps running while the library reads the whole corpus."""
    projects = [str(corpus(p)) for p in ("trigger.dev", "langfuse", "inbox-zero", "documenso")]
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0002)

    thread = threading.Thread(target=ticker)
    thread.start()
    windows = []
    try:
        while not ticks:
            time.sleep(0.001)
        for _ in range(3):
            for project in projects:
                start = time.perf_counter()
                _dbsafe.migrations_open(project)
                windows.append((start, time.perf_counter()))
    finally:
        stop.set()
        thread.join()

    # Ticks strictly inside the middle of a call can only happen if the calling
    # thread released the GIL for the C work (the edges are excluded because the
    # interpreter may switch threads just before or after the call).
    inside = 0
    for start, end in windows:
        margin = (end - start) * 0.1
        inside += sum(1 for t in ticks if start + margin < t < end - margin)
    busy = sum(end - start for start, end in windows)
    assert inside >= 10, f"only {inside} ticks during {busy * 1000:.0f} ms of calls"


def test_library_log_messages_reach_logging(corpus, caplog):
    caplog.set_level(logging.DEBUG, logger="dbsafe")
    ms = dbsafe.migrations(corpus("hoppscotch"))
    records = [r for r in caplog.records if r.name.startswith("dbsafe")]
    assert records, "the library logged nothing at DEBUG"
    assert all(r.name == "dbsafe.source" for r in records)
    assert any(ms.root in r.getMessage() for r in records)


def test_library_debug_messages_stay_in_c_when_logging_is_quiet(corpus, caplog):
    caplog.set_level(logging.WARNING, logger="dbsafe")
    dbsafe.migrations(corpus("hoppscotch"))
    assert not [r for r in caplog.records if r.name.startswith("dbsafe")]


def test_exception_in_log_callback_stops_the_call(corpus):
    raised = Boom("log failed")
    calls = []

    def log(level, component, message):
        calls.append((level, component, message))
        raise raised

    with pytest.raises(Boom) as excinfo:
        _dbsafe.migrations_open(str(corpus("trigger.dev")), log=log, log_level=logging.DEBUG)
    assert excinfo.value is raised
    assert len(calls) == 1
