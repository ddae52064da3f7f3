"""Preparing one chat request: messages, model, the models to try, trimming, parameters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._shared.checks import check_count, check_model_arg
from .._shared.messages import has_images, prepare_messages
from .._shared.models import ModelRef, parse_model
from ..errors import InvalidInputError, InvalidModelError
from ..events import Trimmed
from ._params import build_body
from ._trim import trim_with_report

__all__ = ["ChatRequest", "check_model_list", "prepare_request"]

logger = logging.getLogger("hf_router")


@dataclass(slots=True)
class ChatRequest:
    """A validated request: the models to try in order, the wire messages (trimmed), the
    trimming report and the remaining chat parameters."""

    models: list[ModelRef]
    messages: list[dict[str, Any]]
    trimmed: Trimmed | None
    params: dict[str, Any]

    def body(self, wire_model: str, *, stream: bool) -> dict[str, Any]:
        """The JSON body for one attempt."""
        return build_body(wire_model, self.messages, stream=stream, **self.params)


def check_model_list(models: Any, name: str) -> None:
    """A list or tuple of model id strings (a lone string is a mistake: it is not a list)."""
    if not isinstance(models, (list, tuple)):
        raise InvalidInputError(
            f"{name} must be a list of model ids, e.g. ['Qwen/Qwen2.5-72B-Instruct'], not "
            f"{type(models).__name__}"
        )
    for i, item in enumerate(models):
        check_model_arg(item, f"{name}[{i}]", optional=False)


def prepare_request(
    model: str | None,
    messages: Any,
    params: dict[str, Any],
    *,
    resolve: Callable[[str | None, bool], str],
    provider: str | None,
    fallback_models: Sequence[str],
    max_inputs_lenght: int | None,
    max_tokens: int | None,
) -> ChatRequest:
    """Validate everything before anything is sent (raises typed input errors).

    ``params`` are the caller's keyword arguments; ``media``, ``provider``,
    ``fallback_models`` and ``max_inputs_lenght`` in it override the client's settings.
    """
    check_model_arg(model)  # None: the default model; "" or a non-string: an error
    params = dict(params)
    wire = prepare_messages(messages, params.pop("media", None))
    name = resolve(model, has_images(wire))
    pinned = params.pop("provider", None)
    if pinned is not None and (not isinstance(pinned, str) or not pinned):
        raise InvalidModelError(
            f"provider={pinned!r} must be a provider name such as 'together', or None"
        )
    pinned = pinned or provider
    ref = parse_model(name, pinned if ":" not in name else None)
    fallbacks = params.pop("fallback_models", None)
    if fallbacks is not None:
        check_model_list(fallbacks, "fallback_models")
    models = [ref]
    for fallback in fallback_models if fallbacks is None else fallbacks:
        candidate = parse_model(resolve(fallback, False))
        if all(candidate.repo_id != m.repo_id or candidate.suffix != m.suffix for m in models):
            models.append(candidate)
    limit = params.pop("max_inputs_lenght", max_inputs_lenght)
    if limit is not None:
        check_count(limit, "max_inputs_lenght")
    trimmed = None
    if limit:
        wire, trimmed = trim_with_report(wire, limit)
        if trimmed:
            logger.info(
                "Trimmed the input from %d to %d characters (%d messages dropped)",
                trimmed.before,
                trimmed.after,
                trimmed.dropped_messages,
            )
    params.setdefault("max_tokens", max_tokens)
    request = ChatRequest(models, wire, trimmed, params)
    request.body(str(ref), stream=True)  # validates the parameters once, before sending
    return request
