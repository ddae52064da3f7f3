"""hf_router: Hugging Face Inference Providers (the router) and HuggingChat, framework-free."""

from ._version import __version__

__all__ = ["__version__"]
