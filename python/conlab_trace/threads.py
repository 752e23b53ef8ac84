"""Threads: a lane per `threading.Thread`, and what a thread waits for.

Locks, semaphores, conditions and events the program creates are replaced by traced ones
(those the standard library creates for itself stay as they are: a `queue.Queue`'s inner
lock is the queue's business, and its waits are recorded as `waiting_queue`). A wait is a
span from the call to its return; a lock's hold (and a semaphore's permit) is a
`holding_lock` span from acquire to release. `time.sleep` is `sleeping` on a thread, and
`blocking` inside a task's step, where it holds the whole event loop. A wait for a lock that
closes a cycle of waits is noted for `watch_for_deadlock()`; a queue marks its length; a
blocking socket's waits are `blocked_io` and `connecting`.
"""

import _thread
import functools
import http.client
import queue
import select
import socket
import threading
import time

from . import patching
from .recorder import (
    add_mark,
    add_span,
    close_span,
    current_lane,
    end_lane,
    fmt_ms,
    new_lane,
    now,
    open_span,
    rec,
    tls,
    user_creator,
    user_site,
    waiting,
)
from .tasks import name_for

_allocate_lock = _thread.allocate_lock
_RLock = _thread.RLock
_sleep = time.sleep


# ----------------------------------------------------------------------------- locks


class Lock:
    """`threading.Lock`, traced: `waiting_lock` (naming who holds it), then `holding_lock`."""

    __slots__ = ("_lock", "name", "_hold", "__weakref__")

    def __init__(self, name=None):
        self._lock = _allocate_lock()
        self.name = name or name_for("Lock", 3)
        self._hold = None  # (lane, span) of the hold

    def acquire(self, blocking=True, timeout=-1):
        if self._lock.acquire(False):
            self._held(user_site(2))
            return True
        if not blocking:
            return False
        lane = current_lane()
        if lane is None:
            return self._lock.acquire(True, timeout)
        site = user_site(2)
        hold = self._hold
        label = f"{self.name} held by {hold[0].name}" if hold else self.name
        span = open_span(lane, "waiting_lock", label, site)
        _waits[lane] = self
        _look_for_cycle(lane)
        try:
            got = self._lock.acquire(True, timeout)
        finally:
            _waits.pop(lane, None)
            close_span(lane, span)
        if got:
            self._held(site)
        return got

    def _held(self, site):
        lane = current_lane()
        if lane is not None:
            self._hold = (lane, open_span(lane, "holding_lock", self.name, site))
            for waiter, lock in list(_waits.items()):  # its waiters now wait for a new holder
                if lock is self:
                    _look_for_cycle(waiter)

    def release(self):
        hold, self._hold = self._hold, None
        if hold is not None:
            close_span(*hold)  # the hold ends before another thread can take the lock
        self._lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def locked(self):
        return self._lock.locked()

    # What threading.Condition uses of a plain lock.
    def _is_owned(self):
        return self._lock.locked()

    def _release_save(self):
        self.release()

    def _acquire_restore(self, _state):
        self.acquire()

    def _at_fork_reinit(self):
        self._lock._at_fork_reinit()
        self._hold = None

    def __repr__(self):
        return f"<traced Lock {self.name} {'locked' if self.locked() else 'unlocked'}>"


class RLock(Lock):
    """`threading.RLock`, traced: a hold spans from the outermost acquire to the last release."""

    __slots__ = ("_depth",)

    def __init__(self, name=None):
        self._lock = _RLock()
        self.name = name or name_for("RLock", 3)
        self._hold = None
        self._depth = 0

    def acquire(self, blocking=True, timeout=-1):
        if self._lock._is_owned():
            self._lock.acquire()  # re-entered: the hold goes on
            self._depth += 1
            return True
        return Lock.acquire(self, blocking, timeout)

    def _held(self, site):
        self._depth = 1
        Lock._held(self, site)

    def release(self):
        self._depth -= 1
        if self._depth == 0:
            hold, self._hold = self._hold, None
            if hold is not None:
                close_span(*hold)
        self._lock.release()

    def locked(self):
        return self._hold is not None

    def _is_owned(self):
        return self._lock._is_owned()

    def _release_save(self):
        hold, self._hold = self._hold, None
        if hold is not None:
            close_span(*hold)
        depth, self._depth = self._depth, 0
        return self._lock._release_save(), depth

    def _acquire_restore(self, saved):
        state, depth = saved
        site = user_site(2)
        if self._lock.acquire(False):
            self._lock.release()
            self._lock._acquire_restore(state)
        else:
            lane = current_lane()
            hold = self._hold
            label = f"{self.name} held by {hold[0].name}" if hold else self.name
            span = open_span(lane, "waiting_lock", label, site) if lane is not None else None
            try:
                self._lock._acquire_restore(state)
            finally:
                if span is not None:
                    close_span(lane, span)
        Lock._held(self, site)
        self._depth = depth


