"""The polled media providers: replicate predictions, together videos, novita tasks and
wavespeed predictions (submit, then poll until the job finishes)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.requests import emulator_state, json_response, request_json
from .common import (
    job_url,
    polled_job,
    prompt_of,
    requested_size,
    status_name,
    submit,
)
from .state import MediaJob

__all__ = ["POLLED_ROUTES"]


# -- replicate ---------------------------------------------------------------------------------
def _prediction(request: Request, job: MediaJob) -> dict[str, Any]:
    state = job.state()
    output: Any = None
    if state == "completed":
        url = job_url(request, job)
        output = [url] if job.kind == "image" else url
    model, _, version = job.provider_model.partition(":")
    api = f"https://api.replicate.com/v1/predictions/{job.id}"
    return {
        "id": job.id,
        "model": model,
        "version": version or None,
        "input": job.input.get("input", {}),
        "logs": "",
        "output": output,
        "data_removed": False,
        "error": job.error if state == "failed" else None,
        "status": status_name("replicate", state),
        "urls": {"get": api, "cancel": api + "/cancel"},
    }


async def _replicate(request: Request, pid: str) -> Response:
    sub = await submit(request, "replicate", pid)
    if isinstance(sub, Response):
        return sub
    data = sub.body.get("input")
    params: dict[str, Any] = data if isinstance(data, dict) else {}
    prompt = prompt_of(sub, params.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    item = sub.file(prompt, requested_size(params, sub.kind == "video"), params.get("seed"))
    job = sub.job(prompt, item)
    if "wait" in request.headers.get("prefer", ""):
        job.poll()  # the server waited: that counts as one poll
    return json_response(_prediction(request, job), 201, sub.headers)


async def _replicate_model(request: Request) -> Response:
    return await _replicate(
        request, f"{request.path_params['owner']}/{request.path_params['name']}"
    )


async def _replicate_version(request: Request) -> Response:
    body = request_json(request)
    version = body.get("version") if isinstance(body, dict) else None
    pid = version if isinstance(version, str) else ""
    for spec in emulator_state(request).models.values():
        entry = spec.provider("replicate")
        if pid and entry is not None and entry.provider_id.rpartition(":")[2] == pid:
            pid = entry.provider_id
            break
    return await _replicate(request, pid)


async def _replicate_get(request: Request) -> Response:
    job = polled_job(request, "replicate", request.path_params["job"])
    if isinstance(job, Response):
        return job
    job.poll()
    return json_response(_prediction(request, job), headers={"x-inference-provider": "replicate"})


# -- together video ----------------------------------------------------------------------------
def _together_video_body(request: Request, job: MediaJob) -> dict[str, Any]:
    state = job.state()
    body: dict[str, Any] = {"id": job.id, "object": "video", "model": job.provider_model}
    body["status"] = status_name("together", state)
    if state == "completed":
        body["outputs"] = {"video_url": job_url(request, job), "cost": 0}
    if state == "failed":
        body["error"] = {"message": job.error, "code": "generation_failed"}
    return body


async def _together_video(request: Request) -> Response:
    sub = await submit(request, "together", None)
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    item = sub.file(prompt, requested_size(sub.body, True), sub.body.get("seed"), "video")
    job = sub.job(prompt, item, "video")
    body = {"id": job.id, "object": "video", "model": job.provider_model, "status": "queued"}
    return json_response(body, headers=sub.headers)


async def _together_video_get(request: Request) -> Response:
    job = polled_job(request, "together", request.path_params["job"])
    if isinstance(job, Response):
        return job
    job.poll()
    return json_response(
        _together_video_body(request, job), headers={"x-inference-provider": "together"}
    )


# -- novita, wavespeed -------------------------------------------------------------------------
async def _novita_submit(request: Request) -> Response:
    sub = await submit(request, "novita", request.path_params["pid"])
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    job = sub.job(prompt, sub.file(prompt, requested_size(sub.body, True), sub.body.get("seed")))
    return json_response({"task_id": job.id}, headers=sub.headers)


async def _novita_hf(request: Request) -> Response:
    """The synchronous route huggingface_hub uses: ``{"video": {"video_url"}}`` at once."""
    sub = await submit(request, "novita", request.path_params["pid"])
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    if sub.plan.job_failed:
        return sub.failure()
    item = sub.file(prompt, requested_size(sub.body, True), sub.body.get("seed"))
    return json_response({"video": {"video_url": sub.url(item)}}, headers=sub.headers)


async def _novita_result(request: Request) -> Response:
    job = polled_job(request, "novita", request.query_params.get("task_id", ""))
    if isinstance(job, Response):
        return job
    state = job.poll()
    task = {"task_id": job.id, "task_type": "TXT_TO_VIDEO", "status": status_name("novita", state)}
    task["reason"] = job.error if state == "failed" else ""
    task["progress_percent"] = 100 if state == "completed" else 0
    videos = []
    if state == "completed":
        videos = [
            {"video_url": job_url(request, job), "video_url_ttl": "3600", "video_type": "mp4"}
        ]
    body = {"task": task, "images": [], "videos": videos, "extra": {}}
    return json_response(body, headers={"x-inference-provider": "novita"})


def _wavespeed_data(request: Request, job: MediaJob, state: str) -> dict[str, Any]:
    get = f"https://api.wavespeed.ai/api/v3/predictions/{job.id}/result"
    return {
        "id": job.id,
        "model": job.provider_model,
        "status": status_name("wavespeed", state),
        "outputs": [job_url(request, job)] if state == "completed" else [],
        "urls": {"get": get},
        "error": job.error if state == "failed" else "",
    }


async def _wavespeed_submit(request: Request) -> Response:
    sub = await submit(request, "wavespeed", request.path_params["pid"])
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    job = sub.job(
        prompt,
        sub.file(prompt, requested_size(sub.body, sub.kind == "video"), sub.body.get("seed")),
    )
    data = _wavespeed_data(request, job, "queued")
    return json_response({"code": 200, "message": "success", "data": data}, headers=sub.headers)


async def _wavespeed_result(request: Request) -> Response:
    job = polled_job(request, "wavespeed", request.path_params["job"])
    if isinstance(job, Response):
        return job
    data = _wavespeed_data(request, job, job.poll())
    body = {"code": 200, "message": "success", "data": data}
    return json_response(body, headers={"x-inference-provider": "wavespeed"})


POLLED_ROUTES = [
    Route("/replicate/v1/models/{owner}/{name}/predictions", _replicate_model, methods=["POST"]),
    Route("/replicate/v1/predictions", _replicate_version, methods=["POST"]),
    Route("/replicate/v1/predictions/{job}", _replicate_get, methods=["GET"]),
    Route("/together/v2/videos", _together_video, methods=["POST"]),
    Route("/together/v2/videos/{job}", _together_video_get, methods=["GET"]),
    Route("/novita/v3/async/task-result", _novita_result, methods=["GET"]),
    Route("/novita/v3/async/{pid:path}", _novita_submit, methods=["POST"]),
    Route("/novita/v3/hf/{pid:path}", _novita_hf, methods=["POST"]),
    Route("/wavespeed/api/v3/predictions/{job}/result", _wavespeed_result, methods=["GET"]),
    Route("/wavespeed/api/v3/{pid:path}", _wavespeed_submit, methods=["POST"]),
]
