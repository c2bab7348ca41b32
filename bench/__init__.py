"""Benchmarks run by ``make bench`` (issue 7): each measurement is a module
with ``run(ctx) -> dict`` executed in its own process by ``bench.measure``;
``bench.run`` loads the data sets, runs every module at 1M and 100k orders and
writes ``var/bench.json`` plus a table."""
