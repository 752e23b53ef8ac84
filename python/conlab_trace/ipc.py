"""What processes share, traced in the process that waits: the `multiprocessing` queues,
locks and events the program creates, and every call through a manager's proxy.

* `Queue.get` on an empty queue (and `put` on a full one): `waiting_queue`, labelled
  `queue.get` (the name the program's line gives it);
* `Lock` and `RLock`: `waiting_lock` while it is taken (most often by another process: whose,
  this process cannot tell), then `holding_lock` until the release;
* `Event.wait` on an event not set: `waiting_event`;
* a call through a manager's proxy (`d[1] = 2`, `d.copy()`): `in_flight`, the round trip to
  the manager's process and back, labelled as the program wrote it.

A child started by fork inherits the traced objects; one started by spawn gets plain ones
back (they are pickled without the tracer's attributes) and records no waits on them.
"""

import functools
import linecache
import os
import sys

from . import patching
from .recorder import close_span, current_lane, is_user_file, open_span, rec, user_site, waiting
from .tasks import _ASSIGNED


def _program_name(kind):
    """The name the program's line gives the object being created (`lock =
    multiprocessing.Lock()` gives `lock`), `kind` if it gives none, or None when the library
    creates it (a queue's own locks). Frames up from the patched `__init__`: `multiprocessing`'s
    context (`multiprocessing.Lock` is a method of the default context), then the caller."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(_CONTEXT):
        frame = frame.f_back
    if frame is None or not is_user_file(frame.f_code.co_filename):
        return None
    m = _ASSIGNED.match(linecache.getline(frame.f_code.co_filename, frame.f_lineno))
    return m.group(1) if m else kind


_CONTEXT = os.path.join("multiprocessing", "context.py")


def _named(cls, kind):
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        name = _program_name(kind) if rec.on else None
        if name is not None:
            self._conlab_name = name
            if hasattr(self, "_semlock"):
                _trace_lock(self)

    patching.patch(cls, "__init__", __init__)


# ----------------------------------------------------------------------------- queues


def _install_queue():
    from multiprocessing import queues

    get, put = queues.Queue.get, queues.Queue.put

    @functools.wraps(get)
    def get_(self, block=True, timeout=None):
        name = self.__dict__.get("_conlab_name")
        if name is None or not block or not rec.on:
            return get(self, block, timeout)
        try:
            return get(self, False)
        except queues.Empty:
            return waiting("waiting_queue", name + ".get", functools.partial(get, self, True, timeout))

    @functools.wraps(put)
    def put_(self, obj, block=True, timeout=None):
        name = self.__dict__.get("_conlab_name")
        if name is None or not block or not rec.on:
            return put(self, obj, block, timeout)
        try:
            return put(self, obj, False)
        except queues.Full:
            return waiting("waiting_queue", name + ".put", functools.partial(put, self, obj, True, timeout))

    _named(queues.Queue, "Queue")
    patching.patch(queues.Queue, "get", get_)
    patching.patch(queues.Queue, "put", put_)


# ----------------------------------------------------------------------------- locks, events


def _trace_lock(lock):
    """Replaces the lock's `acquire` and `release` (multiprocessing binds its semaphore's own
    to each object) with traced ones; `with lock:` goes through them (see `install`)."""
    semlock, name = lock._semlock, lock._conlab_name
    holds = []  # (lane, span), outermost acquire to last release

    def acquire(block=True, timeout=None):
        lane = current_lane()
        if lane is None:
            return semlock.acquire(block, timeout)
        site = user_site(2)
        got = semlock.acquire(False)
        if not got and block:
            span = open_span(lane, "waiting_lock", name, site)
            try:
                got = semlock.acquire(True, timeout)
            finally:
                close_span(lane, span)
        if got and semlock._count() == 1:  # not an RLock taken again
            holds.append((lane, open_span(lane, "holding_lock", name, site)))
        return got

    def release():
        if holds and semlock._count() == 1:
            lane = current_lane()
            mine = [h for h in holds if h[0] is lane]
            hold = mine[-1] if mine else holds[0]
            holds.remove(hold)
            close_span(*hold)  # the hold ends before another process can take the lock
        return semlock.release()

    lock.acquire, lock.release = acquire, release


def _install_locks():
    from multiprocessing import synchronize

    for cls, kind in ((synchronize.Lock, "Lock"), (synchronize.RLock, "RLock")):
        _named(cls, kind)

    enter, exit_ = synchronize.SemLock.__enter__, synchronize.SemLock.__exit__

    def __enter__(self):
        if "_conlab_name" in self.__dict__:
            return self.acquire()
        return enter(self)

    def __exit__(self, *args):
        if "_conlab_name" in self.__dict__:
            return self.release()
        return exit_(self, *args)

    for cls in (synchronize.Lock, synchronize.RLock):
        patching.patch(cls, "__enter__", __enter__)
        patching.patch(cls, "__exit__", __exit__)

    wait = synchronize.Event.wait

    @functools.wraps(wait)
    def wait_(self, timeout=None):
        name = self.__dict__.get("_conlab_name")
        if name is None or not rec.on or self.is_set():
            return wait(self, timeout)
        return waiting("waiting_event", name, functools.partial(wait, self, timeout))

    _named(synchronize.Event, "Event")
    patching.patch(synchronize.Event, "wait", wait_)


# ----------------------------------------------------------------------------- managers


def _install_managers():
    from multiprocessing import managers

    proxy = managers.BaseProxy
    init, call = proxy.__init__, proxy._callmethod

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if rec.on:
            frame = sys._getframe(1)
            while frame is not None and not is_user_file(frame.f_code.co_filename) and \
                    os.path.join("multiprocessing", "") in frame.f_code.co_filename:
                frame = frame.f_back
            if frame is not None and is_user_file(frame.f_code.co_filename):
                m = _ASSIGNED.match(linecache.getline(frame.f_code.co_filename, frame.f_lineno))
                if m:
                    self._conlab_name = m.group(1)

    @functools.wraps(call)
    def _callmethod(self, methodname, args=(), kwds={}):  # noqa: B006 - as the original
        lane = current_lane()
        if lane is None:
            return call(self, methodname, args, kwds)
        span = open_span(lane, "in_flight", _call_label(self, methodname, args), user_site(2))
        try:
            return call(self, methodname, args, kwds)
        finally:
            close_span(lane, span)

    patching.patch(proxy, "__init__", __init__)
    patching.patch(proxy, "_callmethod", _callmethod)


def _call_label(proxy, method, args):
    """`d[1] = 2`, `d[1]`, `d.copy()`: the call as the program wrote it."""
    name = proxy.__dict__.get("_conlab_name") or proxy._token.typeid
    shown = [_short(a) for a in args]
    if method == "__setitem__" and len(args) == 2:
        return f"{name}[{shown[0]}] = {shown[1]}"
    if method == "__getitem__" and len(args) == 1:
        return f"{name}[{shown[0]}]"
    if method == "__delitem__" and len(args) == 1:
        return f"del {name}[{shown[0]}]"
    return f"{name}.{method}({', '.join(shown)})"


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def install():
    _install_queue()
    _install_locks()
    _install_managers()
