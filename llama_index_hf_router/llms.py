"""``HFRouter``: a LlamaIndex LLM for Hugging Face Inference Providers (the router).

::

    from llama_index.core import Settings
    from llama_index_hf_router import HFRouter

    Settings.llm = HFRouter(model="meta-llama/Llama-3.3-70B-Instruct")  # token from HF_TOKEN
    print(Settings.llm.complete("Hello!").text)

Every call goes through one :class:`hf_router.RouterClient` per instance (created on first use),
so fallback between providers, trimming of long histories and retries come from the core.
"""

from __future__ import annotations

import logging
import pickle
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Literal

import llama_index.core.instrumentation as instrument
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from pydantic import AliasChoices, BaseModel, Field, PrivateAttr, ValidationError

from hf_router import Event, RouterClient, Secret, completion_reserve
from hf_router.errors import HFRouterError, InvalidInputError

from ._convert import resolve_tool_choice, to_wire_messages, to_wire_tools
from ._fields import check_arguments, check_positive_int, invalid_fields
from ._responses import (
    ResponseAssembler,
    first_tool_call_only,
    to_completion,
    tool_selections,
)

__all__ = ["DEFAULT_CONTEXT_WINDOW", "PACKING_SHARE", "HFRouter", "packing_reserve"]

logger = logging.getLogger("hf_router")
dispatcher = instrument.get_dispatcher(__name__)

DEFAULT_CONTEXT_WINDOW = 32768
"""Used when the router's model list does not give the model's context length (a warning is
issued once per instance); pass ``context_window=`` to set it yourself."""

PACKING_SHARE = 0.5
"""Share of (window - completion reserve) that the prompt helper may pack: LlamaIndex counts
tokens with its own tokenizer, the client with a conservative estimate (3 ASCII characters or
1/1.8 CJK character per token, 95% of the window), so about half of the window by LlamaIndex's
count is what both agree fits."""


def packing_reserve(window: int, max_tokens: int | None) -> int:
    """``num_output`` for a model with ``window`` tokens (see :data:`PACKING_SHARE`)."""
    reserve = completion_reserve(window, max_tokens)
    return window - int((window - reserve) * PACKING_SHARE)


_DEFAULT_MODEL = "meta-llama/Llama-3.3-70B-Instruct"
_UNSET_PRIVATE = ("_api_key", "_client", "_context_window")


def _user(prompt: str) -> list[ChatMessage]:
    if not isinstance(prompt, str):
        raise InvalidInputError(f"prompt must be a string, not {type(prompt).__name__}")
    return [ChatMessage(role=MessageRole.USER, content=prompt)]


