"""Argument checks shared by every public entry point: each raises
:class:`~hf_router.errors.InvalidInputError` naming the argument and saying what to pass, before
anything is sent."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import InvalidInputError, InvalidModelError

__all__ = [
    "check_count",
    "check_headers",
    "check_json",
    "check_mapping",
    "check_model_arg",
    "check_optional_str",
    "check_seconds",
    "check_timeout",
    "check_url",
]


def _kind(value: Any) -> str:
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def check_json(value: Any, where: str) -> None:
    """Raise unless ``value`` is plain JSON (dicts with string keys, lists/tuples, strings,
    finite numbers, booleans, None); the message names the offending path."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{where}={value!r}: JSON cannot carry NaN or infinity")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputError(
                    f"{where} has the key {key!r} ({type(key).__name__}); JSON object keys must be strings"
                )
            check_json(item, f"{where}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_json(item, f"{where}[{i}]")
        return
    raise InvalidInputError(
        f"{where} is {_kind(value)}, which cannot be sent as JSON; pass strings, numbers, "
        "booleans, None, lists or dicts (e.g. a list instead of a set, text instead of bytes)"
    )


def check_mapping(value: Any, name: str, *, json: bool = True) -> None:
    """Raise unless ``value`` is None or a mapping with string keys (JSON values if ``json``)."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"{name} must be a dict (e.g. {{'key': 'value'}}), not {type(value).__name__}"
        )
    if json:
        check_json(value, name)
    elif not all(isinstance(k, str) for k in value):
        raise InvalidInputError(f"{name} must have string keys")


def check_headers(value: Any) -> None:
    """``headers``: None or a mapping of strings to strings."""
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidInputError("headers must be a dict of strings, e.g. {'X-Trace': 'abc'}")


def check_model_arg(model: Any, name: str = "model", *, optional: bool = True) -> None:
    """A model argument: None (when ``optional``: the documented default) or a non-empty
    string. An empty string is an error, never silently the default."""
    if model is None and optional:
        return
    if not isinstance(model, str):
        raise InvalidModelError(
            f"{name}={model!r} must be a model id string such as "
            f"'meta-llama/Llama-3.3-70B-Instruct'{' or None for the default' if optional else ''}"
        )
    if not model.strip():
        raise InvalidModelError(
            f"{name} is an empty string; pass a model id"
            + (" or None for the default model" if optional else "")
        )


def check_optional_str(value: Any, name: str, *, empty: bool = False) -> None:
    """None or a string (non-empty unless ``empty``)."""
    if value is None:
        return
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise InvalidInputError(f"{name}={value!r} must be a non-empty string or None")


def check_url(value: Any, name: str) -> None:
    """None or an ``http(s)://`` URL string."""
    if value is None:
        return
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"{name}={value!r} must be an http:// or https:// URL string, or None for the default"
        )


def check_seconds(value: Any, name: str, *, zero: bool = False) -> None:
    """A finite positive number of seconds (or zero when ``zero``)."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and (value >= 0 if zero else value > 0)
    )
    if not ok:
        what = "zero or a positive" if zero else "a positive"
        raise InvalidInputError(f"{name}={value!r} must be {what} number of seconds")


def check_timeout(value: Any) -> None:
    """``timeout``: None (no limit), a positive number of seconds or an ``httpx.Timeout``."""
    if value is None or isinstance(value, httpx.Timeout):
        if isinstance(value, httpx.Timeout):
            for part, limit in value.as_dict().items():
                if limit is not None:
                    check_seconds(limit, f"timeout.{part}")
        return
    check_seconds(value, "timeout")


def check_count(value: Any, name: str, *, low: int = 1, high: int | None = None) -> None:
    """A whole number in ``[low, high]``."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int)
        and value >= low
        and (high is None or value <= high)
    )
    if not ok:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InvalidInputError(f"{name}={value!r} must be a whole number {bound}")
