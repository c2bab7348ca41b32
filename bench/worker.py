"""A real Celery worker in a subprocess (``celery -A config worker``), the
process production runs, for the export benchmark and the end-to-end tests.

    with celery_worker(database_url=..., media_root=...) as worker:
        ...                       # tasks sent to the broker run there
        worker.peak_rss_mb()      # the worker's own peak resident memory

The worker uses the broker of ``CELERY_BROKER_URL`` (Redis in CI and
production; the filesystem broker works too on one machine), the solo pool
(one process: its peak memory is the job's) and is stopped with TERM (a warm
shutdown), then KILL if it does not stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def peak_rss_mb(self) -> float | None:
        """VmHWM of the worker process (Linux), in MB."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the worker says it is ready (its log line ``ready.``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited early:\n{self.output()[-3000:]}")
            if " ready." in self.output():
                return
            time.sleep(0.05)
        raise TimeoutError(f"the Celery worker did not start in {timeout} s:\n{self.output()[-3000:]}")


def database_url(settings_dict: dict) -> str:
    """A ``DATABASE_URL`` for Django's connection settings (PostgreSQL)."""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def celery_worker(
    *,
    log: Path,
    env: dict | None = None,
    ready_timeout: float = 90,
    queues: str | None = None,
    name: str = "bench",
    concurrency: int | None = None,
) -> Iterator[Worker]:
    """Start ``celery -A config worker`` (solo pool) with ``env`` over this
    process's environment; wait until it is ready; stop it afterwards.
    ``queues`` (``"critical"``, ``"default,bulk"``): only those, else every queue.
    ``concurrency``: that many worker processes (prefork pool) instead of one."""
    pool = ["--pool", "prefork", "--concurrency", str(concurrency)] if concurrency else ["--pool", "solo"]
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", *pool, "-l", "info", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", f"{name}-{os.getpid()}@%h",
         *(["-Q", queues] if queues else [])],
        cwd=ROOT,
        env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0", **(env or {})},
        stdout=handle,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = Worker(process=process, log=log)
    try:
        worker.wait_ready(ready_timeout)
        yield worker
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        handle.close()
