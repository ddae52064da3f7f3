"""Pickling RouterClient for worker processes (multiprocessing, Ray): its configuration travels,
its token and connections never do.

An unpickled client looks for its token in the worker: the ``token_provider`` it was built with
(a picklable function, called there), else ``HF_TOKEN``/``HUGGING_FACE_HUB_TOKEN``, else the
huggingface_hub token file. Without one, its first request raises
:class:`~hf_router.errors.MissingTokenError` with :data:`NO_TOKEN`, which says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["NO_TOKEN", "PicklableClient", "TokenProvider"]

TokenProvider = Callable[[], "str | None"]

NO_TOKEN = (
    "No Hugging Face token was found. A client that was pickled (sent to a worker process, "
    "a Ray task or actor) never carries its token: make it available in the worker (set "
    "HF_TOKEN in the worker's environment, e.g. Ray's runtime_env={'env_vars': {...}}, or "
    "write the huggingface token file there), or build the client with token_provider=<a "
    "picklable function that returns the token>"
)

# Header names that may hold a credential: never pickled.
_SECRET_HEADER_WORDS = ("auth", "key", "token", "cookie", "secret", "password")


def _public_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if not any(word in name.lower() for word in _SECRET_HEADER_WORDS)
    }


def _rebuild(cls: type[Any], config: dict[str, Any]) -> Any:
    return cls(**config)


class PicklableClient:
    """``__reduce__`` for :class:`~hf_router.RouterClient`: rebuilt from its configuration."""

    def __reduce__(self) -> tuple[Any, ...]:
        client: Any = self
        http = client.http
        if not (http._owns_client and http._owns_aclient):
            raise TypeError(
                "A RouterClient built with http_client=/http_async_client= cannot be pickled "
                "(an httpx client cannot cross processes); build the RouterClient inside the "
                "worker instead"
            )
        config = {
            "base_url": client.base_url,
            "hub_url": client.hub_url,
            "provider": client.provider,
            "timeout": http.timeout,
            "retry_policy": client.retry_policy,
            "headers": _public_headers(http._extra_headers),
            "bill_to": http.bill_to,
            "fallback_models": client.fallback_models,
            "model_aliases": client.model_aliases,
            "default_model": client.default_model,
            "default_vision_model": client.default_vision_model,
            "use_hub_mapping": client.use_hub_mapping,
            "max_inputs_lenght": client.max_inputs_lenght,
            "max_tokens": client.max_tokens,
            "mapping_ttl": client.catalog.ttl,
            "stream_whole_answers": client.stream_whole_answers,
            "adaptive_fit": client.adaptive_fit,
            "context_window": client.context_window_override,
            "deadline": client.deadline,
            "stall_timeout": client.stall_timeout,
            "max_response_bytes": http.max_response_bytes,
            "token_provider": client.token_provider,
        }
        return (_rebuild, (type(self), config))
