"""MediaClient: image and video generation through the router's inference providers.

One call (:meth:`MediaClient.astream_media`) resolves the model's live providers from the Hub
mapping (or the one pinned with ``model:provider``), runs ``n`` generations concurrently, each
trying the providers in order (a provider answering 400/401/402 is skipped for the whole call,
with a :class:`~hf_router.events.Fallback` event), polls queued jobs within ``poll_timeout``
without blocking the event loop, and saves each file under ``output_dir``. It yields
``Status("Generating", ...)`` at least once a second while waiting, one ``ProviderInfo`` per
provider that serves, one ``MediaResult`` per file and a final ``Status("Finished", ...)``.
The providers themselves (:mod:`hf_router.media.providers`) are pure; all I/O happens in the
engine (:mod:`hf_router.media._engine`), which the sync twins run on a private event loop
(:mod:`hf_router.media._bridge`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from .._shared.bodies import DEFAULT_MAX_RESPONSE_BYTES, aread_capped, loads, read_capped
from .._shared.catalog import Catalog
from .._shared.checks import check_count, check_url
from .._shared.config import (
    DEFAULT_TIMEOUT,
    ENV_BASE_URL,
    RetryPolicy,
    Secret,
    find_token,
    is_hf_router,
    resolve_hub_url,
)
from .._shared.deadline import DEFAULT_DEADLINE, check_limit, check_size
from .._shared.http import Closeable, HTTPSession
from ..errors import HFRouterError, InvalidInputError
from ..events import Event, MediaResult
from ._bridge import LoopThread
from ._download import DEFAULT_MAX_DOWNLOAD_BYTES, default_output_dir
from ._engine import MediaEngine
from ._settings import MediaSettings
from .providers import servable_models
from .providers._base import TASKS

__all__ = ["DEFAULT_ROUTER_ROOT", "MediaClient"]

logger = logging.getLogger("hf_router")

DEFAULT_ROUTER_ROOT = "https://router.huggingface.co"
_LISTING_FAILURES = (httpx.HTTPError, HFRouterError, ValueError, TypeError, RecursionError)
"""What makes :meth:`MediaClient.get_media_models` answer an empty list."""


def resolve_router_root(explicit: str | None = None) -> str:
    """The router root: the argument, else ``HF_ROUTER_BASE_URL``, else the router, without a
    trailing ``/v1`` (the media routes live at the root)."""
    root = (explicit or os.environ.get(ENV_BASE_URL) or DEFAULT_ROUTER_ROOT).rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


class MediaClient(Closeable):
    """Image and video generation through Hugging Face Inference Providers.

    >>> client = MediaClient()                      # token from HF_TOKEN & co.
    >>> [image] = client.generate_image("black-forest-labs/FLUX.1-dev", "a red fox")
    >>> image.path, image.provider, image.mime_type
    >>> videos = await client.agenerate_video("Wan-AI/Wan2.1-T2V-14B:fal-ai", "waves", n=2)

    ``base_url`` is the router root (default ``https://router.huggingface.co``, or
    ``HF_ROUTER_BASE_URL`` without its ``/v1``); ``hub_url`` the Hub (``HF_ENDPOINT``).
    Files go to ``output_dir`` (default ``$XDG_CACHE_HOME/hf-router/media``). Injected
    ``http_client``/``http_async_client`` serve the sync model listing and the async calls;
    the sync generation twins run on a private event loop with their own pooled client.
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        hub_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        output_dir: str | os.PathLike[str] | None = None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        poll_interval: float = 1.0,
        poll_timeout: float = 600.0,
        max_concurrency: int = 4,
        max_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        bill_to: str | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if isinstance(api_key, str):  # from here on no frame holds the raw token
            api_key = Secret(api_key)
        self.deadline = check_limit("deadline", deadline)
        for name, value in (("poll_interval", poll_interval), ("poll_timeout", poll_timeout)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InvalidInputError(f"{name}={value!r} must be a positive number of seconds")
        counts = {"max_download_bytes": max_download_bytes, "max_concurrency": max_concurrency}
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{name}={value!r} must be a whole number >= 1")
        check_count(max_retries, "max_retries", low=0)
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise InvalidInputError("retry_policy must be a hf_router RetryPolicy, or None")
        if output_dir is not None and not isinstance(output_dir, (str, os.PathLike)):
            raise InvalidInputError(f"output_dir={output_dir!r} must be a directory path or None")
        check_url(base_url, "base_url")
        self.base_url = resolve_router_root(base_url)
        self.hub_url = resolve_hub_url(hub_url)
        self.requires_token = is_hf_router(self.base_url)
        self.output_dir = Path(output_dir).expanduser() if output_dir else default_output_dir()
        self.max_download_bytes = max_download_bytes
        self.poll_interval = float(poll_interval)
        self.poll_timeout = float(poll_timeout)
        self.max_concurrency = max_concurrency
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._session_args: dict[str, Any] = {
            "token": find_token(api_key),
            "timeout": timeout,
            "headers": headers,
            "bill_to": bill_to,
            "max_response_bytes": check_size("max_response_bytes", max_response_bytes),
        }
        self.http = HTTPSession(
            **self._session_args, http_client=http_client, http_async_client=http_async_client
        )
        self.settings = MediaSettings(
            base_url=self.base_url,
            hub_url=self.hub_url,
            requires_token=self.requires_token,
            output_dir=self.output_dir,
            max_download_bytes=self.max_download_bytes,
            poll_interval=self.poll_interval,
            poll_timeout=self.poll_timeout,
            max_concurrency=self.max_concurrency,
            retry_policy=self.retry_policy,
            deadline=self.deadline,
        )
        self._engine = MediaEngine(self.settings, self.http)
        self._sync: tuple[LoopThread, MediaEngine] | None = None
        self._sync_lock = threading.Lock()
        self.image_models: list[str] = []
        """Models with a live text-to-image provider (after :meth:`get_media_models`)."""
        self.video_models: list[str] = []
        """Models with a live text-to-video provider (after :meth:`get_media_models`)."""

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            "MediaClient cannot be pickled: it holds a secret and live connections, which never"
            " leave the process. Build it inside the worker (a Ray actor's __init__, a multiprocessing initializer), where "
            "MediaClient() reads HF_TOKEN (or pass token=...)."
        )

    def __repr__(self) -> str:
        if "http" not in vars(self):  # a constructor argument was refused (tracebacks)
            return f"<{type(self).__name__} (not built)>"
        token = "set" if self.http.token else "none"
        where = f"base_url={self.base_url!r}, output_dir={str(self.output_dir)!r}"
        return f"MediaClient({where}, token={token})"

    @property
    def catalog(self) -> Catalog:
        """The Hub mapping cache used by the async calls."""
        return self._engine.catalog

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pooled clients and the sync twins' private loop; later calls reopen."""
        with self._sync_lock:
            sync, self._sync = self._sync, None
        if sync is not None:
            thread, engine = sync
            try:
                thread.run(engine.http.aclose())
            finally:
                thread.stop()
        self.http.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close`."""
        await asyncio.to_thread(self.close)
        await self.http.aclose()

    def _sync_engine(self) -> tuple[LoopThread, MediaEngine]:
        with self._sync_lock:
            if self._sync is None:
                thread = LoopThread()
                weakref.finalize(self, thread.stop)  # a forgotten client frees its thread
                self._sync = (thread, MediaEngine(self.settings, HTTPSession(**self._session_args)))
            return self._sync

    # -- generation ---------------------------------------------------------------------------
    def astream_media(
        self,
        kind: str,
        model: str,
        prompt: str,
        *,
        n: int = 1,
        aspect_ratio: str | None = None,
        width: int | None = None,
        height: int | None = None,
        resolution: str | None = "480p",
        seed: int | None = None,
        negative_prompt: str | None = None,
        extra_data: Mapping[str, Any] | None = None,
        provider: str | None = None,
        output_dir: str | os.PathLike[str] | None = None,
    ) -> AsyncIterator[Event]:
        """Generate ``n`` images or videos (``kind``) and stream the events: ``Status`` at
        least once a second while waiting, ``Fallback`` when a provider is skipped,
        ``ProviderInfo`` for each provider that serves, one ``MediaResult`` per saved file,
        then ``Status("Finished")``. ``model`` may pin a provider (``org/name:fal-ai``), as may
        ``provider``. ``extra_data`` is merged into the provider's payload (it wins).

        Raises :class:`~hf_router.errors.InvalidInputError` (nothing sent) for a wrong
        argument, ``ModelNotSupportedError``, ``GenerationTimeoutError``,
        ``GenerationFailedError``, ``AllProvidersFailedError``, ``UnsafeURLError`` and
        ``DownloadTooLargeError``."""
        size = {"aspect_ratio": aspect_ratio, "width": width, "height": height}
        options = {"resolution": resolution, "seed": seed, "negative_prompt": negative_prompt}
        where = {"extra_data": extra_data, "provider": provider, "output_dir": output_dir}
        return self._engine.astream(kind, model, prompt, n=n, **size, **options, **where)

    def stream_media(self, kind: str, model: str, prompt: str, **kwargs: Any) -> Iterator[Event]:
        """Sync twin of :meth:`astream_media` (same arguments). It runs the async
        implementation on a private event loop in a worker thread (with its own pooled HTTP
        client) and hands the events over, so it also works inside a running event loop."""
        _call_args(kwargs)
        thread, engine = self._sync_engine()
        yield from thread.iterate(engine.astream(kind, model, prompt, **kwargs))

    async def agenerate_image(self, model: str, prompt: str, **kwargs: Any) -> list[MediaResult]:
        """Generate images and return one ``MediaResult`` per saved file. Keyword arguments
        as :meth:`astream_media`: ``n``, ``aspect_ratio`` (default ``1:1``), ``width``,
        ``height``, ``seed``, ``negative_prompt``, ``extra_data``, ``provider``,
        ``output_dir``."""
        events = self.astream_media("image", model, prompt, **_image_args(kwargs))
        return [e async for e in events if isinstance(e, MediaResult)]

    def generate_image(self, model: str, prompt: str, **kwargs: Any) -> list[MediaResult]:
        """Sync twin of :meth:`agenerate_image` (see :meth:`stream_media`)."""
        events = self.stream_media("image", model, prompt, **_image_args(kwargs))
        return [e for e in events if isinstance(e, MediaResult)]

    async def agenerate_video(self, model: str, prompt: str, **kwargs: Any) -> list[MediaResult]:
        """Generate videos and return one ``MediaResult`` per saved file. Keyword arguments
        as :meth:`astream_media`: ``n``, ``aspect_ratio`` (default ``16:9``), ``resolution``
        (default ``480p``), ``seed``, ``negative_prompt``, ``extra_data``, ``provider``,
        ``output_dir``."""
        events = self.astream_media("video", model, prompt, **_call_args(kwargs))
        return [e async for e in events if isinstance(e, MediaResult)]

    def generate_video(self, model: str, prompt: str, **kwargs: Any) -> list[MediaResult]:
        """Sync twin of :meth:`agenerate_video` (see :meth:`stream_media`)."""
        events = self.stream_media("video", model, prompt, **_call_args(kwargs))
        return [e for e in events if isinstance(e, MediaResult)]

    # -- models -------------------------------------------------------------------------------
    def _list_requests(self) -> list[dict[str, Any]]:
        """The two Hub listings to read: the video models first, then the image models."""
        requests = []
        for kind in ("video", "image"):
            params = {"inference_provider": "all", "pipeline_tag": TASKS[kind]}
            params["expand[]"] = "inferenceProviderMapping"
            url = f"{self.hub_url}/api/models"
            requests.append({"url": url, "params": params, "headers": self.http.headers()})
        return requests

    async def aget_media_models(self) -> list[str]:
        """Models with a live text-to-video or text-to-image provider that hf_router speaks
        (video first), each followed by its ``model:provider`` entries; also sets
        :attr:`image_models` and :attr:`video_models`. An empty list on any failure."""
        try:
            answers = await asyncio.gather(*(self._aget(r) for r in self._list_requests()))
            return self._media_models(answers)
        except _LISTING_FAILURES as exc:
            return self._not_listed(exc)

    async def _aget(self, request: dict[str, Any]) -> Any:
        async with self.http.aclient.stream("GET", **request) as response:
            response.raise_for_status()
            return loads(await aread_capped(response, self.http.max_response_bytes))

    def _get(self, request: dict[str, Any]) -> Any:
        with self.http.client.stream("GET", **request) as response:
            response.raise_for_status()
            return loads(read_capped(response, self.http.max_response_bytes))

    def get_media_models(self) -> list[str]:
        """Sync twin of :meth:`aget_media_models`."""
        try:
            return self._media_models([self._get(r) for r in self._list_requests()])
        except _LISTING_FAILURES as exc:
            return self._not_listed(exc)

    def _not_listed(self, exc: Exception) -> list[str]:
        logger.warning("Could not list the media models: %s", self.http.redact(str(exc)))
        return []

    def _media_models(self, lists: list[Any]) -> list[str]:
        items = [item for answer in lists if isinstance(answer, list) for item in answer]
        found = servable_models(items)
        self.video_models = list(found["video"])
        self.image_models = [m for m in found["image"] if m not in found["video"]]
        out: dict[str, None] = {}  # ordered and without duplicates
        for kind in ("video", "image"):
            for model, providers in found[kind].items():
                out |= dict.fromkeys([model, *(f"{model}:{p}" for p in providers)])
        return list(out)


_CALL_ARGS = frozenset(
    {
        "n",
        "aspect_ratio",
        "width",
        "height",
        "resolution",
        "seed",
        "negative_prompt",
        "extra_data",
        "provider",
        "output_dir",
    }
)


def _call_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Reject unknown keyword arguments (naming them) before anything is sent."""
    unknown = sorted(set(kwargs) - _CALL_ARGS)
    if unknown:
        raise InvalidInputError(
            f"Unknown argument(s) {', '.join(unknown)}; pass {', '.join(sorted(_CALL_ARGS))}, "
            "and provider-specific fields in extra_data={...}"
        )
    return kwargs


def _image_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "resolution" in kwargs:
        raise InvalidInputError("resolution applies to videos: use generate_video()")
    return _call_args(kwargs)
