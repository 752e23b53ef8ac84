"""The tracer benchmark's floor: a program that does nothing, so its run is Python starting
and ending."""
