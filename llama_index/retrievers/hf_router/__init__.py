"""``from llama_index.retrievers.hf_router import HuggingChatRetriever``: LlamaIndex's usual
import path for the HuggingChat web-search retriever of :mod:`llama_index_hf_router` (a
namespace portion shipped by ``hf-router``; see ``llama_index.llms.hf_router``)."""

from llama_index_hf_router.events import SourcesEvent
from llama_index_hf_router.retrievers import HuggingChatRetriever

__all__ = ["HuggingChatRetriever", "SourcesEvent"]
