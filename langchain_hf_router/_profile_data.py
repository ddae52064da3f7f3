"""Bundled model profiles for ``ChatHFRouter.profile`` (see langchain_hf_router/profiles.py).

The first table was written by hand for the models hf_router names (its default, vision default,
aliases' main targets and fallback list): ``max_input_tokens`` is the context length of each
model's published configuration (``max_position_embeddings``, or the model card's stated
context where the configuration's is larger), ``image_inputs`` whether the model takes images,
``tool_calling`` / ``structured_output`` what the router's providers offer for these
instruction-tuned models. ``python -m langchain_hf_router.profiles`` regenerates it from the
router's ``GET /v1/models`` (then this docstring says so and gives the date).
"""

from __future__ import annotations

from typing import Any

_TEXT: dict[str, Any] = {"text_inputs": True, "text_outputs": True, "image_inputs": False}
_TOOLS: dict[str, Any] = {"tool_calling": True, "tool_choice": True, "structured_output": True}

BUNDLED_PROFILES: dict[str, dict[str, Any]] = {
    "meta-llama/Llama-3.3-70B-Instruct": {**_TEXT, **_TOOLS, "max_input_tokens": 131072},
    "meta-llama/Llama-3.1-8B-Instruct": {**_TEXT, **_TOOLS, "max_input_tokens": 131072},
    "meta-llama/Llama-3.2-11B-Vision-Instruct": {
        **_TEXT,
        "image_inputs": True,
        "max_input_tokens": 131072,
    },
    "Qwen/Qwen2.5-72B-Instruct": {**_TEXT, **_TOOLS, "max_input_tokens": 32768},
    "Qwen/Qwen2.5-Coder-32B-Instruct": {**_TEXT, **_TOOLS, "max_input_tokens": 32768},
    "Qwen/Qwen2.5-VL-7B-Instruct": {**_TEXT, "image_inputs": True, "max_input_tokens": 32768},
    "Qwen/Qwen2.5-VL-32B-Instruct": {**_TEXT, "image_inputs": True, "max_input_tokens": 32768},
    "Qwen/QwQ-32B": {**_TEXT, **_TOOLS, "reasoning_output": True, "max_input_tokens": 32768},
    "Qwen/Qwen3-32B": {**_TEXT, **_TOOLS, "reasoning_output": True, "max_input_tokens": 32768},
    "deepseek-ai/DeepSeek-R1": {**_TEXT, "reasoning_output": True, "max_input_tokens": 131072},
    "deepseek-ai/DeepSeek-V3-0324": {**_TEXT, **_TOOLS, "max_input_tokens": 131072},
    "google/gemma-3-27b-it": {**_TEXT, "image_inputs": True, "max_input_tokens": 131072},
    "mistralai/Mistral-Nemo-Instruct-2407": {**_TEXT, **_TOOLS, "max_input_tokens": 131072},
    "microsoft/phi-4": {**_TEXT, "max_input_tokens": 16384},
    "openai/gpt-oss-120b": {
        **_TEXT,
        **_TOOLS,
        "reasoning_output": True,
        "max_input_tokens": 131072,
    },
}