# ----------------------------------------------------------------------------- deadlocks

_waits = {}  # lane -> the traced lock it waits for now
_deadlocks = []  # each cycle of waits seen: [(waiter, lock, holder), ...]


def _look_for_cycle(lane):
    """Follows the waits from `lane` (it waits for a lock held by a lane that waits for a
    lock held by ...): a wait that leads back to `lane` closes a cycle, a deadlock, which is
    noted. Looked at whenever a wait begins or a lock a lane waits for changes hands, so no
    thread of the tracer's own has to watch."""
    edges, seen, waiter = [], set(), lane
    while waiter not in seen:
        seen.add(waiter)
        lock = _waits.get(waiter)
        hold = lock._hold if lock is not None else None
        if hold is None:
            return
        edges.append((waiter, lock, hold[0]))
        waiter = hold[0]
        if waiter is lane:
            _deadlocks.append(sorted(edges, key=lambda e: e[0].id))
            return


class Watch:
    """What `watch_for_deadlock()` returns: `deadlock()` says who waited for a lock held by
    whom, if the program's locks closed a cycle of waits since the watch began (the waits
    themselves end as the program ends them: an acquire's timeout), and marks it as conlab's
    watchdog does: a `waits_for` mark per wait (`<waiter lane> <holder lane>`) and a
    `deadlock` mark (the words)."""

    def __init__(self):
        self._from = len(_deadlocks)

    def deadlock(self):
        if len(_deadlocks) <= self._from:
            return None
        edges = _deadlocks[self._from]
        words = "; ".join(f"{w.name} waits for lock `{lock.name}` held by {'itself' if h is w else h.name}"
                          for w, lock, h in edges)
        lane = current_lane()
        if lane is not None:
            site = user_site(2)
            for w, _lock, h in edges:
                add_mark(lane, "waits_for", f"{w.id} {h.id}", site)
            add_mark(lane, "deadlock", words, site)
        self._from = len(_deadlocks)
        return words


def _lock_factory(cls, original):
    def make(*args, **kwargs):
        if rec.on and user_creator(2):
            return cls(*args, **kwargs)
        return original(*args, **kwargs)

    return make


# ----------------------------------------------------------------------------- other primitives


def _traced_class(base, kind, methods):
    """A subclass of `base` whose blocking `methods` ({name: (state, first)}) are recorded,
    for objects the program creates (others behave as `base`). `first(self, original, args,
    kwargs)` may answer without blocking (a free permit, an event already set): then nothing
    is recorded."""

    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)
        self._conlab = rec.on and user_creator(2)
        if self._conlab:
            self._conlab_name = name_for(kind)

    namespace = {"__init__": __init__}
    for method, (state, first) in methods.items():
        namespace[method] = _traced_method(getattr(base, method), state, first)
        if getattr(base, "__enter__", None) is getattr(base, method):
            namespace["__enter__"] = namespace[method]  # `with sem:` is `sem.acquire()`
    return type(base.__name__, (base,), namespace)


def _traced_method(original, state, first):
    @functools.wraps(original)
    def method(self, *args, **kwargs):
        if not (self._conlab and rec.on):
            return original(self, *args, **kwargs)
        if first is not None:
            answer = first(self, original, args, kwargs)
            if answer is not None:
                return answer
        return waiting(state, self._conlab_name, functools.partial(original, self, *args, **kwargs))

    return method


def _semaphore_first(self, original, args, kwargs):
    """A non-blocking acquire, or one that finds a permit free, records nothing."""
    if not kwargs.get("blocking", args[0] if args else True):
        return original(self, *args, **kwargs)
    return True if original(self, False) else None


