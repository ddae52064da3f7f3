"""The media generation engine: one :class:`MediaEngine` per HTTP session runs the calls of a
:class:`~hf_router.MediaClient` (the caller's event loop, or the private loop of the sync twins).

A call resolves the model's live providers from the Hub mapping (or the one pinned with
``model:provider``), runs ``n`` generations concurrently, each trying the providers in order (a
provider answering 400/401/402 is skipped for the whole call), polls queued jobs within
``poll_timeout`` without blocking the event loop, and saves each file under ``output_dir``. The
per-call state is a :class:`~hf_router.media._run.MediaRun`; the providers themselves
(:mod:`hf_router.media.providers`) are pure: all I/O happens here.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import os
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from tenacity import AsyncRetrying

from .._redact import scrub_traceback
from .._shared.bodies import loads
from .._shared.catalog import Catalog
from .._shared.checks import check_model_arg
from .._shared.deadline import Deadline
from .._shared.http import HTTPSession, araise_for_status, transport_error
from .._shared.models import ModelRef, parse_model
from .._shared.retry import retry_kwargs
from ..errors import (
    APIStatusError,
    GenerationFailedError,
    GenerationTimeoutError,
    HFRouterError,
    InvalidInputError,
    MalformedResponseError,
    MissingTokenError,
    ModelNotSupportedError,
    UnsafeURLError,
)
from ..events import Event, MediaResult, Status
from ._download import adownload, is_router_url, read_capped, save_bytes
from ._run import Candidate, MediaRun
from ._settings import MediaSettings
from .providers import PROVIDERS, get_provider
from .providers._base import (
    TASKS,
    LoraAdapter,
    MediaBytes,
    MediaOutput,
    MediaTask,
    Pending,
    RequestSpec,
)

__all__ = ["MediaEngine"]

logger = logging.getLogger("hf_router")

MAX_N = 10
STATUS_INTERVAL = 0.5
"""Seconds between two ``Status("Generating")`` events (the promise is at least one a second)."""
SKIP_STATUSES = frozenset({400, 401, 402})
"""A provider answering one of these is skipped and the next one tried (seed)."""
SEED_FIRST = ("replicate", "together", "hf-inference")
"""The seed ``HuggingFaceMedia`` tries these first (in mapping order), then the rest."""
JOB_GONE_STATUSES = frozenset({400, 404, 409, 410, 422})
"""A poll answered with one of these means the job failed (fal-ai answers a failed job's
result with 422)."""


class MediaEngine:
    """The async implementation over one HTTP session (the caller's loop, or the private loop
    of the sync twins)."""

    def __init__(self, settings: MediaSettings, http: HTTPSession) -> None:
        self.settings = settings
        self.http = http
        self.catalog = Catalog(http, base_url=settings.base_url, hub_url=settings.hub_url)

    async def astream(
        self,
        kind: str,
        model: str,
        prompt: str,
        *,
        n: int = 1,
        provider: str | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        extra_data: Mapping[str, Any] | None = None,
        seed_compat: bool = False,
        **task_args: Any,
    ) -> AsyncIterator[Event]:
        """Run one call (see :meth:`MediaClient.astream_media`). ``seed_compat`` is the seed
        facade's behaviour: replicate, together and hf-inference first, and a random ``seed``
        for each hf-inference request that has none."""
        check_model_arg(model, optional=False)
        task = MediaTask.build(kind, prompt, extra=extra_data, **task_args)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_N:
            raise InvalidInputError(
                f"n={n!r}: ask for between 1 and {MAX_N} files per call (call again for more)"
            )
        ref = parse_model(model, provider)
        if self.settings.requires_token and not self.http.token:
            raise MissingTokenError("No Hugging Face token was found")
        run = MediaRun(ref, task, n, _directory(output_dir or self.settings.output_dir))
        run.seed_compat = seed_compat
        run.deadline = Deadline(self.settings.deadline)
        loop = asyncio.get_running_loop()
        start = loop.time()
        yield Status("Generating", "Generating 0s (starting)", 0.0)
        producer = asyncio.create_task(self._produce(run))
        ticker = asyncio.create_task(self._tick(run, start))
        try:
            while (event := await run.queue.get()) is not None:
                yield event
            try:
                producer.result()  # raises the run's error
            except HFRouterError as exc:
                scrub_traceback(exc)
                raise
        finally:
            for t in (producer, ticker):
                t.cancel()
            await asyncio.gather(producer, ticker, return_exceptions=True)
        elapsed = loop.time() - start
        yield Status("Finished", f"Finished in {elapsed:.1f}s", round(elapsed, 3))

    async def _tick(self, run: MediaRun, start: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(STATUS_INTERVAL)
            run.queue.put_nowait(run.status(loop.time() - start))

    async def _produce(self, run: MediaRun) -> None:
        try:
            async with asyncio.timeout(run.deadline.remaining()):
                await self._generate(run)
        except builtins.TimeoutError:  # asyncio's, when the deadline passed
            raise run.deadline.error(run.ref.repo_id) from None
        finally:
            run.queue.put_nowait(None)

    async def _generate(self, run: MediaRun) -> None:
        run.candidates = await self._plan(run.ref, run.task.kind, run.seed_compat)
        run.state = "submitting"
        semaphore = asyncio.Semaphore(self.settings.max_concurrency)
        jobs = [asyncio.create_task(self._job(run, semaphore)) for _ in range(run.n)]
        try:
            await asyncio.wait(jobs, return_when=asyncio.FIRST_EXCEPTION)
            for job in jobs:
                if job.done() and job.exception() is not None:
                    raise job.exception()  # type: ignore[misc]
        finally:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)

    async def _plan(self, ref: ModelRef, kind: str, seed_order: bool = False) -> list[Candidate]:
        if ref.provider:
            get_provider(ref.provider)  # an unknown name is the caller's mistake
        mapping = await self.catalog.aget_mapping(ref.repo_id)
        entries = [m for m in mapping if not ref.provider or m.provider == ref.provider]
        wanted = TASKS[kind]
        media = [m for m in entries if m.task == wanted]
        if not media:
            where = f" on {ref.provider}" if ref.provider else ""
            tasks = ", ".join(sorted({m.task for m in entries})) or "none"
            raise ModelNotSupportedError(
                f"{ref.repo_id} has no live {wanted} provider{where} (live tasks: {tasks})",
                model=ref.repo_id,
                provider=ref.provider,
                hint=_task_hint(kind, {m.task for m in entries}),
            )
        usable = [m for m in media if m.provider in PROVIDERS and _speaks(m.provider, kind)]
        if not usable:
            raise ModelNotSupportedError(
                f"{ref.repo_id} is served for {wanted} only by providers hf_router does not "
                f"speak ({', '.join(m.provider for m in media)})",
                model=ref.repo_id,
                hint="Pick a model served by one of: " + ", ".join(sorted(PROVIDERS)) + ".",
            )
        if len(usable) < len(media):
            logger.info("%s: skipping media providers hf_router does not speak", ref.repo_id)
        if seed_order:
            usable.sort(key=lambda m: m.provider not in SEED_FIRST)  # stable: mapping order kept
        return [Candidate(i, m) for i, m in enumerate(usable, 1)]

    async def _job(self, run: MediaRun, semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            for cand in run.candidates:
                if cand.name in run.failures:
                    continue
                provider = PROVIDERS[cand.name]
                spec = provider.submit(
                    self._task_for(run, cand),
                    cand.entry.provider_id or run.ref.repo_id,
                    LoraAdapter.from_mapping(
                        run.ref.repo_id, cand.entry.extra, self.settings.hub_url
                    ),
                )
                try:
                    body, ctype = await self._request(spec, cand.name, run)
                except APIStatusError as exc:
                    if exc.status_code not in SKIP_STATUSES:
                        raise
                    run.skip(cand, exc)
                    continue
                run.serving(cand)
                output = await self._wait(run, cand, provider.parse(body, ctype))
                run.state = "downloading"
                run.queue.put_nowait(await self._save(run, cand, output))
                run.done += 1
                return
            raise run.final_error()

    @staticmethod
    def _task_for(run: MediaRun, cand: Candidate) -> MediaTask:
        """The task as sent to ``cand``: in seed mode hf-inference gets a random seed."""
        if run.seed_compat and cand.name == "hf-inference" and run.task.seed is None:
            return replace(run.task, seed=random.randint(0, 2**32))
        return run.task

    async def _wait(self, run: MediaRun, cand: Candidate, output: MediaOutput) -> MediaOutput:
        """Poll a queued job until it is done, at most ``poll_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.poll_timeout
        while isinstance(output, Pending):
            run.state = f"{cand.name}: {output.status or 'queued'}"
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise GenerationTimeoutError(
                    f"The {cand.name} job {output.job_id!r} did not finish within "
                    f"{self.settings.poll_timeout:g}s (last status: {output.status or 'unknown'})",
                    job_id=output.job_id,
                    provider=cand.name,
                    model=run.ref.repo_id,
                )
            if output.wait:
                await asyncio.sleep(min(self.settings.poll_interval, remaining))
            try:
                body, _ = await self._request(output.poll, cand.name, run)
            except APIStatusError as exc:
                if exc.status_code not in JOB_GONE_STATUSES:
                    raise
                raise GenerationFailedError(
                    f"The {cand.name} job {output.job_id!r} failed",
                    job_id=output.job_id,
                    provider=cand.name,
                    model=run.ref.repo_id,
                    status_code=exc.status_code,
                    server_message=exc.server_message,
                ) from None
            output = PROVIDERS[cand.name].poll_result(body, output)
        return output

    async def _save(self, run: MediaRun, cand: Candidate, output: MediaOutput) -> MediaResult:
        task, limit = run.task, self.settings.max_download_bytes
        if isinstance(output, MediaBytes):
            saved = save_bytes(output.data, run.output_dir, task.kind, limit, output.mime)
            url = width = height = None
        else:
            assert not isinstance(output, Pending)
            saved = await adownload(
                self.http.aclient,
                output.url,
                router_url=self.settings.base_url,
                auth_headers=self.http.headers(),
                directory=run.output_dir,
                kind=task.kind,
                limit=limit,
                provider=cand.name,
            )
            url = None if output.url.startswith("data:") else output.url
            width, height = output.width, output.height
        if task.kind == "image":  # the file's own size, else the provider's, else the request's
            width, height = (
                saved.width or width or task.width,
                saved.height or height or task.height,
            )
        kind, mime = task.kind, saved.mime
        return MediaResult(kind, str(saved.path), url, mime, width, height, cand.name, task.prompt)

    async def _request(self, spec: RequestSpec, provider: str, run: MediaRun) -> tuple[Any, str]:
        """Send ``spec`` (429/5xx retried within the call's deadline) and read the answer
        within the size cap: parsed JSON, or the bytes when the answer is not JSON."""
        model = run.ref.repo_id
        if not spec.path.startswith("/") and not is_router_url(spec.path, self.settings.base_url):
            raise UnsafeURLError(f"Refused to call {spec.path[:120]!r}", url=spec.path[:120])
        url = self.settings.base_url + spec.path if spec.path.startswith("/") else spec.path
        client = self.http.aclient
        cap = self.settings.max_download_bytes
        async for attempt in AsyncRetrying(
            **retry_kwargs(self.settings.retry_policy, run.deadline)
        ):
            with attempt:
                headers = self.http.headers(extra=spec.headers)
                args = {"json": spec.json, "content": spec.content, "headers": headers}
                try:
                    response = await client.send(
                        client.build_request(spec.method, url, **args), stream=True
                    )
                except httpx.HTTPError as exc:
                    raise transport_error(exc, model=model, provider=provider) from None
                await araise_for_status(
                    response, model=model, provider=provider, secrets=self.http.secrets
                )
                try:  # base64 answers are 4/3 of the file
                    body = await read_capped(response, cap * 4 // 3 + 2**20, shown_limit=cap)
                except httpx.HTTPError as exc:
                    raise transport_error(exc, model=model, provider=provider) from None
                finally:
                    await response.aclose()
                return _decode(body, response.headers.get("content-type", ""), provider, model)
        raise AssertionError("unreachable: tenacity re-raises the last error")


def _decode(body: bytes, ctype: str, provider: str, model: str) -> tuple[Any, str]:
    """Parsed JSON for a JSON answer, else the bytes (an image served directly)."""
    if "json" not in ctype and (ctype or body[:1] not in (b"{", b"[")):
        return body, ctype
    try:
        return loads(body), ctype
    except ValueError:
        raise MalformedResponseError(
            f"The {provider} answer is not valid JSON", provider=provider, model=model
        ) from None


def _speaks(provider: str, kind: str) -> bool:
    return PROVIDERS[provider].supports(kind)


def _directory(value: str | os.PathLike[str]) -> Path:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise InvalidInputError(f"output_dir={value!r} must be a directory path (str or Path)")
    return Path(value).expanduser()


def _task_hint(kind: str, tasks: set[str]) -> str:
    other = "video" if kind == "image" else "image"
    if TASKS[other] in tasks:
        return f"This model makes {other}s: use generate_{other}() or kind='{other}'."
    return (
        f"Pick a model with a live {TASKS[kind]} provider "
        f"(https://huggingface.co/models?pipeline_tag={TASKS[kind]}&inference_provider=all)."
    )
