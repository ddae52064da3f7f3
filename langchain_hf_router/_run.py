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
from pydantic import BaseModel, ValidationError

from hf_router.errors import InvalidInputError

from ._convert import ChunkTranslator

__all__ = ["anotify", "check_fields", "invalid_fields", "notify", "validated_init"]

_RunManager = CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun


def invalid_fields(exc: ValidationError, cls: type[BaseModel]) -> InvalidInputError:
    """Pydantic's validation error as :class:`InvalidInputError` naming each field (never
    the values given: one of them may be a token)."""
    own = [f.alias or name for name, f in cls.model_fields.items() if name in cls.__annotations__]
    problems = []
    unknown = False
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(arguments)"
        if error["type"] == "extra_forbidden":
            unknown = True
            problems.append(f"{field} is not an argument of {cls.__name__}")
        else:
            problems.append(f"{field}: {error['msg']}")
    hint = "Fix the argument and call again."
    if unknown:
        hint = f"Its own arguments are {', '.join(sorted(own))}; check the spelling."
    return InvalidInputError(f"{cls.__name__}: " + "; ".join(problems), hint=hint)


def validated_init(init: Callable[..., None], cls: type[BaseModel], kwargs: dict[str, Any]) -> None:
    """Run a pydantic ``__init__``; its validation errors become :class:`InvalidInputError`."""
    try:
        init(**kwargs)
    except ValidationError as exc:
        raise invalid_fields(exc, cls) from None


def check_fields(model: Any) -> None:
    """Reject impossible values at construction, naming the field."""
    name = model.model_name
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(
            f"model={name!r} must be a model id such as 'meta-llama/Llama-3.3-70B-Instruct'"
        )
    checks: list[tuple[str, Any, Callable[[Any], bool], str]] = [
        ("temperature", model.temperature, lambda v: 0 <= v <= 2, "a number between 0 and 2"),
        ("top_p", model.top_p, lambda v: 0 <= v <= 1, "a number between 0 and 1"),
        ("max_tokens", model.max_tokens, lambda v: v >= 1, "a positive integer"),
        ("max_retries", model.max_retries, lambda v: v >= 0, "zero or a positive integer"),
        ("timeout", model.timeout, lambda v: v > 0, "a positive number of seconds"),
        ("deadline", model.deadline, lambda v: v > 0, "a positive number of seconds or None"),
        ("stall_timeout", model.stall_timeout, lambda v: v > 0, "a positive number of seconds"),
        (
            "max_inputs_lenght",
            model.max_inputs_lenght,
            lambda v: v == "auto" or (isinstance(v, int) and v >= 1),
            "a positive integer, 'auto' or None",
        ),
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
