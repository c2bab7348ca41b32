"""Rule W1, SSRF guard: a webhook may only reach a public address.

The URL is checked when it is registered and again at every delivery, after
resolving the host: the connection then goes to the address that was checked
(TLS still verifies the certificate for the host name), so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot point a
delivery at the platform's own network.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from ..errors import OrderError


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (Host header, TLS name)
    port: int
    path: str  # path and query
    ip: str  # the checked address the connection goes to


def _resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a seam for tests: DNS leaves the system)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _is_public(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _refuse(reason: str) -> OrderError:
    return OrderError(
        "url_not_allowed", _("This URL cannot receive events: %(reason)s") % {"reason": reason}, status=400
    )


def resolve_target(url: str) -> Target:
    """The URL's checked target; ``url_not_allowed`` (400) when it is not
    http(s), has credentials, or any address of its host is not public
    (loopback, private, link-local, reserved) without
    ``settings.WEBHOOK_ALLOW_PRIVATE_TARGETS``."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse(_("not a valid URL")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(_("only http and https URLs with a host"))
    if parts.username or parts.password:
        raise _refuse(_("credentials in the URL"))
    host = parts.hostname
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        raise _refuse(_("the host does not resolve")) from None
    if not addresses:
        raise _refuse(_("the host does not resolve"))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and not all(_is_public(ip) for ip in addresses):
        raise _refuse(_("not a public address"))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, ip=addresses[0])
