"""The streaming contenders: one builder per client, each returning a :class:`Contender` whose
``run`` streams one answer from the emulator and returns the number of text chunks received.

A builder whose library is not installed returns a contender marked ``unavailable`` (with the
reason) instead of failing the run, so the script also runs in the development venv.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _common import AUTH, TOKEN, Contender, stream_body
from _floors import langchain_floor, llama_index_floor

MAX_TOKENS = 8192  # above every answer length used, so no contender is cut short


def _langchain_run(chat: Any, prompt: str, **kwargs: Any) -> Callable[[], Awaitable[int]]:
    """Stream ``prompt`` through a LangChain chat model; count the chunks with text."""

    async def run() -> int:
        count = 0
        async for chunk in chat.astream(prompt, **kwargs):
            if chunk.content:
                count += 1
        return count

    return run


def _llama_index_run(llm: Any, prompt: str) -> Callable[[], Awaitable[int]]:
    """Stream ``prompt`` through a LlamaIndex LLM's ``astream_chat``; count the deltas."""
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content=prompt)]

    async def run() -> int:
        count = 0
        async for response in await llm.astream_chat(messages):
            if response.delta:
                count += 1
        return count

    return run


def _unavailable(name: str, exc: BaseException) -> Contender:
    async def never() -> int:  # pragma: no cover - never called
        raise RuntimeError(name)

    return Contender(name, never, unavailable=f"{type(exc).__name__}: {exc}")


def raw_httpx(base_url: str, model: str, prompt: str, *, use_orjson: bool = False) -> Contender:
    """The baseline: httpx ``aiter_lines`` and a JSON decode per ``data:`` line, nothing else."""
    loads: Callable[[str], Any] = json.loads
    name = "raw httpx aiter_lines + json.loads"
    if use_orjson:
        try:
            import orjson
        except ImportError as exc:
            return _unavailable("raw httpx + orjson", exc)
        loads = orjson.loads
        name = "raw httpx aiter_lines + orjson"
    client = httpx.AsyncClient(
        timeout=120, limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    )
    body = stream_body(model, prompt, MAX_TOKENS)
    headers = AUTH
    url = f"{base_url}/chat/completions"

    async def run() -> int:
        count = 0
        async with client.stream("POST", url, json=body, headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    data = loads(line[6:])
                    choices = data.get("choices")
                    if choices and choices[0].get("delta", {}).get("content"):
                        count += 1
        return count

    return Contender(name, run, client.aclose)


def core(
    base_url: str, hub_url: str, model: str, prompt: str, *, stdlib_json: bool = False
) -> Contender:
    """``hf_router.RouterClient.astream_chat`` (with orjson when installed, as shipped; or
    forced onto the standard library's ``json`` for the duration of each run)."""
    from hf_router import RouterClient, TextDelta, _decoder

    client = RouterClient(TOKEN, base_url=base_url, hub_url=hub_url, max_tokens=MAX_TOKENS)
    messages = [{"role": "user", "content": prompt}]
    shipped = _decoder.json_loads
    loads = json.JSONDecoder().decode if stdlib_json else shipped
    shipped_name = "orjson" if getattr(shipped, "__module__", "") == "orjson" else "stdlib json"
    label = "stdlib json" if stdlib_json else shipped_name

    async def run() -> int:
        count = 0
        _decoder.json_loads = loads
        try:
            async for event in client.astream_chat(model, messages):
                if type(event) is TextDelta:
                    count += 1
        finally:
            _decoder.json_loads = shipped
        return count

    return Contender(f"hf_router RouterClient.astream_chat ({label})", run, client.aclose)


def chat_hf_router(base_url: str, hub_url: str, model: str, prompt: str) -> Contender:
    """``langchain_hf_router.ChatHFRouter.astream``."""
    name = "ChatHFRouter.astream"
    try:
        from langchain_hf_router import ChatHFRouter
    except ImportError as exc:
        return _unavailable(name, exc)
    llm = ChatHFRouter(
        model=model, api_key=TOKEN, base_url=base_url, hub_url=hub_url, max_tokens=MAX_TOKENS
    )
    return Contender(name, _langchain_run(llm, prompt))


def chat_openai(base_url: str, model: str, prompt: str) -> Contender:
    """``langchain_openai.ChatOpenAI(base_url=...).astream`` with ``stream_usage=True``."""
    name = "ChatOpenAI.astream (langchain-openai)"
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        return _unavailable(name, exc)
    llm = ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=TOKEN,  # type: ignore[arg-type]
        stream_usage=True,
        max_tokens=MAX_TOKENS,  # type: ignore[call-arg]
        max_retries=0,
    )
    return Contender(name, _langchain_run(llm, prompt))


def chat_huggingface(root_url: str, model: str, prompt: str) -> Contender:
    """``langchain_huggingface.ChatHuggingFace`` over ``HuggingFaceEndpoint(endpoint_url=...)``."""
    name = "ChatHuggingFace.astream (langchain-huggingface)"
    try:
        from langchain_huggingface import ChatHuggingFace, HuggingFaceEndpoint
    except ImportError as exc:
        return _unavailable(name, exc)
    endpoint = HuggingFaceEndpoint(  # type: ignore[call-arg]
        endpoint_url=root_url,
        huggingfacehub_api_token=TOKEN,
        max_new_tokens=MAX_TOKENS,
        task="text-generation",
        # a local endpoint gets no token from langchain-huggingface; the emulator wants one
        server_kwargs={"headers": {"Authorization": f"Bearer {TOKEN}"}},
    )
    llm = ChatHuggingFace(llm=endpoint, model_id=model)
    # without model=..., huggingface_hub sends "dummy" as the model of a URL endpoint
    return Contender(name, _langchain_run(llm, prompt, model=model))


def hf_router_llama_index(base_url: str, hub_url: str, model: str, prompt: str) -> Contender:
    """``llama_index_hf_router.HFRouter.astream_chat``."""
    name = "HFRouter.astream_chat"
    try:
        from llama_index_hf_router import HFRouter
    except ImportError as exc:
        return _unavailable(name, exc)
    llm = HFRouter(
        model=model, api_key=TOKEN, base_url=base_url, hub_url=hub_url, max_tokens=MAX_TOKENS
    )
    return Contender(name, _llama_index_run(llm, prompt))


def openai_like(base_url: str, model: str, prompt: str) -> Contender:
    """``llama_index.llms.openai_like.OpenAILike.astream_chat``."""
    name = "OpenAILike.astream_chat (llama-index-llms-openai-like)"
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        return _unavailable(name, exc)
    llm = OpenAILike(
        model=model,
        api_base=base_url,
        api_key=TOKEN,
        is_chat_model=True,
        context_window=32768,
        max_tokens=MAX_TOKENS,
        max_retries=0,
    )
    return Contender(name, _llama_index_run(llm, prompt))


def langchain_floor_contender(chunks: int) -> Contender:
    """LangChain's own floor: ``astream`` of a model yielding ready chunks."""
    name = "langchain-core floor (ready chunks, no network)"
    try:
        model = langchain_floor(chunks)
    except ImportError as exc:
        return _unavailable(name, exc)
    return Contender(name, _langchain_run(model, "x"))


def llama_index_floor_contender(chunks: int) -> Contender:
    """LlamaIndex's own floor: ``astream_chat`` of a CustomLLM yielding ready responses."""
    name = "LlamaIndex floor (ready responses, no network)"
    try:
        llm = llama_index_floor(chunks)
    except ImportError as exc:
        return _unavailable(name, exc)
    return Contender(name, _llama_index_run(llm, "x"))
