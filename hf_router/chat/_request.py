"""Preparing one chat request: messages, model, the models to try, trimming, parameters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._shared.checks import check_model_arg
from .._shared.messages import has_images, prepare_messages
from .._shared.models import ModelRef, parse_model
from ..errors import HFRouterError, InvalidInputError, InvalidModelError
from ..events import Trimmed
from ._fit import (
    ASCII_CHARS_PER_TOKEN,
    available_tokens,
    estimate_tokens,
    fit_messages,
    upper_bound_tokens,
    window_budget,
)
from ._overflow import parse_overflow, refit_budget
from ._params import build_body
from ._trim import calculate_lenght

__all__ = [
    "AUTO",
    "UNSET",
    "ChatRequest",
    "check_limit",
    "check_model_list",
    "prepare_request",
    "resolve_limit",
]

logger = logging.getLogger("hf_router")

AUTO = "auto"
"""``max_inputs_lenght="auto"`` (the default): the budget comes from the model's context
window in ``/v1/models``."""
SMALL_INPUT_TOKENS = 1024
"""Inputs estimated at most this many tokens are sent without looking up the window."""
UNSET: Any = object()
"""Marks an argument that was not given."""


def check_limit(value: Any) -> int | str | None:
    """Validate a ``max_inputs_lenght`` value: a positive int, None or ``"auto"``."""
    if value is None or value == AUTO:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(
            f"max_inputs_lenght={value!r} must be a positive integer (characters by "
            "calculate_lenght), None (no client-side fitting) or 'auto' (fit the model's "
            "context window)"
        )
    return value


def resolve_limit(lenght: Any = UNSET, length: Any = UNSET, default: Any = AUTO) -> Any:
    """The limit from the seed spelling ``max_inputs_lenght`` and its alias
    ``max_inputs_length`` (either may be given, not both with different values)."""
    if lenght is not UNSET and length is not UNSET and lenght != length:
        raise InvalidInputError(
            f"max_inputs_lenght={lenght!r} and max_inputs_length={length!r} disagree; "
            "pass only one of them"
        )
    value = lenght if lenght is not UNSET else length if length is not UNSET else default
    return check_limit(value)


@dataclass(slots=True)
class ChatRequest:
    """A validated request: the models to try in order, the wire messages (fitted), the
    fitting report and the remaining chat parameters.

    ``original`` keeps the caller's messages so that every re-fit starts from all of them;
    ``limit`` is ``"auto"``, an int or None; ``adaptive`` allows one re-fit per attempt when a
    provider refuses the input as too long."""

    models: list[ModelRef]
    messages: list[dict[str, Any]]
    trimmed: Trimmed | None
    params: dict[str, Any]
    original: list[dict[str, Any]] = field(default_factory=list)
    limit: int | str | None = None
    adaptive: bool = True
    _refitted: set[int] = field(default_factory=set)
    _bound: float | None = None

    def body(self, wire_model: str, *, stream: bool) -> dict[str, Any]:
        """The JSON body for one attempt."""
        return build_body(wire_model, self.messages, stream=stream, **self.params)

    @property
    def needs_window(self) -> bool:
        """Whether fitting needs the model's context window (``"auto"`` and not tiny)."""
        if self.limit != AUTO:
            return False
        bound = self._bound = upper_bound_tokens(self.original)
        if bound <= SMALL_INPUT_TOKENS:
            return False
        if bound > SMALL_INPUT_TOKENS * ASCII_CHARS_PER_TOKEN:  # the estimate is > 1/3.3 of it
            return True
        return estimate_tokens(self.original) > SMALL_INPUT_TOKENS

    def fit_window(self, window: int | None) -> None:
        """Fit to ``window`` tokens (no change when it is unknown)."""
        if not window:
            return
        max_tokens, tools = self.params.get("max_tokens"), self.params.get("tools")
        bound = upper_bound_tokens(self.original) if self._bound is None else self._bound
        available = available_tokens(window, max_tokens, tools)
        if bound <= available:
            return  # fits even at the worst rate: no need to measure
        if available <= 0:
            logger.warning(
                "max_tokens=%s leaves no room for the input in the %d-token context window; "
                "sending it unfitted (lower max_tokens)",
                max_tokens,
                window,
            )
            return
        budget = window_budget(self.original, window, max_tokens, tools=tools)
        messages, trimmed = fit_messages(self.original, budget, mode="window", reason="window")
        if trimmed is not None:
            # what is kept may pack fewer characters per token than the whole input did
            again = window_budget(messages, window, max_tokens, tools=tools)
            if again < trimmed.after:
                messages, trimmed = fit_messages(self.original, again, reason="window")
        self.messages, self.trimmed = messages, trimmed

    def refit(self, error: HFRouterError, attempt: int) -> Trimmed | None:
        """After a refusal: re-fit once per attempt when ``error`` is a context overflow;
        returns the new report (the caller retries the attempt) or None (it does not)."""
        if not self.adaptive or attempt in self._refitted:
            return None
        overflow = parse_overflow(error)
        if overflow is None:
            return None
        self._refitted.add(attempt)
        size = calculate_lenght(self.messages)
        budget = refit_budget(overflow, size, self.params.get("max_tokens"))
        logger.warning(
            "The provider refused the input as too long (%s); re-fitting it to %s characters "
            "and retrying once",
            f"window {overflow.window}, requested {overflow.requested}"
            if overflow.window
            else "no numbers stated",
            f"{budget:,}",
        )
        self.messages, trimmed = fit_messages(self.original, budget, reason="provider")
        self.trimmed = trimmed
        return trimmed


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
    max_inputs_lenght: int | str | None,
    max_tokens: int | None,
    adaptive_fit: bool = True,
) -> ChatRequest:
    """Validate everything before anything is sent (raises typed input errors).

    ``params`` are the caller's keyword arguments; ``media``, ``provider``,
    ``fallback_models``, ``max_inputs_lenght`` (or ``max_inputs_length``) and
    ``adaptive_fit`` in it override the client's settings. An int limit is applied here; the
    ``"auto"`` one needs the context window (:meth:`ChatRequest.fit_window`).
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
    limit = resolve_limit(
        params.pop("max_inputs_lenght", UNSET),
        params.pop("max_inputs_length", UNSET),
        default=max_inputs_lenght,
    )
    adaptive = bool(params.pop("adaptive_fit", adaptive_fit))
    original, trimmed = wire, None
    if isinstance(limit, int):
        wire, trimmed = fit_messages(wire, limit, mode="seed", reason="limit")
    params.setdefault("max_tokens", max_tokens)
    request = ChatRequest(models, wire, trimmed, params, original, limit, adaptive)
    request.body(str(ref), stream=True)  # validates the parameters once, before sending
    return request
