"""HFMediaToolSpec (llama_index_hf_router.tools) against the local router emulator."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool, ToolOutput
from llama_index.core.tools.calling import acall_tool, call_tool

from hf_router import MediaResult
from hf_router.errors import HFRouterError, ModelNotSupportedError
from llama_index_hf_router import HFMediaToolSpec
from llama_index_hf_router.tools import MediaToolOutput

TOKEN = "hf_test"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE_MODEL = "black-forest-labs/FLUX.1-dev"
VIDEO_MODEL = "Wan-AI/Wan2.1-T2V-14B"


def _is_png(path: str | Path) -> bool:
    return Path(path).read_bytes()[:8] == PNG_MAGIC


def _is_mp4(path: str | Path) -> bool:
    return Path(path).read_bytes()[4:8] == b"ftyp"


@pytest.fixture
async def spec(emulator: Any, tmp_path: Path) -> AsyncIterator[HFMediaToolSpec]:
    tool_spec = HFMediaToolSpec(
        api_key=TOKEN,
        base_url=emulator.url,
        hub_url=emulator.hub_url,
        output_dir=tmp_path,
        poll_interval=0.05,
        poll_timeout=30.0,
    )
    yield tool_spec
    await tool_spec.aclose()


def _tools(spec: HFMediaToolSpec) -> dict[str, FunctionTool]:
    return {tool.metadata.name: tool for tool in spec.to_tool_list()}


# -- metadata ---------------------------------------------------------------------------------


def test_tool_list_names_descriptions_and_schemas(spec: HFMediaToolSpec) -> None:
    tools = spec.to_tool_list()
    assert [t.metadata.name for t in tools] == ["generate_image", "generate_video"]
    image, video = tools
    assert "image" in image.metadata.description.lower()
    assert "video" in video.metadata.description.lower()
    for tool in tools:
        params = tool.metadata.get_parameters_dict()
        assert set(params["properties"]) == {"prompt", "aspect_ratio", "n", "model"}
        assert params["required"] == ["prompt"]
        assert params["properties"]["prompt"]["description"]
        openai_tool = tool.metadata.to_openai_tool()
        assert openai_tool["function"]["name"] == tool.metadata.name
    assert "16:9" in str(image.metadata.get_parameters_dict()["properties"]["aspect_ratio"])


def test_acall_is_natively_async(spec: HFMediaToolSpec) -> None:
    tools = _tools(spec)
    for name in ("generate_image", "generate_video"):
        tool = tools[name]
        assert inspect.iscoroutinefunction(tool.async_fn)
        assert tool.async_fn.__name__ == f"a{name}"  # ours, not a thread wrapper
        assert tool.fn.__name__ == name


def test_token_never_in_reprs(spec: HFMediaToolSpec) -> None:
    tools = spec.to_tool_list()
    texts = [repr(spec), str(spec), repr(spec.client), *(repr(t) for t in tools)]
    texts += [t.metadata.description for t in tools]
    texts += [str(t.metadata.get_parameters_dict()) for t in tools]
    assert not [t for t in texts if TOKEN in t]


# -- calls ------------------------------------------------------------------------------------


def test_call_generates_a_png_and_describes_it(spec: HFMediaToolSpec, tmp_path: Path) -> None:
    output = _tools(spec)["generate_image"].call(prompt="a red fox in the snow")
    assert isinstance(output, ToolOutput)
    assert not output.is_error
    raw = output.raw_output
    assert isinstance(raw, MediaToolOutput)
    assert len(raw.results) == 1
    result = raw.results[0]
    assert isinstance(result, MediaResult)
    assert result.kind == "image"
    assert result.path is not None
    assert Path(result.path).parent == tmp_path
    assert _is_png(result.path)
    assert result.provider
    assert output.content == str(raw)
    assert result.path in output.content
    assert result.provider in output.content
    assert "1 image" in output.content


async def test_acall_generates_several_images(spec: HFMediaToolSpec) -> None:
    output = await _tools(spec)["generate_image"].acall(
        prompt="a lighthouse at dusk", n=2, aspect_ratio="16:9"
    )
    raw = output.raw_output
    assert len(raw.results) == 2
    assert len(set(raw.paths)) == 2
    assert all(_is_png(p) for p in raw.paths)
    assert "2 images" in output.content
    assert all(p in output.content for p in raw.paths)


async def test_acall_does_not_use_the_sync_client(
    spec: HFMediaToolSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sync(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("acall must not use the sync path")

    monkeypatch.setattr(spec.client, "stream_media", no_sync)
    output = await _tools(spec)["generate_image"].acall(prompt="a cat")
    assert _is_png(output.raw_output.paths[0])


async def test_acall_generates_an_mp4(spec: HFMediaToolSpec) -> None:
    output = await _tools(spec)["generate_video"].acall(prompt="waves on a beach")
    raw = output.raw_output
    assert [r.kind for r in raw.results] == ["video"]
    assert _is_mp4(raw.paths[0])
    assert "1 video" in output.content
    assert raw.paths[0] in output.content


def test_call_generates_an_mp4(spec: HFMediaToolSpec) -> None:
    output = _tools(spec)["generate_video"].call(
        prompt="a drone shot of a forest", model=VIDEO_MODEL
    )
    assert _is_mp4(output.raw_output.paths[0])


# -- provider fallback and errors -------------------------------------------------------------


def test_a_provider_out_of_credits_is_skipped(spec: HFMediaToolSpec, emulator: Any) -> None:
    emulator.set_fault("402", model=IMAGE_MODEL, provider="fal-ai")
    output = _tools(spec)["generate_image"].call(prompt="a paper boat")
    raw = output.raw_output
    assert not output.is_error
    assert [f.provider for f in raw.fallbacks] == ["fal-ai"]
    assert raw.fallbacks[0].status_code == 402
    [result] = raw.results
    assert result.provider not in (None, "fal-ai")
    assert _is_png(result.path)
    assert f"via provider {result.provider}" in output.content
    assert "Skipped: fal-ai (PaymentRequiredError, HTTP 402)" in output.content


async def test_acall_skips_a_provider_out_of_credits(spec: HFMediaToolSpec, emulator: Any) -> None:
    emulator.set_fault("402", model=VIDEO_MODEL, provider="fal-ai")
    output = await _tools(spec)["generate_video"].acall(prompt="a train")
    assert [f.provider for f in output.raw_output.fallbacks] == ["fal-ai"]
    assert _is_mp4(output.raw_output.paths[0])


def test_the_configured_provider_is_pinned(emulator: Any, tmp_path: Path) -> None:
    spec = HFMediaToolSpec(
        api_key=TOKEN,
        base_url=emulator.url,
        hub_url=emulator.hub_url,
        output_dir=tmp_path,
        provider="together",
    )
    try:
        output = _tools(spec)["generate_image"].call(prompt="a kite")
        assert [r.provider for r in output.raw_output.results] == ["together"]
        pinned = _tools(spec)["generate_image"].call(prompt="a kite", model=f"{IMAGE_MODEL}:nscale")
        assert [r.provider for r in pinned.raw_output.results] == ["nscale"]
    finally:
        spec.close()


def test_an_error_is_raised_with_the_core_message(spec: HFMediaToolSpec, emulator: Any) -> None:
    emulator.add_model("acme/chat-only", task="conversational")
    tool = _tools(spec)["generate_image"]
    with pytest.raises(HFRouterError) as info:
        tool.call(prompt="a cat", model="acme/chat-only")
    assert "acme/chat-only" in str(info.value)
    # LlamaIndex's tool-calling helpers (and agents) turn it into an error output.
    output = call_tool(tool, {"prompt": "a cat", "model": "acme/chat-only"})
    assert output.is_error
    assert str(info.value) in output.content
    assert isinstance(output.exception, HFRouterError)


async def test_async_errors_become_error_outputs(spec: HFMediaToolSpec, emulator: Any) -> None:
    emulator.set_fault("404", model=IMAGE_MODEL)
    output = await acall_tool(_tools(spec)["generate_image"], {"prompt": "a cat"})
    assert output.is_error
    assert isinstance(output.exception, ModelNotSupportedError)
    assert output.exception.hint in output.content
    assert TOKEN not in output.content


# -- agent ------------------------------------------------------------------------------------


def _scripted_llm(prompt: str) -> MockFunctionCallingLLM:
    """A function-calling LLM that first asks for ``generate_image`` and then answers with the
    tool's result."""

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        tool_messages = [m for m in messages if m.role == MessageRole.TOOL]
        if not tool_messages:
            return ChatMessage(
                role=MessageRole.ASSISTANT,
                blocks=[
                    ToolCallBlock(
                        tool_call_id="call_1",
                        tool_name="generate_image",
                        tool_kwargs={"prompt": prompt},
                    )
                ],
            )
        return ChatMessage(role=MessageRole.ASSISTANT, content=f"Done. {tool_messages[-1].content}")

    return MockFunctionCallingLLM(response_generator=respond, is_chat_model=True)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")  # llama-index workflows' own
