"""``ChatHFRouter`` against LangChain's standard suites: ``ChatModelUnitTests`` (no network)
and ``ChatModelIntegrationTests`` against the router emulator over loopback.

Expected failures (each with its exact reason, never deleted):

* ``test_json_mode``: json_mode puts the keys to use in the prompt only ("Return the result
  as a JSON with 'setup' and 'punchline' keys"); following that needs a model that follows
  instructions. The emulator's json_object answer is ``{"answer": <reply>}``.
* ``test_image_inputs``: the test downloads its sample PNG from raw.githubusercontent.com with
  ``httpx.get`` at test time; this sandbox has no internet (pytest-socket allows loopback
  only). The same three message forms (OpenAI ``image_url`` data URI, standard base64 block,
  standard URL block) run offline in
  ``tests/test_langchain_chat_model.py::test_standard_image_blocks_become_image_url_parts``.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from hf_router.testing import RouterEmulator
from langchain_hf_router import ChatHFRouter

MODEL = "meta-llama/Llama-3.3-70B-Instruct"
REASONING_MODEL = "deepseek-ai/DeepSeek-R1"
NEEDS_INSTRUCTIONS = (
    "json_mode names the keys only in the prompt; following it needs a model that follows "
    "instructions (the emulator answers json_object requests with {'answer': <reply>})"
)
SERDES_ALLOWLIST = (
    "langchain-core 1.7's load(allowed_objects='all') revives only the classes of its own "
    "built-in serialization mapping, so no third-party class can pass this step; the snapshot "
    "is still compared first (a mismatch fails), and the dumpd/load round trip with "
    "allowed_objects=[ChatHFRouter] is tested in test_langchain_chat_model.py"
)
NEEDS_INTERNET = (
    "downloads its sample image from raw.githubusercontent.com at test time and this sandbox has "
    "no internet (loopback only); the same message forms are tested offline in "
    "test_langchain_chat_model.py::test_standard_image_blocks_become_image_url_parts"
)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """``test_stream_time`` carries ``@pytest.mark.vcr``; it skips itself (``enable_vcr_tests``
    is False), but the cassette is already active while the ``emulator`` fixture resets the
    emulator: let loopback traffic through instead of matching it against a cassette."""
    return {"ignore_localhost": True}


class TestChatHFRouterUnit(ChatModelUnitTests):
    """The standard unit suite: construction, params, tool binding, serialisation."""

    @property
    def chat_model_class(self) -> type[ChatHFRouter]:
        return ChatHFRouter

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"HF_TOKEN": "hf_from_env_123"},
            {"model": MODEL},
            {"api_key": "hf_from_env_123", "model_name": MODEL},
        )

    @pytest.mark.xfail(reason=SERDES_ALLOWLIST, raises=ValueError, strict=True)
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)


class TestChatHFRouterEmulator(ChatModelIntegrationTests):
    """The standard integration suite against the emulator (a fresh one per test)."""

    @pytest.fixture(autouse=True)
    def _point_at_emulator(self, emulator: RouterEmulator) -> None:
        self._emulator = emulator
        self._params = {
            "model": MODEL,
            "api_key": "hf_standard_suite",
            "base_url": emulator.base_url,
            "hub_url": emulator.hub_url,
        }

    @property
    def chat_model_class(self) -> type[ChatHFRouter]:
        return ChatHFRouter

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return self._params

    @property
    def model_override_value(self) -> str:
        return "Qwen/Qwen2.5-72B-Instruct"

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        return {"invoke": ["reasoning_output"], "stream": ["reasoning_output"]}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        """A reasoning model of the emulator (it reports ``reasoning_tokens``)."""
        llm = ChatHFRouter(**{**self._params, "model": REASONING_MODEL})
        if not stream:
            return llm.invoke("Why is the sky blue?")
        full = None
        for chunk in llm.stream("Why is the sky blue?"):
            full = chunk if full is None else full + chunk
        assert full is not None
        return full  # type: ignore[return-value]

    @pytest.mark.xfail(reason=NEEDS_INSTRUCTIONS, strict=True)
    def test_json_mode(self, model: BaseChatModel) -> None:
        super().test_json_mode(model)

    @pytest.mark.xfail(reason=NEEDS_INTERNET)
    def test_image_inputs(self, model: BaseChatModel) -> None:
        super().test_image_inputs(model)
