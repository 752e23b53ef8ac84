"""`python3 -m conlab_trace PROGRAM.py --scenario ID --param name=value ... --out trace.json`

Runs PROGRAM.py as `__main__` under the tracer and writes one trace. Exits 0 when the
program ran to its end, 1 when it failed (the trace says why), 2 on a bad command line, 3
when the run was cut short (past --limit-ms or --max-events, or stopped by SIGTERM: the
trace holds what it recorded until then).
"""

import argparse
import os
import resource
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m conlab_trace", description=__doc__.splitlines()[0])
    parser.add_argument("program", help="the Python program to run")
    parser.add_argument("--scenario", help="the scenario id (default: from the program's path)")
    parser.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter, as conlab writes it (sleeps_ms=300,100,200); repeatable")
    parser.add_argument("--out", "-o", default="trace.json", help="where to write the trace")
    parser.add_argument("--limit-ms", type=int, help="end the run after this long (status timed_out)")
    parser.add_argument("--max-events", type=int,
                        help="end the run once it recorded more events than this (status refused)")
    args = parser.parse_args(argv)

    from . import api, catalog, tracer, watchdog

    params = {}
    for item in args.param:
        name, eq, value = item.partition("=")
        if not eq or not name:
            parser.error(f"`{item}` is not of the form name=value")
        params[name.strip()] = value.strip()
    scenario = args.scenario or catalog.scenario_of(os.path.abspath(args.program)) or \
        os.path.splitext(os.path.basename(args.program))[0]
    api.scenario["id"] = scenario
    for name, default in catalog.SCENARIOS.get(scenario, (None, {}))[1].items():
        if name not in params:
            params[name] = ",".join(map(str, default)) if isinstance(default, list) else \
                str(default).lower() if isinstance(default, bool) else str(default)
    params.setdefault(catalog.TIME_SCALE, "1")
    for name, value in params.items():
        try:
            catalog.parse(value, catalog.SCENARIOS.get(scenario, (None, {}))[1].get(name))
        except ValueError as e:
            parser.error(f"parameter `{name}`: {e}")
    if not os.path.isfile(args.program):
        parser.error(f"no program at {args.program}")

    # Many connections at once (io-switch with thousands of fetches) need many descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass

    if scenario in catalog.SLOW_SERVER and not os.environ.get("CONLAB_TEST_SERVER"):
        from .testserver import start_stand_in

        # Before the run starts (its start is no part of the program's time), failing the
        # share of requests load-test asks of conlab's server.
        start_stand_in(int(params.get("fail_percent", 0)))

    out = os.path.abspath(args.out)
    code = tracer.compile_program(args.program)
    tracer.start(params)
    watchdog.arm(lambda status, end: tracer.write(tracer.trace(scenario, params, status, end), out),
                 args.limit_ms, args.max_events)
    status = tracer.run_program(args.program, code)
    end = tracer.finish()
    watchdog.disarm()
    from .recorder import rec

    rec.metrics.setdefault("timer_lateness_ms", (tracer.timer_lateness_ms(), "ms"))
    tracer.write(tracer.trace(scenario, params, status, end), out)
    sys.stdout.flush()
    return 0 if status["kind"] == "ok" else 1


if __name__ == "__main__":
    code = main()
    # The program has ended (its atexit functions ran as the run ended) and the trace is
    # written: leave without tearing down every object the recording holds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
