"""``HFMediaTool``: the langchain-tests standard suites, end-to-end runs against the emulator and
a real ``create_agent`` loop driven by a scripted chat model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.load import dumpd, dumps, loads
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import ToolException
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests
from pydantic import Field

from hf_router.testing import RouterEmulator
from langchain_hf_router import HFMediaTool

TOKEN = "hf_lcMediaSecret0123456789"
IMAGE_MODEL = "black-forest-labs/FLUX.1-dev"  # the emulator's built-in media models
VIDEO_MODEL = "Wan-AI/Wan2.1-T2V-14B"


def make_tool(emulator: RouterEmulator, output_dir: Path, **kwargs: Any) -> HFMediaTool:
    params = {
        "api_key": TOKEN,
        "base_url": emulator.url,
        "hub_url": emulator.hub_url,
        "output_dir": str(output_dir),
        **kwargs,
    }
    return HFMediaTool(**params)


def tool_call(**args: Any) -> ToolCall:
    return ToolCall(name="hf_media_generation", args=args, id="call_1", type="tool_call")


class _Recorder(BaseCallbackHandler):
    """Records custom events and ``on_text`` lines."""

    def __init__(self) -> None:
        self.custom: list[tuple[str, Any, UUID]] = []
        self.texts: list[str] = []

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.custom.append((name, data, run_id))

    def on_text(self, text: str, **kwargs: Any) -> None:
        self.texts.append(text)


# -- standard suites -------------------------------------------------------------------------


class TestHFMediaToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[HFMediaTool]:
        return HFMediaTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": TOKEN, "base_url": "http://127.0.0.1:9", "hub_url": "http://127.0.0.1:9"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow", "kind": "image", "n": 1}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({"HF_TOKEN": "hf_fromEnv"}, {}, {"api_key": "hf_fromEnv"})


class TestHFMediaToolIntegration(ToolsIntegrationTests):
    """The standard integration suite, with the tool pointed at the emulator per test."""

    @pytest.fixture(autouse=True)
    def _point_at_emulator(self, emulator: RouterEmulator, tmp_path: Path) -> None:
        self._params = {
            "api_key": TOKEN,
            "base_url": emulator.url,
            "hub_url": emulator.hub_url,
            "output_dir": str(tmp_path),
        }

    @property
    def tool_constructor(self) -> type[HFMediaTool]:
        return HFMediaTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return self._params

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow", "kind": "image", "n": 1}


# -- behaviour -------------------------------------------------------------------------------


def test_tool_call_gives_tool_message_with_files(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path)
    msg = tool.invoke(tool_call(prompt="a lighthouse at dusk", aspect_ratio="16:9"))
    assert isinstance(msg, ToolMessage)
    assert msg.status == "success"
    assert msg.tool_call_id == "call_1"
    assert isinstance(msg.artifact, list)
    assert len(msg.artifact) == 1
    item = msg.artifact[0]
    assert set(item) >= {"path", "url", "mime_type", "provider", "kind", "width", "height"}
    assert item["kind"] == "image"
    assert item["mime_type"] == "image/png"
    assert item["prompt"] == "a lighthouse at dusk"
    assert item["width"] > item["height"]  # the emulator sends a small file of that shape
    submit = next(r for r in emulator.requests if r.method == "POST")
    assert submit.json["image_size"] == {"width": 1344, "height": 768}
    assert submit.headers["authorization"] == "Bearer hf_***"
    path = Path(item["path"])
    assert path.is_file()
    assert path.parent == tmp_path
    assert path.read_bytes().startswith(b"\x89PNG")
    assert msg.content == (
        f"Saved 1 image to {item['path']} (made by {item['provider']} with {IMAGE_MODEL})."
    )
    json.dumps(msg.artifact)  # plain JSON data


def test_n_images_and_plain_args_invoke(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path)
    content = tool.invoke({"prompt": "two cats", "n": 2})
    assert isinstance(content, str)  # no ToolCall: just the content
    assert content.startswith("Saved 2 images to ")
    assert len(list(tmp_path.iterdir())) == 2


def test_model_argument_and_provider_field(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path, provider="hf-inference")
    msg = tool.invoke(tool_call(prompt="a boat", model=IMAGE_MODEL))
    assert msg.artifact[0]["provider"] == "hf-inference"
    assert "made by hf-inference" in msg.content


async def test_async_video(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path)
    msg = await tool.ainvoke(tool_call(prompt="waves on a beach", kind="video"))
    assert isinstance(msg, ToolMessage)
    item = msg.artifact[0]
    assert item["kind"] == "video"
    assert item["mime_type"] == "video/mp4"
    assert Path(item["path"]).is_file()
    assert msg.content.startswith("Saved 1 video to ")
    assert VIDEO_MODEL in msg.content


def test_progress_reaches_callbacks_sync(emulator, tmp_path):
    recorder = _Recorder()
    tool = make_tool(emulator, tmp_path)
    tool.invoke(tool_call(prompt="a mountain"), config={"callbacks": [recorder]})
    statuses = [data for name, data, _ in recorder.custom if name == "hf_router_media_status"]
    assert statuses, recorder.custom
    assert all(set(s) == {"label", "text", "elapsed_s"} for s in statuses)
    assert statuses[-1]["label"] == "Finished"
    assert recorder.texts  # on_text lines too


async def test_progress_reaches_callbacks_async(emulator, tmp_path):
    recorder = _Recorder()
    tool = make_tool(emulator, tmp_path)
    await tool.ainvoke(tool_call(prompt="a river", kind="video"), config={"callbacks": [recorder]})
    labels = [
        data["label"] for name, data, _ in recorder.custom if name == "hf_router_media_status"
    ]
    assert "Generating" in labels
    assert labels[-1] == "Finished"


async def test_progress_in_astream_events(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path)
    events = [
        ev
        async for ev in tool.astream_events(tool_call(prompt="a tree"), version="v2")
        if ev["event"] == "on_custom_event"
    ]
    assert events
    assert {ev["name"] for ev in events} == {"hf_router_media_status"}


def test_provider_402_is_skipped(emulator, tmp_path):
    emulator.set_fault("402", model=IMAGE_MODEL, provider="fal-ai")
    tool = make_tool(emulator, tmp_path)
    msg = tool.invoke(tool_call(prompt="a castle"))
    assert msg.status == "success"
    assert msg.artifact[0]["provider"] != "fal-ai"
    assert "Skipped providers: fal-ai (HTTP 402 PaymentRequiredError)." in msg.content
    assert Path(msg.artifact[0]["path"]).is_file()


def test_core_error_becomes_tool_exception(emulator, tmp_path):
    emulator.set_fault("402", model=IMAGE_MODEL)  # every provider out of credits
    tool = make_tool(emulator, tmp_path)
    with pytest.raises(ToolException) as info:
        tool.invoke(tool_call(prompt="a castle"))
    from hf_router.errors import HFRouterError

    assert isinstance(info.value.__cause__, HFRouterError)
    assert str(info.value) == str(info.value.__cause__)


async def test_handled_error_is_an_error_tool_message(emulator, tmp_path):
    emulator.set_fault("404", model=IMAGE_MODEL)
    tool = make_tool(emulator, tmp_path, handle_tool_error=True)
    msg = await tool.ainvoke(tool_call(prompt="a castle"))
    assert isinstance(msg, ToolMessage)
    assert msg.status == "error"
    assert msg.artifact is None
    assert IMAGE_MODEL in msg.content
    assert not list(tmp_path.iterdir())


def test_bad_token_becomes_tool_exception(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path, api_key="not-a-token", handle_tool_error=True)
    msg = tool.invoke(tool_call(prompt="a castle"))
    assert msg.status == "error"
    assert "not-a-token" not in msg.content


def test_schema_is_the_model_facing_arguments_only(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path)
    schema = tool.tool_call_schema.model_json_schema()
    assert set(schema["properties"]) == {"prompt", "kind", "aspect_ratio", "n", "model"}
    assert schema["required"] == ["prompt"]
    assert schema["properties"]["kind"]["enum"] == ["image", "video"]
    with pytest.raises(ValueError):
        tool.invoke({"prompt": "x", "n": 9})


@pytest.mark.filterwarnings("ignore:The function `loads` is in beta")
def test_secret_never_leaks(emulator, tmp_path, monkeypatch, caplog):
    caplog.set_level("DEBUG")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    tool = make_tool(emulator, tmp_path)
    assert tool.api_key is not None
    assert tool.api_key.get_secret_value() == TOKEN
    assert HFMediaTool(hf_token=TOKEN).api_key.get_secret_value() == TOKEN  # the alias
    texts = [
        repr(tool),
        str(tool),
        dumps(tool),
        json.dumps(dumpd(tool)),
        json.dumps(tool.tool_call_schema.model_json_schema()),
        json.dumps(tool.args),
        tool.model_dump_json(),
    ]
    msg = tool.invoke(tool_call(prompt="a castle"))
    texts += [msg.content, json.dumps(msg.artifact)]
    emulator.set_fault("404", model=IMAGE_MODEL)
    with pytest.raises(ToolException) as info:
        tool.invoke(tool_call(prompt="a castle"))
    texts += [str(info.value), repr(info.value), caplog.text]
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.iterdir()]
    for text in texts:
        assert TOKEN not in text
    serialized = dumpd(tool)
    assert serialized["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["HF_TOKEN"]}
    restored = loads(
        dumps(tool),
        secrets_map={"HF_TOKEN": TOKEN},
        valid_namespaces=["langchain_hf_router"],
        allowed_objects=[HFMediaTool],
    )
    assert isinstance(restored, HFMediaTool)
    assert restored.api_key.get_secret_value() == TOKEN
    assert restored.base_url == tool.base_url


def test_missing_token_is_a_typed_error(emulator, tmp_path, monkeypatch):
    from hf_router.errors import MissingTokenError

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ROUTER_BASE_URL", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    tool = HFMediaTool(output_dir=str(tmp_path))  # the real router: fails before sending anything
    assert tool.api_key is None
    with pytest.raises(ToolException, match="HF_TOKEN") as info:
        tool.invoke({"prompt": "a castle"})
    assert isinstance(info.value.__cause__, MissingTokenError)
    handled = HFMediaTool(output_dir=str(tmp_path), handle_tool_error=True)
    msg = handled.invoke(tool_call(prompt="a castle"))
    assert msg.status == "error"
    assert "HF_TOKEN" in msg.content
    # the emulator (like any custom base_url) takes the request and answers 401
    local = make_tool(emulator, tmp_path, api_key=None, handle_tool_error=True)
    msg = local.invoke(tool_call(prompt="a castle"))
    assert msg.status == "error"
    assert "AuthenticationError" in msg.content


def test_invalid_argument_is_reported_to_the_model(emulator, tmp_path):
    tool = make_tool(emulator, tmp_path, handle_tool_error=True)
    msg = tool.invoke(tool_call(prompt="a castle", aspect_ratio="banana"))
    assert msg.status == "error"
    assert "aspect_ratio='banana'" in msg.content
    assert not [r for r in emulator.requests if r.method == "POST"]  # nothing was sent


# -- a real agent loop -----------------------------------------------------------------------


class _ScriptedChatModel(BaseChatModel):
    """A chat model that decides to draw: its first answer calls ``hf_media_generation`` (when
    the agent bound that tool), its answer to the ToolMessage quotes what the tool said."""

    calls: list[dict[str, Any]] = Field(default_factory=list)  # what each call was given

    @property
    def _llm_type(self) -> str:
        return "scripted-test-chat"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        specs = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=specs, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        names = [spec["function"]["name"] for spec in kwargs.get("tools") or []]
        self.calls.append({"messages": list(messages), "tools": names})
        last = messages[-1]
        if isinstance(last, ToolMessage):
            message = AIMessage(content=f'Here is your picture. The tool said: "{last.content}"')
        elif "hf_media_generation" in names:
            call = ToolCall(
                name="hf_media_generation",
                args={"prompt": "a red fox", "kind": "image"},
                id="call_fox",
                type="tool_call",
            )
            message = AIMessage(content="", tool_calls=[call])
        else:
            message = AIMessage(content="I have no drawing tool.")
        return ChatResult(generations=[ChatGeneration(message=message)])


def _check_agent_run(result: dict[str, Any], model: _ScriptedChatModel, emulator, tmp_path):
    messages = result["messages"]
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    # the model was offered the tool, asked for it, then saw its answer
    assert len(model.calls) == 2
    assert model.calls[0]["tools"] == ["hf_media_generation"]
    assert isinstance(model.calls[1]["messages"][-1], ToolMessage)
    [tool_msg] = [m for m in messages if isinstance(m, ToolMessage)]
    assert tool_msg.status == "success"
    assert (tool_msg.name, tool_msg.tool_call_id) == ("hf_media_generation", "call_fox")
    # the artifact list reached the ToolMessage
    assert isinstance(tool_msg.artifact, list) and len(tool_msg.artifact) == 1
    item = tool_msg.artifact[0]
    assert (item["kind"], item["mime_type"], item["prompt"]) == ("image", "image/png", "a red fox")
    path = Path(item["path"])
    assert path.suffix == ".png" and path.parent == tmp_path
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(tmp_path.iterdir()) == [path]
    assert str(path) in tool_msg.content
    assert tool_msg.content.startswith(f"Saved 1 image to {path} ")
    # the final answer quotes the tool and so names the path
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert tool_msg.content in final.content and str(path) in final.content
    [submit] = [r for r in emulator.requests if r.method == "POST"]
    assert submit.json["prompt"] == "a red fox"


def _make_agent(emulator: RouterEmulator, tmp_path: Path) -> tuple[Any, _ScriptedChatModel]:
    model = _ScriptedChatModel()
    tool = HFMediaTool(
        api_key="hf_test",
        base_url=emulator.url,
        hub_url=emulator.hub_url,
        output_dir=str(tmp_path),
    )
    return create_agent(model, [tool], system_prompt="You can draw pictures."), model


def test_agent_draws_and_gets_the_path_back(emulator, tmp_path):
    agent, model = _make_agent(emulator, tmp_path)
    result = agent.invoke({"messages": [HumanMessage("Please draw a red fox.")]})
    _check_agent_run(result, model, emulator, tmp_path)


async def test_agent_draws_and_gets_the_path_back_async(emulator, tmp_path):
    agent, model = _make_agent(emulator, tmp_path)
    result = await agent.ainvoke({"messages": [HumanMessage("Please draw a red fox.")]})
    _check_agent_run(result, model, emulator, tmp_path)
