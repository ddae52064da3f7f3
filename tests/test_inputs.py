"""Inputs: model ids, aliases, messages, media, request parameters, token discovery."""

from __future__ import annotations

import base64
import copy
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from hf_router._shared.config import Secret, find_token
from hf_router._shared.messages import media_to_parts, prepare_messages, sniff_mime
from hf_router._shared.models import (
    DEFAULT_MODEL,
    DEFAULT_MODEL_ALIASES,
    DEFAULT_VISION_MODEL,
    ModelRef,
    parse_model,
    resolve_model,
)
from hf_router.chat._params import build_body, normalize_tool_choice
from hf_router.errors import HFRouterError, InvalidInputError, InvalidModelError


def tiny_png() -> bytes:
    """A 1x1 PNG: signature + IHDR + IDAT + IEND (the signature is what sniffing needs)."""

    def part(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + part(b"IHDR", ihdr) + part(b"IDAT", idat) + part(b"IEND", b"")


PNG = tiny_png()
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


# -- parse_model -------------------------------------------------------------------------------


def test_plain_repo_id() -> None:
    ref = parse_model("meta-llama/Llama-3.3-70B-Instruct")
    assert ref == ModelRef("meta-llama/Llama-3.3-70B-Instruct", None)
    assert ref.provider is None and ref.policy is None
    assert ref.is_hub_id
    assert str(ref) == "meta-llama/Llama-3.3-70B-Instruct"


def test_repo_with_provider() -> None:
    ref = parse_model("Qwen/Qwen2.5-VL-7B-Instruct:hyperbolic")
    assert ref.repo_id == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert ref.provider == "hyperbolic"
    assert ref.policy is None
    assert str(ref) == "Qwen/Qwen2.5-VL-7B-Instruct:hyperbolic"


@pytest.mark.parametrize("policy", ["fastest", "cheapest", "preferred"])
def test_policy_suffix_is_not_a_provider(policy: str) -> None:
    ref = parse_model(f"org/name:{policy}")
    assert ref.policy == policy
    assert ref.provider is None
    assert str(ref) == f"org/name:{policy}"


@pytest.mark.parametrize("name", ["tgi", "gpt-4o-mini", "llama3.2", "tgi:local"])
def test_single_segment_names(name: str) -> None:
    ref = parse_model(name)
    assert str(ref) == name
    assert not ref.is_hub_id


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        " org/name",
        "org/name ",
        "org/na me",
        "org/name\n",
        "org/\tname",
        "..",
        "../etc/passwd",
        "org/..",
        "org/../x",
        "a/b/c",
        "/x",
        "x/",
        "/",
        "org//name",
        "org/name:",
        "org/name:a/b",
        "org/name:-x",
        "org/name:a:b",
        "org/name:?x=1",
        "org/name#frag",
        "org/na%2fme",
        "-org/name",
    ],
)
def test_invalid_model_ids_rejected(bad: str) -> None:
    with pytest.raises(InvalidModelError) as info:
        parse_model(bad)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, HFRouterError)
    assert info.value.hint in str(info.value)


@pytest.mark.parametrize("bad", [None, 42, b"org/name"])
def test_non_string_model_rejected(bad: Any) -> None:
    with pytest.raises(InvalidModelError):
        parse_model(bad)


def test_url_path() -> None:
    assert (
        parse_model("Qwen/Qwen2.5-VL-7B-Instruct:novita").url_path == "Qwen/Qwen2.5-VL-7B-Instruct"
    )
    # segments are percent-encoded, the separator is kept
    assert ModelRef("org/na me?#").url_path == "org/na%20me%3F%23"
    assert ModelRef("a/b%c").url_path == "a/b%25c"


def test_provider_argument_appends_suffix() -> None:
    ref = parse_model("org/name", provider="together")
    assert ref.provider == "together"
    assert str(ref) == "org/name:together"
    assert parse_model("org/name", provider="cheapest").policy == "cheapest"


def test_provider_argument_agreeing_with_suffix() -> None:
    assert str(parse_model("org/name:together", provider="together")) == "org/name:together"


def test_provider_argument_conflict_rejected() -> None:
    with pytest.raises(InvalidModelError) as info:
        parse_model("org/name:fal-ai", provider="together")
    assert "fal-ai" in str(info.value) and "together" in str(info.value)


