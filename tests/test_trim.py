"""Input trimming: calculate_lenght, the trimming stages, tool-call pairs and the report."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_router import calculate_lenght, calculate_length, trim_messages, trim_with_report
from hf_router.chat._trim import IMAGE_PART_LENGHT, MESSAGE_OVERHEAD
from hf_router.errors import InputTooLongError, InvalidInputError
from hf_router.events import Trimmed

Message = dict[str, Any]


def m(role: str, size: int = 10, char: str = "x") -> Message:
    """A message whose content has ``size`` characters."""
    return {"role": role, "content": char * size}


def call(call_ids: Sequence[str], size: int = 0) -> Message:
    """An assistant message with tool calls."""
    return {
        "role": "assistant",
        "content": "c" * size if size else None,
        "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": "f", "arguments": "{}"}}
            for cid in call_ids
        ],
    }


def result(call_id: str, size: int = 10) -> Message:
    return {"role": "tool", "tool_call_id": call_id, "content": "r" * size}


def positions(kept: Sequence[Message], messages: Sequence[Message]) -> list[int]:
    """Indices (by identity) of the kept messages in the original list."""
    ids = [id(x) for x in messages]
    return [ids.index(id(k)) for k in kept]


def assert_tool_pairs_intact(kept: Sequence[Message]) -> None:
    """Every tool result follows its call, and every call keeps all its results."""
    open_ids: set[str] = set()
    for message in kept:
        if message["role"] == "assistant" and message.get("tool_calls"):
            assert not open_ids, f"tool results missing for {open_ids}"
            open_ids = {c["id"] for c in message["tool_calls"]}
        elif message["role"] == "tool":
            assert message["tool_call_id"] in open_ids, "tool result kept without its call"
            open_ids.discard(message["tool_call_id"])
        else:
            assert not open_ids, f"tool results missing for {open_ids}"
    assert not open_ids, f"tool results missing for {open_ids}"


# -- calculate_lenght --------------------------------------------------------------------------


def test_seed_example() -> None:
    messages = [{"role": "user", "content": "Привет!"}, {"role": "assistant", "content": "Привет!"}]
    assert calculate_lenght(messages) == 46


def test_formula_is_content_length_plus_16_per_message() -> None:
    messages = [m("system", 5), m("user", 100), m("assistant", 0)]
    assert calculate_lenght(messages) == 5 + 100 + 0 + 3 * MESSAGE_OVERHEAD
    assert MESSAGE_OVERHEAD == 16


def test_empty_list_is_zero() -> None:
    assert calculate_lenght([]) == 0


def test_none_content_counts_zero() -> None:
    assert calculate_lenght([call(["c1"])]) == 16
    assert calculate_lenght([{"role": "assistant", "content": None}]) == 16


def test_multimodal_counts_text_and_fixed_amount_per_image() -> None:
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 50_000}},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            {"type": "text", "text": "ok"},
        ],
    }
    assert calculate_lenght([message]) == 13 + 2 + 2 * IMAGE_PART_LENGHT + 16


def test_alias() -> None:
    messages = [m("user", 7), m("assistant", 3)]
    assert calculate_length(messages) == calculate_lenght(messages) == 42


# -- nothing to trim ---------------------------------------------------------------------------


def test_under_the_limit_nothing_changes() -> None:
    messages = [m("system", 10), m("user", 10), m("assistant", 10), m("user", 10)]
    kept, report = trim_with_report(messages, max_inputs_lenght=calculate_lenght(messages))
    assert kept == messages
    assert report is None
    assert trim_messages(messages, calculate_lenght(messages)) == messages


def test_default_limit_is_10000() -> None:
    fits = [m("user", 10000 - 16)]
    assert trim_with_report(fits)[1] is None
    too_long = [m("user", 10000 - 16 + 1)]
    with pytest.raises(InputTooLongError):
        trim_with_report(too_long)


def test_result_is_a_new_list() -> None:
    messages = [m("user", 10)]
    kept = trim_messages(messages)
    kept.append(m("assistant"))
    assert len(messages) == 1


# -- stage 1: first 3 + last 3 -------------------------------------------------------------------


def test_stage1_keeps_first_three_and_last_three() -> None:
    roles = ["user", "assistant"] * 4
    messages = [m(role, 100, str(i)) for i, role in enumerate(roles)]  # 8 * 116 = 928
    kept, report = trim_with_report(messages, max_inputs_lenght=700)
    assert positions(kept, messages) == [0, 1, 2, 5, 6, 7]
    assert report == Trimmed(before=928, after=696, dropped_messages=2)


def test_stage1_not_used_with_six_messages() -> None:
    messages = [m(role, 100) for role in ["user", "assistant"] * 3]
    messages[-1] = m("user", 10)
    kept, _ = trim_with_report(messages, max_inputs_lenght=300)
    # six messages: no first-3/last-3 cut, straight to the last user message
    assert positions(kept, messages) == [5]


def test_stage1_keeps_a_system_message_from_the_middle() -> None:
    messages = [m(role, 100) for role in ["user", "assistant"] * 5]
    messages.insert(4, m("system", 20))
    kept, _ = trim_with_report(messages, max_inputs_lenght=900)
    assert messages[4] in kept
    assert positions(kept, messages) == [0, 1, 2, 4, 8, 9, 10]


def test_stage1_does_not_split_a_tool_call_from_its_result_at_the_front() -> None:
    # A naive first-3 cut would keep the call at index 2 without its result at index 3.
    messages = [
        m("user", 10),
        m("assistant", 10),
        call(["c1"]),
        result("c1"),
        m("user", 2000),  # the one to drop
        m("assistant", 10),
        m("user", 10),
        m("assistant", 10),
    ]
    kept, report = trim_with_report(messages, max_inputs_lenght=500)
    assert_tool_pairs_intact(kept)
    assert positions(kept, messages) == [0, 1, 2, 3, 5, 6, 7]
    assert report is not None and report.dropped_messages == 1


def test_stage1_does_not_split_tool_results_from_their_call_at_the_back() -> None:
    # A naive last-3 cut would keep the two results (6, 7) without the call at index 5.
    messages = [
        m("user", 10),
        m("assistant", 10),
        m("user", 10),
        m("assistant", 2000),  # the one to drop
        m("user", 10),
        call(["a", "b"]),
        result("a"),
        result("b"),
        m("assistant", 10),
    ]
    kept, _ = trim_with_report(messages, max_inputs_lenght=500)
    assert_tool_pairs_intact(kept)
    assert positions(kept, messages) == [0, 1, 2, 4, 5, 6, 7, 8]


def test_stage1_applies_to_seven_messages_that_contain_a_tool_pair() -> None:
    # Seven messages: "more than 6 messages -> keep the first 3 and the last 3". Here that cut
    # drops only the huge user message at index 3 and splits no tool pair, so the whole recent
    # conversation must survive instead of falling through to stage 2 (last user message and
    # what follows it).
    messages = [
        m("user", 10),
        call(["c1"]),
        result("c1"),
        m("user", 5000),
        m("assistant", 10),
        m("user", 10),
        m("assistant", 10),
    ]
    kept, report = trim_with_report(messages, max_inputs_lenght=500)
    assert positions(kept, messages) == [0, 1, 2, 4, 5, 6]
    assert report is not None and report.dropped_messages == 1


# -- stage 2 and 3 -----------------------------------------------------------------------------


def staged_history() -> list[Message]:
    return [
        m("system", 50),  # 66
        *[m(role, 1000) for role in ["user", "assistant"] * 3],  # 6 * 1016
        m("user", 100),  # 116, the last user message (index 7)
        call(["t1"]),  # 16
        result("t1", 50),  # 66
    ]  # total 6360; first 3 + last 3 = 3312


def test_stage2_system_last_user_and_the_turn_after_it() -> None:
    messages = staged_history()
    kept, report = trim_with_report(messages, max_inputs_lenght=500)
    assert positions(kept, messages) == [0, 7, 8, 9]
    assert report == Trimmed(before=6360, after=264, dropped_messages=6)
    assert_tool_pairs_intact(kept)


def test_stage2_without_the_turn_after_the_last_user_message() -> None:
    messages = staged_history()
    kept, report = trim_with_report(messages, max_inputs_lenght=200)
    assert positions(kept, messages) == [0, 7]
    assert report == Trimmed(before=6360, after=182, dropped_messages=8)


def test_stage3_only_the_last_user_message() -> None:
    messages = staged_history()
    kept, report = trim_with_report(messages, max_inputs_lenght=150)
    assert kept == [messages[7]]
    assert report == Trimmed(before=6360, after=116, dropped_messages=9)


def test_developer_role_is_kept_like_system() -> None:
    messages = [m("developer", 20), m("user", 500), m("assistant", 500), m("user", 20)]
    kept, _ = trim_with_report(messages, max_inputs_lenght=100)
    assert positions(kept, messages) == [0, 3]


def test_input_too_long_when_last_user_message_alone_is_over() -> None:
    messages = staged_history()
    with pytest.raises(InputTooLongError) as info:
        trim_with_report(messages, max_inputs_lenght=100)
    err = info.value
    # not a ValueError: LlamaIndex's synthesizers swallow ValueError into "Empty Response"
    assert not isinstance(err, InvalidInputError) and not isinstance(err, ValueError)
    assert (err.size, err.limit) == (116, 100)
    assert "116" in str(err) and "100" in str(err)
    assert err.hint and err.hint in str(err)


def test_input_too_long_single_message() -> None:
    with pytest.raises(InputTooLongError) as info:
        trim_messages([m("user", 20_000)], max_inputs_lenght=10_000)
    assert "20016" in str(info.value) and "10000" in str(info.value)


def test_input_is_never_mutated() -> None:
    messages = staged_history()
    snapshot = copy.deepcopy(messages)
    for limit in (100_000, 5000, 500, 200, 150):
        trim_with_report(messages, max_inputs_lenght=limit)
    with pytest.raises(InputTooLongError):
        trim_messages(messages, 100)
    assert messages == snapshot


# -- property: invariants on random conversations ------------------------------------------------


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    size = st.integers(0, 300)
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(m("system", draw(size)))
    n_turns = draw(st.integers(1, 6))
    counter = 0
    for _ in range(n_turns):
        messages.append(m("user", draw(size)))
        for _ in range(draw(st.integers(0, 2))):
            ids = [f"id{counter + k}" for k in range(draw(st.integers(1, 3)))]
            counter += len(ids)
            messages.append(call(ids, draw(st.integers(0, 50))))
            messages.extend(result(i, draw(size)) for i in ids)
        if draw(st.booleans()):
            messages.append(m("assistant", draw(size)))
        if draw(st.integers(0, 9)) == 0:
            messages.append(m("system", draw(size)))
    return messages


@settings(max_examples=300, deadline=None)
@given(messages=conversations(), limit=st.integers(1, 4000))
def test_property_trim_invariants(messages: list[Message], limit: int) -> None:
    snapshot = copy.deepcopy(messages)
    total = calculate_lenght(messages)
    last_user = max(i for i, x in enumerate(messages) if x["role"] == "user")
    error: InputTooLongError | None = None
    try:
        kept, report = trim_with_report(messages, max_inputs_lenght=limit)
    except InputTooLongError as exc:
        error = exc
    if error is not None:
        assert calculate_lenght([messages[last_user]]) > limit
        assert error.limit == limit
        assert messages == snapshot
        return
    assert messages == snapshot
    idx = positions(kept, messages)
    assert idx == sorted(idx) and len(set(idx)) == len(idx)  # a subsequence, order kept
    assert calculate_lenght(kept) <= limit
    assert_tool_pairs_intact(kept)
    if total <= limit:
        assert report is None and kept == messages
        return
    assert report == Trimmed(total, calculate_lenght(kept), len(messages) - len(kept))
    assert kept  # never an empty request
    if idx != [last_user]:  # before the last resort, every system message stays
        systems = [i for i, x in enumerate(messages) if x["role"] == "system"]
        assert set(systems) <= set(idx)
