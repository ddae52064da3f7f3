"""The one redaction step: every error message, ``server_message``, repr, pickle and log record
of hf_router passes through :func:`redact_text` before anyone can see it.

It knows the secrets of every live client (each :class:`~hf_router.Secret` registers its value
when it is made: tokens, cookie values, whole ``Cookie`` headers) and also masks anything that
merely looks like a secret: a Hugging Face token (``hf_`` followed by 20 or more letters and
digits) and the value of a ``Bearer`` credential. Header mappings built by hf_router are
:class:`SafeHeaders`, whose repr masks ``Authorization`` and ``Cookie``, and secret tuples are
:class:`SecretValues`, whose repr shows none of them: so a traceback printed with
``capture_locals=True`` shows no secret either.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import weakref
from collections.abc import Iterable
from typing import Any, Protocol

__all__ = [
    "MASK",
    "SafeHeaders",
    "SecretValues",
    "install_log_filter",
    "redact_text",
    "register_secret",
    "scrub_traceback",
]

MASK = "***"
_MIN_SECRET = 6
_HF_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{20,}")
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[^\s'\",;\\)>\]}]+")
_SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "set-cookie"})


class _HasSecret(Protocol):
    def get_secret_value(self) -> str: ...


_lock = threading.Lock()
_live: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


def register_secret(secret: _HasSecret) -> None:
    """Remember ``secret`` (held weakly: it is forgotten once no client uses it)."""
    with _lock:
        _live[id(secret)] = secret


def _known() -> list[str]:
    with _lock:
        values = [s.get_secret_value() for s in list(_live.values())]
    # Longest first, so a whole Cookie header is masked before the values inside it.
    return sorted({v for v in values if v and len(v) >= _MIN_SECRET}, key=len, reverse=True)


def redact_text(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every known secret, every ``hf_...`` token and every ``Bearer`` value
    replaced by ``***`` (``extra`` adds secrets to the known ones)."""
    if not text or not isinstance(text, str):
        return text
    given = sorted((e for e in extra if e and len(e) >= 4), key=len, reverse=True)
    for secret in (*given, *_known()):
        if secret in text:
            text = text.replace(secret, MASK)
    if "hf_" in text:
        text = _HF_TOKEN_RE.sub(MASK, text)
    if "earer" in text or "EARER" in text:
        text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return text


class SecretValues(tuple[str, ...]):
    """A tuple of secret strings whose repr shows none of them."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SecretValues(<{len(self)} hidden>)"

    __str__ = __repr__


class SafeHeaders(dict[str, str]):
    """Request headers whose repr masks ``Authorization`` and ``Cookie`` values."""

    def __repr__(self) -> str:
        shown = {k: (MASK if k.lower() in _SECRET_HEADERS else v) for k, v in self.items()}
        return f"SafeHeaders({shown!r})"

    __str__ = __repr__


class _RedactingFilter(logging.Filter):
    """Renders each record of the ``hf_router`` logger once, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        record.msg, record.args = redact_text(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            scrub_traceback(record.exc_info[1])
        return True


_FILTER = _RedactingFilter()


def install_log_filter(logger: logging.Logger) -> None:
    """Make ``logger`` redact every record it emits (idempotent)."""
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def scrub_traceback(exc: BaseException) -> None:
    """Clear the local variables of the finished frames in ``exc``'s traceback and in the
    tracebacks of its cause and context (httpx's frames hold request headers, ours hold the
    server's raw bytes), so ``capture_locals`` cannot show them."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)
        todo.extend((current.__cause__, current.__context__))


install_log_filter(logging.getLogger("hf_router"))
