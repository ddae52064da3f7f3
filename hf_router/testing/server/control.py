"""The control endpoints (``/_emulator/...``) the Python object configures the emulator with."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..core.catalog import build_model
from ..core.requests import emulator_state
from ..core.requests import json_response as _json

__all__ = ["control"]


async def _control_body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _polls(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"polls must be a non-negative integer, got {value!r}")
    return value


async def control(request: Request) -> Response:
    """Dispatch ``GET|POST|DELETE /_emulator/{what}``; bad arguments get 400 ``{"error"}``."""
    state = emulator_state(request)
    what, method = request.path_params["what"], request.method
    try:
        if what == "requests" and method == "GET":
            return _json(state.log)
        if what == "jobs" and method == "GET":
            return _json([job.as_dict() for job in state.media.jobs.values()])
        if what == "conversations" and method == "GET":
            return _json([c.as_dict() for c in state.huggingchat.conversations.values()])
        if what == "requests" and method == "DELETE":
            state.log.clear()
        elif what == "reset" and method == "POST":
            state.reset()
        elif what == "faults" and method == "DELETE":
            state.faults.clear()
        elif what == "faults" and method == "POST":
            data = await _control_body(request)
            keys = ("model", "provider", "times")
            state.faults.add(str(data.get("spec", "")), **{k: data.get(k) for k in keys})
        elif what == "models" and method == "POST":
            spec = build_model(**await _control_body(request))
            state.models[spec.model_id] = spec
        elif what == "media" and method == "POST":
            state.media.polls = _polls((await _control_body(request)).get("polls", 1))
        elif what == "chat_models" and method == "POST":
            state.huggingchat.add_model(**await _control_body(request))
        elif what == "huggingchat" and method == "POST":
            generation = (await _control_body(request)).get("generation", "2026")
            state.huggingchat.set_generation(generation)
        elif what == "cassettes" and method == "POST":
            path = (await _control_body(request)).get("path")
            return _json({"interactions": state.cassettes.load(str(path))})
        elif what == "health" and method == "GET":
            pass
        else:
            return _json({"error": f"no control endpoint {method} /_emulator/{what}"}, 404)
    except (TypeError, ValueError, OSError) as exc:
        return _json({"error": str(exc)}, 400)
    return _json({"ok": True})
