"""Fault scenarios: spec parsing, the per-model/provider registry and the canned error answers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response

__all__ = [
    "CHAT_ASK_ITEMS",
    "CHAT_AUTH_ITEMS",
    "CHAT_CREATE_ITEMS",
    "CHAT_ITEMS",
    "MEDIA_ITEMS",
    "FaultItem",
    "FaultPlan",
    "FaultRegistry",
    "error_event",
    "model_not_supported",
    "parse_spec",
    "unauthorized",
]

FaultItem = tuple[str, float | None]


# Items that replace the answer with a canned response.
_STATUS_ITEMS = frozenset(
    {"400", "401", "402", "403", "404", "422", "429", "500", "502", "503", "504"}
)
_ANSWER_ITEMS = _STATUS_ITEMS | {"model_not_supported", "html_error", "invalid_json"}
_CHAT_FLAGS = frozenset(
    {"malformed_sse", "end_without_done", "midstream_error", "json_stream", "burst"}
)
_MEDIA_FLAGS = frozenset({"never_finish", "insecure_url", "insecure_redirect", "job_failed"})
_HUGGINGCHAT_FLAGS = frozenset(
    {"chat_401", "unknown_model", "no_final_answer", "garbage_lines", "status_error"}
    | {"sources_2023", "sources_2024"}
    | {"cut_stream", "elicitation", "payment_required", "token_revoked"}
)
_FLAG_ITEMS = _CHAT_FLAGS | _MEDIA_FLAGS | _HUGGINGCHAT_FLAGS
# item -> (its parameter name, integer-valued?); written "item=V", or "item:param=V" for 429/503
_VALUE_ITEMS: dict[str, tuple[str, bool]] = {
    "cut_after": ("cut_after", True),
    "slow_first_token": ("slow_first_token", False),
    "slow_tokens": ("slow_tokens", False),
    "length": ("length", True),
    "slow_generation": ("slow_generation", False),
    "token_ms": ("token_ms", False),
    "long_reasoning": ("long_reasoning", True),
    "oversized": ("oversized", True),
    "429": ("retry_after", False),
    "503": ("estimated_time", False),
}
_OPTIONAL_VALUE = frozenset({"429", "503"})
_TIMING = frozenset({"slow_first_token", "slow_tokens"})

# Which items each kind of route honours (a rule with none of them is not used up there).
_GENERATION = frozenset({"slow_generation", "token_ms", "long_reasoning"})
CHAT_ITEMS = _ANSWER_ITEMS | _CHAT_FLAGS | {"cut_after", "length"} | _TIMING | _GENERATION
MEDIA_ITEMS = _ANSWER_ITEMS | _MEDIA_FLAGS | {"oversized", "slow_first_token"}
CHAT_AUTH_ITEMS = frozenset({"401", "chat_401"})
CHAT_CREATE_ITEMS = CHAT_AUTH_ITEMS | {"unknown_model"}
CHAT_ASK_ITEMS = (
    _STATUS_ITEMS | (_HUGGINGCHAT_FLAGS - {"unknown_model"}) | {"slow_tokens", "slow_first_token"}
)


def _parse_item(item: str) -> FaultItem:
    name, value_text = item, None
    if ":" in item:
        name, param = item.split(":", 1)
        key, _, value_text = param.partition("=")
        expected = _VALUE_ITEMS.get(name, ("", False))[0]
        if name not in _OPTIONAL_VALUE or key.strip() != expected:
            raise ValueError(f"unknown fault parameter in {item!r}")
    elif "=" in item:
        name, _, value_text = item.partition("=")
        if name not in _VALUE_ITEMS or name in _OPTIONAL_VALUE:
            raise ValueError(f"fault {name!r} takes no value")
    name = name.strip()
    if name not in _ANSWER_ITEMS and name not in _FLAG_ITEMS and name not in _VALUE_ITEMS:
        raise ValueError(f"unknown fault {name!r}")
    if value_text is None:
        if name in _VALUE_ITEMS and name not in _OPTIONAL_VALUE:
            raise ValueError(f"fault {name!r} needs a value ({name}=N)")
        return name, None
    try:
        value = float(value_text)
    except ValueError:
        raise ValueError(f"fault {item!r}: {value_text!r} is not a number") from None
    if value < 0 or (_VALUE_ITEMS[name][1] and value != int(value)):
        raise ValueError(f"fault {item!r}: bad value {value_text!r}")
    return name, value


def parse_spec(spec: str) -> list[FaultItem]:
    """Parse ``"429:retry_after=2,slow_tokens=0.1"`` into items; ``ValueError`` if malformed."""
    return [_parse_item(part.strip()) for part in spec.split(",") if part.strip()]


@dataclass
class FaultPlan:
    """The merged effect of the fault items that apply to one request."""

    answer: str | None = None
    retry_after: float = 1.0
    estimated_time: float = 20.0
    malformed_sse: bool = False
    cut_after: int | None = None
    end_without_done: bool = False
    midstream_error: bool = False
    json_stream: bool = False
    burst: bool = False
    slow_first_token: float = 0.0
    slow_tokens: float = 0.0
    length: int | None = None
    slow_generation: float = 0.0
    token_ms: float = 100.0
    long_reasoning: int | None = None
    never_finish: bool = False
    insecure_url: bool = False
    insecure_redirect: bool = False
    job_failed: bool = False
    oversized: int | None = None
    chat_401: bool = False
    unknown_model: bool = False
    no_final_answer: bool = False
    garbage_lines: bool = False
    status_error: bool = False
    sources_2023: bool = False
    sources_2024: bool = False
    cut_stream: bool = False
    elicitation: bool = False
    payment_required: bool = False
    token_revoked: bool = False

    @classmethod
    def from_items(cls, items: Iterable[FaultItem]) -> FaultPlan:
        """Merge items; the first canned answer wins, later values override earlier ones."""
        plan = cls()
        for name, value in items:
            if name in _ANSWER_ITEMS:
                if plan.answer is None:
                    plan.answer = name
                    if name == "429" and value is not None:
                        plan.retry_after = value
                    if name == "503" and value is not None:
                        plan.estimated_time = value
            elif name in _FLAG_ITEMS:
                setattr(plan, name, True)
            elif name in ("cut_after", "length", "oversized", "long_reasoning"):
                setattr(plan, name, int(value or 0))
            else:
                setattr(plan, name, float(value or 0.0))
        return plan

    @property
    def token_delay(self) -> float:
        """Seconds per generated token under ``slow_generation`` (0 otherwise)."""
        return self.token_ms / 1000.0 if self.slow_generation else 0.0

    def generated_length(self) -> int | None:
        """The reply's token count: ``length``, else as many tokens as ``slow_generation``
        seconds hold at one every ``token_ms`` ms, else None (the normal reply)."""
        if self.length is not None or not self.slow_generation:
            return self.length
        return max(1, round(self.slow_generation * 1000.0 / max(self.token_ms, 1.0)))

    def answer_response(self, model: str, provider: str | None) -> Response:
        """The canned response for :attr:`answer` (which must be set)."""
        headers = {"x-inference-provider": provider} if provider else {}
        name = self.answer
        if name == "401":
            return unauthorized(headers)
        if name == "model_not_supported":
            return model_not_supported(model, provider, headers)
        if name == "html_error":
            return Response(_HTML_502, 502, headers, media_type="text/html")
        if name == "invalid_json":
            return Response(
                b'{"id": "chatcmpl-emu-broken", "choices": [{"ind', 200, headers, "application/json"
            )
        if name == "422":
            text = (
                "Failed to deserialize the JSON body into the target type: messages: invalid type: "
                'string "hello", expected a sequence at line 1 column 58'
            )
            return Response(text, 422, headers, media_type="text/plain")
        body: dict[str, Any] = {"error": _MESSAGES[str(name)].format(model=model)}
        if name == "429":
            headers["retry-after"] = _number_text(self.retry_after)
        if name == "503":
            body["estimated_time"] = self.estimated_time
        return JSONResponse(body, int(str(name)), headers)


_MESSAGES = {
    "400": "Bad request: the provider rejected the input for model {model}.",
    "402": "You have exceeded your monthly included credits for Inference Providers. "
    "Subscribe to PRO to get 20x more monthly included credits.",
    "403": "Access to model {model} is restricted. You must have access to it and be "
    "authenticated to access it. Please log in.",
    "404": "Model {model} does not exist",
    "429": "You have exceeded your rate limit. Please retry later.",
    "500": "Internal Server Error: the provider failed to process the request.",
    "502": "Bad Gateway: the provider did not answer correctly.",
    "503": "Model {model} is currently loading",
    "504": "Gateway Timeout: the provider took too long to answer.",
}
_HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def unauthorized(headers: dict[str, str] | None = None) -> Response:
    """The router's 401 for a missing or bad token."""
    message = "Invalid username or password."
    extra = {
        "www-authenticate": 'Bearer realm="Authentication required", charset="UTF-8"',
        "x-error-message": message,
    }
    return JSONResponse({"error": message}, 401, {**(headers or {}), **extra})


