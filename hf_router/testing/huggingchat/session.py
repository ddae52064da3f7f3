"""HuggingChat sessions in the emulator, as chat-ui's request hook decides them: the ``hf-chat``
session (coupled with the ``token`` cookie in 2026, 05a371250 + 7a9e85453), the login gate's
401 and the Origin check of native-form POSTs (767afa76d)."""

from __future__ import annotations

import hashlib
import urllib.parse

from starlette.requests import Request
from starlette.responses import Response

from ..core.requests import json_response
from .model import HuggingChatStore

__all__ = ["csrf", "logged_out", "session"]

_LOGGED_OUT = "You have to be logged in."
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded", "text/plain")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session(request: Request, store: HuggingChatStore) -> str | None:
    """The session (owner key) of ``request``, None when it has no valid one. 2026: the
    ``hf-chat`` session is bound to the ``token`` cookie it was first seen with (chat-ui's
    ``COUPLE_SESSION_WITH_COOKIE_NAME``); without ``token`` it never logs in."""
    hf_chat = request.cookies.get("hf-chat", "").strip()
    if not hf_chat:
        return None
    key = _digest(hf_chat)
    if store.generation == "2024":
        return key
    token = request.cookies.get("token", "").strip()
    coupled = _digest(token) if token else "no-cookie"
    bound = store.sessions.get(key)
    if bound is None and token:
        store.sessions[key] = bound = coupled
    return key if bound == coupled else None


def logged_out(request: Request) -> Response:
    """chat-ui's ``errorResponse(401, authOnly)``: JSON when the request speaks JSON."""
    wants = request.headers.get("accept", "") + request.headers.get("content-type", "")
    if "application/json" in wants:
        return json_response({"error": _LOGGED_OUT}, 401)
    return Response(_LOGGED_OUT, 401, media_type="text/plain")


def csrf(request: Request) -> Response | None:
    """chat-ui's Origin check for native-form POSTs (767afa76d): only the host counts."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or kind not in _FORM_TYPES:
        return None
    origin = request.headers.get("origin")
    if not origin:
        return json_response({"message": "Non-JSON form requests need to have an origin"}, 403)
    if urllib.parse.urlsplit(origin).netloc != request.headers.get("host", ""):
        return json_response({"message": "Invalid referer for POST request"}, 403)
    return None
