"""Helpers shared by the emulator's route modules: JSON answers, the token check, scenarios."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .faults import FaultItem, parse_spec

if TYPE_CHECKING:
    from .state import CoreState

__all__ = [
    "INVALID",
    "JSON_KEY",
    "LOG_KEY",
    "dumps",
    "emulator_state",
    "has_token",
    "json_response",
    "request_json",
    "scenario_items",
]

JSON_KEY = "hf_emu.json"  # scope key: the parsed JSON body (or INVALID)
LOG_KEY = "hf_emu.log"  # scope key: this request's entry of the request log
INVALID = object()
_TOKEN_RE = re.compile(r"Bearer hf_\S+")


def dumps(value: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(value, separators=(",", ":")).encode()


def json_response(
    value: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A compact ``application/json`` response."""
    return Response(dumps(value), status, dict(headers or {}), media_type="application/json")


def has_token(request: Request) -> bool:
    """Whether the request carries ``Authorization: Bearer hf_...``."""
    return _TOKEN_RE.fullmatch(request.headers.get("authorization", "").strip()) is not None


def emulator_state(request: Request) -> CoreState:
    """The emulator state of the application serving ``request``."""
    state: CoreState = request.app.state.emulator
    return state


def request_json(request: Request) -> Any:
    """The JSON body parsed by the front middleware (``INVALID`` when it was not JSON)."""
    return request.scope.get(JSON_KEY, INVALID)


def scenario_items(request: Request) -> list[FaultItem]:
    """The items of the ``X-Emulator-Scenario`` header; ``ValueError`` when malformed."""
    return parse_spec(request.headers.get("x-emulator-scenario", ""))
