"""What a new user meets first (issue #16): the model is optional, a missing token is named."""

from __future__ import annotations

import base64

import pytest

from hf_router import RouterClient
from hf_router.errors import AuthenticationError, InvalidInputError
from hf_router.testing import RouterEmulator

# A real 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
QUESTION = [{"role": "user", "content": "What is in this picture, and what colour is it?"}]


def test_no_model_with_media_uses_the_default_vision_model(emulator: RouterEmulator) -> None:
    client = RouterClient(base_url=emulator.base_url, hub_url=emulator.hub_url, api_key="hf_x")
    result = client.chat(messages=QUESTION, media=[PNG])
    assert result.text == "I see 1 image(s). " + QUESTION[0]["content"]
    assert result.provider_info is not None
    assert result.provider_info.model == client.default_vision_model
    sent = [r for r in emulator.requests if r.path == "/v1/chat/completions"]
    assert sent[-1].json is not None and sent[-1].json["model"] == client.default_vision_model


async def test_no_model_without_media_uses_the_default_model(emulator: RouterEmulator) -> None:
    client = RouterClient(base_url=emulator.base_url, hub_url=emulator.hub_url, api_key="hf_x")
    result = await client.achat(messages=QUESTION)
    assert result.text == QUESTION[0]["content"]
    assert result.provider_info is not None
    assert result.provider_info.model == client.default_model


def test_no_messages_is_a_typed_error() -> None:
    client = RouterClient(base_url="http://127.0.0.1:9/v1", api_key="hf_x")
    with pytest.raises(InvalidInputError, match="messages must be a list"):
        client.chat()


def test_a_401_without_a_token_says_none_was_sent(
    emulator: RouterEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    client = RouterClient(base_url=emulator.base_url, hub_url=emulator.hub_url)
    with pytest.raises(AuthenticationError) as info:
        client.chat("org/model", QUESTION)
    message = str(info.value)
    assert "none was sent" in message and "no Hugging Face token was found" in message
    assert "HF_TOKEN" in message
    assert "rejected" not in message


def test_a_401_with_a_token_says_it_was_rejected(emulator: RouterEmulator) -> None:
    emulator.set_fault("401")
    client = RouterClient(base_url=emulator.base_url, hub_url=emulator.hub_url, api_key="hf_x")
    with pytest.raises(AuthenticationError, match="rejected the token"):
        client.chat("org/model", QUESTION)
