"""LangChain integration for Hugging Face Inference Providers and HuggingChat (hf_router).

Install with ``pip install "hf-router[langchain]"``. Names are imported lazily, so
``import langchain_hf_router`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a venv without LangChain
    raise ImportError(
        "langchain_hf_router needs LangChain: install it with pip install 'hf-router[langchain]'"
    ) from exc

if TYPE_CHECKING:
    from .callbacks import HuggingChatSourcesCallbackHandler, get_sources_callback
    from .chat_models import ChatHFRouter
    from .retrievers import HuggingChatSearchRetriever
    from .tools import HFMediaTool

_EXPORTS = {
    "ChatHFRouter": "chat_models",
    "HFMediaTool": "tools",
    "HuggingChatSearchRetriever": "retrievers",
    "HuggingChatSourcesCallbackHandler": "callbacks",
    "get_sources_callback": "callbacks",
}

__all__ = [
    "ChatHFRouter",
    "HFMediaTool",
    "HuggingChatSearchRetriever",
    "HuggingChatSourcesCallbackHandler",
    "get_sources_callback",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'langchain_hf_router' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
