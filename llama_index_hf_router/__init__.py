"""LlamaIndex integration for Hugging Face Inference Providers and HuggingChat (hf_router).

Install with ``pip install "hf-router[llama-index]"``. Names are imported lazily, so
``import llama_index_hf_router`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a venv without LlamaIndex
    raise ImportError(
        "llama_index_hf_router needs LlamaIndex: install it with "
        "pip install 'hf-router[llama-index]'"
    ) from exc

if TYPE_CHECKING:
    from .events import FallbackEvent, SourcesEvent, TrimmedEvent
    from .llms import HFRouter
    from .retrievers import HuggingChatRetriever
    from .tools import HFMediaToolSpec, MediaToolOutput

_EXPORTS = {
    "HFRouter": "llms",
    "FallbackEvent": "events",
    "TrimmedEvent": "events",
    "HFMediaToolSpec": "tools",
    "MediaToolOutput": "tools",
    "HuggingChatRetriever": "retrievers",
    "SourcesEvent": "events",
}

__all__ = [
    "FallbackEvent",
    "HFMediaToolSpec",
    "HFRouter",
    "HuggingChatRetriever",
    "MediaToolOutput",
    "SourcesEvent",
    "TrimmedEvent",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llama_index_hf_router' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
