"""The clock and the recording: lanes, spans, marks, output lines and code sites.

Times are `time.monotonic_ns()` readings (the same clock in every process of the machine);
they become nanoseconds since the run's start only when the trace is written.

Each lane keeps a stack of its open spans, so spans of one lane nest. A task's `running`
span is kept apart from the stack: it is always the innermost span, and whenever a span opens
or closes beneath it, the running span is cut there and begun again, so that a wait or a hold
never overlaps a running span at the same depth.
"""

import itertools
import os
import sys
import threading
import time

now = time.monotonic_ns

#: The repository the programs live in: site files are written relative to it.
ROOT = os.environ.get("CONLAB_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


_EMPTY = ()  # the stack of a lane with no span open


class Lane:
    """One lane: the main thread, a thread, a task, a process (or a lane the program names)."""

    __slots__ = ("id", "kind", "name", "start", "end", "parent", "stack", "running", "task", "pending")

    def __init__(self, id, kind, name, start, parent=None):
        self.id = id
        self.kind = kind
        self.name = name
        self.start = start
        self.end = None
        self.parent = parent
        self.stack = _EMPTY  # open spans, OPEN items each (see open_span)
        self.running = None  # start of the running span, while a task's step runs
        self.task = None  # a task whose name is read at its first step
        self.pending = ""  # printed text not yet ended by a newline


class _Tls(threading.local):
    lane = None  # the lane events of this thread go to now
    driver = None  # the task step running on this thread, if any
    main_coro = None  # the coroutine asyncio.run was given on this thread
    closing = False  # asyncio.run is cleaning up on this thread
    off = False  # a thread of the tracer's own (never recorded)
    io = False  # within a wait for an HTTP response (its socket reads are part of it)


tls = _Tls()


class Recording:
    """Everything one process recorded."""

    def __init__(self):
        self.on = False
        self.t0 = 0
        self.lanes = []
        # Spans, flat: lane, state, start, end, depth, label, site, lane, state, ... (one list
        # of numbers and strings gives the garbage collector nothing to look at, where a
        # tuple per span would make every collection of a long run slower).
        self.spans = []
        self.marks = []  # (lane, t, name, detail, site)
        self.output = []  # (t, lane, text, site)
        self.metrics = {}  # key -> (value, unit)
        self.latency = None  # the latency figures the program measured itself (`latency`)
        self.charts = []  # charts of what it measured (`chart`)
        self.sites = []  # (file, line)
        self.site_index = {}
        self.lane_ids = itertools.count()
        self.process_lane = None  # in a child process: its own lane (id 0)
        self.loop = None  # "asyncio" or "uvloop", once a loop ran
        self.recorded_at = None


rec = Recording()


def new_lane(kind, name, t=None, parent=None, make=Lane):
    """Adds a lane (made by `make`: a Lane, or a subclass's constructor taking the same
    arguments); in a child process every lane belongs to the process's lane."""
    if parent is None and rec.process_lane is not None and kind != "process":
        parent = rec.process_lane.id
    # Lock-free: ids are unique and contiguous; lanes added by two threads at once may land
    # out of order in the list, which is sorted by id when the trace is written.
    lane = make(next(rec.lane_ids), kind, name, now() if t is None else t, parent)
    rec.lanes.append(lane)
    return lane


def current_lane():
    """The lane events go to: the running task's, else this thread's (or None)."""
    lane = tls.lane
    if lane is None and rec.on and not tls.off:
        # A thread the tracer did not see start (started before tracing, or by C code).
        lane = tls.lane = new_lane("thread", threading.current_thread().name)
    return lane if rec.on else None


# ----------------------------------------------------------------------------- spans


def _cut_running(lane, t):
    """Ends the running span's piece so far (it begins again at `t`)."""
    r = lane.running
    if r is not None:
        if t > r:
            rec.spans.extend((lane.id, "running", r, t, len(lane.stack) // OPEN, "", None))
        lane.running = t


#: A lane's open spans are kept in one flat tuple, OPEN items each: the span's handle (what
#: `open_span` returns), state, start, label, site; its depth is its place in the tuple. A
#: tuple of numbers and text is one the garbage collector soon stops visiting, where a list
#: per span and one per lane would be two more objects per waiting task for it to visit in
#: every collection (a tuple is made again at each change, which is cheap at these depths).
OPEN = 5
_handles = itertools.count(1)


def open_span(lane, state, label="", site=None, t=None):
    """Opens a span on `lane`; returns its handle (a number), to close it with `close_span`."""
    if t is None:
        t = now()
    _cut_running(lane, t)
    span = next(_handles)
    lane.stack += (span, state, t, label, site)
    return span


def relabel_span(lane, span, label):
    """Gives open `span` of `lane` the label `label` (one known only inside the span)."""
    stack = lane.stack
    for i in range(len(stack) - OPEN, -1, -OPEN):
        if stack[i] == span:
            lane.stack = stack[:i + 3] + (label,) + stack[i + 4:]
            return


def close_span(lane, span, t=None):
    """Closes `span`. Spans opened inside it and still open are cut there and go on."""
    if t is None:
        t = now()
    _cut_running(lane, t)
    stack = lane.stack
    top = len(stack) - OPEN
    if top >= 0 and stack[top] == span:  # the innermost: by far the most common
        _emit(lane, stack, top, t)
        lane.stack = stack[:top]
        return
    for i in range(top - OPEN, -1, -OPEN):
        if stack[i] == span:
            break
    else:
        return  # already closed
    for j in range(top, i - 1, -OPEN):  # the spans inside it, then itself
        _emit(lane, stack, j, t)
    above = list(stack[i + OPEN :])
    for j in range(0, len(above), OPEN):  # begun again where it ended, a level lower
        above[j + 2] = t
    lane.stack = stack[:i] + tuple(above)


def _emit(lane, stack, i, t):
    """Records the open span at `stack[i:i + OPEN]` as ending at `t`."""
    state = stack[i + 1]
    start = stack[i + 2]
    if t > start or state != "running":
        rec.spans.extend((lane.id, state, start, t, i // OPEN, stack[i + 3], stack[i + 4]))


def add_span(lane, state, start, end, label="", site=None):
    """Records a finished span (a call that began and ended within one step)."""
    _cut_running(lane, start)
    rec.spans.extend((lane.id, state, start, end, len(lane.stack) // OPEN, label, site))
    if lane.running is not None:
        lane.running = end


def end_lane(lane, t=None):
    """Ends a lane, closing whatever it left open."""
    if t is None:
        t = now()
    _cut_running(lane, t)
    lane.running = None
    stack = lane.stack
    for i in range(len(stack) - OPEN, -1, -OPEN):
        _emit(lane, stack, i, t)
    lane.stack = _EMPTY
    if lane.end is None:
        lane.end = t


def take_open(lane):
    """The spans `lane` still has open, innermost first, as (state, start, depth, label,
    site); the lane is left with none."""
    stack, lane.stack = lane.stack, _EMPTY
    return [(stack[i + 1], stack[i + 2], i // OPEN, stack[i + 3], stack[i + 4])
            for i in range(len(stack) - OPEN, -1, -OPEN)]


def add_mark(lane, name, detail="", site=None, t=None):
    rec.marks.append((lane.id, now() if t is None else t, name, detail, site))


def add_output(lane, text, site=None):
    """Records printed text; each finished line becomes one output line."""
    text = lane.pending + text
    if "\n" not in text:
        lane.pending = text
        return
    t = now()
    *lines, lane.pending = text.split("\n")
    for line in lines:
        rec.output.append((t, lane.id, line, site))


# ----------------------------------------------------------------------------- sites

_files = {}  # filename -> path relative to ROOT, or False for library code
_LIBRARY = tuple(
    sorted(
        {
            os.path.realpath(p) + os.sep
            for p in (
                os.path.dirname(os.__file__),
                os.path.dirname(threading.__file__),
                sys.base_prefix + "/lib",
                sys.prefix + "/lib",
            )
            + tuple(p for p in sys.path if "site-packages" in p or "dist-packages" in p)
        }
    )
)


def _classify(filename):
    if filename.startswith("<"):
        rel = False
    else:
        real = os.path.realpath(filename)
        if real.startswith(_PACKAGE + os.sep) or real.startswith(_LIBRARY):
            rel = False
        elif real.startswith(ROOT + os.sep):
            rel = os.path.relpath(real, ROOT)
        else:
            rel = real
    _files[filename] = rel
    return rel


def is_user_file(filename):
    rel = _files.get(filename)
    if rel is None:
        rel = _classify(filename)
    return rel is not False


def site_of_frame(frame):
    """The site of the first frame from `frame` outwards that is the program's own code."""
    while frame is not None:
        filename = frame.f_code.co_filename
        rel = _files.get(filename)
        if rel is None:
            rel = _classify(filename)
        if rel is not False:
            return site_index(rel, frame.f_lineno)
        frame = frame.f_back
    return None


def user_site(depth=2):
    """The site of the program's line that called into the tracer (`depth` frames up)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    return site_of_frame(frame)


def site_index(file, line):
    key = (file, line)
    i = rec.site_index.get(key)
    if i is None:
        i = rec.site_index[key] = len(rec.sites)
        rec.sites.append(key)
    return i


def user_creator(depth=2):
    """Whether the caller `depth` frames up is the program's own code (not the library's)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return False
    return is_user_file(frame.f_code.co_filename)


def fmt_ms(seconds):
    """`200 ms`, `0.5 ms`: a duration as the labels say it."""
    ms = seconds * 1e3
    if ms == int(ms):
        return f"{int(ms)} ms"
    return f"{ms:.3g} ms" if ms < 10 else f"{ms:.1f} ms"


def waiting(state, label, call):
    """Runs a blocking `call`, recorded as a `state` span on the current lane, at the line of
    the program that called the traced primitive (two frames up)."""
    lane = current_lane()
    if lane is None:
        return call()
    span = open_span(lane, state, label, user_site(3))
    try:
        return call()
    finally:
        close_span(lane, span)
