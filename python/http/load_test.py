"""A load tester, as wrk is one: `clients` tasks, each an async HTTP client (httpx) on one
connection it keeps alive, share out `requests` and send them one after another, each posting
a form with a `payload_kb` file (a GET without a body when 0). Without a `rate` they go as fast
as they can; with one, requests fall due on a fixed schedule and each latency counts from
when its request was due (as wrk2 does), so a server that stalls cannot hide it by holding
the clients back. Every request is accounted for: sent = succeeded + failed, failures by kind.
Then the report: latency percentiles, a histogram, requests per second, bytes each way."""

import asyncio
import bisect
import collections
import math
import os
import time
import zlib

import httpx

from conlab_trace import (Target, chart, latency, mark, metric, param, seconds, span, target,
                          test_server)

TIMEOUT = 30  # s: a request unanswered this long has timed out
END_GRACE = 2_000_000_000  # ns: after a run for a duration, what is still in flight is cut off
MARKS_PER_KIND = 20  # request_failed marks per kind (the counts are complete)
FINE_SECONDS = 5  # a run this short has its series in tenths of a second, a longer one in seconds
EDGES = [m * 10**k for k in range(13) for m in (1, 2, 5)]  # histogram edges, ns: 1, 2, 5, 10 …

#: What every client sends, made once: its body encoded, its length on the wire (`wire`).
Request = collections.namedtuple("Request", "method url body headers wire")


class Schedule:
    """Hands out the requests: `take` gives when the next is due (ns, monotonic clock), None
    once the run is done. A run for a duration ends with it: requests due later are not sent
    (without a rate, each client still sends a first one)."""

    def __init__(self, requests, duration, rate):
        self.requests, self.duration, self.taken = requests, duration, 0
        self.period = 1e9 / rate if rate else None
        self.start = time.monotonic_ns()

    def take(self, first):
        now = time.monotonic_ns()
        due = self.start + int(self.taken * self.period) if self.period else None
        if self.duration:
            end = self.start + self.duration
            more = (self.start if due is None else due) < end and (first or now < end)
        else:
            more = self.taken < self.requests
        if not more:
            return None
        self.taken += 1
        return now if due is None else due

    def scheduled(self):
        """How many requests the run sends, where that is known up front."""
        if not self.duration:
            return self.requests
        return math.ceil(self.duration / self.period) if self.period else None

    def length(self):
        """How long the run lasts at least: its duration, or its schedule's."""
        if not self.duration and self.period:
            return int(self.requests * self.period)
        return self.duration


class Tally:
    """What the clients counted as their requests completed (one loop: no locks)."""

    def __init__(self, start):
        self.start = start
        self.sent = self.ok = self.failed = self.bytes_sent = self.bytes_received = 0
        self.errors = {}  # kind -> count
        self.latencies = []  # ns from each answered request's due time
        self.service = []  # ns from its actual send (what a naive tester reports)
        self.done = []  # (ns after the start, latency or None): when each request completed

    def count(self, wire, response, error, due, sent, end):
        """One request's outcome (`due`, `sent`, `end`: when it was due, sent, completed)."""
        if not error or not error.startswith("connect"):
            self.bytes_sent += wire
        answered = None
        if response is not None:
            answered = end - min(due, sent)
            self.latencies.append(answered)
            self.service.append(end - sent)
            self.bytes_received += len(response.content) + head_bytes(
                f"HTTP/1.1 {response.status_code} {response.reason_phrase}", response.headers.raw)
        self.done.append((end - self.start, answered))
        if error is None:
            self.ok += 1
            return
        self.failed += 1
        seen = self.errors.get(error, 0)
        if seen < MARKS_PER_KIND:
            mark("request_failed", error)
        self.errors[error] = seen + 1


def head_bytes(first_line, headers):
    """The length of an HTTP head on the wire."""
    return len(first_line) + 2 + sum(len(k) + len(v) + 4 for k, v in headers) + 2


async def send(http, request, limit):
    """One request: (its response or None, what went wrong or None)."""
    try:
        async with asyncio.timeout(limit):
            response = await http.request(request.method, request.url, content=request.body,
                                          headers=request.headers)
    except TimeoutError:
        return None, "timed out" if limit == TIMEOUT else "still in flight when the run ended"
    except httpx.ConnectError as e:
        return None, f"connect: {e}"
    except httpx.HTTPError as e:
        return None, f"{type(e).__name__}: {e}"
    return response, None if response.is_success else f"HTTP {response.status_code}"


