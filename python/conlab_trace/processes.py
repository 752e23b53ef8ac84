"""`multiprocessing` children: a lane per process, with the child's own events under it.

The parent adds the lane when `start()` is called and hands the child a *ticket* (an
attribute of the Process object, so a child started by fork inherits it and one started by
spawn or forkserver unpickles it, which imports and starts this tracer there). The child
records on its own, its main thread on the process's lane, and at its end writes what it
recorded into a file in the run's temporary folder; the parent merges those files into the
trace when it ends. All processes read the same monotonic clock. The parent records the
process's `exit` mark and ends its lane when it reaps the child (`join`, or at the end).
"""

import _thread
import functools
import json
import os
import signal

from . import ipc, patching
from .recorder import (
    Lane,
    add_mark,
    close_span,
    current_lane,
    end_lane,
    new_lane,
    now,
    open_span,
    rec,
    site_index,
    tls,
    user_site,
)

#: The run's temporary folder for the children's files (set by the tracer).
state = {"dir": None, "params": None, "children": []}


class Ticket:
    """What a child needs to record: its lane in the parent's trace, the folder, the clock's
    origin. Unpickled in a spawned child, it starts the tracer there."""

    def __init__(self, lane_id, folder, t0, params):
        self.lane_id = lane_id
        self.folder = folder
        self.t0 = t0
        self.params = params

    def __reduce__(self):
        return (_arrive, (self.lane_id, self.folder, self.t0, self.params))


def _arrive(lane_id, folder, t0, params):
    """In a spawned child: start tracing (the patches) before the process runs."""
    if not rec.on:
        from . import tracer

        tracer.start(params=params, t0=t0, child=True)
    return Ticket(lane_id, folder, t0, params)


def _begin_child(ticket, name):
    """In the child, before its code runs: a fresh recording whose lane 0 is the process."""
    from . import output

    rec.__init__()
    rec.on = True
    rec.t0 = ticket.t0
    lane = Lane(next(rec.lane_ids), "process", name, now())
    rec.lanes.append(lane)
    rec.process_lane = lane
    tls.lane = lane
    tls.driver = None
    tls.main_coro = None
    state["dir"] = ticket.folder
    state["children"] = []
    output.reset()
    _catch_sigterm(ticket)


def _catch_sigterm(ticket):
    """A SIGTERM (`Process.terminate()`, a pool ending its workers) first writes what the
    child recorded, then ends it as the signal would have. The signal is taken by a thread of
    the tracer's own (`sigwait`), not by a Python handler: a handler runs only between the
    main thread's bytecodes, and a signal that comes just as that thread blocks in C (a pool
    worker taking its queue's lock) would leave it blocked for good."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # threads started later too
    _thread.start_new_thread(_await_sigterm, (ticket,))


def _await_sigterm(ticket):
    tls.off = True
    signal.sigwait({signal.SIGTERM})
    _write_child(ticket)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    os.kill(os.getpid(), signal.SIGTERM)  # delivered to this thread: the default action


_writing = _thread.allocate_lock()


def _write_child(ticket):
    """In the child, at its end: everything it recorded, for the parent to merge (once:
    at its end, or when a SIGTERM ends it). Its threads still running (daemons) end with
    it, each with a `cut_off` mark."""
    with _writing:
        if rec.on:
            _write_recording(ticket)


def _write_recording(ticket):
    from . import output

    output.flush_pending()
    t = now()
    reap_children(t)
    merge_children()
    for lane in rec.lanes:
        if lane.kind == "thread" and lane.end is None:
            add_mark(lane, "cut_off", "the process ended while this daemon thread ran", None, t)
            end_lane(lane, t)
    end_lane(rec.process_lane, t)
    rec.on = False
    rec.lanes.sort(key=lambda lane: lane.id)
    data = {
        "lanes": [[l.kind, l.name if l.name is not None else l.task.get_name(), l.start, l.end, l.parent]
                  for l in rec.lanes],
        "spans": rec.spans,  # flat, as recorded
        "marks": rec.marks,
        "output": rec.output,
        "sites": rec.sites,
        "metrics": rec.metrics,
    }
    path = os.path.join(ticket.folder, f"{ticket.lane_id}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)


def merge_children():
    """Merges the files the children wrote into this recording, their lanes under theirs."""
    for lane, _process in state["children"]:
        path = os.path.join(state["dir"], f"{lane.id}.json")
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        os.unlink(path)
        ids = [lane.id]
        for kind, name, start, end, parent in data["lanes"][1:]:
            child = new_lane(kind, name, start, ids[parent] if parent is not None else lane.id)
            child.end = end
            ids.append(child.id)
        sites = [site_index(file, line) for file, line in data["sites"]]
        flat = iter(data["spans"])
        for l, st, a, b, d, label, s in zip(flat, flat, flat, flat, flat, flat, flat):
            rec.spans.extend((ids[l], st, a, b, d, label, None if s is None else sites[s]))
        for l, t, name, detail, s in data["marks"]:
            rec.marks.append((ids[l], t, name, detail, None if s is None else sites[s]))
        for t, l, text, s in data["output"]:
            rec.output.append((t, ids[l], text, None if s is None else sites[s]))
        for key, value in data["metrics"].items():
            rec.metrics.setdefault(key, tuple(value))
    state["children"] = []


def reap_children(t=None):
    """Records how each child that has exited ended (`exit` mark), ending its lane."""
    for lane, process in state["children"]:
        _reaped(lane, process, t)


def _reaped(lane, process, t=None):
    if lane.end is not None:
        return
    code = process._popen.poll() if process._popen is not None else None
    if code is None:
        return
    t = now() if t is None else t
    how = f"exited with code {code}" if code >= 0 else f"was killed by signal {-code} ({_signal(-code)})"
    add_mark(lane, "exit", how, None, t)
    end_lane(lane, t)


def _signal(n):
    import signal

    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


def install():
    from multiprocessing import process

    base = process.BaseProcess
    start, join, bootstrap = base.start, base.join, base._bootstrap

    @functools.wraps(start)
    def start_(self):
        if not rec.on:
            return start(self)
        lane = new_lane("process", self.name)
        self._conlab_ticket = Ticket(lane.id, state["dir"], rec.t0, state["params"])
        state["children"].append((lane, self))
        started = start(self)
        lane.name = f"{self.name} (pid {self.pid})"  # as conlab names a process's lane
        return started

    @functools.wraps(join)
    def join_(self, timeout=None):
        lane = next((l for l, p in state["children"] if p is self), None)
        if lane is None or not rec.on or lane.end is not None:
            return join(self, timeout)
        me = current_lane()
        span = open_span(me, "waiting_join", self.name, user_site(2)) if me is not None else None
        try:
            return join(self, timeout)
        finally:
            if span is not None:
                close_span(me, span)
            _reaped(lane, self)

    @functools.wraps(bootstrap)
    def _bootstrap(self, *args, **kwargs):
        ticket = self.__dict__.get("_conlab_ticket")
        if ticket is None:
            return bootstrap(self, *args, **kwargs)
        _begin_child(ticket, self.name)
        try:
            return bootstrap(self, *args, **kwargs)
        finally:
            _write_child(ticket)

    patching.patch(base, "start", start_)
    patching.patch(base, "join", join_)
    patching.patch(base, "_bootstrap", _bootstrap)
    ipc.install()
