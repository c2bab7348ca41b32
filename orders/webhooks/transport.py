"""One HTTP POST of a delivery to its checked address (W1): short timeouts,
no redirects, only a small excerpt of the answer read."""

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


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, read=settings.WEBHOOK_READ_TIMEOUT_SECONDS
    )
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
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
        finally:
            response.release_conn()
        return Answer(status=response.status, excerpt=excerpt.decode("utf-8", "replace"), error="")
    except urllib3.exceptions.HTTPError as exc:
        return Answer(status=None, excerpt="", error=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        pool.close()
