"""Run one measurement module in this process and print its result as JSON.

``python -m bench.measure MODULE`` with ``DATABASE_URL`` pointing at a seeded
data set. A module is ``bench/<name>.py`` with ``run(ctx: bench.core.Ctx) ->
dict``; the dict maps figure names to ``{"ms": …}`` or ``{"seconds": …}``
(plus anything useful: ``queries``, ``rows``, ``rss_mb``), or
``{"pending": "why"}`` when the code it measures has not landed. The process
is fresh per module, so ``rss_mb`` (peak resident memory of this process) is
the module's own peak.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from datetime import datetime


def main() -> None:
    name = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import importlib

    from bench.core import Ctx, meta_read

    meta = meta_read()
    ctx = Ctx(orders=int(meta["orders"]), now=datetime.fromisoformat(meta["seeded_at"]))
    module = importlib.import_module(f"bench.{name}")
    result = module.run(ctx)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"module": name, "peak_rss_mb": round(peak_mb, 1), "figures": result}, default=str))


if __name__ == "__main__":
    main()
