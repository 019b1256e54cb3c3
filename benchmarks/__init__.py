"""Benchmarks: commands that print speed and memory figures against the project's targets.

Run from the repository root as ``python -m benchmarks.NAME``. They are never timed unit
tests: machines differ, so figures are printed for people to read, not asserted.
"""
