"""Benchmarks for timeline: ``python -m benchmarks`` (see benchmarks/README.md).

A workload is a function registered with :func:`benchmarks.harness.workload`; it takes the
run's :class:`~benchmarks.harness.Context` and returns rows of the results table
(:class:`~benchmarks.harness.Row`). Timings are reported, never asserted.
"""
