"""asyncio tasks: a lane per task, `running` for each of its steps, and why it waits between.

A task factory wraps each task's coroutine in a `Driver`: asyncio's Task calls the driver's
`send`/`throw` once per step, so each step is recorded as a `running` span. When a step ends
with the task suspended, the driver opens a wait span:

* the wait a patched helper announced (a *hint*: `asyncio.sleep` says `sleeping`, a lock's
  `acquire` says `waiting_lock`, a stream's `read` says `blocked_io` ...): that span lasts
  from the first suspension inside the call until the call returns;
* otherwise what the task's coroutine yielded says it: a Task is `waiting_join` (named), a
  `gather` is `waiting_join`, any other future is `waiting_future`; that span lasts until the
  next step begins;
* a bare `yield` (`asyncio.sleep(0)`) leaves the task ready to run: nothing is recorded.

No profiler or trace function is installed: the cost is a few attribute reads per step.
"""

import asyncio
import collections.abc
import functools
import linecache
import re
import sys

from . import patching
from .recorder import (
    OPEN,
    Lane,
    add_mark,
    close_span,
    current_lane,
    end_lane,
    fmt_ms,
    is_user_file,
    new_lane,
    now,
    open_span,
    rec,
    site_index,
    site_of_frame,
    tls,
    user_site,
    _files,
)

_Task = asyncio.Task
_CancelledError = asyncio.CancelledError
_Gathering = asyncio.tasks._GatheringFuture


def hint_label(label, state, args, kwargs):
    """A hint's label: `label` as given (text), or made from the call's arguments."""
    if type(label) is str:
        return label
    try:
        return label(*args, **kwargs)
    except Exception:  # a call the label did not foresee: say what was called
        return state


