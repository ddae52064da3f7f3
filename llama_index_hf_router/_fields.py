"""The checks of :class:`~llama_index_hf_router.HFRouter`'s constructor arguments: unknown
names and wrong values are :class:`~hf_router.errors.InvalidInputError` naming the argument
(never showing its value), before pydantic or the client sees them."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ValidationError

from hf_router.errors import InvalidInputError

__all__ = ["check_arguments", "check_positive_int", "invalid_fields"]


def check_arguments(cls: type[BaseModel], kwargs: dict[str, Any]) -> None:
    """Raise :class:`InvalidInputError` for an unknown keyword or a wrong value of ``kwargs``."""
    unknown = sorted(set(kwargs) - _accepted_arguments(cls))
    if unknown:
        own = sorted(n for n in cls.model_fields if n in cls.__annotations__)
        raise InvalidInputError(
            f"HFRouter: {', '.join(unknown)} is not an argument of HFRouter",
            hint=f"Its own arguments are api_key, {', '.join(own)}; check the spelling.",
        )
    for name in ("max_tokens", "context_window"):
        check_positive_int(name, kwargs.get(name))
    for name in ("max_inputs_lenght", "max_inputs_length"):
        if kwargs.get(name) != "auto":
            check_positive_int(name, kwargs.get(name))
    if "max_retries" in kwargs and (
        not isinstance(kwargs["max_retries"], int) or kwargs["max_retries"] < 0
    ):
        raise InvalidInputError(f"max_retries={kwargs['max_retries']!r} must be 0 or more")
    for name in ("deadline", "stall_timeout"):
        value = kwargs.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            raise InvalidInputError(
                f"{name}={value!r} must be a positive number of seconds, or None"
            )


def check_positive_int(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name}={value!r} must be a positive integer (e.g. {name}=512)")


def invalid_fields(exc: ValidationError) -> InvalidInputError:
    """Pydantic's validation error as :class:`InvalidInputError` naming each field (never
    the values given)."""
    problems = [
        f"{'.'.join(str(p) for p in error['loc']) or '(arguments)'}: {error['msg']}"
        for error in exc.errors()
    ]
    return InvalidInputError("HFRouter: " + "; ".join(problems))


def _accepted_arguments(cls: type[BaseModel]) -> set[str]:
    """Field names and their aliases (``max_inputs_length`` is one): what the constructor takes."""
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
        if isinstance(info.validation_alias, AliasChoices):
            names.update(c for c in info.validation_alias.choices if isinstance(c, str))
        elif isinstance(info.validation_alias, str):
            names.add(info.validation_alias)
    return names
