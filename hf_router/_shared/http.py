"""HTTP plumbing: pooled httpx clients, headers, and mapping transport failures and error
statuses to typed errors. The only module that talks to httpx directly."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import TypeVar

import httpx

from .._redact import SafeHeaders, SecretValues
from .._version import __version__
from ..errors import (
    ClientClosedError,
    ConnectionError,
    HFRouterError,
    InvalidInputError,
    TimeoutError,
)
from .bodies import DEFAULT_MAX_RESPONSE_BYTES
from .checks import check_headers, check_optional_str, check_timeout
from .config import DEFAULT_TIMEOUT, Secret
from .gate import BackoffGate, send_limiter
from .pool import new_async_client, new_sync_client
from .responses import error_from_response, redact

__all__ = [
    "Closeable",
    "HTTPSession",
    "araise_for_status",
    "raise_for_status",
    "request_was_sent",
    "transport_error",
]

_ERROR_BODY_LIMIT = 64 * 1024
USER_AGENT = f"hf-router/{__version__}"


def transport_error(
    exc: httpx.HTTPError, *, model: str | None = None, provider: str | None = None
) -> HFRouterError:
    """A typed error for an httpx transport failure; ``request_sent`` tells whether the
    request had been sent (see :func:`request_was_sent`)."""
    sent = request_was_sent(exc)
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(
            f"The request timed out ({type(exc).__name__})",
            model=model,
            provider=provider,
            request_sent=sent,
        )
    return ConnectionError(
        f"The connection failed ({type(exc).__name__}: {exc})",
        model=model,
        provider=provider,
        request_sent=sent,
    )


def request_was_sent(exc: httpx.HTTPError) -> bool:
    """True for failures after the whole request was sent (waiting for or reading the answer:
    a read timeout, a reset or a server that hung up), when the server may be generating it;
    False for connect, pool and write failures, when the request never fully left."""
    return isinstance(exc, (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError))


def _error_body(response: httpx.Response) -> str:
    """At most the first 64 KiB of an error body (the rest is never read), then closed."""
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            parts.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    finally:
        response.close()
    return b"".join(parts)[:_ERROR_BODY_LIMIT].decode("utf-8", errors="replace")


async def _aerror_body(response: httpx.Response) -> str:
    """Async twin of :func:`_error_body`."""
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            parts.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
    return b"".join(parts)[:_ERROR_BODY_LIMIT].decode("utf-8", errors="replace")


def _token_sent(response: httpx.Response) -> bool:
    """Whether the request behind ``response`` carried an ``Authorization`` header."""
    try:
        return "authorization" in response.request.headers
    except RuntimeError:  # a response built without a request
        return True


def raise_for_status(
    response: httpx.Response, *, model: str | None, provider: str | None, secrets: tuple[str, ...]
) -> None:
    """Raise the typed error for an error status (reading at most 64 KiB of the body, then
    closing it). The body is never a local here, so a traceback cannot show it."""
    if response.status_code < 400:
        return
    raise error_from_response(
        response.status_code,
        response.headers,
        _error_body(response),
        model=model,
        provider=provider,
        secrets=secrets,
        token_sent=_token_sent(response),
    )


async def araise_for_status(
    response: httpx.Response, *, model: str | None, provider: str | None, secrets: tuple[str, ...]
) -> None:
    """Async twin of :func:`raise_for_status`."""
    if response.status_code < 400:
        return
    raise error_from_response(
        response.status_code,
        response.headers,
        await _aerror_body(response),
        model=model,
        provider=provider,
        secrets=secrets,
        token_sent=_token_sent(response),
    )


class HTTPSession:
    """Owns one pooled ``httpx.Client`` and one ``httpx.AsyncClient`` per event loop, created
    lazily and reused (keep-alive). A closed client is never reused: the next call gets a fresh
    one. Injected clients are used as they are and never closed by us.

    Connections cannot cross event loops, so each loop that uses the session gets its own async
    client, which is closed when that loop shuts down (``asyncio.run`` and ``asyncio.Runner``
    finalise it; see :func:`_close_with_loop`). Threads that each run a loop therefore each keep
    one pool, and a loop that ends leaves no open socket behind.

    The session also holds the client's :class:`~hf_router._shared.gate.BackoffGate`: every
    send through :meth:`asend`/:meth:`send` waits at it and reports its status to it."""

    def __init__(
        self,
        *,
        token: Secret | None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        bill_to: str | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        check_timeout(timeout)
        check_headers(headers)
        check_optional_str(bill_to, "bill_to")
        for name, client, cls in (
            ("http_client", http_client, httpx.Client),
            ("http_async_client", http_async_client, httpx.AsyncClient),
        ):
            if client is not None and not isinstance(client, cls):
                raise InvalidInputError(f"{name} must be an {cls.__module__}.{cls.__name__}")
        self.token = token
        self.max_response_bytes = max_response_bytes
        self.timeout = timeout
        self.bill_to = bill_to
        self._extra_headers = SafeHeaders(headers or {})
        self._client = http_client
        self._aclient = http_async_client
        self._owns_client = http_client is None
        self._owns_aclient = http_async_client is None
        self._loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self.gate = BackoffGate()
        self.async_clients_created = 0  # how many pools were opened (tests check reuse)
        self.proxy: str | None = None
        """A proxy URL for the clients this session creates (set before the first request;
        the seed facades' ``proxy``)."""

    def __repr__(self) -> str:
        return f"HTTPSession(token={'set' if self.token else 'none'}, timeout={self.timeout!r})"

    @property
    def secrets(self) -> SecretValues:
        """Values that must never appear in messages (their repr hides them)."""
        return SecretValues((self.token.get_secret_value(),) if self.token else ())

    def headers(self, *, auth: bool = True, extra: Mapping[str, str] | None = None) -> SafeHeaders:
        """Request headers: user agent, ``X-HF-Bill-To``, custom headers and the token (a
        mapping whose repr masks ``Authorization`` and ``Cookie``)."""
        out = SafeHeaders({"User-Agent": USER_AGENT, **self._extra_headers})
        if self.bill_to:
            out["X-HF-Bill-To"] = self.bill_to
        if auth and self.token:
            out["Authorization"] = f"Bearer {self.token.get_secret_value()}"
        if extra:
            out.update(extra)
        return out

    @property
    def client_timeout(self) -> float | httpx.Timeout | None:
        """The per-read/connect timeout: an injected client's own, else ``timeout``."""
        for injected, owned in (
            (self._client, self._owns_client),
            (self._aclient, self._owns_aclient),
        ):
            if injected is not None and not owned:
                return injected.timeout
        return self.timeout

    @property
    def client(self) -> httpx.Client:
        """The pooled sync client (created on first use, recreated after close)."""
        if self._client is None or self._client.is_closed:
            if not self._owns_client:
                raise ClientClosedError("The injected httpx.Client is closed")
            with self._lock:
                if self._client is None or self._client.is_closed:
                    self._client = new_sync_client(self.timeout, self.proxy)
        return self._client

    @property
    def aclient(self) -> httpx.AsyncClient:
        """The pooled async client of the running event loop (see the class docstring)."""
        if not self._owns_aclient:
            if self._aclient is None or self._aclient.is_closed:
                raise ClientClosedError("The injected httpx.AsyncClient is closed")
            return self._aclient
        loop = asyncio.get_running_loop()
        entry = self._loop_clients.get(loop)
        if entry is None or entry.client.is_closed:
            client = new_async_client(self.timeout, self.proxy)
            self.async_clients_created += 1
            entry = _LoopClient(client, _close_with_loop(client))
            self._loop_clients[loop] = entry
        return entry.client

    # -- sending through the gate -----------------------------------------------------------
    async def asend(self, request: httpx.Request, *, key: str) -> httpx.Response:
        """Send ``request`` (streamed) on this loop's client once the gate of ``key`` (the
        model string as sent) lets it through, and within the context's rate limit."""
        client = self.aclient
        probe = await self.gate.await_turn(key)
        limiter = send_limiter.get()
        try:
            if limiter is not None:
                await limiter.acquire()
            response = await client.send(request, stream=True)
        except BaseException:
            self.gate.release(key, probe)
            raise
        self.gate.observe(key, response.status_code, response.headers, probe)
        return response

    def send(self, request: httpx.Request, *, key: str) -> httpx.Response:
        """Sync twin of :meth:`asend`."""
        client = self.client
        probe = self.gate.wait_turn(key)
        limiter = send_limiter.get()
        try:
            if limiter is not None:
                limiter.acquire_sync()
            response = client.send(request, stream=True)
        except BaseException:
            self.gate.release(key, probe)
            raise
        self.gate.observe(key, response.status_code, response.headers, probe)
        return response

    # -- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the sync client we own (async clients close with their loops)."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the sync client and this loop's async client (those we own)."""
        self.close()
        if self._owns_aclient:
            entry = self._loop_clients.pop(asyncio.get_running_loop(), None)
            if entry is not None:
                await entry.client.aclose()

    def redact(self, text: str) -> str:
        """``text`` with the token removed."""
        return redact(text, self.secrets)


class _LoopClient:
    """One loop's async client and the async generator that closes it with the loop."""

    __slots__ = ("client", "closer")

    def __init__(self, client: httpx.AsyncClient, closer: object) -> None:
        self.client = client
        self.closer = closer  # kept alive here: the loop holds it only weakly


async def _closer(client: httpx.AsyncClient) -> AsyncIterator[None]:
    try:
        yield
    finally:
        if not client.is_closed:
            await client.aclose()


def _close_with_loop(client: httpx.AsyncClient) -> object:
    """Tie ``client`` to the running loop's shutdown: an async generator started here is
    registered with the loop (its first-iteration hook), and ``loop.shutdown_asyncgens()`` (run
    by ``asyncio.run`` before the loop closes) finalises it, which closes the client."""
    agen = _closer(client)
    step = agen.__anext__()  # the loop's firstiter hook registers ``agen`` here
    with contextlib.suppress(StopIteration):
        step.send(None)  # runs to the ``yield`` without suspending
    return agen


_C = TypeVar("_C", bound="Closeable")


class Closeable:
    """The context-manager protocol of the clients: ``with`` calls ``close()``,
    ``async with`` calls ``aclose()`` (subclasses define both)."""

    def close(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
