"""Printed lines: each line the program prints to stdout is recorded with its time, the lane
that printed it (the running task, else the thread) and the program's line that printed it,
and still goes to the real stdout."""

import builtins
import sys

from . import patching
from .recorder import add_output, current_lane, rec, user_site

_print = builtins.print


def print(*args, sep=" ", end="\n", file=None, flush=False):
    if file is None or file is sys.stdout:
        lane = current_lane()
        if lane is not None:
            text = (" " if sep is None else sep).join(map(str, args)) + ("\n" if end is None else end)
            add_output(lane, text, user_site(2))
            out = sys.stdout
            if out is not None:
                out.write(text)
                if flush:
                    out.flush()
            return
    _print(*args, sep=sep, end=end, file=file, flush=flush)


def flush_pending():
    """Lines left without a newline at the end count as printed."""
    for lane in rec.lanes:
        if lane.pending:
            add_output(lane, "\n", None)


def reset():
    for lane in rec.lanes:
        lane.pending = ""


def install():
    patching.patch(builtins, "print", print)
