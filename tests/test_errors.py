"""Typed errors: status mapping, the server's message, HTML bodies, hints, redaction, pickling."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from hf_router import errors
from hf_router._shared.responses import (
    error_from_response,
    parse_retry_after,
    redact,
    summarize_body,
)
from hf_router.errors import (
    AllProvidersFailedError,
    APIStatusError,
    AttemptFailure,
    AuthenticationError,
    BadRequestError,
    HFRouterError,
    InputTooLongError,
    InvalidInputError,
    InvalidModelError,
    MissingTokenError,
    ModelLoadingError,
    ModelNotSupportedError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
)

JSON = {"content-type": "application/json"}


def respond(
    status: int,
    body: Any = "",
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> APIStatusError:
    """error_from_response with real (case-insensitive) httpx headers."""
    text = body if isinstance(body, str) else json.dumps(body)
    return error_from_response(status, httpx.Headers(headers or {}), text, **kw)


# -- status mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (401, {"error": "Invalid credentials in Authorization header"}, AuthenticationError),
        (402, {"error": "You have exceeded your monthly included credits"}, PaymentRequiredError),
        (403, {"error": "Access to model org/gated is restricted"}, PermissionDeniedError),
        (404, {"error": "Model org/nope does not exist"}, ModelNotSupportedError),
        (
            400,
            {
                "error": {
                    "message": "The requested model 'org/m' is not supported by provider 'x'.",
                    "type": "invalid_request_error",
                    "code": "model_not_supported",
                }
            },
            ModelNotSupportedError,
        ),
        (400, {"error": "max_tokens must be at least 1"}, BadRequestError),
        (
            422,
            {"detail": [{"loc": ["body", "messages"], "msg": "Field required"}]},
            BadRequestError,
        ),
        (429, {"error": "Too many requests"}, RateLimitError),
        (500, "Internal Server Error", ProviderError),
        (502, "Bad gateway", ProviderError),
        (504, "Gateway timeout", ProviderError),
    ],
)
def test_status_mapping(status: int, body: Any, cls: type[APIStatusError]) -> None:
    err = respond(status, body, JSON, model="org/m", provider="together")
    assert type(err) is cls
    assert isinstance(err, HFRouterError)
    assert err.status_code == status
    assert err.model == "org/m"
    assert err.provider == "together"
    assert f"HTTP {status}" in str(err)
    assert err.server_message and err.server_message in str(err)


def test_unexpected_status_is_base_status_error() -> None:
    err = respond(418, "teapot")
    assert type(err) is APIStatusError
    assert "418" in str(err)


def test_provider_read_from_response_header() -> None:
    err = respond(500, "boom", {"x-inference-provider": "novita"})
    assert err.provider == "novita"
    assert "novita" in str(err)


def test_429_retry_after_seconds() -> None:
    err = respond(429, "slow down", {"Retry-After": "7"})
    assert isinstance(err, RateLimitError)
    assert err.retry_after == 7.0


def test_429_retry_after_http_date() -> None:
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    err = respond(429, "", {"Retry-After": format_datetime(when, usegmt=True)})
    assert isinstance(err, RateLimitError)
    assert err.retry_after is not None
    assert 25.0 <= err.retry_after <= 31.0


def test_429_retry_after_http_date_in_the_past_is_zero() -> None:
    err = respond(429, "", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert err.retry_after == 0.0  # type: ignore[attr-defined]


def test_429_retry_after_ms_wins() -> None:
    err = respond(429, "", {"retry-after-ms": "1500", "Retry-After": "9"})
    assert err.retry_after == 1.5  # type: ignore[attr-defined]


def test_429_hub_ratelimit_header() -> None:
    err = respond(429, "", {"RateLimit": '"api";r=0;t=55'})
    assert err.retry_after == 55.0  # type: ignore[attr-defined]


def test_429_without_hint_of_when() -> None:
    err = respond(429, "", {"Retry-After": "soon"})
    assert err.retry_after is None  # type: ignore[attr-defined]


def test_parse_retry_after_plain_mapping() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({}) is None


def test_503_with_estimated_time_is_model_loading() -> None:
    err = respond(503, {"error": "Model org/m is currently loading", "estimated_time": 20.5}, JSON)
    assert type(err) is ModelLoadingError
    assert isinstance(err, ProviderError)
    assert err.estimated_time == 20.5
    assert err.server_message == "Model org/m is currently loading"


def test_503_without_estimated_time_is_provider_error() -> None:
    err = respond(503, {"error": "Service temporarily unavailable"}, JSON)
    assert type(err) is ProviderError
    assert not isinstance(err, ModelLoadingError)


# -- the server's message ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"X-Error-Message": "from header"}, {"error": "from body"}, "from header"),
        ({}, {"error": "as string", "detail": "no"}, "as string"),
        ({}, {"error": {"message": "as object", "code": 7}}, "as object"),
        ({}, {"error": ["first", "second"]}, "first; second"),
        ({}, {"error_description": "the description", "detail": "no"}, "the description"),
        ({}, {"detail": "the detail"}, "the detail"),
        ({}, {"detail": [{"msg": "field a"}, {"msg": "field b"}]}, "field a; field b"),
        ({}, {"error": None, "detail": "skips null error"}, "skips null error"),
        ({}, "just plain text\n", "just plain text"),
    ],
)
def test_server_message_precedence(headers: dict[str, str], body: Any, expected: str) -> None:
    err = respond(400, body, headers)
    assert err.server_message == expected
    assert expected in str(err)


def test_empty_body_has_no_server_message() -> None:
    err = respond(500, "")
    assert err.server_message is None
    assert "Server said" not in str(err)


def test_long_plain_text_is_shortened() -> None:
    err = respond(500, "word " * 2000)
    assert err.server_message is not None
    assert len(err.server_message) <= 500
    assert len(str(err)) < 1000


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>502 Bad Gateway | example</title>
<style>body { font-family: sans-serif; }</style></head>
<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p>
<script>var x = 1;</script></body>
</html>
"""


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "text/html; charset=utf-8"}, {}],
    ids=["text-html", "no-content-type"],
)
def test_html_page_summarised_to_title(headers: dict[str, str]) -> None:
    err = respond(502, HTML_PAGE, headers)
    text = str(err)
    assert "502 Bad Gateway | example" in text
    for leaked in (
        "<html",
        "<body",
        "<script",
        "<style",
        "font-family",
        "upstream server returned",
    ):
        assert leaked not in text
        assert leaked not in (err.server_message or "")


