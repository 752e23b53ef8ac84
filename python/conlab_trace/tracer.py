"""Starting and ending a traced run, and writing its trace (`conlab.trace/1`)."""

import atexit
import datetime
import json
import operator
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import traceback
import types

from . import api, metrics, output, patching, processes, tasks, threads
from .recorder import add_mark, close_span, end_lane, new_lane, now, open_span, rec, tls
from .recorder import spans as recorded_spans

SCHEMA = "conlab.trace/1"


def start(params=None, t0=None, child=False):
    """Installs the patches and starts the clock; the calling thread is the main lane."""
    api.given.clear()
    api.given.update(params or {})
    processes.state["params"] = dict(params or {})
    tasks.install()
    threads.install()
    processes.install()
    output.install()
    if not child:
        processes.state["dir"] = tempfile.mkdtemp(prefix="conlab-trace-")
        rec.recorded_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rec.on = True
    rec.t0 = now() if t0 is None else t0
    if not child:
        tls.lane = new_lane("main", threading.current_thread().name, rec.t0)


def compile_program(path):
    with open(path, "rb") as f:
        return compile(f.read(), os.path.abspath(path), "exec")


def run_program(path, code):
    """Runs the program (compiled) as `__main__`; returns its status (`ok`, or `failed` with
    the last line of its exception)."""
    path = os.path.abspath(path)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    sys.argv = [path]
    sys.path[0] = os.path.dirname(path)
    try:
        exec(code, module.__dict__)
    except SystemExit as e:
        if e.code not in (None, 0):
            return {"kind": "failed", "reason": f"SystemExit: {e.code}"}
    except BaseException as e:  # noqa: B902 - the program's failure is the run's status
        # As Python prints it, without the tracer's own frame.
        sys.stdout.flush()
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        reason = traceback.format_exception_only(type(e), e)[-1].strip()
        return {"kind": "failed", "reason": reason}
    return {"kind": "ok"}


def finish():
    """Ends the run as the interpreter would end the program (non-daemon threads joined,
    children reaped), takes the patches out and returns the recording's end.

    The program's main thread goes on until the interpreter is done with it: where threads
    the program started are still running, the main lane waits for them (`waiting_join`,
    `waiting for non-daemon threads`), as Python's main thread does at its end; daemon threads
    still running when the program ends are cut off there (a `cut_off` mark, their lane
    ended), as the interpreter's exit ends them."""
    main = rec.lanes[0]
    output.flush_pending()
    me = threading.current_thread()
    alive = [t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]
    waiting = open_span(main, "waiting_join", "waiting for non-daemon threads") if alive else None
    # What follows is the interpreter's ending, not the program's code: the main lane's wait
    # says it, and nothing within is recorded.
    tls.lane, tls.off = None, True
    if hasattr(threading, "_shutdown"):
        threading._shutdown()  # the threading atexit calls, then every non-daemon thread joined
    else:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
    if waiting is not None:
        close_span(main, waiting)
    # The program's atexit functions, as at its exit (multiprocessing's joins non-daemon
    # children and ends daemonic ones); `python3 -m conlab_trace` then leaves with os._exit.
    atexit._run_exitfuncs()
    processes.reap_children()
    output.flush_pending()
    end = now()
    end_lane(main, end)
    cut_off_threads(end)
    rec.on = False
    patching.restore_all()
    processes.merge_children()
    shutil.rmtree(processes.state["dir"], ignore_errors=True)
    return end


def cut_off_threads(t):
    """Ends the lanes of threads still running at `t` (daemons: the interpreter's exit ends
    them), each with a `cut_off` mark; what they were doing stays open (`"open": true`)."""
    for lane in rec.lanes:
        if lane.kind == "thread" and lane.end is None:
            add_mark(lane, "cut_off", "the program ended while this daemon thread ran", None, t)
            lane.end = t


def timer_lateness_ms():
    """How much later than asked a sleep ends here (the most of a few tiny sleeps, asyncio's
    and time.sleep's, at most 5 ms), measured after the run so it never shifts its times.
    Checks allow it once per sleep they add up (conlab's `timer_lateness_ms`)."""
    import asyncio

    worst = 0.0
    for _ in range(3):
        t = time.monotonic()
        time.sleep(1e-5)
        worst = max(worst, time.monotonic() - t - 1e-5)

    async def tiny():
        worst = 0.0
        for _ in range(3):
            t = time.monotonic()
            await asyncio.sleep(1e-5)
            worst = max(worst, time.monotonic() - t - 1e-5)
        return worst

    loop = asyncio.new_event_loop()
    try:
        worst = max(worst, loop.run_until_complete(tiny()))
    finally:
        loop.close()
    return min(worst, 0.005) * 1e3


