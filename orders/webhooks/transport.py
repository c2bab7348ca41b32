"""One HTTP POST of a delivery to its checked address (W1): short timeouts,
no redirects, only a small excerpt of the answer read.

Connections are kept alive per worker process, one pool per checked target
(scheme, address, port, host name): a pool is keyed by the address that was
checked, so a host whose DNS answer changes gets a new pool, never a
connection to an address that was not checked."""

from __future__ import annotations

from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings

from .targets import Target

EXCERPT_BYTES = 200


@dataclass(frozen=True)
class Answer:
    status: int | None
    excerpt: str
    error: str


MAX_POOLS = 64
_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.ip, target.port, target.host)
    pool = _pools.get(key)
    if pool is None:
        if len(_pools) >= MAX_POOLS:
            pools_close()
        pool = _pools[key] = _new_pool(target)
    return pool


def pools_close() -> None:
    for pool in _pools.values():
        pool.close()
    _pools.clear()


def _new_pool(target: Target) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, read=settings.WEBHOOK_READ_TIMEOUT_SECONDS
    )
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.ip,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.ip, target.port, timeout=timeout, retries=False)
    return pool


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    pool = _pool(target)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(EXCERPT_BYTES, decode_content=False)
            if response.length_remaining != 0:
                # Unread answer left on the wire (or no length): the connection
                # cannot carry another request; close it rather than read on.
                response.close()
        except BaseException:
            response.close()
            raise
        finally:
            response.release_conn()
        return Answer(status=response.status, excerpt=excerpt.decode("utf-8", "replace"), error="")
    except urllib3.exceptions.HTTPError as exc:
        return Answer(status=None, excerpt="", error=f"{type(exc).__name__}: {exc}"[:300])
