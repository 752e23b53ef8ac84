"""The standard figures of a trace (conlab computes them again when it loads one; these make
the file right on its own): busy time per lane, the most lanes busy at once, their sum and
the speedup. Busy states are those of conlab's `SpanState::is_busy`."""

BUSY = frozenset(("running", "computing", "sleeping", "blocked_io", "blocking", "holding_lock", "in_flight"))


def compute(spans, end):
    """`spans`: (lane, state, start, end, ...) in start order (only differences of times
    count, so they may be as recorded)."""
    current = {}  # lane -> [start, end] of its busy stretch so far
    stretches = []  # (lane, start, end): each lane's busy time, nested spans joined
    for lane, state, a, b, *_ in spans:
        if state not in BUSY or b <= a:
            continue
        c = current.get(lane)
        if c is not None and a <= c[1]:
            if b > c[1]:
                c[1] = b
            continue
        if c is not None:
            stretches.append((lane, c[0], c[1]))
        current[lane] = [a, b]
    stretches += [(lane, a, b) for lane, (a, b) in current.items()]
    busy = {}
    edges = []
    for lane, a, b in stretches:
        busy[lane] = busy.get(lane, 0) + b - a
        edges.append((a, 1))
        edges.append((b, -1))
    edges.sort()  # ends before starts at the same instant: back to back is not at once
    level = peak = 0
    for _, d in edges:
        level += d
        if level > peak:
            peak = level
    total = sum(busy.values())
    return {
        "makespan": end,
        "busy": [{"lane": lane, "busy": busy[lane]} for lane in sorted(busy)],
        "peak_concurrency": peak,
        "sequential_sum": total,
        "speedup": total / end if end else 0.0,
    }