def interpreter():
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    return {
        "name": platform.python_implementation(),
        "version": platform.python_version(),
        "gil": gil,
        "loop": rec.loop,
        "implementation": sys.implementation.name,
    }


def trace(scenario, params, status, end):
    """The trace, as JSON text. Times become nanoseconds since the run's start. (Spans, by
    far the most numerous items, are written straight to text: a dict each would take longer
    than the run of a program with many tasks.)"""
    t0 = rec.t0
    end_t = max(0, end - t0)

    def at(t):
        return min(end_t, max(0, t - t0))

    rec.lanes.sort(key=_id)
    lanes = []
    for lane in rec.lanes:
        if lane.name is None:
            lane.name = lane.task.get_name() if lane.task is not None else f"lane {lane.id}"
        start = at(lane.start)
        stop = "null" if lane.end is None else max(at(lane.end), start)
        parent = "" if lane.parent is None else f',"parent":{lane.parent}'
        name = lane.name
        plain = name.isascii() and name.isprintable() and '"' not in name and "\\" not in name
        name = f'"{name}"' if plain else json.dumps(name)
        lanes.append(f'{{"id":{lane.id},"kind":"{lane.kind}","name":{name},'
                     f'"start":{start},"end":{stop}{parent}}}')
    # A run cut short (time limit, events, Stop) ends at the moment it was cut; what its
    # threads began after that moment, before they were halted, is not part of it.
    spans = [s for s in recorded_spans() if s[2] <= end]
    still_open = set()  # spans open at the end (a daemon thread's sleep)
    for lane in rec.lanes:
        while lane.stack:
            state, start, depth, label, site = lane.stack.pop()
            if start > end:
                continue
            span = (lane.id, state, start, end, depth, label, site)
            still_open.add(id(span))
            spans.append(span)
    spans.sort(key=_start_lane)
    marks = []
    for lane_id, t, name, detail, site in sorted(rec.marks, key=_second):
        mark = {"lane": lane_id, "t": at(t), "name": name, "detail": detail}
        if site is not None:
            mark["site"] = site
        marks.append(mark)
    out = []
    for t, lane_id, text, site in sorted(rec.output, key=_first):
        line = {"t": at(t), "lane": lane_id, "text": text}
        if site is not None:
            line["site"] = site
        out.append(line)
    figures = metrics.compute(spans, end_t)  # on the times as recorded: only differences count
    figures["extra"] = [{"key": k, "value": v, "unit": u} for k, (v, u) in rec.metrics.items()]
    if rec.latency is not None:
        figures["latency"] = rec.latency
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    document = {
        "schema": SCHEMA,
        "scenario": scenario,
        "runtime": "cpython",
        "interpreter": interpreter(),
        "params": dict(params),
        "recorded_at": rec.recorded_at,
        "host": f"{platform.system().lower()} {platform.machine()}, {cores} cores",
        "cores": cores,
        "status": status,
        "end": end_t,
        "lanes": _LANES,
        "spans": _SPANS,
        "marks": marks,
        "output": out,
        "metrics": figures,
        "checks": [],
        "sites": [{"file": f, "line": n} for f, n in rec.sites],
        "charts": rec.charts,
    }
    text = json.dumps(document, separators=(",", ":"))
    text = text.replace(json.dumps(_LANES), "[" + ",".join(lanes) + "]", 1)
    return text.replace(json.dumps(_SPANS), _spans_json(spans, t0, end, still_open), 1)


_LANES, _SPANS = "<lanes>", "<spans>"


def _spans_json(spans, t0, end, still_open):
    """Every span began after the start; one a daemon thread ended as the run ended may end
    after the end, and is cut there."""
    end_t = end - t0
    quoted = {"": ""}  # label -> its JSON member
    parts = []
    append = parts.append
    for span in spans:
        lane_id, state, start, stop, depth, label, site = span
        q = quoted.get(label)
        if q is None:
            q = quoted[label] = ',"label":' + json.dumps(label)
        text = (f'{{"lane":{lane_id},"state":"{state}","start":{start - t0},'
                f'"end":{stop - t0 if stop < end else end_t},"depth":{depth}{q}')
        if still_open and id(span) in still_open:
            text += ',"open":true'
        append(text + "}" if site is None else f'{text},"site":{site}}}')
    return "[" + ",".join(parts) + "]"


_start_lane = operator.itemgetter(2, 0)
_first = operator.itemgetter(0)
_id = operator.attrgetter("id")
_second = operator.itemgetter(1)


def write(text, path):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
