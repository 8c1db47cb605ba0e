"""Benchmark harness on Solomon / Gehring-Homberger VRPTW instances.

Run ``python -m dispatch.bench --help``. Peers (PyVRP, VROOM) are imported
lazily inside :mod:`dispatch.bench.peers`, so the engine never depends on them.
"""