def test_html_page_uppercase_and_only_h1() -> None:
    err = respond(500, "  \n<HTML><BODY><H1>Service Unavailable</H1><P>details</P></BODY></HTML>")
    assert "Service Unavailable" in str(err)
    assert "<BODY" not in str(err) and "<body" not in str(err).lower()
    assert "details" not in str(err)


def test_html_page_inside_json_error() -> None:
    err = respond(502, {"error": HTML_PAGE}, JSON)
    assert "<html" not in str(err) and "<body" not in str(err)
    assert "502 Bad Gateway" in str(err)


def test_summarize_body_html_without_title() -> None:
    assert summarize_body("<html><body><p>x</p></body></html>") == "an HTML page"


# -- hints -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (401, "", ["token"]),
        (402, "", ["credits", "provider"]),
        (403, "", ["model"]),
        (404, "", ["model"]),
        (400, {"error": {"code": "model_not_supported", "message": "x"}}, ["model"]),
        (400, "bad", ["parameters"]),
        (422, "bad", ["parameters"]),
        (429, "", ["retry"]),
        (503, {"estimated_time": 3}, ["retry"]),
        (503, "", ["retry"]),
        (500, "", ["retry"]),
        (502, "", ["retry"]),
    ],
)
def test_every_error_says_what_to_do(status: int, body: Any, words: list[str]) -> None:
    err = respond(status, body)
    assert err.hint
    assert err.hint != HFRouterError.default_hint
    assert err.hint in str(err)
    for word in words:
        assert word in err.hint.lower()


