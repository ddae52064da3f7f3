"""HTTP plumbing: pooled httpx clients, headers, and mapping transport failures and error
statuses to typed errors. The only module that talks to httpx directly."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
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
    """Owns one pooled ``httpx.Client`` and one ``httpx.AsyncClient`` per configuration,
    created lazily and reused (keep-alive). A closed client is never reused: the next call
    gets a fresh one. Injected clients are used as they are and never closed by us."""

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
        self._aclient_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
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

    def _limits(self) -> httpx.Limits:
        return httpx.Limits(max_connections=1000, max_keepalive_connections=100)

    @property
    def client(self) -> httpx.Client:
        """The pooled sync client (created on first use, recreated after close)."""
        if self._client is None or self._client.is_closed:
            if not self._owns_client:
                raise ClientClosedError("The injected httpx.Client is closed")
            self._client = httpx.Client(
                timeout=self.timeout, limits=self._limits(), proxy=self.proxy
            )
        return self._client

    @property
    def aclient(self) -> httpx.AsyncClient:
        """The pooled async client for the running event loop. Connections cannot cross event
        loops, so a client made on a loop that has since closed is replaced."""
        if not self._owns_aclient:
            if self._aclient is None or self._aclient.is_closed:
                raise ClientClosedError("The injected httpx.AsyncClient is closed")
            return self._aclient
        loop = asyncio.get_running_loop()
        known = self._aclient_loop() if self._aclient_loop else None
        if self._aclient is None or self._aclient.is_closed or known is not loop:
            self._aclient = httpx.AsyncClient(
                timeout=self.timeout, limits=self._limits(), proxy=self.proxy
            )
            self._aclient_loop = weakref.ref(loop)
        return self._aclient

    def close(self) -> None:
        """Close the sync client we own (the async one too if its loop is gone)."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close both clients we own."""
        self.close()
        if self._owns_aclient and self._aclient is not None:
            loop = self._aclient_loop() if self._aclient_loop else None
            if loop is asyncio.get_running_loop():
                await self._aclient.aclose()
            self._aclient = None

    def redact(self, text: str) -> str:
        """``text`` with the token removed."""
        return redact(text, self.secrets)


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
