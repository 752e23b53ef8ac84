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


class Hint:
    """A wait a patched call announced; its span opens at the call's first suspension (and
    only then is its label made)."""

    __slots__ = ("state", "label", "args", "kwargs", "site", "span", "called")

    def __init__(self, state, label, args, kwargs, site):
        self.called = now()  # the wait, if the call suspends, began here
        self.state = state
        self.label = label  # text, or a function of the call's arguments
        self.args = args
        self.kwargs = kwargs
        self.site = site  # the program's line that made the call
        self.span = None

    def open(self, lane, t):
        label = self.label
        if not isinstance(label, str):
            try:
                label = label(*self.args, **self.kwargs)
            except Exception:  # a call the label did not foresee: say what was called
                label = self.state
        self.span = open_span(lane, self.state, label, self.site, t)
        self.args = self.kwargs = None


class Driver(collections.abc.Coroutine):
    """Runs a task's coroutine one step at a time, recording each step."""

    __slots__ = ("coro", "lane", "hint", "wait", "main")

    def __init__(self, coro, lane, main):
        self.coro = coro
        self.lane = lane
        self.hint = None
        self.wait = None  # the span of a wait read from what the coroutine yielded
        self.main = main  # the coroutine asyncio.run was given: it runs on the thread's lane

    def send(self, value):
        return self._step(self.coro.send, value)

    def throw(self, typ, val=None, tb=None):
        if val is None and isinstance(typ, BaseException):
            return self._step(self.coro.throw, typ)
        if val is None:
            val = typ()
        return self._step(self.coro.throw, val.with_traceback(tb) if tb is not None else val)

    def close(self):
        if self.coro is not None:
            self.coro.close()

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        return self.send(None)

    def __getattr__(self, name):  # cr_code, cr_frame, ... for asyncio's reprs
        return getattr(self.coro, name)

    def _step(self, resume, value):
        """One step: `resume(value)` is the coroutine's `send` or `throw`."""
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
        hint = self.hint
        # Inside a call whose wait is still open (a sleep about to return), the task runs the
        # call's own code: that is part of the wait, and running begins when the call returns.
        lane.running = t if hint is None or hint.span is None else None
        try:
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
        hint = self.hint if yielded is not None else None
        if hint is not None and hint.span is None and start is not None:
            # A call's first suspension: its wait began at the call (the call's own code
            # before it suspended is part of it, as is its code after the wait ends), not
            # when the step got back here, which a collection or a busy machine can delay.
            t = min(t, max(start, hint.called))
        if start is not None and t > start:
            rec.spans.extend((lane.id, "running", start, t, len(lane.stack), "", None))
        if yielded is not None:
            if hint is not None:
                if hint.span is None:
                    hint.open(lane, t)
            elif isinstance(yielded, _Task):
                self.wait = open_span(lane, "waiting_join", yielded.get_name(), _await_site(self.coro), t)
            elif type(yielded) is _Gathering:
                self.wait = open_span(lane, "waiting_join", "gather", _await_site(self.coro), t)
            else:
                self.wait = open_span(lane, "waiting_future", "", _await_site(self.coro), t)
        return yielded

    def _finish(self, cancelled):
        t = now()
        lane = self.lane
        if self.main:
            start, lane.running = lane.running, None
            if start is not None and t > start:
                rec.spans.extend((lane.id, "running", start, t, len(lane.stack), "", None))
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
        driver = Driver(coro, current_lane(), True)
        return _Task(driver, loop=loop, **kwargs)
    lane = new_lane("task", None)
    task = _Task(Driver(coro, lane, False), loop=loop, **kwargs)
    lane.task = task
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
        if driver is None or (driver.hint is not None and driver.hint.state == state):
            return await original(*args, **kwargs)  # not in a task, or within the same wait
        # The site now: a suspended frame no longer knows who awaits it.
        hint = Hint(state, label, args, kwargs, site_of_frame(sys._getframe(1)))
        outer = driver.hint
        driver.hint = hint
        try:
            return await original(*args, **kwargs)
        finally:
            driver.hint = outer
            end_hint(driver, hint)

    return wrapper


def end_hint(driver, hint):
    """Ends the wait a hinted call recorded (if it waited at all)."""
    if hint.span is not None:
        lane = driver.lane
        t = now()
        close_span(lane, hint.span, t)
        if lane.running is None and tls.driver is driver:
            lane.running = t  # the task runs its own code again


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
        hint = Hint("waiting_lock", label, (), None, site_of_frame(sys._getframe(1)))
        outer, driver.hint = driver.hint, hint
        try:
            result = await lock_acquire(self)
        finally:
            driver.hint = outer
            end_hint(driver, hint)
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


def _install_waits():
    tasks = asyncio.tasks
    sleep = hinted(tasks.sleep, "sleeping", lambda delay, *a, **k: f"sleep {fmt_ms(delay)}")
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
