"""What the router serves: its model list (``/v1/models``) and the Hub's provider mapping,
both cached with a TTL; concurrent first lookups of one model make one HTTP request."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._redact import scrub_traceback
from ..errors import HFRouterError, InvalidModelError, MalformedResponseError
from .bodies import aread_capped, loads, read_capped
from .http import HTTPSession, araise_for_status, raise_for_status, transport_error
from .models import ModelRef, parse_model

__all__ = ["Catalog", "ProviderMapping", "ProviderStatus", "RouterModel", "normalize_mapping"]

logger = logging.getLogger("hf_router")

FAILURE_TTL = 30.0
"""Seconds a failed model listing is remembered (the fallback list is served meanwhile)."""


@dataclass(frozen=True, slots=True)
class ProviderMapping:
    """One provider of a model on the Hub (``inferenceProviderMapping``)."""

    provider: str
    provider_id: str
    status: str
    task: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_seed_dict(self) -> dict[str, Any]:
        """The seed's dict form: ``{"status", "providerId", "task"}``."""
        return {"status": self.status, "providerId": self.provider_id, "task": self.task}


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """A provider entry of the router's ``/v1/models``."""

    provider: str
    status: str = "live"
    context_length: int | None = None
    pricing: Mapping[str, Any] | None = None
    supports_tools: bool | None = None
    supports_structured_output: bool | None = None


@dataclass(frozen=True, slots=True)
class RouterModel:
    """A model the router serves, with its providers."""

    id: str
    providers: tuple[ProviderStatus, ...] = ()
    context_length: int | None = None
    """The server's own window for the model, outside the router's per-provider list
    (vLLM's ``max_model_len``, or a top-level ``context_length``)."""

    @property
    def live_providers(self) -> tuple[ProviderStatus, ...]:
        return tuple(p for p in self.providers if p.status == "live")


def normalize_mapping(raw: Any) -> list[ProviderMapping]:
    """Both Hub forms, the older dict ``{provider: {status, providerId, task}}`` and the newer
    list ``[{provider, providerId, status, task, ...}]``, as one list (all statuses)."""
    items: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(raw, Mapping):
        items = [(str(k), v) for k, v in raw.items() if isinstance(v, Mapping)]
    elif isinstance(raw, Sequence) and not isinstance(raw, str):
        items = [(str(v.get("provider", "")), v) for v in raw if isinstance(v, Mapping)]
    out = []
    for provider, entry in items:
        if not provider:
            continue
        extra = {
            k: v for k, v in entry.items() if k not in ("provider", "providerId", "status", "task")
        }
        out.append(
            ProviderMapping(
                provider=provider,
                provider_id=str(entry.get("providerId") or ""),
                status=str(entry.get("status") or ""),
                task=str(entry.get("task") or ""),
                extra=extra,
            )
        )
    return out


def _parse_models(body: Any) -> list[RouterModel]:
    data = body.get("data") if isinstance(body, Mapping) else body
    if not isinstance(data, list):
        raise MalformedResponseError("The model list has no 'data' array")
    models = []
    for item in data:
        if not isinstance(item, Mapping) or not item.get("id"):
            continue
        providers = []
        for p in item.get("providers") or []:
            if isinstance(p, Mapping) and p.get("provider"):
                ctx = p.get("context_length")
                providers.append(
                    ProviderStatus(
                        provider=str(p["provider"]),
                        status=str(p.get("status") or "live"),
                        context_length=int(ctx) if isinstance(ctx, int | float) else None,
                        pricing=p.get("pricing") if isinstance(p.get("pricing"), Mapping) else None,
                        supports_tools=p.get("supports_tools"),
                        supports_structured_output=p.get("supports_structured_output"),
                    )
                )
        own = item.get("max_model_len", item.get("context_length"))
        own = int(own) if isinstance(own, int | float) and not isinstance(own, bool) else None
        models.append(RouterModel(str(item["id"]), tuple(providers), own))
    return models


