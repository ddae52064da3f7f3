"""``ChatHFRouter``: LangChain chat model over Hugging Face Inference Providers (the router).

A thin translation of :class:`hf_router.RouterClient`'s events into LangChain types: the core
does the HTTP, SSE parsing, trimming, fallback and retries; this module only declares fields,
converts messages (``_convert.py``), tools and schemas (``_structured.py``), and maps events to
``AIMessageChunk`` objects. Sync and async paths are both native (``stream_chat`` /
``astream_chat``; no thread pool).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing, closing
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
    ModelProfile,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import secret_from_env
from pydantic import AliasChoices, ConfigDict, Field, PrivateAttr, SecretStr

from hf_router import RouterClient, Usage
from hf_router.errors import InvalidInputError

from ._convert import MODEL_PROVIDER, ChunkTranslator, to_wire_messages
from ._llm_output import combine_llm_outputs, with_llm_output
from ._run import anotify, check_fields, notify, validated_init
from ._structured import (
    METHODS,
    StructuredMethod,
    ToolLike,
    format_tools,
    json_schema_of,
    output_parser,
    response_format,
    tool_choice_value,
    with_raw,
)
from .profiles import bundled_profile, merge_router_profile

__all__ = ["ChatHFRouter"]

DEFAULT_MODEL = "meta-llama/Llama-3.3-70B-Instruct"
_CLIENT_LOCK = threading.Lock()  # guards the rare lazy client build (see ChatHFRouter.client)


class ChatHFRouter(BaseChatModel):
    """Chat with any model of Hugging Face Inference Providers through the router.

    Example:
        ```python
        from langchain_hf_router import ChatHFRouter

        llm = ChatHFRouter(model="meta-llama/Llama-3.3-70B-Instruct", temperature=0)  # HF_TOKEN
        llm.invoke("Hello").content
        for chunk in llm.stream("Tell me a story"):
            print(chunk.text, end="")
        llm.bind_tools([get_weather], tool_choice="get_weather").invoke("Weather in Paris?")
        llm.with_structured_output(Joke).invoke("A joke about cats")  # -> Joke
        ```

    Answers: ``response_metadata`` holds ``model_name`` (the model that actually served, as the
    server reports it), ``model_provider="huggingface"``, ``provider`` (the inference provider,
    e.g. ``together``), ``attempt``, ``finish_reason``, ``id`` and ``system_fingerprint``;
    reasoning text is in ``additional_kwargs["reasoning_content"]``; ``usage_metadata`` comes on
    exactly one streamed chunk (with ``reasoning``/``cache_read`` details when the server reports
    them; ``stream_usage=False`` leaves it out).

    Trimming and fallback are visible: when the input was trimmed to ``max_inputs_lenght``,
    ``response_metadata["trimmed"]`` is ``{"before", "after", "dropped_messages"}`` and the
    run's callbacks receive the custom event ``hf_router_trimmed``; each failed attempt (a
    provider out of credits, down, ...) adds an entry to ``response_metadata["fallbacks"]``
    (``attempt``, ``model``, ``provider``, ``error_type``, ``status_code``, ``reason``) and
    dispatches ``hf_router_fallback``. The custom events go to the LLM run on
    ``invoke``/``ainvoke``/``batch``; LangChain hands no run manager to ``stream``/``astream``,
    so there they go to the enclosing run (a chain, an agent) and a bare ``model.stream()``
    reports them only in the final chunk's ``response_metadata``. Errors are the core's typed errors
    (:mod:`hf_router.errors`), never wrapped.

    Per-call keyword arguments (``invoke(..., model=..., temperature=..., provider=...,
    fallback_models=[...], max_inputs_lenght=..., stream_usage=...)``) override the fields.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    model_name: str = Field(default=DEFAULT_MODEL, alias="model")
    """Model id (``org/name``, optionally ``:provider`` or ``:fastest``/``:cheapest``)."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("HF_TOKEN", default=None), alias="hf_token"
    )
    """Hugging Face token; default ``HF_TOKEN``, then the core's own lookup
    (``HUGGING_FACE_HUB_TOKEN``, the huggingface_hub token file)."""
    base_url: str | None = None
    """OpenAI-compatible base URL (default ``HF_ROUTER_BASE_URL``, else the router). Any
    OpenAI-compatible server works (TGI, vLLM, llama.cpp); then no token is required."""
    hub_url: str | None = None
    """Hub endpoint for provider mappings (default ``HF_ENDPOINT``, else huggingface.co)."""
    provider: str | None = None
    """Pin an inference provider (appends ``:provider`` to the model id)."""
    temperature: float | None = None
    max_tokens: int | None = None
    """Maximum tokens to generate (``None``: no cap is sent; the provider's own limit applies)."""
    top_p: float | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    timeout: float | None = None
    """HTTP timeout per read in seconds (``None``: the core's default, 120). Whole answers are
    streamed under the hood, so it applies between tokens, not to the whole answer."""
    max_retries: int = 2
    """Retries of one attempt on 429/5xx/timeouts (before falling back)."""
    deadline: float | None = 600.0
    """Seconds one call may take in all: retries, fallbacks, waits and the whole stream
    (``None``: no overall limit)."""
    stall_timeout: float | None = 90.0
    """Seconds a stream may go without one complete event before it is given up."""
    fallback_models: list[str] = Field(default_factory=list)
    """Models to try, in order, when every provider of ``model`` fails (default: none)."""
    max_inputs_lenght: int | Literal["auto"] | None = Field(
        default="auto", validation_alias=AliasChoices("max_inputs_lenght", "max_inputs_length")
    )
    """``"auto"``: fit the history to the model's context window (from ``/v1/models``); an int:
    the seed's limit in characters (``calculate_lenght``); ``None``: no client-side fitting.
    ``max_inputs_length`` is accepted too. See docs/long-inputs.md."""
    adaptive_fit: bool = True
    """Re-fit and retry once when a provider refuses the input as too long."""
    reasoning_effort: str | None = None
    stream_usage: bool = True
    """Attach ``usage_metadata`` to one streamed chunk."""
    streaming: bool = False
    """Stream even on ``invoke`` (LangChain's convention)."""
    stream_whole_answers: bool = True
    """``invoke``/``ainvoke``/``generate`` send a streamed request and aggregate it, so
    ``timeout`` applies between tokens; ``False`` sends one non-streamed request (for servers
    that cannot stream)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other chat parameters sent with every call (e.g. ``frequency_penalty``, ``extra_body``)."""
    bill_to: str | None = None
    """Organisation to bill (sent as ``X-HF-Bill-To``)."""
    token_provider: Callable[[], str | None] | None = Field(default=None, exclude=True)
    """A picklable function returning the token, called when ``api_key`` is not set (also in
    a worker process after unpickling: a pickled model never carries its ``api_key``)."""

    _client: RouterClient | None = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any) -> None:
        """Validate the fields and build the core client; bad values raise
        :class:`~hf_router.errors.InvalidInputError` naming the field (not wrapped by Pydantic)."""
        validated_init(super().__init__, type(self), kwargs)
        check_fields(self)
        self._client = self._build_client()

    def _build_client(self) -> RouterClient:
        options: dict[str, Any] = {
            "base_url": self.base_url,
            "hub_url": self.hub_url,
            "provider": self.provider,
            "max_retries": self.max_retries,
            "bill_to": self.bill_to,
            "fallback_models": tuple(self.fallback_models),
            "max_inputs_lenght": self.max_inputs_lenght,
            "stream_whole_answers": self.stream_whole_answers,
            "adaptive_fit": self.adaptive_fit,
            "deadline": self.deadline,
            "stall_timeout": self.stall_timeout,
        }
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_tokens is not None:
            options["max_tokens"] = self.max_tokens
        token = self.api_key.get_secret_value() if self.api_key else None
        return RouterClient(token, token_provider=self.token_provider, **options)

    def __getstate__(self) -> dict[Any, Any]:
        # Pickles (multiprocessing, Ray) carry the configuration, never the token or the HTTP
        # client: the unpickled model finds its token in the worker (token_provider, HF_TOKEN,
        # the token file) and builds a new client there on first use.
        state = dict(super().__getstate__())
        state["__dict__"] = {**state["__dict__"], "api_key": None}
        private = dict(state.get("__pydantic_private__") or {})
        private["_client"] = None
        state["__pydantic_private__"] = private
        fields_set = set(state.get("__pydantic_fields_set__") or ())
        state["__pydantic_fields_set__"] = fields_set - {"api_key"}
        return state

    # -- profile --------------------------------------------------------------------------
    def _resolve_model_profile(self) -> ModelProfile | None:
        """The bundled profile of the model (no network; see :mod:`langchain_hf_router.profiles`)."""
        return bundled_profile(self.model_name)

    def refresh_profile(self) -> ModelProfile | None:
        """Re-read ``profile`` from the router's ``GET /v1/models`` (context length, tool and
        structured-output support of the live providers) and return it."""
        models = self.client.list_models()
        self.profile = merge_router_profile(models, self.model_name, self.provider)
        return self.profile

    async def arefresh_profile(self) -> ModelProfile | None:
        """Async twin of :meth:`refresh_profile`."""
        models = await self.client.alist_models()
        self.profile = merge_router_profile(models, self.model_name, self.provider)
        return self.profile

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        """``generate()``'s ``llm_output``: token usage summed over the prompts, the first
        ``model_name`` / ``system_fingerprint`` (as ChatOpenAI does)."""
        return combine_llm_outputs(llm_outputs, self.model_name)

    # -- identity -------------------------------------------------------------------------
    @property
    def _llm_type(self) -> str:
        return "huggingface-router-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """``api_key`` is serialised as a reference to ``HF_TOKEN``, never its value."""
        return {"api_key": "HF_TOKEN"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """The configuration can be serialised (secrets excluded)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["langchain_hf_router", "chat_models"]``."""
        return ["langchain_hf_router", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "base_url": self.client.base_url,
            "provider": self.provider,
            **self._default_params(),
            "fallback_models": list(self.fallback_models),
            "max_inputs_lenght": self.max_inputs_lenght,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = {**self._default_params(), **kwargs}
        ls = LangSmithParams(
            ls_provider=MODEL_PROVIDER,
            ls_model_name=str(kwargs.get("model") or self.model_name),
            ls_model_type="chat",
        )
        if params.get("temperature") is not None:
            ls["ls_temperature"] = params["temperature"]
        if params.get("max_tokens") is not None:
            ls["ls_max_tokens"] = params["max_tokens"]
        stops = stop if stop is not None else params.get("stop")
        if stops:
            ls["ls_stop"] = [stops] if isinstance(stops, str) else list(stops)
        return ls

    @property
    def client(self) -> RouterClient:
        """The core client (one per instance, shared by every call and binding; it pools its
        HTTP connections)."""
        if self._client is None:  # built by __init__; model_validate() skips __init__
            with _CLIENT_LOCK:
                if self._client is None:
                    self._client = self._build_client()
        return self._client

    def close(self) -> None:
        """Close the pooled sync HTTP client (a later call opens a new one)."""
        self.client.close()

    async def aclose(self) -> None:
        """Close the pooled HTTP clients (a later call opens new ones)."""
        await self.client.aclose()

    # -- requests -------------------------------------------------------------------------
    def _default_params(self) -> dict[str, Any]:
        params = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": self.stop,
            "reasoning_effort": self.reasoning_effort,
        }
        return {k: v for k, v in params.items() if v is not None}

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]], dict[str, Any], ChunkTranslator]:
        """(model, wire messages, core parameters, translator) for one call."""
        params = {**self._default_params(), **self.model_kwargs, **kwargs}
        if stop is not None:
            params["stop"] = stop
        if not params.get("stop"):
            params.pop("stop", None)
        params.pop("stream", None)
        model = params.pop("model", None)
        if model is None:
            model = self.model_name
        elif not isinstance(model, str) or not model.strip():
            raise InvalidInputError(
                f"model={model!r} must be a model id string like 'org/name' (or leave it out "
                "for this model's own)"
            )
        stream_usage = bool(params.pop("stream_usage", self.stream_usage))
        wire = to_wire_messages(messages)
        return model, wire, params, ChunkTranslator(model, stream_usage=stream_usage)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One whole answer (a streamed request aggregated, unless ``stream_whole_answers``
        is off), translated exactly like a stream (same message shape)."""
        model, wire, params, translator = self._prepare(messages, stop, kwargs)
        chunks: list[ChatGenerationChunk] = []
        usage: Usage | None = None
        with closing(self.client.stream_chat(model, wire, stream=False, **params)) as events:
            for event in events:
                usage = event if isinstance(event, Usage) else usage
                chunk = translator.feed(event)
                notify(run_manager, translator)
                if chunk is not None:
                    chunks.append(chunk)
        return with_llm_output(chunks, translator, usage)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Async twin of :meth:`_generate` (the core's ``astream_chat``)."""
        model, wire, params, translator = self._prepare(messages, stop, kwargs)
        chunks: list[ChatGenerationChunk] = []
        usage: Usage | None = None
        events = self.client.astream_chat(model, wire, stream=False, **params)
        async with aclosing(events):
            async for event in events:
                usage = event if isinstance(event, Usage) else usage
                chunk = translator.feed(event)
                await anotify(run_manager, translator)
                if chunk is not None:
                    chunks.append(chunk)
        return with_llm_output(chunks, translator, usage)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream chunks as the server sends them; the last one carries the metadata."""
        model, wire, params, translator = self._prepare(messages, stop, kwargs)
        with closing(self.client.stream_chat(model, wire, **params)) as events:
            for event in events:
                chunk = translator.feed(event)
                if chunk is None:  # only state events (trimmed, fallback, ...) raise notices
                    notify(run_manager, translator)
                    continue
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        final = translator.final()
        if run_manager is not None:
            run_manager.on_llm_new_token("", chunk=final)
        yield final

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Async twin of :meth:`_stream`."""
        model, wire, params, translator = self._prepare(messages, stop, kwargs)
        events = self.client.astream_chat(model, wire, **params)
        async with aclosing(events):
            async for event in events:
                chunk = translator.feed(event)
                if chunk is None:  # only state events (trimmed, fallback, ...) raise notices
                    await anotify(run_manager, translator)
                    continue
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        final = translator.final()
        if run_manager is not None:
            await run_manager.on_llm_new_token("", chunk=final)
        yield final

    # -- tools and structured output ------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | bool | Mapping[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (``BaseTool``, functions, Pydantic models, OpenAI tool dicts).

        ``tool_choice``: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (call some
        tool), or the name of a bound tool (call that one). ``strict`` asks the server to follow
        the schemas exactly; ``parallel_tool_calls=False`` asks for at most one call.
        """
        formatted = format_tools(tools, strict=strict)
        choice = tool_choice_value(tool_choice, [t["function"]["name"] for t in formatted])
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Answers parsed into ``schema`` (a Pydantic model gives instances of it; a TypedDict
        or JSON-schema dict gives dicts).

        ``method``: ``"json_schema"`` (``response_format`` with the schema; default),
        ``"function_calling"`` (a forced tool call; works on servers without ``json_schema``
        support such as llama.cpp), ``"json_mode"`` (``{"type": "json_object"}``; the prompt
        must describe the keys). ``include_raw=True`` returns ``{"raw", "parsed",
        "parsing_error"}`` instead of raising on parse errors.
        """
        if kwargs:
            raise InvalidInputError(
                f"with_structured_output() got unknown argument(s) {sorted(kwargs)}; it takes "
                "schema, method, include_raw and strict"
            )
        if method not in METHODS:
            raise InvalidInputError(
                f"method={method!r} is not supported; use 'json_schema', 'function_calling' or "
                "'json_mode'"
            )
        if schema is None and method != "json_mode":
            raise InvalidInputError(f"schema is required with method={method!r}")
        bound: dict[str, Any] = {}
        if schema is not None:
            json_schema_of(schema)  # raises InvalidInputError naming `schema`
            bound["ls_structured_output_format"] = {
                "kwargs": {"method": method, "strict": strict},
                "schema": schema,
            }
        tool_name = None
        if method == "function_calling":
            tool_name = format_tools([schema], strict=strict)[0]["function"]["name"]  # type: ignore[list-item]
            llm = self.bind_tools(
                [schema],  # type: ignore[list-item]
                tool_choice=tool_name,
                strict=strict,
                parallel_tool_calls=False,
                **bound,
            )
        else:
            llm = self.bind(response_format=response_format(method, schema, strict=strict), **bound)
        parser = output_parser(method, schema, tool_name)
        return with_raw(llm, parser) if include_raw else llm | parser
