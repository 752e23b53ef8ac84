"""conlab's tracer for Python programs: runs a lesson's program under CPython and records
what its threads, tasks and processes did into conlab's trace format (`conlab.trace/1`).

    PYTHONPATH=python python3 -m conlab_trace python/asyncio/two_tasks.py \
        --scenario asyncio-two-tasks --param sleep_ms=200 --out trace.json

Programs record what the checks read with the helper API:

    from conlab_trace import mark, phase, metric, param, seconds
"""

from .api import (
    Target,
    chart,
    clock,
    computing,
    lane,
    latency,
    mark,
    metric,
    param,
    phase,
    run_id,
    seconds,
    server_file,
    servers,
    span,
    target,
    test_server,
    untraced,
    watch_for_deadlock,
)

__all__ = ["Target", "chart", "clock", "computing", "lane", "latency", "mark", "metric", "param",
           "phase", "run_id", "seconds", "server_file", "servers", "span", "target", "test_server",
           "untraced", "watch_for_deadlock"]