def _traced_semaphore(base):
    """`threading.Semaphore` or `BoundedSemaphore`, traced: `waiting_semaphore` while no permit
    is free, then the permit held as a `holding_lock` span until a release on the same lane
    (`with sem:`); a release from another lane ends the oldest hold."""
    waits = _traced_class(base, base.__name__, {"acquire": ("waiting_semaphore", _semaphore_first)})
    acquire, release = waits.acquire, base.release

    @functools.wraps(acquire)
    def acquire_(self, *args, **kwargs):
        got = acquire(self, *args, **kwargs)
        lane = current_lane() if got and self._conlab else None
        if lane is not None:
            span = open_span(lane, "holding_lock", self._conlab_name, user_site(2))
            self.__dict__.setdefault("_conlab_holds", []).append((lane, span))
        return got

    @functools.wraps(release)
    def release_(self, n=1):
        holds = self.__dict__.get("_conlab_holds")
        if holds:
            lane = current_lane()
            for _ in range(min(n, len(holds))):
                mine = [h for h in holds if h[0] is lane]
                hold = mine[-1] if mine else holds[0]
                holds.remove(hold)
                close_span(*hold)  # the hold ends before another thread can take the permit
        return release(self, n)

    def __exit__(self, *exc):
        self.release()

    return type(base.__name__, (waits,), {"acquire": acquire_, "__enter__": acquire_,
                                          "release": release_, "__exit__": __exit__})


def _event_first(self, original, args, kwargs):
    return True if self.is_set() else None


# ----------------------------------------------------------------------------- queue.Queue


def _install_queue():
    get, put = queue.Queue.get, queue.Queue.put

    @functools.wraps(get)
    def get_(self, block=True, timeout=None):
        if not block or not rec.on:
            return get(self, block, timeout)
        try:
            return get(self, False)
        except queue.Empty:
            return waiting("waiting_queue", _queue_label(self, ".get"),
                            functools.partial(get, self, True, timeout))

    @functools.wraps(put)
    def put_(self, item, block=True, timeout=None):
        if not block or not rec.on or self.maxsize <= 0:
            return put(self, item, block, timeout)
        try:
            return put(self, item, False)
        except queue.Full:
            return waiting("waiting_queue", _queue_label(self, ".put"),
                            functools.partial(put, self, item, True, timeout))

    init = queue.Queue.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if rec.on and user_creator(2):
            self._conlab_name = name_for("Queue")
            # Its length after every put and get, marked while the queue's lock is held (so in
            # the order they happened), as conlab's own queue marks it: `queue_len`.
            put, get = self._put, self._get

            def _put(item):
                put(item)
                _mark_len(self)

            def _get():
                item = get()
                _mark_len(self)
                return item

            self._put, self._get = _put, _get

    patching.patch(queue.Queue, "__init__", __init__)
    patching.patch(queue.Queue, "get", get_)
    patching.patch(queue.Queue, "put", put_)


def _mark_len(q):
    lane = current_lane()
    if lane is not None:
        add_mark(lane, "queue_len", str(q._qsize()), user_site(2))


def _queue_label(q, verb):
    return (q.__dict__.get("_conlab_name") or type(q).__name__) + verb


# ----------------------------------------------------------------------------- threads, sleep


def _install_threads():
    thread = threading.Thread
    bootstrap = thread._bootstrap_inner
    join = thread.join

    @functools.wraps(bootstrap)
    def _bootstrap_inner(self):
        if not rec.on or tls.off:
            return bootstrap(self)
        lane = tls.lane = new_lane("thread", self.name)
        try:
            bootstrap(self)
        finally:
            end_lane(lane)

    @functools.wraps(join)
    def join_(self, timeout=None):
        if not rec.on or not self.is_alive():
            return join(self, timeout)
        return waiting("waiting_join", self.name, functools.partial(join, self, timeout))

    patching.patch(thread, "_bootstrap_inner", _bootstrap_inner)
    patching.patch(thread, "join", join_)

    @functools.wraps(_sleep)
    def sleep(seconds):
        lane = current_lane()
        if lane is None:
            return _sleep(seconds)
        if tls.driver is None:
            # On a thread: open while it lasts (a daemon cut off mid-sleep shows it open).
            span = open_span(lane, "sleeping", f"sleep {fmt_ms(seconds)}", user_site(2))
            try:
                return _sleep(seconds)
            finally:
                close_span(lane, span)
        # Inside a task's step the call holds the whole event loop: `blocking`.
        start = now()
        try:
            _sleep(seconds)
        finally:
            add_span(lane, "blocking", start, now(), f"time.sleep {fmt_ms(seconds)}", user_site(2))

    patching.patch(time, "sleep", sleep)


# ----------------------------------------------------------------------------- blocking sockets


