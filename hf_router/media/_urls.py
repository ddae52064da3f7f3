"""The URL policy of media downloads: which URLs a provider may point us at.

Only ``https:`` and ``data:`` URLs, or URLs on the configured router's own origin, are
fetched; a host that is (or resolves to) a loopback, private, shared, link-local, multicast,
reserved or metadata address is refused for every scheme, unless it is the router's origin
(the local emulator). Anything refused is an :class:`~hf_router.errors.UnsafeURLError` and
nothing is requested.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from ..errors import DownloadError, UnsafeURLError

__all__ = ["acheck_host", "check_url", "is_router_url", "shown"]


def shown(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def is_router_url(url: str, router_url: str) -> bool:
    """True when ``url`` has the router's scheme, host and port."""
    try:
        return bool(urlsplit(url).hostname) and _origin(url) == _origin(router_url)
    except ValueError:
        return False


def check_url(url: str, router_url: str) -> None:
    """Refuse (:class:`UnsafeURLError`) any URL that is not ``https:``, ``data:`` or on the
    router's own origin, and any written with a non-public IP address (loopback, private,
    link-local, multicast, reserved: cloud metadata services live there); nothing is
    fetched. Host names are checked once resolved, by :func:`acheck_host`."""
    if not isinstance(url, str):
        raise UnsafeURLError("The provider gave no usable URL", url=None)
    if url.startswith("data:") or is_router_url(url, router_url):
        return
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() == "https" and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise UnsafeURLError(
            f"Refused to download {shown(url)!r}: only https:, data: and router URLs are fetched",
            url=shown(url),
        )
    literal = _ip(parts.hostname or "")
    if literal is not None and not _public(literal):
        raise _private(url, str(literal))


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet (not loopback, private, shared,
    link-local, multicast, reserved or unspecified)."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return _public(mapped)
    return ip.is_global and not ip.is_multicast


def _private(url: str, address: str) -> UnsafeURLError:
    return UnsafeURLError(
        f"Refused to download {shown(url)!r}: its host is a non-public address ({address})",
        url=shown(url),
        hint="Generated files are only fetched from public https: hosts (or the router); "
        "loopback, private, link-local and metadata addresses are never contacted.",
    )


async def acheck_host(url: str, router_url: str) -> None:
    """Resolve the host of an ``https:`` URL and refuse (:class:`UnsafeURLError`) it when any
    of its addresses is not public (the router's own origin is always allowed)."""
    if url.startswith("data:") or is_router_url(url, router_url):
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _ip(host) is not None:
        return  # a literal address: already checked by check_url
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DownloadError(
            f"Could not resolve the host of {shown(url)!r} ({type(exc).__name__})",
            url=shown(url),
        ) from None
    for info in infos:
        address = _ip(str(info[4][0]))
        if address is None or not _public(address):
            raise _private(url, str(info[4][0]))
