"""Seed-compatible facade: ``HuggingChat`` with the seed's class attributes and classmethods,
as a thin wrapper over :class:`~hf_router.HuggingChatClient`."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from .._shared.config import DEFAULT_CHAT_URL, ENV_CHAT_URL, Secret
from .._shared.messages import has_images
from .._shared.models import resolve_model
from .._shared.pool import ClientPool, secret_digest
from ..errors import HFRouterError, InvalidInputError
from ..events import Event, TextDelta
from ._client import HuggingChatClient
from ._wire import COOKIE_NAME, DEFAULT_CHAT_MODEL, Conversation, resolve_cookies

__all__ = ["HuggingChat"]

logger = logging.getLogger("hf_router")

IMAGE_TOOL_ID = "000000000000000000000001"
"""HuggingChat's image-generation tool, enabled for :attr:`HuggingChat.image_models`."""


class HuggingChat:
    """HuggingChat conversations with web search, with the seed's names.

    ``create_async_generator`` (and its sync twin ``create_completion``) yields the
    :class:`~hf_router.Conversation` first when ``return_conversation`` is true, then the
    answer's text as ``str`` chunks and the other events (``ReasoningDelta``, ``Status``,
    ``ToolActivity``, ``ProviderInfo``, ``Title``, ``MediaResult``, ``Sources``, ``Finish``).
    The session cookies come from ``api_key`` (the ``hf-chat`` value or a whole Cookie header
    with ``token``), ``cookies`` (``{"hf-chat": ..., "token": ...}``) or ``HF_CHAT_COOKIE``;
    no browser automation.
    """

    label: ClassVar[str] = "HuggingChat"
    domain: ClassVar[str] = "huggingface.co"
    origin: ClassVar[str] = f"https://{domain}"
    url: ClassVar[str] = DEFAULT_CHAT_URL
    working: ClassVar[bool] = True
    use_nodriver: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = True

    default_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    default_vision_model: ClassVar[str] = DEFAULT_CHAT_MODEL  # omni is multimodal
    default_image_model: ClassVar[str] = "black-forest-labs/FLUX.1-dev"
    image_models: ClassVar[list[str]] = [default_image_model, "black-forest-labs/FLUX.1-schnell"]
    text_models: ClassVar[list[str]] = [
        DEFAULT_CHAT_MODEL,
        "moonshotai/Kimi-K2.6",
        "meta-llama/Llama-3.3-70B-Instruct",
        "Qwen/Qwen2.5-72B-Instruct",
        "Qwen/QwQ-32B",
        "Qwen/Qwen3-235B-A22B",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        "CohereForAI/c4ai-command-r-plus-08-2024",
        "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        "Qwen/Qwen2.5-VL-32B-Instruct",
        "google/gemma-3-27b-it",
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "microsoft/Phi-4",
    ]
    """The fallback list when ``GET /api/models`` cannot be read (see :meth:`get_models`)."""
    vision_models: ClassVar[list[str]] = [
        DEFAULT_CHAT_MODEL,
        "Qwen/Qwen2.5-VL-32B-Instruct",
        "google/gemma-3-27b-it",
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
    ]
    model_aliases: ClassVar[dict[str, str]] = {
        "kimi-k2.6": "moonshotai/Kimi-K2.6",
        "llama-3": "meta-llama/Llama-3.3-70B-Instruct",
        "llama-3.3-70b": "meta-llama/Llama-3.3-70B-Instruct",
        "qwen-2.5-72b": "Qwen/Qwen2.5-72B-Instruct",
        "qwq-32b": "Qwen/QwQ-32B",
        "qwen-3-235b": "Qwen/Qwen3-235B-A22B",
        "deepseek-r1": "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        "command-r-plus": "CohereForAI/c4ai-command-r-plus-08-2024",
        "nemotron-70b": "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
        "qwen-2.5-coder-32b": "Qwen/Qwen2.5-Coder-32B-Instruct",
        "qwen-2.5-vl-32b": "Qwen/Qwen2.5-VL-32B-Instruct",
        "gemma-3-27b": "google/gemma-3-27b-it",
        "mistral-small-3.1-24b": "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "phi-4": "microsoft/Phi-4",
        "flux": "black-forest-labs/FLUX.1-dev",
        "flux-dev": "black-forest-labs/FLUX.1-dev",
        "flux-schnell": "black-forest-labs/FLUX.1-schnell",
    }
    models: ClassVar[list[str]] = []

    _clients: ClassVar[ClientPool[HuggingChatClient]] = ClientPool()

    @classmethod
    def _client(
        cls, api_key: str | Secret | None = None, cookies: Mapping[str, str] | None = None
    ) -> HuggingChatClient:
        """A pooled client for this cookie and base URL (keyed by a digest, never the cookie)."""
        key = api_key.get_secret_value() if isinstance(api_key, Secret) else api_key
        if key is not None and not isinstance(key, str):
            raise InvalidInputError(
                f"api_key must be the 'hf-chat' cookie (a string) or None, not {type(key).__name__}"
            )
        if key and key.startswith("hf_") and "=" not in key:
            logger.debug("HuggingChat: api_key looks like a Hub token, not a cookie; ignored")
            key = None
        header: str | None = None
        if cookies is None and key:
            header = key if "=" in key else f"{COOKIE_NAME}={key}"
        found = resolve_cookies(cookies, header)
        joined = "; ".join(f"{k}={v}" for k, v in sorted(found.items()))
        base_url = (os.environ.get(ENV_CHAT_URL) or cls.url).rstrip("/")
        return cls._clients.get_or_create(
            (base_url, secret_digest(joined)),
            lambda: HuggingChatClient(cookies=found, base_url=base_url),
        )

    @classmethod
    def get_model(cls, model: str | None, *, has_images: bool = False, **kwargs: Any) -> str:
        """Resolve aliases; an empty name gives the default (vision) model."""
        return resolve_model(
            model,
            aliases=cls.model_aliases,
            default_model=cls.default_model,
            default_vision_model=cls.default_vision_model,
            has_images=has_images,
        )

    @classmethod
    def get_models(cls, api_key: str | Secret | None = None, **kwargs: Any) -> list[str]:
        """HuggingChat's models (``GET /api/models``, read once; the default model first),
        then the image models; the static :attr:`text_models` when the list cannot be read.
        ``api_key``/``cookies``: the session (the list itself needs none)."""
        if not cls.models:
            try:
                found = cls._client(api_key, kwargs.get("cookies")).list_models()
            except HFRouterError as exc:
                logger.debug("HuggingChat: no model list (%s); using the static one", exc)
                found = []
            text = found or list(cls.text_models)
            cls.models = [*text, *(m for m in cls.image_models if m not in text)]
        return cls.models

    @classmethod
    def create_conversation(
        cls,
        model: str | None = None,
        *,
        api_key: str | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> str:
        """Create a conversation and return its id (seed: ``create_conversation``); no model
        (or an image model): the server's default model."""
        found = cls.get_model(model) if model else None
        if found in cls.image_models:
            found = None
        return cls._client(api_key, cookies).create_conversation(found).conversation_id

    @classmethod
    def fetch_message_id(
        cls,
        conversation_id: str,
        *,
        api_key: str | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> str:
        """The id of the conversation's last message (seed: ``fetch_message_id``)."""
        return cls._client(api_key, cookies).fetch_message_id(conversation_id)

    @classmethod
    def _plan(
        cls,
        model: str | None,
        messages: Sequence[dict[str, Any]],
        media: Sequence[Any] | None,
        conversation: Conversation | str | None,
    ) -> tuple[str | None, list[str], Conversation | None]:
        """The model, the tool ids and the conversation object of one call (nothing sent).
        No model: the conversation's, else the server's default (``None``); an image model:
        the server's default model with the image tool (``None`` and the tool id)."""
        if isinstance(conversation, str):
            conversation = Conversation.from_json(conversation)
        if not model:
            return (conversation.model if conversation else None), [], conversation
        images = bool(media) or has_images(messages if isinstance(messages, list) else [])
        model = cls.get_model(model, has_images=images)
        if model in cls.image_models:
            return None, [IMAGE_TOOL_ID], conversation
        return model, [], conversation

    @staticmethod
    def _items(
        item: Event | Conversation, conversation: Conversation | None, return_conversation: bool
    ) -> list[str | Event | Conversation]:
        if isinstance(item, Conversation):
            return [conversation or item] if return_conversation else []
        if isinstance(item, TextDelta):
            return [item.text]
        return [item]

    @classmethod
    async def create_async_generator(
        cls,
        model: str | None,
        messages: Sequence[dict[str, Any]],
        api_key: str | Secret | None = None,
        cookies: Mapping[str, str] | None = None,
        conversation: Conversation | str | None = None,
        return_conversation: bool = False,
        web_search: bool = False,
        media: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str | Event | Conversation]:
        """Stream an answer: the conversation (when ``return_conversation``), then text as
        ``str`` and the other events. ``conversation`` (a :class:`~hf_router.Conversation` or
        its JSON) continues the conversation with ``model``; a model it has not talked to yet
        gets a new HuggingChat conversation inside the same object (the seed's ``models``
        dict). Images inside ``messages`` are uploaded like ``media``. An image model uses
        HuggingChat's image tool in a default-model conversation (servers before 2025-09)."""
        client = cls._client(api_key, cookies)
        model, tools, conv = cls._plan(model, messages, media, conversation)
        if tools:
            model = await client.aget_default_model()
        if conv is not None and model and not conv.switch(model):
            conv.adopt(await client.acreate_conversation(model))
        async for item in client.aask(
            model, messages, web_search=web_search, media=media, conversation=conv, tools=tools
        ):
            for out in cls._items(item, conv, return_conversation):
                yield out

    @classmethod
    def create_completion(
        cls,
        model: str | None,
        messages: Sequence[dict[str, Any]],
        api_key: str | Secret | None = None,
        cookies: Mapping[str, str] | None = None,
        conversation: Conversation | str | None = None,
        return_conversation: bool = False,
        web_search: bool = False,
        media: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[str | Event | Conversation]:
        """Sync twin of :meth:`create_async_generator` (the seed's ``create_completion``):
        the same items, from the client's own sync HTTP (no event loop)."""
        client = cls._client(api_key, cookies)
        model, tools, conv = cls._plan(model, messages, media, conversation)
        if tools:
            model = client.get_default_model()
        if conv is not None and model and not conv.switch(model):
            conv.adopt(client.create_conversation(model))
        for item in client.ask(
            model, messages, web_search=web_search, media=media, conversation=conv, tools=tools
        ):
            yield from cls._items(item, conv, return_conversation)
