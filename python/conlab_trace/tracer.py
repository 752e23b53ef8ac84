"""Starting and ending a traced run, and writing its trace (`conlab.trace/1`)."""

import atexit
import datetime
import gc
import itertools
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
from .recorder import add_mark, close_span, end_lane, new_lane, now, open_span, rec, take_open, tls

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
    """The trace, as JSON text. Times become nanoseconds since the run's start.

    Lanes and spans, by far the most numerous items (100,000 tasks make 100,000 lanes and
    300,000 spans), are written straight to text, spans from columns (sorted, cut at the
    end, summed up for the metrics with few steps of Python per span): a dict per span would
    take longer than such a program's run. The collector is off meanwhile: what is made here
    is kept until it is written, so a collection would only visit it (one full collection
    costs about 0.3 s at that size)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _trace(scenario, params, status, end)
    finally:
        if collecting:
            gc.enable()


def _trace(scenario, params, status, end):
    t0 = rec.t0
    end_t = max(0, end - t0)
    rec.lanes.sort(key=_id)
    spans = _span_columns(end)
    marks = []
    for lane_id, t, name, detail, site in sorted(rec.marks, key=_second):
        mark = {"lane": lane_id, "t": min(end_t, max(0, t - t0)), "name": name, "detail": detail}
        if site is not None:
            mark["site"] = site
        marks.append(mark)
    out = []
    for t, lane_id, text, site in sorted(rec.output, key=_first):
        line = {"t": min(end_t, max(0, t - t0)), "lane": lane_id, "text": text}
        if site is not None:
            line["site"] = site
        out.append(line)
    # On the times as recorded: only differences count.
    figures = metrics.compute(spans.lanes, spans.states, spans.starts, spans.ends, end_t)
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
    text = text.replace(json.dumps(_LANES), _lanes_json(rec.lanes, t0, end_t), 1)
    return text.replace(json.dumps(_SPANS), _spans_json(spans, t0), 1)


_LANES, _SPANS = "<lanes>", "<spans>"


def _lanes_json(lanes, t0, end_t):
    """Every lane, its times within the run."""
    parts = []
    append = parts.append
    for lane in lanes:
        name = lane.name
        if name is None:
            name = lane.name = lane.task.get_name() if lane.task is not None else f"lane {lane.id}"
        start = lane.start - t0
        start = 0 if start < 0 else end_t if start > end_t else start
        stop = lane.end
        if stop is None:
            stop = "null"
        else:
            stop -= t0
            stop = start if stop < start else end_t if stop > end_t else stop
        parent = "" if lane.parent is None else f',"parent":{lane.parent}'
        append(f'{{"id":{lane.id},"kind":"{lane.kind}","name":{_quote(name)},'
               f'"start":{start},"end":{stop}{parent}}}')
    return "[" + ",".join(parts) + "]"


class _Columns:
    """Spans as columns, index i of each being span i: `lanes`, `states`, `starts`, `ends`
    (as recorded, `end` at most the run's), `depths`, `labels`, `sites`, `open` (still open
    at the end)."""

    __slots__ = ("lanes", "states", "starts", "ends", "depths", "labels", "sites", "open")


def _span_columns(end):
    """The spans recorded and those still open at `end` (a daemon thread's sleep), in order
    of start, then lane. A run cut short (time limit, events, Stop) ends at the moment it was
    cut; what its threads began after that moment, before they were halted, is not part of
    it; a span a daemon thread ended after the end is cut there."""
    flat = rec.spans  # lane, state, start, end, depth, label, site, lane, state, ...
    closed = len(flat) // 7
    still_open = []
    for lane in rec.lanes:
        if lane.stack:
            for state, start, depth, label, site in take_open(lane):
                still_open.extend((lane.id, state, start, end, depth, label, site))
    if still_open:
        flat = flat + still_open
    c = _Columns()
    columns = [flat[i::7] for i in range(7)]
    opened = [False] * closed + [True] * (len(still_open) // 7)
    starts = columns[2]
    if any(map(end.__lt__, starts)):  # begun after the end
        keep = list(map(end.__ge__, starts))
        columns = [list(itertools.compress(column, keep)) for column in columns]
        opened = list(itertools.compress(opened, keep))
    order = sorted(range(len(opened)), key=columns[0].__getitem__)  # by lane, then (stably)
    order.sort(key=columns[2].__getitem__)  # by start
    columns = [list(map(column.__getitem__, order)) for column in columns]
    c.lanes, c.states, c.starts, ends, c.depths, c.labels, c.sites = columns
    c.ends = list(map(min, ends, itertools.repeat(end)))
    c.open = list(map(opened.__getitem__, order))
    return c


def _spans_json(c, t0):
    """The spans as JSON text; what follows a span's depth (its label, site and whether it is
    open) is made once for each such combination."""
    tails = {}
    for label, site, opened in set(zip(c.labels, c.sites, c.open)):
        tail = "" if label == "" else ',"label":' + _quote(label)
        if opened:
            tail += ',"open":true'
        tails[label, site, opened] = tail + ("}" if site is None else f',"site":{site}}}')
    return "[" + ",".join([
        f'{{"lane":{lane},"state":"{state}","start":{a - t0},"end":{b - t0},"depth":{depth}'
        f'{tails[label, site, opened]}'
        for lane, state, a, b, depth, label, site, opened
        in zip(c.lanes, c.states, c.starts, c.ends, c.depths, c.labels, c.sites, c.open)
    ]) + "]"


def _quote(text):
    """`text` as a JSON string (as `json.dumps` writes it)."""
    return json.encoder.encode_basestring_ascii(text)


_first = operator.itemgetter(0)
_id = operator.attrgetter("id")
_second = operator.itemgetter(1)


def write(text, path):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
