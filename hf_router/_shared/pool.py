"""Connection pools: the sharded httpx transport every session uses, and the per-credential
client pools of the seed facades (one client per configuration, keyed by a digest of the token
or cookie, never the secret itself).

Why shards: httpcore's pool walks its connections and its waiting requests each time a request
starts or ends, so one pool serving N requests at once costs O(N) per request. Measured against
the emulator (100 ms per answer, ``RouterClient.abatch``), one pool cost 4.0 ms of client CPU per
request at 16 in flight and 5.9-8.9 ms at 64-512; pools of 32 connections 3.6 then 4.4-5.4 ms;
pools of 8 2.3 then 2.6-3.5 ms; pools of 4 2.7 then 2.1-2.8 ms (flat). So: many pools of
``SHARD_SIZE`` connections, each request sent on the first pool with a free connection (see
benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Hashable
from typing import TypeVar

import httpx

from .config import Secret

__all__ = [
    "SHARD_SIZE",
    "ClientPool",
    "ShardedAsyncTransport",
    "new_async_client",
    "new_sync_client",
    "secret_digest",
]

SHARD_SIZE = 4  # connections per shard (measured: see the module docstring)
MAX_CONNECTIONS = 1024  # per async client, over all shards

T = TypeVar("T")


def secret_digest(secret: str | Secret | None) -> str | None:
    """The SHA-256 hex digest of ``secret`` for use in a pool key; None when it is empty."""
    value = secret.get_secret_value() if isinstance(secret, Secret) else secret
    return hashlib.sha256(value.encode()).hexdigest() if value else None


class ClientPool(dict[Hashable, T]):
    """Clients by key (a dict), each created once under a lock by :meth:`get_or_create`."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def get_or_create(self, key: Hashable, create: Callable[[], T]) -> T:
        """The client for ``key``, made with ``create()`` the first time."""
        with self._lock:
            client = self.get(key)
            if client is None:
                client = self[key] = create()
        return client


def _limits(size: int) -> httpx.Limits:
    # Keep-alive as large as the pool: a connection beyond the keep-alive count is closed after
    # its request and reopened for the next one.
    return httpx.Limits(max_connections=size, max_keepalive_connections=size)


def _env_proxies() -> bool:
    """True when the environment names a proxy (then httpx's own mounts must handle it)."""
    import urllib.request

    return bool(urllib.request.getproxies())


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its shard when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()
        await self._stream.aclose()


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """Several ``httpx.AsyncHTTPTransport`` pools of ``shard_size`` connections. A request goes
    to the first pool with a free connection (so light use keeps reusing one pool's
    connections), else to the least busy one; a request counts until its response is closed.
    Pools are opened on first need and share one SSL context."""

    def __init__(self, shards: int, shard_size: int = SHARD_SIZE) -> None:
        self._size = shard_size
        self._shards: list[httpx.AsyncHTTPTransport | None] = [None] * shards
        self._busy = [0] * shards

    def __repr__(self) -> str:
        opened = sum(s is not None for s in self._shards)
        return f"ShardedAsyncTransport(shards={opened}/{len(self._shards)}, busy={sum(self._busy)})"

    def _pick(self) -> int:
        busy = self._busy
        for index, count in enumerate(busy):
            if count < self._size:
                return index
        return busy.index(min(busy))

    def _shard(self, index: int) -> httpx.AsyncHTTPTransport:
        shard = self._shards[index]
        if shard is None:
            shard = httpx.AsyncHTTPTransport(limits=_limits(self._size), verify=_ssl_context())
            self._shards[index] = shard
        return shard

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._pick()
        busy = self._busy
        busy[index] += 1
        released = False

        def done() -> None:
            nonlocal released
            if not released:
                released = True
                busy[index] -= 1

        try:
            response = await self._shard(index).handle_async_request(request)
        except BaseException:
            done()
            raise
        response.stream = _Counted(response.stream, done)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            if shard is not None:
                await shard.aclose()


_SSL: list[ssl.SSLContext] = []


def _ssl_context() -> ssl.SSLContext:
    """One verifying SSL context for all shards (building one costs milliseconds)."""
    if not _SSL:
        _SSL.append(httpx.create_ssl_context())
    return _SSL[0]


def new_async_client(
    timeout: float | httpx.Timeout | None, proxy: str | None = None
) -> httpx.AsyncClient:
    """The session's async client: sharded pools, unless a proxy is given or the environment
    names one (a custom transport would bypass httpx's proxy mounts; then one pool with full
    keep-alive)."""
    if proxy or _env_proxies():
        return httpx.AsyncClient(timeout=timeout, limits=_limits(MAX_CONNECTIONS), proxy=proxy)
    shards = -(-MAX_CONNECTIONS // SHARD_SIZE)
    transport = ShardedAsyncTransport(shards, SHARD_SIZE)
    return httpx.AsyncClient(timeout=timeout, transport=transport)


def new_sync_client(
    timeout: float | httpx.Timeout | None, proxy: str | None = None
) -> httpx.Client:
    """The session's sync client (threads rarely number in the hundreds: one pool)."""
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    return httpx.Client(timeout=timeout, limits=limits, proxy=proxy)
