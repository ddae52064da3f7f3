"""``from llama_index.llms.hf_router import HFRouter``: LlamaIndex's usual import path for
:class:`llama_index_hf_router.HFRouter` (Hugging Face Inference Providers through the router).

Shipped by the ``hf-router`` distribution (``pip install "hf-router[llama-index]"``) as a
portion of the ``llama_index`` namespace package: like llama-index-core's own ``llama_index/``,
neither ``llama_index/`` nor ``llama_index/llms/`` has an ``__init__.py``.
"""

from llama_index_hf_router.llms import HFRouter

__all__ = ["HFRouter"]
