"""Long inputs against a real llama.cpp server (SmolLM2-135M, n_ctx 2048): its ``/v1/models``
states no context length, so nothing is cut client-side; its real overflow refusal is parsed and
the history re-fitted to the window it states, and the question gets an answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _long_text import prose

from hf_router import RouterClient, Trimmed
from hf_router.chat._overflow import parse_overflow
from hf_router.errors import BadRequestError

# prompt evaluation on 2 shared cores can take a minute or more when the machine is busy
pytestmark = [pytest.mark.llama_server, pytest.mark.timeout(900)]

MODEL = "smollm2"
CHEAP: dict[str, Any] = {"temperature": 0, "seed": 1}
# a large completion reserve keeps the re-fitted prompt small (about 600 tokens): quicker on
# a 135M model on a busy CPU; the stop sequences keep the answer itself short
SHORT: dict[str, Any] = {"max_tokens": 1400, "stop": ["\n", "."], **CHEAP}


@pytest.fixture
def client(llama_chat_base_url: str) -> Iterator[RouterClient]:
    # llama-cpp-python refuses an over-long *streamed* request with an empty 200 stream (no
    # limit to parse; docs/llama-server.md), so whole answers go as plain requests here
    with RouterClient(base_url=llama_chat_base_url, timeout=120, stream_whole_answers=False) as c:
        yield c


def long_history() -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = [{"role": "system", "content": "You answer in one word."}]
    for i in range(25):
        history += [
            {"role": "user", "content": prose(700, f"q{i}-")},
            {"role": "assistant", "content": prose(300, f"a{i}-")},
        ]
    history.append({"role": "user", "content": "What is the capital of France?"})
    return history  # about 25,000 characters: several times the 2048-token window


def test_real_overflow_refusal_is_parsed(client: RouterClient) -> None:
    with pytest.raises(BadRequestError) as info:
        client.chat(MODEL, long_history(), max_tokens=16, adaptive_fit=False, **CHEAP)
    overflow = parse_overflow(info.value)
    assert overflow is not None
    assert overflow.window == 2048
    assert overflow.requested is not None and overflow.requested > 4000
    assert overflow.completion == 16 and overflow.prompt == overflow.requested - 16


def test_history_far_above_the_window_gets_an_answer(client: RouterClient) -> None:
    assert client.context_window(MODEL) is None  # llama.cpp lists no context length
    history = long_history()
    # not streamed: llama-cpp-python refuses an over-long *streamed* request by ending the
    # stream without data (status 200), which names no limit (see docs/long-inputs.md)
    events = list(client.stream_chat(MODEL, history, stream=False, **SHORT))
    (trimmed,) = [e for e in events if isinstance(e, Trimmed)]
    assert trimmed.reason == "provider" and trimmed.dropped_messages > 30
    assert trimmed.details and trimmed.after < trimmed.before
    text = "".join(getattr(e, "text", "") for e in events)
    assert text.strip()


async def test_async_history_far_above_the_window_gets_an_answer(client: RouterClient) -> None:
    result = await client.achat(MODEL, long_history(), **SHORT)
    assert result.trimmed is not None and result.trimmed.reason == "provider"
    assert result.text.strip()
