"""``llm_output`` of :class:`~langchain_hf_router.ChatHFRouter` results, with ChatOpenAI's keys:
``token_usage`` (OpenAI's names), ``model_name`` and ``system_fingerprint``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from hf_router import Usage

from ._convert import ChunkTranslator

__all__ = ["combine_llm_outputs", "with_llm_output"]


def combine_llm_outputs(
    llm_outputs: list[dict[str, Any] | None], model_name: str
) -> dict[str, Any]:
    """Token usage summed over the prompts of one ``generate()``; the first ``model_name`` and
    ``system_fingerprint``."""
    combined: dict[str, Any] = {"token_usage": {}, "model_name": model_name}
    for output in llm_outputs:
        if not output:
            continue
        _add_usage(combined["token_usage"], output.get("token_usage") or {})
        combined["model_name"] = output.get("model_name") or combined["model_name"]
        if output.get("system_fingerprint") and "system_fingerprint" not in combined:
            combined["system_fingerprint"] = output["system_fingerprint"]
    return combined


def _add_usage(total: dict[str, Any], more: Mapping[str, Any]) -> None:
    """Sum OpenAI-style token counts, nested details included."""
    for key, value in more.items():
        if isinstance(value, Mapping):
            _add_usage(total.setdefault(key, {}), value)
        elif isinstance(value, int):
            total[key] = total.get(key, 0) + value


def with_llm_output(
    chunks: list[ChatGenerationChunk], translator: ChunkTranslator, usage: Usage | None
) -> ChatResult:
    """The aggregated result plus ChatOpenAI's ``llm_output`` keys: ``token_usage`` (OpenAI
    names), ``model_name`` (the model that served) and ``system_fingerprint`` when sent."""
    final = translator.final()
    result = generate_from_stream(iter([*chunks, final]))
    meta = final.message.response_metadata
    token_usage: dict[str, Any] = {}
    if usage is not None:
        token_usage = {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        }
        if "reasoning_tokens" in usage.details:
            token_usage["completion_tokens_details"] = {
                "reasoning_tokens": usage.details["reasoning_tokens"]
            }
        if "cached_tokens" in usage.details:
            token_usage["prompt_tokens_details"] = {"cached_tokens": usage.details["cached_tokens"]}
    output: dict[str, Any] = {"token_usage": token_usage, "model_name": meta["model_name"]}
    if meta.get("system_fingerprint"):
        output["system_fingerprint"] = meta["system_fingerprint"]
    result.llm_output = output
    return result
