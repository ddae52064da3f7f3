"""Run-time helpers of :class:`~langchain_hf_router.ChatHFRouter`: field checks and the custom
callback events (``hf_router_trimmed``, ``hf_router_fallback``) of one run."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
    adispatch_custom_event,
    dispatch_custom_event,
)

from hf_router.errors import InvalidInputError

from ._convert import ChunkTranslator

__all__ = ["anotify", "check_fields", "notify"]

_RunManager = CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun


def check_fields(model: Any) -> None:
    """Reject impossible numbers at construction, naming the field."""
    checks: list[tuple[str, Any, Callable[[Any], bool], str]] = [
        ("temperature", model.temperature, lambda v: 0 <= v <= 2, "a number between 0 and 2"),
        ("top_p", model.top_p, lambda v: 0 <= v <= 1, "a number between 0 and 1"),
        ("max_tokens", model.max_tokens, lambda v: v >= 1, "a positive integer"),
        ("max_retries", model.max_retries, lambda v: v >= 0, "zero or a positive integer"),
        ("timeout", model.timeout, lambda v: v > 0, "a positive number of seconds"),
        ("deadline", model.deadline, lambda v: v > 0, "a positive number of seconds or None"),
        ("stall_timeout", model.stall_timeout, lambda v: v > 0, "a positive number of seconds"),
        ("max_inputs_lenght", model.max_inputs_lenght, lambda v: v >= 1, "a positive integer"),
    ]
    for name, value, ok, what in checks:
        if value is not None and not ok(value):
            raise InvalidInputError(f"{name}={value!r} must be {what}")


def _notices_manager(run_manager: _RunManager, cls: type) -> Any:
    return cls(
        handlers=run_manager.handlers,
        inheritable_handlers=run_manager.inheritable_handlers,
        parent_run_id=run_manager.run_id,
        tags=run_manager.tags,
        inheritable_tags=run_manager.inheritable_tags,
        metadata=run_manager.metadata,
        inheritable_metadata=run_manager.inheritable_metadata,
    )


def notify(run_manager: CallbackManagerForLLMRun | None, translator: ChunkTranslator) -> None:
    """Dispatch ``hf_router_trimmed`` / ``hf_router_fallback`` to the run's callbacks."""
    notices = translator.take_notices()
    if not notices:
        return
    if run_manager is None:  # stream(): no run manager reaches _stream; use the context's run
        for name, data in notices:
            with suppress(RuntimeError):  # no parent run: nobody is listening
                dispatch_custom_event(name, data)
        return
    manager = _notices_manager(run_manager, CallbackManager)
    for name, data in notices:
        manager.on_custom_event(name, data, run_id=run_manager.run_id)


async def anotify(
    run_manager: AsyncCallbackManagerForLLMRun | None, translator: ChunkTranslator
) -> None:
    """Async twin of :func:`notify`."""
    notices = translator.take_notices()
    if not notices:
        return
    if run_manager is None:
        for name, data in notices:
            with suppress(RuntimeError):
                await adispatch_custom_event(name, data)
        return
    manager = _notices_manager(run_manager, AsyncCallbackManager)
    for name, data in notices:
        await manager.on_custom_event(name, data, run_id=run_manager.run_id)