@pytest.mark.parametrize(
    "err",
    [
        MissingTokenError("No Hugging Face token found"),
        InputTooLongError(20000, 10000),
        InvalidModelError("bad model"),
        StreamInterruptedError("broke", partial_text="abc"),
        AllProvidersFailedError([]),
        errors.TimeoutError("timed out"),
        errors.ConnectionError("unreachable"),
        errors.MalformedResponseError("garbage"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_have_specific_hints(err: HFRouterError) -> None:
    assert err.hint and err.hint != HFRouterError.default_hint
    assert err.hint in str(err)


def test_missing_token_says_how_to_set_one() -> None:
    text = str(MissingTokenError("No Hugging Face token found"))
    assert "HF_TOKEN" in text
    assert "huggingface.co/settings/tokens" in text


# -- hierarchy ---------------------------------------------------------------------------------


def test_hierarchy() -> None:
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(InvalidModelError, InvalidInputError)
    assert issubclass(InputTooLongError, HFRouterError)
    assert not issubclass(InputTooLongError, ValueError)  # see errors.py: not swallowable
    assert issubclass(ModelLoadingError, ProviderError)
    for cls in (
        AuthenticationError,
        PermissionDeniedError,
        PaymentRequiredError,
        ModelNotSupportedError,
        RateLimitError,
        BadRequestError,
        ProviderError,
    ):
        assert issubclass(cls, APIStatusError)
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, HFRouterError), name


# -- redaction ---------------------------------------------------------------------------------

TOKEN = "hf_SECRETsecretSECRETsecret1234"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"error": f"Invalid token {TOKEN}"}),
        ({"X-Error-Message": f"Bearer {TOKEN} rejected"}, ""),
        ({}, f"Authorization: Bearer {TOKEN}"),
    ],
)
def test_secrets_redacted_from_errors(headers: dict[str, str], body: Any) -> None:
    err = respond(401, body, headers, secrets=(TOKEN,))
    assert TOKEN not in str(err)
    assert TOKEN not in repr(err)
    assert TOKEN not in (err.server_message or "")
    assert "***" in str(err)
    assert TOKEN.encode() not in pickle.dumps(err)


def test_redact() -> None:
    assert redact("a hf_abcd b hf_abcd", ["hf_abcd"]) == "a *** b ***"
    assert redact("one two", ["one", "two"]) == "one two"  # too short to be a token
    assert redact("x hf_abcdef y", ["", "hf_abcdef", "zzzz"]) == "x *** y"


# -- pickling ----------------------------------------------------------------------------------

FIELDS = ("status_code", "provider", "model", "server_message", "hint", "message")


@pytest.mark.parametrize(
    "err",
    [
        respond(401, {"error": "bad token"}, model="org/m", provider="fal-ai"),
        respond(429, "slow", {"Retry-After": "12"}, model="org/m"),
        respond(503, {"error": "loading", "estimated_time": 9}, model="org/m", provider="hf"),
        respond(502, HTML_PAGE, {"content-type": "text/html"}),
        InputTooLongError(12345, 10000),
        StreamInterruptedError(
            "broke", partial_text="Hello", partial_reasoning="hmm", provider="x", status_code=500
        ),
        InvalidModelError("bad"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_pickle_round_trip(err: HFRouterError) -> None:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert str(copy) == str(err)
    assert copy.args == err.args
    for name in FIELDS:
        assert getattr(copy, name) == getattr(err, name), name
    for name in ("retry_after", "estimated_time", "size", "limit", "partial_text"):
        if hasattr(err, name):
            assert getattr(copy, name) == getattr(err, name), name


def test_pickle_round_trip_all_providers_failed() -> None:
    err = AllProvidersFailedError(
        [
            AttemptFailure(1, "org/m", None, respond(402, "no credits")),
            AttemptFailure(2, "org/m", "together", respond(503, "down")),
        ]
    )
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)
    assert [a.provider for a in copy.attempts] == [None, "together"]
    assert isinstance(copy.last_error, ProviderError)
    assert copy.last_error.status_code == 503


# -- AllProvidersFailedError -------------------------------------------------------------------


def test_all_providers_failed_lists_every_attempt() -> None:
    attempts = [
        AttemptFailure(1, "org/m", None, respond(402, "out of credits")),
        AttemptFailure(2, "org/m", "together", respond(503, "overloaded")),
        AttemptFailure(3, "org/other", "novita", respond(404, "unknown model")),
    ]
    err = AllProvidersFailedError(attempts)
    text = str(err)
    assert "3 attempts" in text
    for needle in (
        "#1 org/m",
        "PaymentRequiredError",
        "#2 org/m via together",
        "ProviderError",
        "#3 org/other via novita",
        "ModelNotSupportedError",
    ):
        assert needle in text, needle
    assert err.attempts == attempts
    assert err.last_error is attempts[-1].error
    assert err.hint in text


def test_secret_cut_by_message_truncation_does_not_leak_a_prefix() -> None:
    # The token straddles the point where a long message is shortened: no part of it may stay.
    body = "x" * 480 + " " + TOKEN + " " + "y" * 100  # shortened to 500 characters
    err = respond(500, body, secrets=(TOKEN,))
    assert TOKEN[:12] not in str(err)
    assert TOKEN[:12] not in (err.server_message or "")


def test_llama_cpp_validation_500_is_bad_request() -> None:
    body = {
        "error": {
            "message": "1 validation error for ChatCompletionRequest\nmax_tokens\n"
            "  Input should be greater than 0",
            "type": "server_error",
        }
    }
    err = respond(500, body, JSON)
    assert type(err) is BadRequestError