class Driver(Lane, collections.abc.Coroutine):
    """Runs a task's coroutine one step at a time, recording each step.

    A task's driver is also its lane: one object per task where a lane and a driver would be
    two, which counts, since a program with 100,000 tasks keeps every lane until the trace is
    written and the garbage collector visits each of them in every full collection. The
    driver of the coroutine asyncio.run was given records on the thread's lane instead (its
    own lane fields are then unused).

    A patched call announces the wait it may make (a *hint*: `announce`, then `settle` when
    it returns): its state, label and site are kept in the driver's own fields, not in an
    object per call, and its span opens at the call's first suspension."""

    __slots__ = (
        "coro", "lane", "hint", "hint_label", "hint_site", "hint_span", "hint_called", "wait", "main")

    def __init__(self, id, kind, name, start, parent=None):  # as Lane's: see new_lane
        # Lane's fields, set here rather than through Lane.__init__: one call less per task.
        self.id = id
        self.kind = kind
        self.name = name
        self.start = start
        self.end = None
        self.parent = parent
        self.stack = ()
        self.running = None
        self.task = None
        self.pending = ""
        self.coro = None
        self.lane = self
        self.hint = self.hint_label = self.hint_site = self.hint_span = self.hint_called = None
        self.wait = None  # the span of a wait read from what the coroutine yielded
        self.main = False  # whether this is the coroutine asyncio.run was given

    @classmethod
    def on_thread(cls, coro, lane):
        """The driver of the coroutine asyncio.run was given: it runs on the thread's lane."""
        driver = cls.__new__(cls)
        driver.coro = coro
        driver.lane = lane
        driver.hint = driver.hint_label = driver.hint_site = driver.hint_span = None
        driver.hint_called = driver.wait = None
        driver.main = True
        return driver

    def announce(self, state, label, site):
        """A patched call is about to wait (`state`, `label`, the program's line `site`);
        returns the hint it replaces, for `settle`."""
        outer = None if self.hint is None else (
            self.hint, self.hint_label, self.hint_site, self.hint_span, self.hint_called)
        self.hint = state
        self.hint_label = label
        self.hint_site = site
        self.hint_span = None
        self.hint_called = now()  # the wait, if the call suspends, began here
        return outer

    def settle(self, outer):
        """The announced call returned: its wait (if it waited) ends, `outer` is back."""
        span = self.hint_span
        if outer is None:
            self.hint = self.hint_span = None
        else:
            self.hint, self.hint_label, self.hint_site, self.hint_span, self.hint_called = outer
        if span is not None:
            lane = self.lane
            t = now()
            close_span(lane, span, t)
            if lane.running is None and tls.driver is self:
                lane.running = t  # the task runs its own code again

    def send(self, value=None, resume=None):
        """One step: the coroutine's `send(value)`, or `resume(value)` (its `throw`). asyncio's
        Task calls `__next__` (this, with None) for most steps: one call of Python per step."""
        t = now()
        lane = self.lane
        local = tls
        prev_lane, prev_driver = local.lane, local.driver
        local.lane = lane
        local.driver = self
        if lane.task is not None:  # the task's name is set only after the factory returns
            lane.name = lane.task.get_name()
            lane.task = None
        if self.wait is not None:
            close_span(lane, self.wait, t)
            self.wait = None
        # Inside a call whose wait is still open (a sleep about to return), the task runs the
        # call's own code: that is part of the wait, and running begins when the call returns.
        lane.running = t if self.hint_span is None else None
        try:
            if resume is None:
                yielded = self.coro.send(value)
            else:
                yielded = resume(value)
        except _CancelledError:
            self._finish(True)
            raise
        except BaseException:
            self._finish(False)
            raise
        finally:
            local.lane, local.driver = prev_lane, prev_driver
        t = now()
        start = lane.running
        lane.running = None
        if yielded is not None and self.hint is not None and self.hint_span is None and start is not None:
            # A call's first suspension: its wait began at the call (the call's own code
            # before it suspended is part of it, as is its code after the wait ends), not
            # when the step got back here, which a collection or a busy machine can delay.
            t = min(t, max(start, self.hint_called))
        if start is not None and t > start:
            rec.spans.extend((lane.id, "running", start, t, len(lane.stack) // OPEN, "", None))
        if yielded is not None:
            hint = self.hint
            if hint is not None:
                if self.hint_span is None:
                    self.hint_span = open_span(lane, hint, self.hint_label, self.hint_site, t)
            elif isinstance(yielded, _Task):
                self.wait = open_span(lane, "waiting_join", yielded.get_name(), _await_site(self.coro), t)
            elif type(yielded) is _Gathering:
                self.wait = open_span(lane, "waiting_join", "gather", _await_site(self.coro), t)
            else:
                self.wait = open_span(lane, "waiting_future", "", _await_site(self.coro), t)
        return yielded

    __next__ = send

    def throw(self, typ, val=None, tb=None):
        if val is None and isinstance(typ, BaseException):
            return self.send(typ, self.coro.throw)
        if val is None:
            val = typ()
        return self.send(val.with_traceback(tb) if tb is not None else val, self.coro.throw)

    def close(self):
        if self.coro is not None:
            self.coro.close()

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __getattr__(self, name):  # cr_code, cr_frame, ... for asyncio's reprs
        return getattr(self.coro, name)

    def _finish(self, cancelled):
        t = now()
        lane = self.lane
        if self.main:
            start, lane.running = lane.running, None
            if start is not None and t > start:
                rec.spans.extend((lane.id, "running", start, t, len(lane.stack) // OPEN, "", None))
            return
        if cancelled:
            add_mark(lane, "cancelled", "", None, t)
        end_lane(lane, t)
        self.coro = None  # done: the task holds its driver, not the finished coroutine too


def _await_site(coro):
    """The program's line the task is suspended at (innermost of its own frames)."""
    site_frame = None
    c = coro
    while c is not None:
        frame = getattr(c, "cr_frame", None) or getattr(c, "gi_frame", None)
        if frame is None:
            break
        if is_user_file(frame.f_code.co_filename):
            site_frame = frame
        c = getattr(c, "cr_await", None) or getattr(c, "gi_yieldfrom", None)
    if site_frame is None:
        return None
    rel = _files[site_frame.f_code.co_filename]
    return site_index(rel, site_frame.f_lineno)


def task_factory(loop, coro, **kwargs):
    """The factory installed on every loop while tracing."""
    if not rec.on:
        return _Task(coro, loop=loop, **kwargs)
    if coro is tls.main_coro or tls.closing:
        # asyncio.run's main coroutine, and its clean-up after it, run on the thread's lane.
        tls.main_coro = None
        return _Task(Driver.on_thread(coro, current_lane()), loop=loop, **kwargs)
    driver = new_lane("task", None, make=Driver)
    driver.coro = coro
    task = _Task(driver, loop=loop, **kwargs)
    driver.task = task  # its name is read at its first step
    return task


def install_factory(loop):
    if loop.get_task_factory() is None:
        loop.set_task_factory(task_factory)
    if rec.loop is None:
        rec.loop = "uvloop" if "uvloop" in type(loop).__module__ else "asyncio"


# ----------------------------------------------------------------------------- hints


def hinted(original, state, label):
    """Wraps the `async def` `original` so that the current task's waits inside it are
    recorded as `state`, labelled `label` (text, or a function of the call's arguments)."""

    @functools.wraps(original)
    async def wrapper(*args, **kwargs):
        driver = tls.driver
        if driver is None or driver.hint == state:
            return await original(*args, **kwargs)  # not in a task, or within the same wait
        # The site now: a suspended frame no longer knows who awaits it.
        outer = driver.announce(state, hint_label(label, state, args, kwargs), site_of_frame(sys._getframe(1)))
        try:
            return await original(*args, **kwargs)
        finally:
            driver.settle(outer)

    return wrapper


# ----------------------------------------------------------------------------- locks


def name_for(kind, depth=2):
    """A name for a lock, queue or event: the name the program's line assigns it to
    (`lock = asyncio.Lock()` gives `lock`), else `Lock 1`, `Lock 2` ... (`depth` frames up is
    the line that created it)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        frame = None
    if frame is not None and is_user_file(frame.f_code.co_filename):
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        m = _ASSIGNED.match(line)
        if m:
            return m.group(1)
    elif frame is not None and not frame.f_code.co_name.startswith("_"):
        return f"{kind} of {frame.f_code.co_name}"  # the library's own: `Queue of as_completed`
    _counts[kind] = _counts.get(kind, 0) + 1
    return f"{kind} {_counts[kind]}"


_ASSIGNED = re.compile(r"\s*([A-Za-z_][\w.]*)\s*(?::[^=]*)?=[^=]")
_counts = {}


def _label(obj, suffix=""):
    return (getattr(obj, "_conlab_name", None) or type(obj).__name__) + suffix


def _install_asyncio_locks():
    locks = asyncio.locks
    queues = asyncio.queues

    def named_init(cls, kind):
        original = cls.__init__

        @functools.wraps(original)
        def __init__(self, *args, **kwargs):
            original(self, *args, **kwargs)
            if rec.on:
                self._conlab_name = name_for(kind)

        patching.patch(cls, "__init__", __init__)

    for cls, kind in ((locks.Lock, "Lock"), (locks.Event, "Event"), (locks.Condition, "Condition"),
                      (locks.Semaphore, "Semaphore"), (queues.Queue, "Queue")):
        named_init(cls, kind)

    lock_acquire = locks.Lock.acquire
    lock_release = locks.Lock.release

    async def acquire(self):
        driver = tls.driver
        if driver is None:
            return await lock_acquire(self)
        name = _label(self)
        holder = getattr(self, "_conlab_holder", None)
        label = f"{name} held by {holder.name}" if holder is not None else name
        outer = driver.announce("waiting_lock", label, site_of_frame(sys._getframe(1)))
        try:
            result = await lock_acquire(self)
        finally:
            driver.settle(outer)
        lane = driver.lane
        self._conlab_holder = lane
        self._conlab_hold = (lane, open_span(lane, "holding_lock", name, user_site(2)))
        return result

    def release(self):
        hold = getattr(self, "_conlab_hold", None)
        if hold is not None:
            self._conlab_hold = self._conlab_holder = None
            close_span(*hold)
        return lock_release(self)

    patching.patch(locks.Lock, "acquire", functools.wraps(lock_acquire)(acquire))
    patching.patch(locks.Lock, "release", functools.wraps(lock_release)(release))

    for cls, method, state, suffix in (
        (locks.Semaphore, "acquire", "waiting_semaphore", ""),
        (locks.Event, "wait", "waiting_event", ""),
        (locks.Condition, "wait", "waiting_condition", ""),
        (queues.Queue, "get", "waiting_queue", ".get"),
        (queues.Queue, "put", "waiting_queue", ".put"),
    ):
        label = functools.partial(lambda suffix, self, *a, **k: _label(self, suffix), suffix)
        patching.patch(cls, method, hinted(getattr(cls, method), state, label))


# ----------------------------------------------------------------------------- sleep, wait, IO


_NUMBERS = (int, float)


def _sleep_label(delay):
    return f"sleep {fmt_ms(delay)}"


def _hinted_sleep(original):
    """`asyncio.sleep`, hinted as `hinted` would (`sleeping`, `sleep 100 ms`), written out for
    the call a program with many tasks makes most: its own signature (no tuple and dict of
    arguments kept per sleeping task) and its labels made once per length of sleep."""
    labels = {}

    @functools.wraps(original)
    async def sleep(delay, result=None):
        driver = tls.driver
        if driver is None or driver.hint == "sleeping":
            return await original(delay, result)
        label = labels.get(delay) if type(delay) in _NUMBERS else None
        if label is None:
            label = hint_label(_sleep_label, "sleeping", (delay,), {})
            if type(delay) in _NUMBERS and len(labels) < 1000:
                labels[delay] = label
        outer = driver.announce("sleeping", label, site_of_frame(sys._getframe(1)))
        try:
            return await original(delay, result)
        finally:
            driver.settle(outer)

    return sleep


def _install_waits():
    tasks = asyncio.tasks
    sleep = _hinted_sleep(tasks.sleep)
    wait = hinted(tasks.wait, "waiting_join", "wait")
    wait_for = hinted(tasks.wait_for, "waiting_join", "wait_for")
    for module in (asyncio, tasks):
        patching.patch(module, "sleep", sleep)
        patching.patch(module, "wait", wait)
        patching.patch(module, "wait_for", wait_for)

    group = getattr(asyncio, "TaskGroup", None)  # 3.11+: `async with TaskGroup()` waits at exit
    if group is not None:
        patching.patch(group, "__aexit__", hinted(group.__aexit__, "waiting_join", "TaskGroup"))

    streams = asyncio.streams
    for name in ("read", "readline", "readexactly", "readuntil"):
        patching.patch(streams.StreamReader, name,
                       hinted(getattr(streams.StreamReader, name), "blocked_io", name))
    patching.patch(streams.StreamWriter, "drain", hinted(streams.StreamWriter.drain, "blocked_io", "drain"))

    def where(host=None, port=None, *a, **k):
        return f"connect {host}:{port}"

    connect = hinted(streams.open_connection, "connecting", where)
    for module in (asyncio, streams):
        patching.patch(module, "open_connection", connect)

    selector = asyncio.selector_events.BaseSelectorEventLoop
    for name, state in (("sock_recv", "blocked_io"), ("sock_recv_into", "blocked_io"),
                        ("sock_recvfrom", "blocked_io"), ("sock_sendall", "blocked_io"),
                        ("sock_accept", "blocked_io"), ("sock_connect", "connecting")):
        if hasattr(selector, name):
            patching.patch(selector, name, hinted(getattr(selector, name), state, name))


# ----------------------------------------------------------------------------- loops


def _install_loops():
    base = asyncio.base_events.BaseEventLoop
    init = base.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if rec.on:
            install_factory(self)

    patching.patch(base, "__init__", __init__)

    run_until_complete = base.run_until_complete

    @functools.wraps(run_until_complete)
    def run_until_complete_(self, future):
        if rec.on and tls.main_coro is None and asyncio.iscoroutine(future):
            tls.main_coro = future  # loop.run_until_complete(main()): main is the thread's
        return run_until_complete(self, future)

    patching.patch(base, "run_until_complete", run_until_complete_)

    runner = getattr(asyncio.runners, "Runner", None)  # 3.11+
    if runner is None:
        return
    lazy_init = runner._lazy_init
    run = runner.run

    @functools.wraps(lazy_init)
    def _lazy_init(self):
        lazy_init(self)
        if rec.on:
            install_factory(self._loop)  # a loop_factory's loop (uvloop) too

    @functools.wraps(run)
    def run_(self, coro, **kwargs):
        if rec.on:
            tls.main_coro = coro  # asyncio.run(main()): main runs on this thread's lane
        try:
            return run(self, coro, **kwargs)
        finally:
            tls.main_coro = None

    close = runner.close

    @functools.wraps(close)
    def close_(self):
        tls.closing = True  # shutting down async generators and the executor: asyncio's own
        try:
            return close(self)
        finally:
            tls.closing = False

    patching.patch(runner, "_lazy_init", _lazy_init)
    patching.patch(runner, "run", run_)
    patching.patch(runner, "close", close_)


def install():
    _install_loops()
    _install_waits()
    _install_asyncio_locks()
