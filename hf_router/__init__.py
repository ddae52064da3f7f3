"""hf_router: Hugging Face Inference Providers (the router) and HuggingChat, framework-free.

The core depends on httpx and tenacity only. Start with :class:`RouterClient`::

    from hf_router import RouterClient, TextDelta

    client = RouterClient()  # token from HF_TOKEN, HUGGING_FACE_HUB_TOKEN or huggingface-cli login
    for event in client.stream_chat("meta-llama/Llama-3.3-70B-Instruct", [{"role": "user", "content": "Hi"}]):
        if isinstance(event, TextDelta):
            print(event.text, end="")
"""

import logging as _logging

from ._shared.catalog import ProviderMapping, ProviderStatus, RouterModel
from ._shared.config import DEFAULT_BASE_URL, DEFAULT_HUB_URL, RetryPolicy, Secret, find_token
from ._shared.messages import sniff_mime
from ._shared.models import ModelRef, parse_model
from ._version import __version__
from .chat._batch import BatchProgress
from .chat._budget import completion_reserve
from .chat._client import RouterClient
from .chat._facade import HuggingFaceAPI
from .chat._result import ResultBuilder
from .chat._trim import calculate_lenght, calculate_length, trim_messages, trim_with_report
from .events import (
    ChatResult,
    Event,
    Fallback,
    Finish,
    InvalidToolCall,
    MediaResult,
    ProviderInfo,
    ReasoningDelta,
    Source,
    Sources,
    Status,
    TextDelta,
    Title,
    ToolActivity,
    ToolCall,
    ToolCallDelta,
    Trimmed,
    Usage,
)

# Media and HuggingChat are imported on first use (keeps `import hf_router` light).
_LAZY = {
    "MediaClient": ".media",
    "HuggingFaceMedia": ".media",
    "HuggingChatClient": ".huggingchat",
    "Conversation": ".huggingchat",
    "SearchResult": ".huggingchat",
    "HuggingChat": ".huggingchat",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hf_router' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)


# A library logs, the application decides where it goes (no "No handlers" noise on stderr).
_logging.getLogger("hf_router").addHandler(_logging.NullHandler())

__all__ = [  # noqa: RUF022 - lazily imported names listed too
    "Conversation",
    "HuggingChat",
    "HuggingChatClient",
    "HuggingFaceMedia",
    "MediaClient",
    "SearchResult",
    "DEFAULT_BASE_URL",
    "DEFAULT_HUB_URL",
    "BatchProgress",
    "ChatResult",
    "Event",
    "Fallback",
    "Finish",
    "HuggingFaceAPI",
    "InvalidToolCall",
    "MediaResult",
    "ModelRef",
    "ProviderInfo",
    "ProviderMapping",
    "ProviderStatus",
    "ReasoningDelta",
    "ResultBuilder",
    "RetryPolicy",
    "RouterClient",
    "RouterModel",
    "Secret",
    "Source",
    "Sources",
    "Status",
    "TextDelta",
    "Title",
    "ToolActivity",
    "ToolCall",
    "ToolCallDelta",
    "Trimmed",
    "Usage",
    "__version__",
    "calculate_lenght",
    "calculate_length",
    "completion_reserve",
    "find_token",
    "parse_model",
    "sniff_mime",
    "trim_messages",
    "trim_with_report",
]