@pytest.mark.parametrize("bad", ["", "to gether", "a/b", "../x", ":x"])
def test_provider_argument_validated(bad: str) -> None:
    with pytest.raises(InvalidModelError):
        parse_model("org/name", provider=bad)


def test_with_provider() -> None:
    ref = parse_model("org/name:fastest")
    assert ref.with_provider("novita") == "org/name:novita"
    assert ref.with_provider(None) == "org/name"


# -- resolve_model -----------------------------------------------------------------------------


def resolve(name: str | None, has_images: bool = False) -> str:
    return resolve_model(
        name,
        aliases=DEFAULT_MODEL_ALIASES,
        default_model=DEFAULT_MODEL,
        default_vision_model=DEFAULT_VISION_MODEL,
        has_images=has_images,
    )


def test_alias_resolves() -> None:
    assert resolve("llama-3.3-70b") == "meta-llama/Llama-3.3-70B-Instruct"
    assert resolve("LLaMA-3.3-70B") == "meta-llama/Llama-3.3-70B-Instruct"


def test_alias_keeps_provider_suffix() -> None:
    assert resolve("qwen-2.5-72b:together") == "Qwen/Qwen2.5-72B-Instruct:together"


def test_unknown_name_passes_unchanged() -> None:
    assert resolve("someone/brand-new-model") == "someone/brand-new-model"
    assert resolve("not-an-alias") == "not-an-alias"


def test_empty_name_gives_defaults() -> None:
    assert resolve("") == DEFAULT_MODEL
    assert resolve(None) == DEFAULT_MODEL
    assert resolve("", has_images=True) == DEFAULT_VISION_MODEL
    assert resolve("org/explicit", has_images=True) == "org/explicit"


def test_custom_aliases_and_defaults() -> None:
    out = resolve_model(
        "mine", aliases={"mine": "me/model"}, default_model="d/d", default_vision_model="v/v"
    )
    assert out == "me/model"
    assert resolve_model(None, aliases={}, default_model="d/d", default_vision_model="v/v") == "d/d"


# -- prepare_messages: validation ----------------------------------------------------------------


def test_valid_messages_pass_through() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}, "plain string part"]},
        {"role": "assistant", "content": "Hello"},
    ]
    assert prepare_messages(messages) == messages


def test_tuple_of_messages_accepted() -> None:
    assert prepare_messages(({"role": "user", "content": "x"},)) == [
        {"role": "user", "content": "x"}
    ]


