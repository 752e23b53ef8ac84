"""The standard figures of a trace (conlab computes them again when it loads one; these make
the file right on its own): busy time per lane, the most lanes busy at once, their sum and
the speedup. Busy states are those of conlab's `SpanState::is_busy`."""

BUSY = frozenset(("running", "computing", "sleeping", "blocked_io", "blocking", "holding_lock", "in_flight"))


def compute(lanes, states, starts, ends, end):
    """The spans as columns (span i is `lanes[i]`, `states[i]`, `starts[i]`, `ends[i]`), in
    start order; only differences of times count, so they may be as recorded."""
    stretch_start = {}  # lane -> start of its busy stretch so far (nested spans joined)
    stretch_end = {}  # lane -> its end
    busy = {}  # lane -> busy time in its stretches ended so far
    edges_up = []  # when each stretch began
    edges_down = []  # and ended
    up, down = edges_up.append, edges_down.append
    for lane, state, a, b in zip(lanes, states, starts, ends):
        if b <= a or state not in BUSY:
            continue
        e = stretch_end.get(lane)
        if e is not None:
            if a <= e:
                if b > e:
                    stretch_end[lane] = b
                continue
            s = stretch_start[lane]
            busy[lane] = busy.get(lane, 0) + e - s
            up(s)
            down(e)
        stretch_start[lane] = a
        stretch_end[lane] = b
    for lane, e in stretch_end.items():
        s = stretch_start[lane]
        busy[lane] = busy.get(lane, 0) + e - s
        up(s)
        down(e)
    total = sum(busy.values())
    return {
        "makespan": end,
        "busy": [{"lane": lane, "busy": busy[lane]} for lane in sorted(busy)],
        "peak_concurrency": _peak(edges_up, edges_down),
        "sequential_sum": total,
        "speedup": total / end if end else 0.0,
    }


def _peak(starts, ends):
    """The most stretches going on at once; one that ends where another starts is not at once
    with it (back to back)."""
    starts.sort()
    ends.sort()
    peak = ended = 0
    last = len(ends)
    for going, t in enumerate(starts, 1):
        while ended < last and ends[ended] <= t:
            ended += 1
        if going - ended > peak:
            peak = going - ended
    return peak
