"""The emulator's Starlette application: the front middleware (request log, cassettes) and the
routes of every domain (chat, Hub, media, HuggingChat) plus the control routes."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..chat.routes import CHAT_ROUTES
from ..core.drops import DeliberateDrop, install_log_filter
from ..core.hub import HUB_ROUTES
from ..core.requests import INVALID as _INVALID
from ..core.requests import JSON_KEY as _JSON_KEY
from ..core.requests import LOG_KEY
from ..huggingchat.routes import HUGGINGCHAT_ROUTES
from ..media.routes import MEDIA_ROUTES
from .control import control
from .state import EmulatorState

__all__ = ["DeliberateDrop", "create_app", "install_log_filter"]


class _Front:
    """Logs every non-control request and replays cassettes before routing."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = _INVALID
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope.get("query_string", b"").decode("latin-1")
        logged = None if parsed is _INVALID else parsed
        entry = self.state.record(scope["method"], scope["path"], query, headers, logged)
        interaction = self.state.cassettes.take(scope["method"], scope["path"])
        if interaction is not None:
            await interaction.response()(scope, receive, send)
            return
        scope[_JSON_KEY] = parsed
        scope[LOG_KEY] = entry
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(state: EmulatorState | None = None) -> Starlette:
    """A fresh emulator application (with its own state unless one is given)."""
    routes = [
        *CHAT_ROUTES,
        *HUB_ROUTES,
        Route("/_emulator/{what}", control, methods=["GET", "POST", "DELETE"]),
        *MEDIA_ROUTES,
        *HUGGINGCHAT_ROUTES,
    ]
    state = state or EmulatorState()
    app = Starlette(routes=routes, middleware=[Middleware(_Front, state=state)])
    app.state.emulator = state
    return app