@pytest.mark.parametrize(
    ("messages", "needle"),
    [
        ("Hello", "must be a list"),
        (b"Hello", "must be a list"),
        ({"role": "user", "content": "x"}, "must be a list"),
        (None, "must be a list"),
        ([], "empty"),
    ],
)
def test_bad_messages_container(messages: Any, needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        prepare_messages(messages)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


OK = {"role": "user", "content": "fine"}


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("just a string", "messages[1]"),
        (["role", "user"], "messages[1]"),
        ({"content": "no role"}, "messages[1]"),
        ({"role": "bot", "content": "x"}, "'bot'"),
        ({"role": "user"}, "no 'content'"),
        ({"role": "tool", "content": "42"}, "tool_call_id"),
        ({"role": "user", "content": 42}, "messages[1].content"),
        ({"role": "user", "content": [{"text": "no type"}]}, "messages[1].content[0]"),
        ({"role": "user", "content": ["ok", 3]}, "messages[1].content[1]"),
        ({"role": "assistant", "tool_calls": [{"id": "c"}]}, "messages[1].tool_calls[0]"),
        ({"role": "assistant", "tool_calls": "nope"}, "messages[1].tool_calls"),
    ],
)
def test_bad_message_names_its_index(bad: Any, needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        prepare_messages([OK, bad, OK])
    text = str(info.value)
    assert "messages[1]" in text
    assert needle in text


def test_assistant_tool_calls_normalised() -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "w", "arguments": {"c": "P"}},
                },
                {"type": "function", "function": {"name": "t", "arguments": '{"z": 1}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    out = prepare_messages(messages)
    assistant = out[1]
    assert assistant["content"] == ""
    assert assistant["tool_calls"][0] == {
        "id": "c1",
        "type": "function",
        "function": {"name": "w", "arguments": '{"c": "P"}'},
    }
    assert assistant["tool_calls"][1]["function"]["arguments"] == '{"z": 1}'
    assert assistant["tool_calls"][1]["id"]  # an id is filled in


def test_assistant_tool_calls_without_content_key() -> None:
    out = prepare_messages(
        [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f"}}]}]
    )
    assert out[0]["content"] == ""
    assert out[0]["tool_calls"][0]["function"]["arguments"] == "{}"


def test_caller_messages_not_mutated() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "look"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": "ok"},
        {"role": "user", "content": "and this?"},
    ]
    snapshot = copy.deepcopy(messages)
    out = prepare_messages(messages, media=[PNG])
    assert messages == snapshot
    out[0]["content"] = "changed"
    out[4]["content"].append("more")
    assert messages == snapshot


# -- media -------------------------------------------------------------------------------------


def test_sniff_mime() -> None:
    assert sniff_mime(PNG) == "image/png"
    assert sniff_mime(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_mime(b"GIF89a....") == "image/gif"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_mime(b"\x00\x00\x00\x18ftypmp42") == "video/mp4"
    assert sniff_mime(b"????", "photo.jpg") == "image/jpeg"
    assert sniff_mime(b"????") == "application/octet-stream"


def image_urls(message: dict[str, Any]) -> list[str]:
    return [p["image_url"]["url"] for p in message["content"] if p.get("type") == "image_url"]


def test_media_bytes_attached_to_last_user_message() -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "What is in this image?"},
    ]
    out = prepare_messages(messages, media=[PNG])
    assert out[0] == {"role": "user", "content": "first"}
    assert out[2]["content"][0] == {"type": "text", "text": "What is in this image?"}
    assert image_urls(out[2]) == [PNG_URI]


def test_media_last_user_message_not_last_message() -> None:
    messages = [{"role": "user", "content": "see"}, {"role": "assistant", "content": "?"}]
    out = prepare_messages(messages, media=[PNG])
    assert image_urls(out[0]) == [PNG_URI]
    assert out[1] == {"role": "assistant", "content": "?"}


def test_media_file_path(tmp_path: Path) -> None:
    path = tmp_path / "pic.bin"  # the bytes decide the type, not the extension
    path.write_bytes(PNG)
    for item in (path, str(path)):
        out = prepare_messages([{"role": "user", "content": "x"}], media=[item])
        assert image_urls(out[0]) == [PNG_URI]


def test_media_url_and_data_uri_passed_as_is() -> None:
    url = "https://example.com/cat.jpg"
    out = prepare_messages([{"role": "user", "content": "x"}], media=[url, PNG_URI])
    assert image_urls(out[0]) == [url, PNG_URI]


def test_media_appended_to_existing_parts() -> None:
    message = {"role": "user", "content": [{"type": "text", "text": "two"}]}
    out = prepare_messages([message], media=[PNG, "http://e.com/a.png"])
    assert out[0]["content"][0] == {"type": "text", "text": "two"}
    assert image_urls(out[0]) == [PNG_URI, "http://e.com/a.png"]


def test_media_to_parts_shape() -> None:
    assert media_to_parts([PNG]) == [{"type": "image_url", "image_url": {"url": PNG_URI}}]


def test_missing_media_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(InvalidInputError) as info:
        prepare_messages([{"role": "user", "content": "x"}], media=[PNG, missing])
    assert "media[1]" in str(info.value)


@pytest.mark.parametrize("bad", [b"", 42, object()])
def test_bad_media_items(bad: Any) -> None:
    with pytest.raises(InvalidInputError):
        prepare_messages([{"role": "user", "content": "x"}], media=[bad])


def test_media_without_user_message() -> None:
    with pytest.raises(InvalidInputError):
        prepare_messages([{"role": "system", "content": "x"}], media=[PNG])


# -- build_body --------------------------------------------------------------------------------

MSGS = [{"role": "user", "content": "hi"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


def body(**kw: Any) -> dict[str, Any]:
    kw.setdefault("stream", False)
    kw.setdefault("max_tokens", 2048)
    return build_body("org/m", MSGS, **kw)


def test_minimal_body() -> None:
    assert body() == {"model": "org/m", "messages": MSGS, "max_tokens": 2048, "stream": False}


def test_stream_options_only_when_streaming() -> None:
    assert body(stream=True)["stream_options"] == {"include_usage": True}
    assert body(stream=True)["stream"] is True
    assert "stream_options" not in body(stream=False)


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True])
def test_bad_max_tokens(value: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        body(max_tokens=value)
    assert "max_tokens" in str(info.value)


def test_max_tokens_none_omitted() -> None:
    assert "max_tokens" not in body(max_tokens=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", -0.1),
        ("temperature", 2.5),
        ("temperature", "hot"),
        ("temperature", True),
        ("top_p", 1.01),
        ("top_p", -1),
    ],
)
def test_bad_sampling_numbers(name: str, value: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        body(**{name: value})
    assert name in str(info.value)


def test_good_sampling_numbers() -> None:
    out = body(temperature=0, top_p=1.0, seed=7)
    assert (out["temperature"], out["top_p"], out["seed"]) == (0, 1.0, 7)
    assert body(temperature=2.0)["temperature"] == 2.0


def test_stop() -> None:
    assert body(stop="END")["stop"] == ["END"]
    assert body(stop=["a", "b"])["stop"] == ["a", "b"]
    for bad in ("", [""], [1], 5):
        with pytest.raises(InvalidInputError):
            body(stop=bad)


def test_unknown_param_rejected() -> None:
    with pytest.raises(InvalidInputError) as info:
        body(temprature=0.5)
    assert "temprature" in str(info.value)
    assert "extra_body" in str(info.value)


def test_extra_body_merged() -> None:
    out = body(extra_body={"top_k": 40, "repetition_penalty": 1.1})
    assert out["top_k"] == 40 and out["repetition_penalty"] == 1.1


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("any", "required"),
        (True, "required"),
        (False, "none"),
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_tool_choice_normalised(choice: Any, expected: Any) -> None:
    assert normalize_tool_choice(choice) == expected
    assert body(tools=TOOLS, tool_choice=choice)["tool_choice"] == expected


def test_tool_choice_invalid() -> None:
    with pytest.raises(InvalidInputError):
        normalize_tool_choice(3)


def test_tool_choice_dropped_without_tools() -> None:
    out = body(tool_choice="any", parallel_tool_calls=False)
    assert "tool_choice" not in out
    assert "tools" not in out
    assert "parallel_tool_calls" not in out


def test_tools_validated() -> None:
    assert body(tools=TOOLS)["tools"] == TOOLS
    with pytest.raises(InvalidInputError):
        body(tools=["get_weather"])
    with pytest.raises(InvalidInputError):
        body(tools={"type": "function"})


# -- find_token and Secret -------------------------------------------------------------------


@pytest.fixture
def no_token_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No token in the environment; HF_HOME points at an empty directory (returned)."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "hf_home"
    home.mkdir()
    monkeypatch.setenv("HF_HOME", str(home))
    return home


def value(secret: Secret | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def test_no_token_anywhere(no_token_env: Path) -> None:
    assert find_token() is None


def test_token_precedence(no_token_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (no_token_env / "token").write_text("hf_from_file\n")
    assert value(find_token()) == "hf_from_file"
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "hf_from_hub_env")
    assert value(find_token()) == "hf_from_hub_env"
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert value(find_token()) == "hf_from_env"
    assert value(find_token("hf_explicit")) == "hf_explicit"
    assert value(find_token(Secret("hf_secret_arg"))) == "hf_secret_arg"


def test_empty_env_vars_are_skipped(no_token_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "  ")
    (no_token_env / "token").write_text("hf_file")
    assert value(find_token()) == "hf_file"
    assert value(find_token("")) == "hf_file"


def test_blank_token_file_is_no_token(no_token_env: Path) -> None:
    (no_token_env / "token").write_text("\n\n")
    assert find_token() is None


def test_explicit_token_is_stripped(no_token_env: Path) -> None:
    assert value(find_token("  hf_abc\n")) == "hf_abc"


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hf_TOPSECRETvalue")
    for shown in (
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        format(secret),
        repr([secret]),
    ):
        assert "TOPSECRET" not in shown
    assert secret.get_secret_value() == "hf_TOPSECRETvalue"
    assert copy.deepcopy(secret) == secret


def test_secret_refuses_to_pickle() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("hf_TOPSECRETvalue"))
    with pytest.raises(TypeError):
        pickle.dumps({"token": Secret("hf_TOPSECRETvalue")})
