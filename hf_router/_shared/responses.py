"""Reading an error response: the server's message, Retry-After, and the typed error."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .._redact import redact_text
from ..errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ModelLoadingError,
    ModelNotSupportedError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
)
from .bodies import dumps, loads

__all__ = [
    "error_from_response",
    "non_negative",
    "parse_retry_after",
    "redact",
    "server_message",
    "summarize_body",
]

_MAX_MESSAGE = 500

_TAG_RE = re.compile(r"<[^>]+>")
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1_RE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_WS_RE = re.compile(r"\s+")
_TRACE_RE = re.compile(r'File "[^"]*", line \d+(?:, in \S+)?')
# Servers that report their own request validation as a 500 (llama.cpp's pydantic errors).
_VALIDATION_RE = re.compile(r"\b\d+ validation errors?\b|\bInput should be\b")


def summarize_body(text: str, content_type: str = "") -> str:
    """A short, human-readable summary of a response body (HTML pages are never dumped)."""
    stripped = text.strip()
    if "html" in content_type.lower() or stripped[:15].lower().startswith(("<!doctype", "<html")):
        found = _TITLE_RE.search(stripped) or _H1_RE.search(stripped)
        title = _WS_RE.sub(" ", _TAG_RE.sub("", found.group(1))).strip() if found else ""
        return f"an HTML page ({title})" if title else "an HTML page"
    flat = _WS_RE.sub(" ", _TRACE_RE.sub("", stripped)).strip()
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


_MAX_DEPTH = 8


def _message_from_error_value(value: Any, depth: int = 0) -> str | None:
    if isinstance(value, str):
        return value
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, Mapping):
        for key in ("message", "error", "detail", "msg"):
            inner = value.get(key)
            if isinstance(inner, str | Mapping | list):
                return _message_from_error_value(inner, depth + 1)
        try:
            return dumps(value)[:_MAX_MESSAGE]
        except ValueError:
            return None
    if isinstance(value, list) and value:
        found = (_message_from_error_value(v, depth + 1) for v in value[:20])
        msgs = [m for m in found if m]
        return "; ".join(msgs) if msgs else None
    return None


def server_message(headers: Mapping[str, str], body: str, content_type: str = "") -> str:
    """The server's message: ``X-Error-Message``, then ``error``, ``error_description``,
    ``detail``, then plain text (HTML summarised)."""
    header = headers.get("x-error-message")
    if header:
        return header
    try:
        data = loads(body) if body.strip()[:1] in ("{", "[") else None
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        for key in ("error", "error_description", "detail", "message"):
            if key in data:
                msg = _message_from_error_value(data[key])
                if msg:
                    return summarize_body(msg)
    elif isinstance(data, list):
        msg = _message_from_error_value(data)
        if msg:
            return summarize_body(msg)
    return summarize_body(body, content_type) if body.strip() else ""


def _error_code(body: str) -> str:
    try:
        data = loads(body)
    except ValueError:
        return ""
    if isinstance(data, Mapping):
        err = data.get("error")
        if isinstance(err, Mapping):
            return str(err.get("code") or err.get("type") or "")
        return str(data.get("code") or data.get("error_type") or "")
    return ""


def non_negative(seconds: float) -> float | None:
    """A server's wait hint made safe: negative is 0, NaN is unknown (None), inf stays inf
    (longer than any wait we accept)."""
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP date) or the
    Hub's ``RateLimit`` header (``...;t=SECONDS``)."""
    from email.utils import parsedate_to_datetime

    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return non_negative(float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return non_negative(float(value))
        except ValueError:
            try:
                import datetime as _dt

                when = parsedate_to_datetime(value)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=_dt.timezone.utc)
                return max(0.0, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds())
            except (TypeError, ValueError):
                pass
    ratelimit = headers.get("ratelimit")
    if ratelimit:
        match = re.search(r"\bt=(\d+(?:\.\d+)?)", ratelimit)
        if match:
            return float(match.group(1))
    return None


_NO_TOKEN_HINT = (
    "Pass api_key='hf_...', or set the HF_TOKEN environment variable, or run "
    "`huggingface-cli login` (https://huggingface.co/settings/tokens)."
)


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: str,
    *,
    model: str | None = None,
    provider: str | None = None,
    secrets: Iterable[str] = (),
    token_sent: bool = True,
) -> APIStatusError:
    """Map an HTTP error response to the right :class:`APIStatusError` subclass.

    ``token_sent=False`` (the request carried no ``Authorization`` header) turns a 401 into
    "no token was sent" rather than "the token was rejected".
    """
    content_type = headers.get("content-type", "")
    secrets = tuple(secrets)
    # Redact before anything is shortened, so a token cut in half cannot leak a prefix.
    body = redact(body, secrets)
    headers = {k.lower(): redact(v, secrets) for k, v in headers.items()}
    msg = redact(server_message(headers, body, content_type), secrets)
    provider = provider or headers.get("x-inference-provider") or None
    common: dict[str, Any] = {
        "status_code": status,
        "provider": provider,
        "model": model,
        "server_message": msg or None,
    }
    code = _error_code(body)
    lowered = (msg or "").lower()
    if status == 401 and not token_sent:
        return AuthenticationError(
            "The server requires a token, but none was sent: no Hugging Face token was found",
            hint=_NO_TOKEN_HINT,
            **common,
        )
    if status == 401:
        return AuthenticationError("The router rejected the token", **common)
    if status == 402:
        return PaymentRequiredError("Payment required: no credits left for this request", **common)
    if status == 403:
        return PermissionDeniedError("Access to this model was denied", **common)
    if (
        status == 404
        or code == "model_not_supported"
        or (status == 400 and "not supported" in lowered and "model" in lowered)
    ):
        return ModelNotSupportedError("The model is not supported here", **common)
    if status == 429:
        return RateLimitError(
            "Rate limit reached", retry_after=parse_retry_after(headers), **common
        )
    if status in (400, 413, 422) or (status == 500 and _VALIDATION_RE.search(msg or "")):
        return BadRequestError("The server rejected the request as invalid", **common)
    if status == 503:
        estimated = None
        try:
            data = loads(body)
            if isinstance(data, Mapping) and data.get("estimated_time") is not None:
                estimated = non_negative(float(data["estimated_time"]))
        except (ValueError, TypeError):
            estimated = None
        if estimated is not None or "loading" in lowered:
            return ModelLoadingError(
                "The model is currently loading", estimated_time=estimated, **common
            )
        return ProviderError("The provider is unavailable", **common)
    if status >= 500:
        return ProviderError("The provider failed", **common)
    return APIStatusError(f"Unexpected HTTP status {status}", **common)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value found in ``text`` with ``***`` (the given ones, every live
    client's, and anything that looks like a token; see :mod:`hf_router._redact`)."""
    return redact_text(text, secrets)
