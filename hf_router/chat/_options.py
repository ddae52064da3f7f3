"""The checks of :class:`~hf_router.RouterClient`'s constructor arguments: each wrong one is an
:class:`~hf_router.errors.InvalidInputError` naming it, before anything is built or sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._shared.checks import check_count, check_model_arg, check_seconds
from .._shared.config import RetryPolicy
from ..errors import InvalidInputError
from ._params import check_max_tokens
from ._request import check_model_list

__all__ = ["check_options"]


def check_options(
    *,
    max_retries: Any,
    retry_policy: Any,
    max_tokens: Any,
    context_window: Any,
    flags: Mapping[str, Any],
    mapping_ttl: Any,
    fallback_models: Sequence[Any],
    default_model: Any,
    default_vision_model: Any,
    model_aliases: Any,
    use_hub_mapping: Any,
) -> None:
    """Raise :class:`~hf_router.errors.InvalidInputError` for the first wrong argument."""
    check_count(max_retries, "max_retries", low=0)
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise InvalidInputError("retry_policy must be a hf_router RetryPolicy, or None")
    check_max_tokens(max_tokens)
    if context_window is not None:
        check_count(context_window, "context_window")
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise InvalidInputError(f"{name}={flag!r} must be True or False")
    check_seconds(mapping_ttl, "mapping_ttl", zero=True)
    check_model_list(fallback_models, "fallback_models")
    check_model_arg(default_model, "default_model", optional=False)
    check_model_arg(default_vision_model, "default_vision_model", optional=False)
    if model_aliases is not None and (
        not isinstance(model_aliases, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in model_aliases.items())
    ):
        raise InvalidInputError("model_aliases must be a dict of alias -> model id strings")
    if use_hub_mapping is not None and not isinstance(use_hub_mapping, bool):
        raise InvalidInputError("use_hub_mapping must be True, False or None (automatic)")
