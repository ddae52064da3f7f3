"""LangChain conventions of ``ChatHFRouter`` (issue #16): ``profile`` without a network request,
``create_agent(..., response_format=Model)`` choosing the provider strategy by itself, and
``generate(...).llm_output`` with ChatOpenAI's keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy
from langchain.chat_models import init_chat_model
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from hf_router.testing import RouterEmulator
from langchain_hf_router import ChatHFRouter
from langchain_hf_router import profiles as profiles_module
from langchain_hf_router._profile_data import BUNDLED_PROFILES

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


class CityWeather(BaseModel):
    """The weather report for one city."""

    city: str = Field(description="the city's name")
    temperature_c: int = Field(description="degrees Celsius")


def _llm(emulator: RouterEmulator, model: str = MODEL, **kwargs: Any) -> ChatHFRouter:
    return ChatHFRouter(
        model=model,
        api_key="hf_profile_test",
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        **kwargs,
    )


def test_profile_comes_from_the_bundled_table_without_a_request(emulator: RouterEmulator) -> None:
    emulator.clear_requests()
    llm = _llm(emulator, model=MODEL + ":together")
    assert llm.profile is not None
    assert llm.profile["max_input_tokens"] == 131072
    assert llm.profile["tool_calling"] is True
    assert llm.profile["structured_output"] is True
    assert llm.profile["image_inputs"] is False
    vision = _llm(emulator, model="Qwen/Qwen2.5-VL-7B-Instruct")
    assert vision.profile is not None and vision.profile["image_inputs"] is True
    assert _llm(emulator, model="someone/unknown-model").profile is None
    assert emulator.requests == []  # constructing never touched the network


def test_an_explicit_profile_wins(emulator: RouterEmulator) -> None:
    llm = _llm(emulator, profile={"max_input_tokens": 1000, "structured_output": False})
    assert llm.profile == {"max_input_tokens": 1000, "structured_output": False}


def test_refresh_profile_reads_the_router(emulator: RouterEmulator) -> None:
    emulator.add_model(
        MODEL,
        providers=[{"provider": "together", "context_length": 65536}, "nebius"],
        context_length=131072,
    )
    llm = _llm(emulator)
    profile = llm.refresh_profile()
    assert profile is llm.profile
    assert profile["max_input_tokens"] == 65536  # the smallest live provider's
    assert profile["tool_calling"] is True and profile["structured_output"] is True
    assert profile["image_inputs"] is False  # /v1/models does not say: kept from the table
    pinned = _llm(emulator, provider="nebius")
    assert asyncio.run(pinned.arefresh_profile())["max_input_tokens"] == 131072
    assert any(r.path == "/v1/models" for r in emulator.requests)


def test_regenerating_the_table_from_a_router(emulator: RouterEmulator, tmp_path: Path) -> None:
    emulator.add_model(
        "org/new-model", providers=[{"provider": "together", "context_length": 4096}]
    )
    out = tmp_path / "data.py"
    code = profiles_module.main(
        ["--base-url", emulator.base_url, "--model", "org/new-model", "--output", str(out)]
    )
    assert code == 0
    namespace: dict[str, Any] = {}
    exec(out.read_text(encoding="utf-8"), namespace)
    table = namespace["BUNDLED_PROFILES"]
    assert table["org/new-model"]["max_input_tokens"] == 4096
    assert set(BUNDLED_PROFILES) <= set(table)
    assert table["Qwen/Qwen2.5-VL-7B-Instruct"]["image_inputs"] is True


def test_create_agent_uses_the_provider_strategy_by_itself(emulator: RouterEmulator) -> None:
    agent = create_agent(_llm(emulator), tools=[], response_format=CityWeather)
    state = agent.invoke(
        {"messages": [HumanMessage("Report the weather in 'Lyon' at 21 degrees Celsius.")]}
    )
    report = state["structured_response"]
    assert isinstance(report, CityWeather)
    assert report.city == "Lyon" and report.temperature_c == 21
    sent = [r.json for r in emulator.requests if r.path == "/v1/chat/completions"]
    assert sent and sent[-1] is not None
    assert sent[-1]["response_format"]["type"] == "json_schema"  # provider strategy
    assert "tools" not in sent[-1]  # not the tool strategy
    assert isinstance(ProviderStrategy(CityWeather), ProviderStrategy)


def test_generate_llm_output_has_chatopenai_keys(emulator: RouterEmulator) -> None:
    llm = _llm(emulator)
    result = llm.generate(
        [[HumanMessage("Name three rivers of France")], [HumanMessage("And two of Spain")]]
    )
    out = result.llm_output
    assert out is not None
    assert out["model_name"] == MODEL
    assert out["system_fingerprint"] == "emu-1"
    usage = out["token_usage"]
    per_prompt = [g[0].message.usage_metadata for g in result.generations]
    assert usage["prompt_tokens"] == sum(u["input_tokens"] for u in per_prompt)
    assert usage["completion_tokens"] == sum(u["output_tokens"] for u in per_prompt)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_agenerate_llm_output_reports_reasoning_tokens(emulator: RouterEmulator) -> None:
    llm = _llm(emulator, model="deepseek-ai/DeepSeek-R1")
    result = await llm.agenerate([[HumanMessage("Why is the sky blue?")]])
    out = result.llm_output
    assert out is not None and out["model_name"] == "deepseek-ai/DeepSeek-R1"
    assert out["token_usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_init_chat_model_cannot_route_here_as_documented() -> None:
    """docs/langchain.md says init_chat_model only knows langchain's built-in providers; if that
    changes, this fails and the docs (and maybe a registration) need updating."""
    with pytest.raises(ValueError, match="Unsupported"):
        init_chat_model(MODEL, model_provider="hf_router")


def test_regenerating_from_an_unreachable_router_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "data.py"
    code = profiles_module.main(["--base-url", "http://127.0.0.1:9/v1", "--output", str(out)])
    assert code == 1
    assert not out.exists()
