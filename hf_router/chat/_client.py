"""RouterClient: streaming chat through the router with trimming, fallback and retries."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import httpx
from tenacity import AsyncRetrying, Retrying

from .._shared.bodies import DEFAULT_MAX_RESPONSE_BYTES
from .._shared.catalog import Catalog, ProviderMapping
from .._shared.config import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_TIMEOUT,
    ENV_BASE_URL,
    RetryPolicy,
    Secret,
    find_token,
    is_hf_router,
    resolve_base_url,
    resolve_hub_url,
)
from .._shared.deadline import (
    DEFAULT_DEADLINE,
    DEFAULT_STALL_TIMEOUT,
    Deadline,
    StallGuard,
    check_limit,
    check_size,
)
from .._shared.http import (
    Closeable,
    HTTPSession,
    araise_for_status,
    raise_for_status,
)
from .._shared.models import (
    DEFAULT_MODEL,
    DEFAULT_MODEL_ALIASES,
    DEFAULT_VISION_MODEL,
    parse_model,
)
from .._shared.retry import retry_kwargs
from ..errors import HFRouterError, InvalidInputError, MissingTokenError
from ..events import ChatResult, Event
from ._answer import AnswerStream, reading, sending
from ._attempts import Attempt, NeedMapping, PlanRunner
from ._batch import BatchMixin
from ._batch_workers import NO_TOKEN, PicklableClient, TokenProvider
from ._budget import sent_cap
from ._lookups import ModelLookups
from ._options import check_options
from ._request import AUTO, UNSET, ChatRequest, prepare_request, resolve_limit
from ._result import ResultBuilder

__all__ = ["RouterClient"]

logger = logging.getLogger("hf_router")


class RouterClient(ModelLookups, BatchMixin, PicklableClient, Closeable):
    """A client for the router's OpenAI-compatible chat completions.

    >>> client = RouterClient()                        # token from HF_TOKEN & co.
    >>> for event in client.stream_chat("meta-llama/Llama-3.3-70B-Instruct", messages): ...
    >>> result = await client.achat("deepseek-ai/DeepSeek-R1:together", messages)

    ``base_url`` may point at any OpenAI-compatible server (TGI, vLLM, llama.cpp, Ollama);
    then Hub lookups are skipped unless ``use_hub_mapping=True`` or ``hub_url`` is given.
    ``token_provider`` (a function returning the token) is called when ``api_key`` is not
    given; a pickled client carries it but never the token (see ``chat/_batch_workers.py``).

    Long inputs (see docs/long-inputs.md): by default (``max_inputs_lenght="auto"``) the
    history is fitted to the model's context window from ``/v1/models``; an int keeps the
    seed's character limit, None sends everything. ``max_inputs_length`` is an alias. With
    ``adaptive_fit`` a provider's "too long" refusal is re-fitted and retried once.
    ``context_window`` (tokens) replaces the window looked up in ``/v1/models``.

    Generation defaults: ``max_tokens=None`` sends no cap (the provider's own limit applies).
    Whole answers (:meth:`chat`, :meth:`achat`, ``stream_chat(..., stream=False)``) are
    requested as a stream and aggregated (``stream_whole_answers=True``), so ``timeout``
    applies between tokens and a long answer that keeps coming never times out; set it to
    False for servers that cannot stream (one plain JSON request per answer). A request that
    was sent and then timed out or lost its connection is not retried on the same provider
    (see :class:`~hf_router.RetryPolicy`), and an answer cut at the token limit logs a warning.
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        hub_url: str | None = None,
        provider: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        bill_to: str | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        fallback_models: Sequence[str] = (),
        model_aliases: Mapping[str, str] | None = None,
        default_model: str = DEFAULT_MODEL,
        default_vision_model: str = DEFAULT_VISION_MODEL,
        use_hub_mapping: bool | None = None,
        max_inputs_lenght: int | str | None = AUTO,
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
        mapping_ttl: float = 600.0,
        stream_whole_answers: bool = True,
        max_inputs_length: Any = UNSET,
        adaptive_fit: bool = True,
        context_window: int | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        token_provider: TokenProvider | None = None,
    ) -> None:
        if isinstance(api_key, str):  # from here on no frame holds the raw token
            api_key = Secret(api_key)
        check_options(
            max_retries=max_retries,
            retry_policy=retry_policy,
            max_tokens=max_tokens,
            context_window=context_window,
            flags={"adaptive_fit": adaptive_fit, "stream_whole_answers": stream_whole_answers},
            mapping_ttl=mapping_ttl,
            fallback_models=fallback_models,
            default_model=default_model,
            default_vision_model=default_vision_model,
            model_aliases=model_aliases,
            use_hub_mapping=use_hub_mapping,
        )
        self.base_url = resolve_base_url(base_url)
        self.hub_url = resolve_hub_url(hub_url)
        if use_hub_mapping is None:
            use_hub_mapping = (
                base_url is None
                or is_hf_router(self.base_url)
                or hub_url is not None
                or os.environ.get(ENV_BASE_URL, "").rstrip("/") == self.base_url
            )
        self.use_hub_mapping = use_hub_mapping
        self.requires_token = is_hf_router(self.base_url)
        if provider is not None:
            parse_model("org/name", provider)  # validates the provider name
        self.provider = provider
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.fallback_models = tuple(fallback_models)
        for name in self.fallback_models:
            parse_model(name)
        self.model_aliases = dict(DEFAULT_MODEL_ALIASES if model_aliases is None else model_aliases)
        self.default_model = default_model
        self.default_vision_model = default_vision_model
        if max_inputs_lenght == AUTO and max_inputs_length is not UNSET:
            max_inputs_lenght = UNSET  # only the alias was given
        self.max_inputs_lenght = resolve_limit(max_inputs_lenght, max_inputs_length)
        self.adaptive_fit = adaptive_fit
        self.context_window_override = context_window
        self.max_tokens = max_tokens
        self.stream_whole_answers = stream_whole_answers
        self.deadline = check_limit("deadline", deadline)
        self.stall_timeout = check_limit("stall_timeout", stall_timeout)
        self.token_provider = token_provider  # called when api_key is not given (also in workers)
        self.http = HTTPSession(
            token=find_token(api_key or (token_provider() if token_provider else None)),
            timeout=timeout,
            headers=headers,
            bill_to=bill_to,
            http_client=http_client,
            http_async_client=http_async_client,
            max_response_bytes=check_size("max_response_bytes", max_response_bytes),
        )
        self.catalog = Catalog(
            self.http,
            base_url=self.base_url,
            hub_url=self.hub_url,
            fallback_models=self.fallback_models,
            ttl=mapping_ttl,
        )

    def __repr__(self) -> str:
        if "http" not in vars(self):  # a constructor argument was refused (tracebacks)
            return f"<{type(self).__name__} (not built)>"
        token = "set" if self.http.token else "none"
        return (
            f"RouterClient(base_url={self.base_url!r}, provider={self.provider!r}, token={token})"
        )

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pooled sync client; a later call opens a new one."""
        self.http.close()

    async def aclose(self) -> None:
        """Close the pooled clients; a later call opens new ones."""
        await self.http.aclose()

    # -- request preparation (shared by the sync and async twins) ----------------------------
    def _prepare(self, model: str | None, messages: Any, params: dict[str, Any]) -> ChatRequest:
        if self.requires_token and not self.http.token:
            raise MissingTokenError(NO_TOKEN)
        return prepare_request(
            model,
            messages,
            params,
            resolve=lambda name, images: self.get_model(name, has_images=images),
            provider=self.provider,
            fallback_models=self.fallback_models,
            max_inputs_lenght=self.max_inputs_lenght,
            max_tokens=self.max_tokens,
            adaptive_fit=self.adaptive_fit,
        )

    def _fit(self, req: ChatRequest) -> None:
        if req.needs_window:
            ref, window = req.models[0], self.context_window_override
            req.fit_window(window or self.context_window(ref.repo_id, ref.provider))

    async def _afit(self, req: ChatRequest) -> None:
        if req.needs_window:
            ref, window = req.models[0], self.context_window_override
            req.fit_window(window or await self.acontext_window(ref.repo_id, ref.provider))

    def _send_args(
        self, attempt: Attempt, req: ChatRequest, stream: bool, deadline: Deadline
    ) -> dict[str, Any]:
        accept = "text/event-stream" if stream else "application/json"
        return {
            "method": "POST",
            "url": f"{self.base_url}/chat/completions",
            "json": req.body(attempt.wire_model, stream=stream),
            "headers": self.http.headers(extra={"Accept": accept}),
            "timeout": deadline.timeout(
                self.http.client_timeout, self.stall_timeout if stream else None
            ),
        }

    def _status_args(self, attempt: Attempt) -> dict[str, Any]:
        return {
            "model": attempt.wire_model,
            "provider": attempt.provider,
            "secrets": self.http.secrets,
        }

    def _answer(self, attempt: Attempt, req: ChatRequest, response: httpx.Response) -> AnswerStream:
        return AnswerStream(
            attempt,
            response.headers.get("x-inference-provider") or attempt.provider,
            response.headers.get("content-type", ""),
            sent_cap(req.params),
            max_bytes=self.http.max_response_bytes,
        )

    def _wire_stream(self, stream: bool) -> bool:
        """Whether the request is sent streamed: always for a stream, and for a whole answer
        when ``stream_whole_answers`` (then it is aggregated from the stream)."""
        return stream or self.stream_whole_answers

    def _retrying(self, deadline: Deadline) -> dict[str, Any]:
        return retry_kwargs(self.retry_policy, deadline, billed_request=True)

    @staticmethod
    def _no_mapping(repo_id: str, exc: HFRouterError) -> None:
        logger.warning("No provider mapping for %s: %s", repo_id, exc)

    # -- async ------------------------------------------------------------------------------
    async def astream_chat(
        self,
        model: str | None = None,
        messages: Any = None,
        *,
        stream: bool = True,
        **params: Any,
    ) -> AsyncIterator[Event]:
        """Stream the answer as events (see :mod:`hf_router.events`).

        ``model`` may be omitted (``None``): the client's ``default_model`` is used, or its
        ``default_vision_model`` when the messages carry images (or ``media=`` is given).
        ``stream=False`` asks for a whole answer: sent streamed all the same when
        ``stream_whole_answers`` (the default), else as one non-streamed request."""
        stream = self._wire_stream(stream)
        deadline = Deadline(self.deadline)  # covers the window lookup, retries and the stream
        req = self._prepare(model, messages, params)
        await self._afit(req)
        if req.trimmed:
            yield req.trimmed
        runner = PlanRunner(req.models, hub_lookups=self.use_hub_mapping)
        while (step := runner.next(deadline)) is not None:
            if isinstance(step, NeedMapping):
                runner.answer(await self._amapping(step.model.repo_id, deadline))
                continue
            if fallback := runner.fallback_event():
                yield fallback
            while True:  # a second pass only after a context-overflow refusal was re-fitted
                try:
                    async for event in self._arun(step, req, stream, deadline):
                        yield event
                    return
                except HFRouterError as exc:
                    if (refit := req.refit(exc, step.number)) is None:
                        runner.failed(step, exc)
                        break
                    yield refit
        raise runner.final_error()

    async def _amapping(self, repo_id: str, deadline: Deadline) -> list[ProviderMapping] | None:
        try:
            timeout = deadline.timeout(self.http.client_timeout)
            return await self.catalog.aget_mapping(repo_id, timeout=timeout)
        except HFRouterError as exc:
            self._no_mapping(repo_id, exc)
            return None

    async def _aopen(
        self, attempt: Attempt, req: ChatRequest, stream: bool, deadline: Deadline
    ) -> httpx.Response:
        client = self.http.aclient
        async for try_ in AsyncRetrying(**self._retrying(deadline)):
            with try_:
                args = self._send_args(attempt, req, stream, deadline)
                with sending(attempt, self.retry_policy):
                    response = await self.http.asend(
                        client.build_request(**args), key=attempt.wire_model
                    )
                await araise_for_status(response, **self._status_args(attempt))
        return response

    async def _arun(
        self, attempt: Attempt, req: ChatRequest, stream: bool, deadline: Deadline
    ) -> AsyncIterator[Event]:
        response = await self._aopen(attempt, req, stream, deadline)
        answer = self._answer(attempt, req, response)
        guard = StallGuard(deadline, self.stall_timeout if stream else None)
        try:
            with reading(answer):
                async for chunk in response.aiter_bytes():
                    for event in answer.feed(chunk):
                        yield event
                    answer.watch(guard)
                events = answer.end()
            for event in events:
                yield event
        finally:
            await response.aclose()

    async def achat(
        self, model: str | None = None, messages: Any = None, **params: Any
    ) -> ChatResult:
        """One whole answer aggregated into a :class:`ChatResult` (streamed under the hood
        unless ``stream_whole_answers=False``)."""
        _no_stream_argument(params)
        builder = ResultBuilder()
        async for event in self.astream_chat(model, messages, stream=False, **params):
            builder.add(event)
        return builder.result()

    # -- sync: the same steps as the async twins, with blocking I/O --------------------------
    def stream_chat(
        self,
        model: str | None = None,
        messages: Any = None,
        *,
        stream: bool = True,
        **params: Any,
    ) -> Iterator[Event]:
        """Sync twin of :meth:`astream_chat`."""
        stream = self._wire_stream(stream)
        deadline = Deadline(self.deadline)  # covers the window lookup, retries and the stream
        req = self._prepare(model, messages, params)
        self._fit(req)
        if req.trimmed:
            yield req.trimmed
        runner = PlanRunner(req.models, hub_lookups=self.use_hub_mapping)
        while (step := runner.next(deadline)) is not None:
            if isinstance(step, NeedMapping):
                runner.answer(self._mapping(step.model.repo_id, deadline))
                continue
            if fallback := runner.fallback_event():
                yield fallback
            while True:  # a second pass only after a context-overflow refusal was re-fitted
                try:
                    yield from self._run(step, req, stream, deadline)
                    return
                except HFRouterError as exc:
                    if (refit := req.refit(exc, step.number)) is None:
                        runner.failed(step, exc)
                        break
                    yield refit
        raise runner.final_error()

    def _mapping(self, repo_id: str, deadline: Deadline) -> list[ProviderMapping] | None:
        try:
            return self.catalog.get_mapping(
                repo_id, timeout=deadline.timeout(self.http.client_timeout)
            )
        except HFRouterError as exc:
            self._no_mapping(repo_id, exc)
            return None

    def _open(
        self, attempt: Attempt, req: ChatRequest, stream: bool, deadline: Deadline
    ) -> httpx.Response:
        client = self.http.client
        for try_ in Retrying(**self._retrying(deadline)):
            with try_:
                args = self._send_args(attempt, req, stream, deadline)
                with sending(attempt, self.retry_policy):
                    response = self.http.send(client.build_request(**args), key=attempt.wire_model)
                raise_for_status(response, **self._status_args(attempt))
        return response

    def _run(
        self, attempt: Attempt, req: ChatRequest, stream: bool, deadline: Deadline
    ) -> Iterator[Event]:
        response = self._open(attempt, req, stream, deadline)
        answer = self._answer(attempt, req, response)
        guard = StallGuard(deadline, self.stall_timeout if stream else None)
        try:
            with reading(answer):
                for chunk in response.iter_bytes():
                    yield from answer.feed(chunk)
                    answer.watch(guard)
                events = answer.end()
            yield from events
        finally:
            response.close()

    def chat(self, model: str | None = None, messages: Any = None, **params: Any) -> ChatResult:
        """Sync twin of :meth:`achat`."""
        _no_stream_argument(params)
        builder = ResultBuilder()
        for event in self.stream_chat(model, messages, stream=False, **params):
            builder.add(event)
        return builder.result()


def _no_stream_argument(params: Mapping[str, Any]) -> None:
    if "stream" in params:
        raise InvalidInputError(
            "chat()/achat() do not take stream=: they make one non-streamed request; use "
            "stream_chat()/astream_chat() to stream"
        )