def model_not_supported(
    model: str, provider: str | None, headers: dict[str, str] | None = None
) -> Response:
    """The router's 400 ``model_not_supported``."""
    where = f"by provider '{provider}'" if provider else "by any provider you have enabled"
    error = {
        "message": f"The requested model '{model}' is not supported {where}.",
        "code": "model_not_supported",
        "type": "invalid_request_error",
        "param": "model",
    }
    return JSONResponse({"error": error}, 400, headers or {})


@dataclass
class _Rule:
    items: list[FaultItem]
    model: str | None
    provider: str | None
    remaining: int | None


@dataclass
class FaultRegistry:
    """Faults set with ``set_fault``; each rule applies to matching requests (``times`` of them)."""

    rules: list[_Rule] = field(default_factory=list)

    def add(
        self,
        spec: str,
        model: str | None = None,
        provider: str | None = None,
        times: int | None = None,
    ) -> None:
        """Register a rule; ``ValueError`` on a malformed spec or a negative ``times``."""
        items = parse_spec(spec)
        if times is not None and (isinstance(times, bool) or int(times) != times or times < 0):
            raise ValueError(f"times must be a non-negative integer or None, got {times!r}")
        self.rules.append(_Rule(items, model, provider, None if times is None else int(times)))

    def take(
        self, model: str | None, provider: str | None, only: frozenset[str] | None = None
    ) -> list[FaultItem]:
        """The items of every rule matching this request, using up one of each rule's ``times``.

        With ``only``, just those items count: a rule holding none of them is neither applied
        nor used up (so a HuggingChat fault is not spent by the create-conversation call).
        """
        items: list[FaultItem] = []
        for rule in self.rules:
            if rule.model not in (None, model) or rule.provider not in (None, provider):
                continue
            wanted = [i for i in rule.items if only is None or i[0] in only]
            if not wanted:
                continue
            if rule.remaining is not None:
                if rule.remaining <= 0:
                    continue
                rule.remaining -= 1
            items.extend(wanted)
        return items

    def clear(self) -> None:
        """Forget every rule."""
        self.rules.clear()


def error_event(message: str = "The provider failed while generating the answer.") -> bytes:
    """The SSE line a provider sends when it fails mid-stream."""
    return (
        b"data: "
        + json.dumps({"error": {"message": message, "type": "server_error"}}).encode()
        + b"\n\n"
    )