async def client(schedule, tally, request, cut_off, tls):
    one = httpx.Limits(max_connections=1)  # its one connection, kept alive between requests
    async with httpx.AsyncClient(limits=one, timeout=None, verify=tls, trust_env=False) as http:
        first = True
        while (due := schedule.take(first)) is not None:
            first = False
            if (wait := due - time.monotonic_ns()) > 0:
                await asyncio.sleep(wait / 1e9)
            sent = time.monotonic_ns()
            tally.sent += 1
            # In a run for a duration, a request may last until a little after its end.
            limit = TIMEOUT if cut_off is None else \
                min(TIMEOUT, (max(cut_off, sent + END_GRACE) - sent) / 1e9)
            with span("in_flight", "request") as drawn:
                response, error = await send(http, request, limit)
                if error:
                    drawn.label = "request (failed)"
            tally.count(request.wire, response, error, due, sent, time.monotonic_ns())
            if error and error.startswith("connect"):
                await asyncio.sleep(0.01)  # a server that refuses is not hammered with connects


def at(values, q):
    """The `q` quantile of sorted `values` (the smallest value with at least q of them at or
    below it)."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def summary(values, window):
    return {"count": len(values), "min": values[0], "mean": sum(values) // len(values),
            "p50": at(values, 0.5), "p90": at(values, 0.9), "p99": at(values, 0.99),
            "p999": at(values, 0.999), "max": values[-1],
            "throughput_per_s": len(values) / (max(window, 1) / 1e9)}


def histogram(values):
    """Bars with 1-2-5 edges from the fastest answer to the slowest: (upper edge in ms, how
    many answers below it and not below the edge before)."""
    bars, below = [], 0
    for edge in EDGES:
        if edge <= values[0]:
            continue
        n = bisect.bisect_left(values, edge)
        bars.append((edge / 1e6, n - below))
        below = n
        if edge > values[-1]:
            break
    return bars


def series(done, took):
    """Responses per second and their p99 (ms), per tenth of a second (per second in a run
    longer than FINE_SECONDS), each at its interval's end."""
    step = 100_000_000 if took <= FINE_SECONDS * 1e9 else 1_000_000_000
    intervals = [[0, []] for _ in range(max(1, math.ceil(took / step)))]
    for t, lat in done:
        interval = intervals[min(len(intervals) - 1, t // step)]
        interval[0] += 1
        if lat is not None:
            interval[1].append(lat)
    rate, p99 = [], []
    for i, (n, lats) in enumerate(intervals):
        end = min(took, (i + 1) * step) if i == len(intervals) - 1 else (i + 1) * step
        rate.append((end / 1e9, n / (max(end - i * step, 1) / 1e9)))
        p99.append((end / 1e9, at(sorted(lats), 0.99) / 1e6 if lats else 0))
    return rate, p99


def report(tally, took, rate, behind):
    secs = max(took, 1) / 1e9
    print(f"requests: {tally.sent:,} sent, {tally.ok:,} succeeded, {tally.failed:,} failed "
          f"({len(tally.latencies):,} answered), in {secs:.2f} s")
    if behind:
        print(f"{behind:,} due on the schedule never sent: the clients fell behind")
    values = sorted(tally.latencies)
    if values:
        s = summary(values, took)
        ms = {k: s[k] / 1e6 for k in ("min", "mean", "p50", "p90", "p99", "p999", "max")}
        print(f"latency (ms{', from intended send times' if rate else ''}): min {ms['min']:.3f}  "
              f"mean {ms['mean']:.3f}  p50 {ms['p50']:.3f}  p90 {ms['p90']:.3f}  p99 {ms['p99']:.3f}  "
              f"p99.9 {ms['p999']:.3f}  max {ms['max']:.3f}")
        latency(s)
        bars = histogram(values)
        chart("latency_histogram", "latency histogram", "bars", "ms", "requests", bars)
        tallest = max(n for _, n in bars)
        print("latency histogram (ms, up to):")
        for edge, n in bars:
            print(f"  {edge:>10.3f} {n:>9} {'#' * round(n / tallest * 40)}")
    else:
        print("latency: no answers to measure")
    if rate and tally.service:
        service = sorted(tally.service)
        print(f"  from actual send times (what a naive tester reports): "
              f"p50 {at(service, 0.5) / 1e6:.3f}  p99 {at(service, 0.99) / 1e6:.3f}  "
              f"max {service[-1] / 1e6:.3f}")
        metric("service_p99_ms", at(service, 0.99) / 1e6, "ms")
    mb_sent, mb_received = tally.bytes_sent / 1e6, tally.bytes_received / 1e6
    print(f"throughput: {len(values) / secs:,.1f} answers/s · sent {mb_sent:.2f} MB "
          f"({mb_sent / secs:.2f} MB/s) · received {mb_received:.3f} MB ({mb_received / secs:.3f} MB/s)")
    if tally.errors:
        print("errors: " + "; ".join(f"{n} × {kind}" for kind, n in
                                     sorted(tally.errors.items(), key=lambda e: -e[1])))
    for kind, n in tally.errors.items():
        mark("errors", f"{n}\t{kind}")
    metric("sent", tally.sent, "requests")
    metric("succeeded", tally.ok, "requests")
    metric("failed", tally.failed, "requests")
    metric("requests_per_s", len(values) / secs, "req/s")
    metric("mb_sent", mb_sent, "MB")
    metric("mb_received", mb_received, "MB")
    metric("mb_per_s_sent", mb_sent / secs, "MB/s")
    metric("mb_per_s_received", mb_received / secs, "MB/s")
    per_second, p99 = series(tally.done, took)
    chart("requests_per_second", "responses per second", "line", "s", "req/s", per_second)
    chart("p99_per_second", "p99 latency per second", "line", "s", "ms", p99)


async def main():
    clients, requests, rate = param("clients"), param("requests"), param("rate")
    duration, size, url = round(seconds("duration_ms") * 1e9), param("payload_kb") * 1024, param("url")
    method = "POST" if size else "GET"
    if url:
        where = target(url)
    else:  # conlab's own test server: it checks each upload and counts what it saw
        server = test_server()
        where = Target(server.host, server.port, f"{server.host}:{server.port}",
                       "/upload" if size else "/hello")
    host = f"[{where.host}]" if ":" in where.host else where.host
    address = f"http://{host}:{where.port}{where.path}"
    form = {}
    if size:
        payload = os.urandom(size)
        form = {"data": {"length": str(size), "crc32": f"{zlib.crc32(payload):08x}"},
                "files": {"file": ("payload.bin", payload, "application/octet-stream")}}
    # The request is made once (its form encoded once), then sent over and over.
    made = httpx.Request(method, address, headers={"Host": where.authority}, **form)
    body = made.read()
    wire = head_bytes(f"{method} {where.path} HTTP/1.1", made.headers.raw) + len(body)
    request = Request(method, address, body or None, dict(made.headers), wire)
    pace = f"at {rate} req/s, latency from each request's intended send time" if rate else \
        "as fast as they go"
    amount = f"for {duration / 1e6:g} ms" if duration else f"{requests:,} requests"
    print(f"{method} http://{where.authority}{where.path} — {clients} clients, {amount}, {pace}")
    if size:
        print(f"each request posts a form with a {size // 1024} KB file ({wire:,} bytes on the wire)")
    # Made once for all: each client loading the CA bundle itself would take 40 ms.
    tls = httpx.create_ssl_context()
    schedule = Schedule(requests, duration, rate)
    tally = Tally(schedule.start)
    cut_off = schedule.start + duration + END_GRACE if duration else None
    await asyncio.gather(*(asyncio.create_task(client(schedule, tally, request, cut_off, tls),
                                               name=f"client-{c + 1}") for c in range(clients)))
    # A run on a schedule or for a duration lasts as long as it (its rate is measured over it).
    if (rest := schedule.start + schedule.length() - time.monotonic_ns()) > 0:
        await asyncio.sleep(rest / 1e9)
    took = time.monotonic_ns() - schedule.start
    scheduled = schedule.scheduled()
    unsent = 0 if scheduled is None else max(0, scheduled - tally.sent)
    metric("unsent", unsent, "requests")
    report(tally, took, rate, unsent)


if __name__ == "__main__":
    asyncio.run(main())
