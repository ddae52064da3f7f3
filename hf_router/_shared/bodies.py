"""Reading what a server sends, within bounds: whole bodies with a size cap, and JSON whose
nesting cannot crash the parser (deep nesting is a ``ValueError``, never a ``RecursionError``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..errors import MalformedResponseError

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "aread_capped",
    "capped_response",
    "dumps",
    "loads",
    "read_capped",
]

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The largest non-streamed answer read (chat, Hub, model lists, HuggingChat JSON)."""

_decode = json.JSONDecoder().decode


def loads(data: str | bytes | bytearray) -> Any:
    """``json.loads`` where nesting too deep for the parser is a ``ValueError``."""
    try:
        if isinstance(data, bytes | bytearray):
            data = bytes(data).decode("utf-8")
        return _decode(data)
    except RecursionError:
        raise ValueError("The JSON is nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"The JSON is not valid UTF-8 ({exc.reason})") from None


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` where a value nested too deeply is a ``ValueError``."""
    try:
        return json.dumps(value, **kwargs)
    except RecursionError:
        raise ValueError("The value is nested too deeply") from None


def _too_large(limit: int, what: str, **kwargs: Any) -> MalformedResponseError:
    return MalformedResponseError(
        f"{what} is larger than the limit of {limit} bytes; it was not read",
        hint="Raise max_response_bytes if you expect answers this large.",
        **kwargs,
    )


def read_capped(
    response: httpx.Response, limit: int, *, what: str = "The answer", **kwargs: Any
) -> bytes:
    """The body of a streamed ``response``, refusing (:class:`MalformedResponseError`) more
    than ``limit`` bytes: memory stays near ``limit`` whatever the server sends."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _too_large(limit, what, **kwargs)
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, what, **kwargs)
        parts.append(chunk)
    return b"".join(parts)


async def aread_capped(
    response: httpx.Response, limit: int, *, what: str = "The answer", **kwargs: Any
) -> bytes:
    """Async twin of :func:`read_capped`."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _too_large(limit, what, **kwargs)
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, what, **kwargs)
        parts.append(chunk)
    return b"".join(parts)


_DROPPED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def capped_response(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read response holding ``body`` (already decoded), for code that wants ``.json()``."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )
