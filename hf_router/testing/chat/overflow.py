"""The ``overflow`` fault: a model that enforces its context window the way real servers do.

A model added with ``add_model(..., context_length=N, overflow=STYLE)`` counts each request's
prompt tokens (a realistic count: about 4 ASCII characters or 1 other character per token, plus
4 per message, plus the tool schemas) and, when prompt + ``max_tokens`` is over ``N``, refuses
with the status and wording of one kind of server:

========== ====== ==========================================================================
style      status message
========== ====== ==========================================================================
openai     400    ``This model's maximum context length is N tokens. However, you requested
                  M tokens (P in the messages, C in the completion). Please reduce the length
                  of the messages or completion.`` (OpenAI, vLLM before 0.6, llama-cpp-python)
vllm       400    ``This model's maximum context length is N tokens. However, your request has
                  P input tokens. Please reduce the length of the input messages.``
tgi        422    ``Input validation error: `inputs` tokens + `max_new_tokens` must be <= N.
                  Given: P `inputs` tokens and C `max_new_tokens```
anthropic  400    ``prompt is too long: P tokens > N maximum``
llamacpp   400    ``the request exceeds the available context size, try increasing it``
bare       413    ``Input is too long for this model`` (no numbers)
========== ====== ==========================================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse, Response

from ..core.catalog import OVERFLOW_STYLES

__all__ = ["OVERFLOW_STYLES", "context_tokens", "overflow_response"]


def _text_tokens(text: str) -> int:
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4 + (len(text) - ascii_chars))


def _content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def context_tokens(messages: Sequence[Any], tools: Any = None) -> int:
    """The prompt tokens of a request as the ``overflow`` models count them."""
    total = 0
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        total += 4 + _text_tokens(_content(message.get("content")))
        calls = message.get("tool_calls")
        if calls:
            total += _text_tokens(json.dumps(calls))
    if tools:
        total += _text_tokens(json.dumps(tools))
    return total


def overflow_response(
    style: str, window: int, body: Mapping[str, Any], headers: dict[str, str]
) -> Response | None:
    """The refusal for ``body`` when it is over ``window`` tokens (None when it fits)."""
    prompt = context_tokens(body.get("messages") or [], body.get("tools"))
    limit = body.get("max_tokens", body.get("max_completion_tokens"))
    completion = limit if isinstance(limit, int) and not isinstance(limit, bool) else 0
    requested = prompt + completion
    if requested <= window:
        return None
    if style == "openai":
        message = (
            f"This model's maximum context length is {window} tokens. However, you requested "
            f"{requested} tokens ({prompt} in the messages, {completion} in the completion). "
            "Please reduce the length of the messages or completion."
        )
        error = {"message": message, "type": "invalid_request_error", "param": "messages"}
        error["code"] = "context_length_exceeded"
        return JSONResponse({"error": error}, 400, headers)
    if style == "vllm":
        message = (
            f"This model's maximum context length is {window} tokens. However, your request has "
            f"{prompt} input tokens. Please reduce the length of the input messages."
        )
        body_ = {"object": "error", "message": message, "type": "BadRequestError", "code": 400}
        return JSONResponse(body_, 400, headers)
    if style == "tgi":
        message = (
            f"Input validation error: `inputs` tokens + `max_new_tokens` must be <= {window}. "
            f"Given: {prompt} `inputs` tokens and {completion} `max_new_tokens`"
        )
        return JSONResponse({"error": message, "error_type": "validation"}, 422, headers)
    if style == "anthropic":
        message = f"prompt is too long: {prompt} tokens > {window} maximum"
        error = {"type": "invalid_request_error", "message": message}
        return JSONResponse({"type": "error", "error": error}, 400, headers)
    if style == "llamacpp":
        error = {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": prompt,
            "n_ctx": window,
        }
        return JSONResponse({"error": error}, 400, headers)
    return JSONResponse({"error": "Input is too long for this model"}, 413, headers)
