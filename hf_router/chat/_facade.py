"""Seed-compatible facade: ``HuggingFaceAPI`` with the seed's class attributes and
classmethods, as a thin wrapper over :class:`~hf_router.RouterClient`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

from .._shared.config import DEFAULT_BASE_URL, DEFAULT_HUB_URL, Secret, find_token
from .._shared.models import (
    DEFAULT_FALLBACK_MODELS,
    DEFAULT_MODEL,
    DEFAULT_MODEL_ALIASES,
    DEFAULT_VISION_MODEL,
    DEFAULT_VISION_MODELS,
    resolve_model,
)
from .._shared.pool import ClientPool, secret_digest
from ..events import Event, TextDelta
from ._client import RouterClient
from ._request import UNSET

__all__ = ["HuggingFaceAPI"]


class HuggingFaceAPI:
    """Streaming chat through the router, with the seed's names (``create_async_generator``
    yields :class:`~hf_router.events.ProviderInfo`, then ``str`` text chunks, then the other
    events such as :class:`~hf_router.events.Usage` and :class:`~hf_router.events.Finish`)."""

    label: ClassVar[str] = "HuggingFace (Inference Providers)"
    parent: ClassVar[str] = "HuggingFace"
    url: ClassVar[str] = DEFAULT_HUB_URL
    api_base: ClassVar[str] = DEFAULT_BASE_URL
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = True

    default_model: ClassVar[str] = DEFAULT_MODEL
    default_vision_model: ClassVar[str] = DEFAULT_VISION_MODEL
    vision_models: ClassVar[list[str]] = list(DEFAULT_VISION_MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(DEFAULT_MODEL_ALIASES)
    fallback_models: ClassVar[list[str]] = list(DEFAULT_FALLBACK_MODELS)
    provider_mapping: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    models: ClassVar[list[str]] = []

    _clients: ClassVar[ClientPool[RouterClient]] = ClientPool()

    @classmethod
    def _client(cls, api_key: str | None = None, api_base: str | None = None) -> RouterClient:
        token = find_token(api_key)
        return cls._clients.get_or_create(
            (api_base, secret_digest(token)),
            lambda: RouterClient(
                token or None,
                base_url=api_base,
                use_hub_mapping=None if api_base is None else False,
                fallback_models=() if api_base else cls.fallback_models,
                model_aliases=cls.model_aliases,
                default_model=cls.default_model,
                default_vision_model=cls.default_vision_model,
            ),
        )

    @classmethod
    def get_model(cls, model: str, *, has_images: bool = False, **kwargs: Any) -> str:
        """Resolve aliases; unknown names are returned unchanged (the router decides)."""
        return resolve_model(
            model,
            aliases=cls.model_aliases,
            default_model=cls.default_model,
            default_vision_model=cls.default_vision_model,
            has_images=has_images,
        )

    @classmethod
    def get_models(cls, api_key: str | None = None, **kwargs: Any) -> list[str]:
        """The router's models (cached); the fallback list when it cannot be fetched."""
        if not cls.models:
            models = cls._client(api_key).get_models()
            cls.models = models or list(cls.fallback_models)
        return cls.models

    @classmethod
    async def get_mapping(cls, model: str, api_key: str | None = None) -> dict[str, dict[str, Any]]:
        """The model's live providers from the Hub, in the seed's dict form
        ``{provider: {"status", "providerId", "task"}}`` (cached in ``provider_mapping``)."""
        model = cls.get_model(model)
        if model not in cls.provider_mapping:
            mapping = await cls._client(api_key).aget_mapping(model)
            cls.provider_mapping[model] = {m.provider: m.to_seed_dict() for m in mapping}
        return cls.provider_mapping[model]

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Sequence[dict[str, Any]],
        api_base: str | None = None,
        api_key: str | Secret | None = None,
        max_tokens: int = 2048,
        max_inputs_lenght: int | str | None = 10000,
        media: Sequence[Any] | None = None,
        max_inputs_length: Any = UNSET,
        **kwargs: Any,
    ) -> AsyncIterator[str | Event]:
        """Stream an answer: ``ProviderInfo``, then text as ``str``, then the other events.

        An explicit ``api_base`` is used as an OpenAI-compatible base directly (no Hub lookup).
        The input limit keeps the seed's default of 10,000 characters (``max_inputs_length``
        is accepted as an alias; ``"auto"`` fits the model's context window instead).
        """
        if max_inputs_length is not UNSET:
            max_inputs_lenght = max_inputs_length
        key = api_key.get_secret_value() if isinstance(api_key, Secret) else api_key
        client = cls._client(key, api_base)
        async for event in client.astream_chat(
            model,
            messages,
            max_tokens=max_tokens,
            max_inputs_lenght=max_inputs_lenght,
            media=media,
            **kwargs,
        ):
            yield event.text if isinstance(event, TextDelta) else event
