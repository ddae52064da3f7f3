"""Long inputs through the real client and the emulator: the budget from the model's window
(``/v1/models``), what reaches the server, one cached listing, and the adaptive re-fit when a
provider refuses the input as too long (each real server's wording)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from _long_text import cjk, prose

from hf_router import RouterClient, Trimmed
from hf_router.errors import BadRequestError, InputTooLongError, InvalidInputError
from hf_router.testing import RouterEmulator
from hf_router.testing.chat.overflow import context_tokens

MODEL = "meta-llama/Llama-3.3-70B-Instruct"
SMALL = "org/small-window"
STYLES = ["openai", "vllm", "tgi", "anthropic", "llamacpp", "bare"]


def make(emulator: RouterEmulator, **kwargs: Any) -> RouterClient:
    return RouterClient("hf_long", base_url=emulator.base_url, hub_url=emulator.hub_url, **kwargs)


def posts(emulator: RouterEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def listings(emulator: RouterEmulator) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/v1/models"))


# -- defaults: nothing the answer depends on is dropped ------------------------------------------
def test_rag_system_prompt_and_48k_message_arrive_intact(emulator: RouterEmulator) -> None:
    client = make(emulator)
    system = "Answer from this context only.\n" + prose(13_000, "ctx-")
    question = prose(48_000, "doc-") + "\nWhat colour is the third lamp?"
    events = list(
        client.stream_chat(
            MODEL, [{"role": "system", "content": system}, {"role": "user", "content": question}]
        )
    )
    assert not [e for e in events if isinstance(e, Trimmed)]
    (body,) = posts(emulator)
    assert body["messages"] == [
        {"role": "system", "content": system},
        {"role": "user", "content": question},
    ]
    client.chat(MODEL, [{"role": "user", "content": question}])
    assert listings(emulator) == 1  # the listing is fetched once, then cached


def test_a_large_image_counts_as_an_image_not_as_its_base64(emulator: RouterEmulator) -> None:
    """A 1 MB image sent as a data URL is ~1.4 million base64 characters; counted as text it
    would look like ~400,000 tokens and the RAG context beside it would be cut to nothing on a
    16k window. Both fit (about 6,000 text tokens plus one image), so both are sent whole."""
    emulator.add_model(SMALL, context_length=16384, overflow="openai")
    png = b"\x89PNG\r\n\x1a\n" + bytes(1_000_000)
    import base64

    url = "data:image/png;base64," + base64.b64encode(png).decode()
    history = [
        {"role": "system", "content": "Use this context.\n" + prose(20_000, "img-")},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        },
    ]
    events = list(make(emulator).stream_chat(SMALL, history))
    assert not [e for e in events if isinstance(e, Trimmed)]
    (body,) = posts(emulator)
    assert body["messages"] == history


def test_short_inputs_never_look_up_the_window(emulator: RouterEmulator) -> None:
    make(emulator).chat(MODEL, [{"role": "user", "content": "hello " * 100}])
    assert listings(emulator) == 0


def test_600k_history_on_an_8k_model_is_fitted(emulator: RouterEmulator, caplog: Any) -> None:
    emulator.add_model(SMALL, context_length=8192, overflow="openai")
    history: list[dict[str, Any]] = [{"role": "system", "content": "You are the archivist."}]
    for i in range(150):
        history += [
            {"role": "user", "content": prose(2000, f"q{i}-")},
            {"role": "assistant", "content": prose(2000, f"a{i}-")},
        ]
    history.append({"role": "user", "content": "Which lamp is green?"})
    assert sum(len(m["content"]) for m in history) > 600_000
    with caplog.at_level(logging.WARNING, logger="hf_router"):
        result = make(emulator).chat(SMALL, history, max_tokens=512)
    assert result.text == "Which lamp is green?"  # the server answered (it enforces 8192)
    (body,) = posts(emulator)
    sent = body["messages"]
    assert sent[0] == history[0] and sent[-1] == history[-1]
    assert sent[1:-1] == history[len(history) - len(sent) + 1 : -1]  # the newest turns
    assert context_tokens(sent) + 512 <= 8192
    report = result.trimmed
    assert report is not None and report.reason == "window"
    assert report.dropped_messages == len(history) - len(sent)
    assert report.details[0].startswith(f"dropped {report.dropped_messages} older message(s)")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Loopback" not in warnings[0].getMessage()


async def test_async_fits_the_same_way(emulator: RouterEmulator) -> None:
    emulator.add_model(SMALL, context_length=4096, overflow="vllm")
    history = [
        {"role": "user", "content": cjk(3000)},
        {"role": "assistant", "content": cjk(3000)},
        {"role": "user", "content": "第三盏灯是什么颜色？"},
    ]
    client = make(emulator)
    result = await client.achat(SMALL, history, max_tokens=256)
    assert result.text == "第三盏灯是什么颜色？"
    (body,) = posts(emulator)
    assert body["messages"] == history[-1:]
    assert context_tokens(body["messages"]) + 256 <= 4096


def test_system_plus_question_over_the_window_is_an_error_before_sending(
    emulator: RouterEmulator,
) -> None:
    emulator.add_model(SMALL, context_length=4096)
    messages = [
        {"role": "system", "content": prose(9000)},
        {"role": "user", "content": prose(9000)},
    ]
    with pytest.raises(InputTooLongError) as info:
        make(emulator).chat(SMALL, messages, max_tokens=256)
    assert not isinstance(info.value, ValueError)
    assert str(info.value.size) in str(info.value) and "larger context window" in str(info.value)
    assert posts(emulator) == []


def test_explicit_limits_and_the_alias(emulator: RouterEmulator) -> None:
    history = [{"role": "user", "content": prose(3000, f"m{i}-")} for i in range(8)]
    client = make(emulator, max_inputs_length=5000)
    assert client.max_inputs_lenght == 5000
    result = client.chat(MODEL, history)
    assert result.trimmed is not None and result.trimmed.reason == "limit"
    assert posts(emulator)[0]["messages"] == history[-1:]
    client.chat(MODEL, history, max_inputs_lenght=None)  # per call: send everything
    assert posts(emulator)[1]["messages"] == history
    with pytest.raises(InvalidInputError):
        make(emulator, max_inputs_lenght=5000, max_inputs_length=6000)
    with pytest.raises(InvalidInputError):
        make(emulator, max_inputs_lenght=0)


# -- adaptive: the provider's own limit ----------------------------------------------------------
@pytest.mark.parametrize("style", STYLES)
def test_overflow_refusal_is_refitted_and_retried_once(
    emulator: RouterEmulator, style: str
) -> None:
    emulator.add_model(SMALL, providers=["together"], context_length=8192, overflow=style)
    # limit None: no client-side cut, so the first request goes out whole and is refused
    client = make(emulator, max_inputs_lenght=None)
    history = [{"role": "system", "content": "Be brief."}]
    for i in range(12):
        history += [
            {"role": "user", "content": prose(2500, f"q{i}-")},
            {"role": "assistant", "content": prose(2500, f"a{i}-")},
        ]
    history.append({"role": "user", "content": "Which lamp is green?"})
    events = list(client.stream_chat(f"{SMALL}:together", history, max_tokens=512))
    first, second = posts(emulator)
    assert first["messages"] == history
    assert second["messages"][0] == history[0] and second["messages"][-1] == history[-1]
    assert context_tokens(second["messages"]) + 512 <= 8192
    (trimmed,) = [e for e in events if isinstance(e, Trimmed)]
    assert trimmed.reason == "provider" and trimmed.dropped_messages > 0
    assert "".join(getattr(e, "text", "") for e in events) == "Which lamp is green?"


def test_no_more_than_one_refit_per_attempt(emulator: RouterEmulator) -> None:
    emulator.add_model(SMALL, providers=["together"], context_length=2048, overflow="bare")
    client = make(emulator, max_inputs_lenght=None)
    # one huge tool result in the current turn: halving it once is not enough
    history = [
        {"role": "user", "content": "Read the log."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "log", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": prose(60_000)},
    ]
    with pytest.raises(BadRequestError) as info:
        client.chat(f"{SMALL}:together", history, max_tokens=64)
    assert info.value.status_code == 413
    assert len(posts(emulator)) == 2


def test_adaptive_fit_off_sends_once(emulator: RouterEmulator) -> None:
    emulator.add_model(SMALL, providers=["together"], context_length=2048, overflow="openai")
    client = make(emulator, max_inputs_lenght=None, adaptive_fit=False)
    with pytest.raises(BadRequestError) as info:
        client.chat(f"{SMALL}:together", [{"role": "user", "content": prose(20_000)}])
    assert "maximum context length is 2048 tokens" in str(info.value)
    assert len(posts(emulator)) == 1


def test_refit_that_cannot_keep_the_question_says_so(emulator: RouterEmulator) -> None:
    emulator.add_model(SMALL, providers=["together"], context_length=2048, overflow="tgi")
    client = make(emulator, max_inputs_lenght=None)
    with pytest.raises(InputTooLongError):
        client.chat(f"{SMALL}:together", [{"role": "user", "content": prose(20_000)}])
    assert len(posts(emulator)) == 1


def test_max_tokens_filling_the_window_sends_unfitted(
    emulator: RouterEmulator, caplog: Any
) -> None:
    emulator.add_model(SMALL, context_length=4096)
    history = [{"role": "user", "content": prose(20_000)}]
    with caplog.at_level(logging.WARNING, logger="hf_router"):
        make(emulator).chat(SMALL, history, max_tokens=5000)
    assert posts(emulator)[0]["messages"] == history
    assert any("leaves no room for the input" in r.getMessage() for r in caplog.records)
