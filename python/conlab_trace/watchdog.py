"""Ending a run early with what it recorded so far: past its time limit (`timed_out`), past
its limit of events (`refused`), or when told to stop by SIGTERM (`stopped`). The partial
trace is written and the process leaves at once (its children are terminated). SIGINT is
left to the program: Ctrl-C is a KeyboardInterrupt, as without the tracer."""

import _thread
import os
import signal
import sys
import time

from .recorder import now, rec, tls

_state = {"write": None, "done": False}


def arm(write, limit_ms=None, max_events=None):
    """`write(status, end)` writes the trace. Watches the limits from a thread of the
    tracer's own; SIGTERM stops the run."""
    _state["write"] = write
    signal.signal(signal.SIGTERM, _on_signal)
    if limit_ms is not None or max_events is not None:
        _thread.start_new_thread(_watch, (limit_ms, max_events))


def disarm():
    _state["done"] = True
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _events():
    return len(rec.spans) // 7 + len(rec.marks) + len(rec.output)


def _watch(limit_ms, max_events):
    tls.off = True
    deadline = rec.t0 + limit_ms * 1_000_000 if limit_ms is not None else None
    while not _state["done"]:
        time.sleep(0.02)
        if deadline is not None and now() >= deadline:
            _abort({"kind": "timed_out", "limit_ms": limit_ms})
        if max_events is not None and _events() > max_events:
            _abort({"kind": "refused", "reason": f"the run recorded more than {max_events:,} "
                    "events, the most this run may record (--max-events)"})


def _on_signal(signum, frame):
    _abort({"kind": "stopped", "after_ms": (now() - rec.t0) // 1_000_000})


def _abort(status):
    if _state["done"]:
        return
    _state["done"] = True
    rec.on = False
    end = now()
    from . import processes

    for _lane, process in processes.state["children"]:
        try:
            process.terminate()
        except Exception:
            pass
    try:
        _state["write"](status, end)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(3)
