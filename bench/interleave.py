"""Growth figures (1M ÷ 100k) from measurements interleaved in time.

Timed in two processes minutes apart, the 1M and 100k figures of a module
saw different loads on a shared 2-core machine, and their ratio (the
"growth" target ≤ 1.3) moved by ±30 % between runs. Here one worker process
per data set prepares the module's calls (``prepare(ctx) -> {figure: fn}``)
and the coordinator asks them in turn for one timed call each: per
repetition, figure by figure, 1M then 100k (then 100k first on the next
repetition). A load spike hits both sides of a pair alike.

Each figure gets ``ms`` (median at that size) and ``queries``; the 1M side
also gets ``growth``: the median of the per-pair ratios 1M ÷ 100k.

``python -m bench.interleave MODULE [REPS]`` with ``DATABASE_URL`` (1M) and
``BENCH_SMALL_URL`` (default: database ``bench_100k`` on the same server)
prints both sides as JSON; ``bench.run`` uses ``measure_pair``.
``python -m bench.interleave --worker MODULE`` is the worker (stdin/stdout,
one JSON object a line).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
REPS = 25


def _send(out, obj) -> None:
    out.write(json.dumps(obj, default=str) + "\n")
    out.flush()


def worker(name: str) -> None:
    """Prepare ``bench.<name>`` on ``DATABASE_URL``; answer ``{"time": figure}``
    with ``{"ms": …}`` until ``{"quit": true}`` or end of input."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import importlib
    from datetime import datetime

    from bench.core import Ctx, count_queries, meta_read

    # Django and the app may log to stdout: keep it for the protocol only.
    out, sys.stdout = sys.stdout, sys.stderr
    meta = meta_read()
    ctx = Ctx(orders=int(meta["orders"]), now=datetime.fromisoformat(meta["seeded_at"]))
    calls = importlib.import_module(f"bench.{name}").prepare(ctx)
    if "pending" in calls:
        _send(out, {"pending": calls["pending"]})
        return
    queries = {fig: count_queries(fn) for fig, fn in calls.items()}  # also the warm-up call
    _send(out, {"figures": list(calls), "queries": queries})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        fn = calls[cmd["time"]]
        t = time.perf_counter()
        fn()
        _send(out, {"ms": (time.perf_counter() - t) * 1000})


class _Worker:
    def __init__(self, module: str, url: str):
        env = {**os.environ, "DATABASE_URL": url}
        self.stderr = tempfile.TemporaryFile(mode="w+")  # a pipe left unread could fill and block the worker
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.interleave", "--worker", module],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            err = self.stderr.read().strip().splitlines()
            raise RuntimeError(err[-1] if err else "worker exited")
        return json.loads(line)

    def ask(self, obj) -> dict:
        _send(self.proc.stdin, obj)
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                _send(self.proc.stdin, {"quit": True})
                self.proc.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def measure_pair(module: str, big_url: str, small_url: str, reps: int = REPS) -> tuple[dict, dict]:
    """(1M result, 100k result), each shaped like ``bench.measure``'s output."""
    started = time.monotonic()
    workers = {"big": _Worker(module, big_url), "small": _Worker(module, small_url)}
    try:
        hello = {side: w.read() for side, w in workers.items()}
        if any("pending" in h for h in hello.values()):
            pending = next(h for h in hello.values() if "pending" in h)
            return {"figures": pending}, {"figures": pending}
        figures = hello["big"]["figures"]
        samples = {side: {fig: [] for fig in figures} for side in workers}
        for rep in range(reps):
            order = ("big", "small") if rep % 2 == 0 else ("small", "big")
            for fig in figures:
                for side in order:
                    samples[side][fig].append(workers[side].ask({"time": fig})["ms"])
    except RuntimeError as exc:
        return {"error": str(exc)}, {"error": str(exc)}
    finally:
        for w in workers.values():
            w.close()
    wall = round(time.monotonic() - started, 1)
    out = {}
    for side in workers:
        out[side] = {
            "module": module,
            "interleaved_reps": reps,
            "wall_seconds": wall,
            "figures": {
                fig: {"ms": round(statistics.median(samples[side][fig]), 2), "queries": hello[side]["queries"][fig]}
                for fig in figures
            },
        }
    for fig in figures:
        pairs = [b / s for b, s in zip(samples["big"][fig], samples["small"][fig], strict=True) if s]
        out["big"]["figures"][fig]["growth"] = round(statistics.median(pairs), 2) if pairs else None
    return out["big"], out["small"]


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(argv[1])
        return 0
    module = argv[0]
    reps = int(argv[1]) if len(argv) > 1 else REPS
    big = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/bench_1m"
    small = os.environ.get("BENCH_SMALL_URL") or _with_db(big, "bench_100k")
    big_result, small_result = measure_pair(module, big, small, reps)
    print(json.dumps({"1M": big_result, "100k": small_result}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
