"""The Hub API routes the clients read: a model's pipeline tag and its provider mapping."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .catalog import is_model_id
from .requests import emulator_state
from .requests import json_response as _json

__all__ = ["HUB_ROUTES"]


async def _hub_model(request: Request) -> Response:
    state = emulator_state(request)
    model_id = f"{request.path_params['org']}/{request.path_params['name']}"
    if not is_model_id(model_id):
        return _json({"error": "Repository not found"}, 404)
    spec = state.model(model_id)
    query = request.query_params
    expand = set(query.getlist("expand[]")) | set(query.getlist("expand"))
    body: dict[str, Any] = {"_id": spec.hub_id(), "id": spec.model_id}
    if not expand or "pipeline_tag" in expand:
        body["pipeline_tag"] = spec.pipeline_tag()
    if "inferenceProviderMapping" in expand:
        body["inferenceProviderMapping"] = spec.mapping()
    return _json(body)


HUB_ROUTES = [Route("/api/models/{org}/{name}", _hub_model, methods=["GET"])]