class Catalog:
    """Model list and provider mappings, cached for ``ttl`` seconds."""

    def __init__(
        self,
        http: HTTPSession,
        *,
        base_url: str,
        hub_url: str,
        fallback_models: Sequence[str] = (),
        ttl: float = 600.0,
    ) -> None:
        self.http = http
        self.base_url = base_url
        self.hub_url = hub_url
        self.fallback_models = tuple(fallback_models)
        self.ttl = ttl
        self._models: tuple[float, list[RouterModel]] | None = None
        self._mappings: dict[str, tuple[float, list[ProviderMapping]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._inflight: dict[tuple[int, str], asyncio.Future[list[ProviderMapping]]] = {}
        self.mapping_requests = 0
        """How many Hub mapping requests were made (for tests and benchmarks)."""

    # -- /v1/models -----------------------------------------------------------------------
    def _fallback_list(self, exc: BaseException) -> list[RouterModel]:
        logger.warning("Could not list the router's models (%s); using fallback_models", exc)
        models = [RouterModel(m) for m in self.fallback_models]
        # kept for FAILURE_TTL seconds, so that a server without /v1/models is not asked (and
        # warned about) on every call that needs a context window
        self._models = (time.monotonic() - max(self.ttl - FAILURE_TTL, 0.0), models)
        return models

    def _cached_models(self) -> list[RouterModel] | None:
        if self._models and time.monotonic() - self._models[0] < self.ttl:
            return self._models[1]
        return None

    def list_models(self) -> list[RouterModel]:
        """The router's models; on any failure the fallback list (never raises)."""
        cached = self._cached_models()
        if cached is not None:
            return cached
        try:
            models = _parse_models(self._get_json(f"{self.base_url}/models", None, None))
        except (HFRouterError, ValueError, RecursionError) as exc:
            return self._fallback_list(exc)
        self._models = (time.monotonic(), models)
        return models

    async def alist_models(self) -> list[RouterModel]:
        """Async twin of :meth:`list_models`."""
        cached = self._cached_models()
        if cached is not None:
            return cached
        try:
            models = _parse_models(await self._aget_json(f"{self.base_url}/models", None, None))
        except (HFRouterError, ValueError, RecursionError) as exc:
            return self._fallback_list(exc)
        self._models = (time.monotonic(), models)
        return models

    @staticmethod
    def context_window_from(
        models: Sequence[RouterModel], model: str, provider: str | None = None
    ) -> int | None:
        """The smallest ``context_length`` among live providers (or the pinned one's), else
        the model's own (vLLM's ``max_model_len``)."""
        ref = parse_model(model, provider)
        for entry in models:
            if entry.id != ref.repo_id:
                continue
            lengths = [
                p.context_length
                for p in entry.live_providers
                if p.context_length and (ref.provider is None or p.provider == ref.provider)
            ]
            return min(lengths) if lengths else entry.context_length
        return None

    # -- Hub mapping ----------------------------------------------------------------------
    def _mapping_url(self, ref: ModelRef) -> str:
        if not ref.is_hub_id:
            raise InvalidModelError(f"{ref.repo_id!r} is not a Hub repo id ('org/name')")
        return f"{self.hub_url}/api/models/{ref.url_path}"

    def _cached_mapping(self, key: str) -> list[ProviderMapping] | None:
        hit = self._mappings.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def _store(self, key: str, body: Any) -> list[ProviderMapping]:
        raw = body.get("inferenceProviderMapping") if isinstance(body, Mapping) else None
        mapping = normalize_mapping(raw)
        self._mappings[key] = (time.monotonic(), mapping)
        return mapping

    def get_mapping(
        self, model: str, *, live_only: bool = True, timeout: httpx.Timeout | None = None
    ) -> list[ProviderMapping]:
        """The model's providers from the Hub (``live`` ones unless ``live_only=False``);
        ``timeout`` replaces the client's for the lookup (a call's deadline caps it)."""
        ref = parse_model(model)
        url = self._mapping_url(ref)
        mapping = self._cached_mapping(ref.repo_id)
        if mapping is None:
            with self._locks_guard:
                lock = self._locks.setdefault(ref.repo_id, threading.Lock())
            with lock:
                mapping = self._cached_mapping(ref.repo_id)
                if mapping is None:
                    self.mapping_requests += 1
                    try:
                        body = self._get_json(url, _EXPAND, ref.repo_id, timeout)
                    except HFRouterError as exc:
                        scrub_traceback(exc)
                        raise
                    mapping = self._store(ref.repo_id, body)
        return [m for m in mapping if m.status == "live"] if live_only else list(mapping)

    async def aget_mapping(
        self, model: str, *, live_only: bool = True, timeout: httpx.Timeout | None = None
    ) -> list[ProviderMapping]:
        """Async twin of :meth:`get_mapping`; concurrent callers share one request."""
        ref = parse_model(model)
        url = self._mapping_url(ref)
        mapping = self._cached_mapping(ref.repo_id)
        if mapping is None:
            loop = asyncio.get_running_loop()
            key = (id(loop), ref.repo_id)
            pending = self._inflight.get(key)
            if pending is not None:
                mapping = await asyncio.shield(pending)
            else:
                future: asyncio.Future[list[ProviderMapping]] = loop.create_future()
                self._inflight[key] = future
                try:
                    mapping = await self._afetch(ref, url, timeout)
                    future.set_result(mapping)
                except BaseException as exc:
                    future.set_exception(exc)
                    future.exception()  # mark retrieved: waiters re-raise it themselves
                    raise
                finally:
                    self._inflight.pop(key, None)
        return [m for m in mapping if m.status == "live"] if live_only else list(mapping)

    async def _afetch(
        self, ref: ModelRef, url: str, timeout: httpx.Timeout | None = None
    ) -> list[ProviderMapping]:
        self.mapping_requests += 1
        try:
            body = await self._aget_json(url, _EXPAND, ref.repo_id, timeout)
        except HFRouterError as exc:
            scrub_traceback(exc)
            raise
        return self._store(ref.repo_id, body)

    # -- one JSON GET, its body capped ------------------------------------------------------
    def _get_json(
        self,
        url: str,
        params: dict[str, str] | None,
        model: str | None,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        client = self.http.client
        request = client.build_request(
            "GET", url, params=params, headers=self.http.headers(), timeout=_timeout(timeout)
        )
        try:
            response = client.send(request, stream=True)
            try:
                raise_for_status(response, model=model, provider=None, secrets=self.http.secrets)
                body = read_capped(response, self.http.max_response_bytes, model=model)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            raise transport_error(exc, model=model) from None
        return _json(body, url, model)

    async def _aget_json(
        self,
        url: str,
        params: dict[str, str] | None,
        model: str | None,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        client = self.http.aclient
        request = client.build_request(
            "GET", url, params=params, headers=self.http.headers(), timeout=_timeout(timeout)
        )
        try:
            response = await client.send(request, stream=True)
            try:
                await araise_for_status(
                    response, model=model, provider=None, secrets=self.http.secrets
                )
                body = await aread_capped(response, self.http.max_response_bytes, model=model)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise transport_error(exc, model=model) from None
        return _json(body, url, model)


_EXPAND = {"expand[]": "inferenceProviderMapping"}


def _timeout(timeout: httpx.Timeout | None) -> Any:
    return httpx.USE_CLIENT_DEFAULT if timeout is None else timeout


def _json(body: bytes, url: str, model: str | None) -> Any:
    try:
        return loads(body)
    except ValueError as exc:
        what = "model lookup" if model else "model list"
        raise MalformedResponseError(
            f"The {what} answer is not usable JSON ({exc})", model=model
        ) from None