async def test_function_agent_uses_the_image_tool(spec: HFMediaToolSpec) -> None:
    agent = FunctionAgent(
        tools=spec.to_tool_list(), llm=_scripted_llm("a watercolor owl"), streaming=False
    )
    handler = agent.run(user_msg="Draw me an owl")
    tool_results: list[ToolCallResult] = [
        event async for event in handler.stream_events() if isinstance(event, ToolCallResult)
    ]
    response = await handler
    assert [r.tool_name for r in tool_results] == ["generate_image"]
    output = tool_results[0].tool_output
    assert not output.is_error
    path = output.raw_output.paths[0]
    assert _is_png(path)
    assert path in str(response)
    assert str(response).startswith("Done.")


@pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")  # llama-index workflows' own
async def test_function_agent_sees_a_tool_error(spec: HFMediaToolSpec, emulator: Any) -> None:
    emulator.set_fault("404", model=IMAGE_MODEL)
    agent = FunctionAgent(tools=spec.to_tool_list(), llm=_scripted_llm("an owl"))
    handler = agent.run(user_msg="Draw me an owl")
    tool_results = [
        event async for event in handler.stream_events() if isinstance(event, ToolCallResult)
    ]
    response = await handler
    [result] = tool_results
    assert result.tool_output.is_error
    assert isinstance(result.tool_output.exception, ModelNotSupportedError)
    assert "does not exist" in str(response)  # the core's message reached the final answer