def _install_sockets():
    """Blocking sockets: an HTTP request's wait for its response (`http.client`, which
    `urllib.request.urlopen` uses) is one `blocked_io` span, however many reads it takes;
    elsewhere a socket's own receive that has to wait for data is `blocked_io` (one that finds
    data already there records nothing); a `connect` to a host and port is `connecting`.
    Non-blocking sockets (asyncio's) are left alone: the loop's own waits say what a task waits
    for."""
    cls = socket.socket
    for name in ("recv", "recv_into", "recvfrom", "recvfrom_into"):
        patching.patch(cls, name, _traced_recv(getattr(cls, name), name))
    patching.patch(cls, "connect", _traced_connect(cls.connect))

    connection = http.client.HTTPConnection
    getresponse = connection.getresponse

    @functools.wraps(getresponse)
    def getresponse_(self):
        lane = current_lane()
        if lane is None or tls.io:
            return getresponse(self)
        state = "blocking" if tls.driver is not None else "blocked_io"  # in a task: the loop waits
        span = open_span(lane, state, f"HTTP response from {self.host}:{self.port}", user_site(2))
        tls.io = True
        try:
            return getresponse(self)
        finally:
            tls.io = False
            close_span(lane, span)

    patching.patch(connection, "getresponse", getresponse_)


def _blocking(sock):
    lane = current_lane() if not tls.io else None  # within an HTTP wait: that wait says it
    return lane if lane is not None and sock.gettimeout() != 0.0 else None


def _peer(sock):
    """Who is at the socket's other end: `host:port`, a Unix socket's path, or nothing known."""
    try:
        peer = sock.getpeername()
    except OSError:
        return ""
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or "")


def _traced_recv(original, name):
    @functools.wraps(original)
    def recv(self, *args, **kwargs):
        lane = _blocking(self)
        if lane is None:
            return original(self, *args, **kwargs)
        try:
            ready = select.select([self], [], [], 0)[0]
        except (OSError, ValueError):
            ready = True
        if ready:
            return original(self, *args, **kwargs)
        state = "blocking" if tls.driver is not None else "blocked_io"  # in a task: the loop waits
        peer = _peer(self)
        span = open_span(lane, state, f"{name} from {peer}" if peer else name, user_site(2))
        try:
            return original(self, *args, **kwargs)
        finally:
            close_span(lane, span)

    return recv


def _traced_connect(original):
    @functools.wraps(original)
    def connect(self, address):
        lane = _blocking(self)
        if lane is None or not isinstance(address, tuple):  # a Unix socket's: no network wait
            return original(self, address)
        span = open_span(lane, "connecting", f"connect {address[0]}:{address[1]}", user_site(2))
        try:
            return original(self, address)
        finally:
            close_span(lane, span)

    return connect


def install():
    _install_threads()
    _install_queue()
    _install_sockets()
    patching.patch(threading, "Lock", _lock_factory(Lock, threading.Lock))
    patching.patch(threading, "RLock", _lock_factory(RLock, threading.RLock))
    patching.patch(threading, "Semaphore", _traced_semaphore(threading.Semaphore))
    patching.patch(threading, "BoundedSemaphore", _traced_semaphore(threading.BoundedSemaphore))
    condition = _traced_class(threading.Condition, "Condition", {})
    base_init = threading.Condition.__init__

    def __init__(self, lock=None):
        # A condition the program creates without a lock gets a traced one of its own (the
        # standard library's would be an untraced RLock), named as the condition. Its wait
        # is recorded between releasing the lock and taking it back, so the hold before, the
        # wait and the hold after follow one another.
        self._conlab = rec.on and user_creator(2)
        if self._conlab:
            self._conlab_name = name_for("Condition")
            if lock is None:
                lock = RLock(self._conlab_name)
        base_init(self, lock)
        if self._conlab:
            release_save, acquire_restore = self._release_save, self._acquire_restore
            waiting = []

            def _release_save():
                saved = release_save()
                lane = current_lane()
                if lane is not None:
                    waiting.append((lane, open_span(lane, "waiting_condition", self._conlab_name, user_site(2))))
                return saved

            def _acquire_restore(saved):
                lane = current_lane()
                for i in range(len(waiting) - 1, -1, -1):
                    if waiting[i][0] is lane:
                        close_span(*waiting.pop(i))
                        break
                acquire_restore(saved)

            self._release_save, self._acquire_restore = _release_save, _acquire_restore

    condition.__init__ = __init__
    patching.patch(threading, "Condition", condition)
    patching.patch(threading, "Event", _traced_class(
        threading.Event, "Event", {"wait": ("waiting_event", _event_first)}))
