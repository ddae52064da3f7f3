"""``from llama_index.tools.hf_router import HFMediaToolSpec``: LlamaIndex's usual import path
for the image and video generation tools of :mod:`llama_index_hf_router` (a namespace portion
shipped by ``hf-router``; see ``llama_index.llms.hf_router``)."""

from llama_index_hf_router.tools import HFMediaToolSpec, MediaToolOutput

__all__ = ["HFMediaToolSpec", "MediaToolOutput"]