# Both bases on purpose: CustomLLM is the design's choice (a plain LLM subclass with no client
# of its own), FunctionCallingLLM is what FunctionAgent / AgentWorkflow / FunctionCallingProgram
# look for (chat_with_tools, get_tool_calls_from_response). CustomLLM comes first so its
# class_name/defaults win, but every method either base defines for the nine LLM entry points
# is overridden here natively. Neither base declares pydantic fields, so the order does not
# change the model's fields (tests/test_llamaindex_llm.py checks the MRO and the fields).
class HFRouter(CustomLLM, FunctionCallingLLM):
    """Chat models served by Hugging Face Inference Providers, as a LlamaIndex LLM.

    Args:
        model: A Hub repo id, optionally with ``:provider`` or ``:fastest``/``:cheapest``.
        api_key: The Hugging Face token (alias ``hf_token``); default ``HF_TOKEN``, then
            ``HUGGING_FACE_HUB_TOKEN``, then the huggingface_hub token file. A secret: it never
            appears in ``repr``, ``to_dict()``, ``to_json()``, ``to_payload()`` or pickles.
        provider: Pin an inference provider (``"together"``, ``"cerebras"``, ...).
        base_url: The router's OpenAI-compatible base (default ``HF_ROUTER_BASE_URL`` or
            ``https://router.huggingface.co/v1``); any OpenAI-compatible server works.
        hub_url: The Hub (for provider mappings); default ``HF_ENDPOINT`` or huggingface.co.
        max_tokens: Tokens to generate at most (``None``, the default: no cap is sent and the
            provider's own limit applies). The metadata's ``num_output`` is
            :func:`hf_router.completion_reserve` of the context window and this cap (the cap
            itself when set, else a quarter of the window up to 8192): a reserve for prompt
            packing, never sent.
        temperature, top_p, stop, seed, reasoning_effort: Sampling parameters (``None``: the
            server's default).
        timeout, max_retries: Per-read timeout (seconds) and retries of transient errors.
        stream_whole_answers: ``chat``/``complete`` (and their async twins) send a streamed
            request and aggregate it (default ``True``), so ``timeout`` applies between tokens
            and long answers never time out while they keep coming; ``False`` for servers that
            cannot stream.
        fallback_models: Models to try, in order, when every provider of ``model`` fails.
        max_inputs_lenght: ``"auto"`` (default): fit the history to the model's context
            window; an int: the seed's character limit; ``None``: no client-side fitting
            (alias ``max_inputs_length``; see docs/long-inputs.md).
        adaptive_fit: Re-fit and retry once when a provider refuses the input as too long.
        bill_to: An organisation to bill (sent as ``X-HF-Bill-To``).
        context_window: Override the context window the metadata reports.
        additional_kwargs: More chat parameters sent with every request (e.g.
            ``{"extra_body": {...}}`` or ``{"response_format": {...}}``).
        token_provider: A picklable function returning the token, called when ``api_key`` is
            not given (also in a worker process after unpickling: pickles never carry the
            token).
    """

    model: str = Field(default=_DEFAULT_MODEL, description="The router model id.")
    provider: str | None = Field(default=None, description="Pinned inference provider.")
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL.")
    hub_url: str | None = Field(default=None, description="Hugging Face Hub URL.")
    max_tokens: int | None = Field(
        default=None, description="Maximum tokens to generate (None: no cap is sent)."
    )
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    top_p: float | None = Field(default=None, description="Nucleus sampling.")
    stop: list[str] | None = Field(default=None, description="Stop sequences.")
    seed: int | None = Field(default=None, description="Sampling seed.")
    reasoning_effort: str | None = Field(default=None, description="Reasoning effort.")
    timeout: float = Field(default=120.0, description="Per-read timeout in seconds.")
    max_retries: int = Field(default=2, description="Retries of transient errors.")
    deadline: float | None = Field(
        default=600.0,
        description="Seconds one call may take in all: retries, fallbacks, waits and the whole "
        "stream (None: no overall limit).",
    )
    stall_timeout: float | None = Field(
        default=90.0,
        description="Seconds a stream may go without one complete event before it is given up.",
    )
    fallback_models: list[str] = Field(default_factory=list, description="Fallback models.")
    max_inputs_lenght: int | Literal["auto"] | None = Field(
        default="auto",
        validation_alias=AliasChoices("max_inputs_lenght", "max_inputs_length"),
        description="Input fitting: 'auto' (the context window), a character limit, or None.",
    )
    adaptive_fit: bool = Field(default=True, description="Re-fit once on an overflow refusal.")
    bill_to: str | None = Field(default=None, description="Organisation to bill.")
    stream_whole_answers: bool = Field(
        default=True, description="Request whole answers as a stream and aggregate them."
    )
    context_window: int | None = Field(default=None, description="Context window override.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra chat parameters sent with every request."
    )

    _api_key: Secret | None = PrivateAttr(default=None)
    _client: RouterClient | None = PrivateAttr(default=None)
    _context_window: int | None = PrivateAttr(default=None)
    _token_provider: Callable[[], str | None] | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str = _DEFAULT_MODEL,
        *,
        api_key: str | Secret | None = None,
        hf_token: str | Secret | None = None,
        token_provider: Callable[[], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise InvalidInputError(
                f"model={model!r} must be a model id such as {_DEFAULT_MODEL!r}"
            )
        check_arguments(type(self), kwargs)
        token = api_key if api_key is not None else hf_token
        if token is not None and not isinstance(token, (str, Secret)):
            raise InvalidInputError(f"api_key must be a string, not {type(token).__name__}")
        try:
            super().__init__(model=model, **kwargs)
        except ValidationError as exc:
            raise invalid_fields(exc) from None
        self._api_key = Secret(token) if isinstance(token, str) else token
        if token_provider is not None and not callable(token_provider):
            raise InvalidInputError("token_provider must be a function that returns the token")
        self._token_provider = token_provider
        self._new_client()  # validates the settings now (no request); the client itself is
        # still made on first use, so fields changed before then take effect

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialisation uses."""
        return "HFRouter"

    def __repr__(self) -> str:
        return (
            f"HFRouter(model={self.model!r}, provider={self.provider!r}, "
            f"base_url={self.base_url!r}, max_tokens={self.max_tokens})"
        )

    # -- the client ---------------------------------------------------------------------------
    @property
    def client(self) -> RouterClient:
        """The core client (created on first use, then reused)."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _new_client(self) -> RouterClient:
        return RouterClient(
            self._api_key,
            base_url=self.base_url,
            hub_url=self.hub_url,
            provider=self.provider,
            timeout=self.timeout,
            max_retries=self.max_retries,
            bill_to=self.bill_to,
            fallback_models=self.fallback_models,
            max_inputs_lenght=self.max_inputs_lenght,
            max_tokens=self.max_tokens,
            stream_whole_answers=self.stream_whole_answers,
            adaptive_fit=self.adaptive_fit,
            context_window=self.context_window,
            deadline=self.deadline,
            stall_timeout=self.stall_timeout,
            token_provider=self._token_provider,
        )

    def close(self) -> None:
        """Close the pooled sync HTTP client (a later call opens a new one)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close the pooled HTTP clients (a later call opens new ones)."""
        if self._client is not None:
            await self._client.aclose()

    def __getstate__(self) -> dict[Any, Any]:
        # Neither the token nor the HTTP client is pickled (copies, so this object keeps both);
        # an unpickled HFRouter finds its token in the environment again.
        state = dict(BaseModel.__getstate__(self))
        fields = {}
        for key, value in state["__dict__"].items():
            try:
                pickle.dumps(value)
            except Exception:  # callback managers with live handlers, lambdas, ...
                continue
            fields[key] = value
        if self._token_provider is not None:  # BaseComponent.__setstate__ calls __init__(**fields)
            fields["token_provider"] = self._token_provider
        state["__dict__"] = fields
        private = dict(state.get("__pydantic_private__") or {})
        for key in _UNSET_PRIVATE:
            private[key] = None
        state["__pydantic_private__"] = private
        return state

    # -- metadata -----------------------------------------------------------------------------
    @property
    def metadata(self) -> LLMMetadata:
        """Context window from the router's model list (see :meth:`resolved_context_window`,
        the window the client fits inputs to), chat and function calling on, ``model_name``.

        ``num_output`` is what the prompt helper must leave free so that what it packs also
        fits the client's budget: the completion reserve plus the share of the window that
        LlamaIndex's tokenizer (about 4 characters per English token, 1 per CJK character)
        would fill beyond the client's conservative estimate (see docs/long-inputs.md)."""
        window = self.resolved_context_window()
        return LLMMetadata(
            context_window=window,
            num_output=packing_reserve(window, self.max_tokens),
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.model,
        )

    def resolved_context_window(self) -> int:
        """``context_window`` if set, else the router's ``/v1/models`` context length (the
        smallest among live providers, or the pinned provider's), else
        :data:`DEFAULT_CONTEXT_WINDOW` with a warning. Looked up once per instance."""
        if self.context_window is not None:
            return self.context_window
        if self._context_window is None:
            found: int | None = None
            try:
                found = self.client.context_window(self.model, self.provider)
            except HFRouterError as exc:
                logger.debug("context window lookup for %s failed: %s", self.model, exc)
            if found is None:
                warnings.warn(
                    f"The context window of {self.model!r} is unknown (not in the router's "
                    f"model list); using {DEFAULT_CONTEXT_WINDOW}. Pass context_window= to "
                    "HFRouter to set it.",
                    UserWarning,
                    stacklevel=3,
                )
                found = DEFAULT_CONTEXT_WINDOW
            self._context_window = found
        return self._context_window

    # -- request preparation ------------------------------------------------------------------
    def _request(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """(model, wire messages, chat params), validated before anything is sent."""
        wire = to_wire_messages(messages)
        params: dict[str, Any] = {
            key: value
            for key in ("max_tokens", "temperature", "top_p", "stop", "seed", "reasoning_effort")
            if (value := getattr(self, key)) is not None
        }
        params.update(self.additional_kwargs)
        params.update(kwargs)
        check_positive_int("max_tokens", params.get("max_tokens"))
        model = params.pop("model", None)
        if model is None:
            model = self.model
        elif not isinstance(model, str) or not model.strip():
            raise InvalidInputError(
                f"model={model!r} must be a model id string (or leave it out for this LLM's own)"
            )
        return model, wire, params

    def _events(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any], stream: bool
    ) -> tuple[ResponseAssembler, Iterator[Event]]:
        model, wire, params = self._request(messages, kwargs)
        assembler = ResponseAssembler(model, dispatcher.event)
        return assembler, self.client.stream_chat(model, wire, stream=stream, **params)

    def _chat(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatResponse:
        assembler, events = self._events(messages, kwargs, stream=False)
        for event in events:
            assembler.feed(event)
        return assembler.final()

    def _stream(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatResponseGen:
        assembler, events = self._events(messages, kwargs, stream=True)

        def gen() -> Iterator[ChatResponse]:
            for event in events:
                chunk = assembler.feed(event)
                if chunk is not None:
                    yield chunk
            yield assembler.final()

        return gen()

    def _aevents(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any], stream: bool
    ) -> tuple[ResponseAssembler, AsyncIterator[Event]]:
        model, wire, params = self._request(messages, kwargs)
        assembler = ResponseAssembler(model, dispatcher.event)
        return assembler, self.client.astream_chat(model, wire, stream=stream, **params)

    async def _achat(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatResponse:
        assembler, events = self._aevents(messages, kwargs, stream=False)
        async for event in events:
            assembler.feed(event)
        return assembler.final()

    def _astream(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> ChatResponseAsyncGen:
        assembler, events = self._aevents(messages, kwargs, stream=True)

        async def gen() -> AsyncIterator[ChatResponse]:
            async for event in events:
                chunk = assembler.feed(event)
                if chunk is not None:
                    yield chunk
            yield assembler.final()

        return gen()

    # -- the nine LLM entry points ------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One whole answer to ``messages``."""
        return self._chat(messages, kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer: each chunk's ``delta`` is new text, ``message.content`` the text
        so far; the last chunk (``delta=""``) carries tool calls, usage and routing details."""
        return self._stream(messages, kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async :meth:`chat` (native async HTTP)."""
        return await self._achat(messages, kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat` (native async HTTP)."""
        return self._astream(messages, kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Answer ``prompt`` sent as one user message."""
        return to_completion(self._chat(_user(prompt), kwargs))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the answer to ``prompt`` (see :meth:`stream_chat`)."""
        chunks = self._stream(_user(prompt), kwargs)
        return (to_completion(chunk) for chunk in chunks)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async :meth:`complete`."""
        return to_completion(await self._achat(_user(prompt), kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`."""
        chunks = self._astream(_user(prompt), kwargs)

        async def gen() -> AsyncIterator[CompletionResponse]:
            async for chunk in chunks:
                yield to_completion(chunk)

        return gen()

    # -- function calling ---------------------------------------------------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[Any],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn (a new list: the caller's history is
        never modified). ``tool_choice`` wins over ``tool_required`` (→ ``"required"``)."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        wire_tools = to_wire_tools(tools)
        result: dict[str, Any] = {"messages": messages, **kwargs}
        if wire_tools:
            result["tools"] = wire_tools
            result["tool_choice"] = resolve_tool_choice(tool_choice, tool_required)
        return result

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[Any],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed."""
        return response if allow_parallel_tool_calls else first_tool_call_only(response)

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of ``response`` with parsed (dict) arguments.

        Raises:
            InvalidInputError: ``response`` has no tool call and ``error_on_no_tool_call``.
        """
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise InvalidInputError(
                "response has no tool call (the model answered with text); pass "
                "error_on_no_tool_call=False to accept that, or tool_required=True to force one"
            )
        return selections
