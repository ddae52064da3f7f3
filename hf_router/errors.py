"""Typed errors raised by hf_router.

Every error derives from :class:`HFRouterError` and carries what is known about the failure
(``status_code``, ``provider``, ``model``, the server's ``server_message``) plus a sentence that
tells the user what to do next::

    HFRouterError
    ├── InvalidInputError (also ValueError)       our own input was wrong; nothing was sent
    │   └── InvalidModelError                     a model id that cannot be sent safely
    ├── InputTooLongError (not a ValueError)      system + last user message exceed the window
    ├── MissingTokenError                         no Hugging Face token could be found
    ├── MissingAuthError                          no/refused HuggingChat cookies ('hf-chat', 'token')
    ├── ClientClosedError                         an injected httpx client was already closed
    ├── APIStatusError                            the server answered with an error status
    │   ├── AuthenticationError        401        never falls back
    │   ├── PermissionDeniedError      403        falls back (gated model)
    │   ├── PaymentRequiredError       402        falls back (no credits)
    │   ├── ModelNotSupportedError     404, 400 model_not_supported   falls back
    │   ├── RateLimitError             429        retried, honours Retry-After
    │   ├── BadRequestError            400, 422   never falls back (our request was invalid)
    │   └── ProviderError              5xx        retried, then falls back
    │       ├── ModelLoadingError      503 with estimated_time
    │       └── GenerationFailedError             a media job ended as failed
    ├── MalformedResponseError                    the server's answer could not be understood
    │   └── ConversationError                     a HuggingChat answer could not be understood
    ├── InputRequiredError                        a HuggingChat tool paused the answer to ask for input
    ├── TimeoutError                              connect/read timeout (after retries), deadline
    │   └── GenerationTimeoutError                a media job did not finish in time
    ├── DownloadError                             a generated file could not be fetched
    │   ├── UnsafeURLError                        not https:/data:/the router, or a private host
    │   └── DownloadTooLargeError                 over max_download_bytes
    ├── ConnectionError                           network failure (after retries)
    ├── StreamInterruptedError                    a stream broke after text was delivered, or stalled
    └── AllProvidersFailedError                   every attempt of the plan failed
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._redact import redact_text

__all__ = [
    "APIStatusError",
    "AllProvidersFailedError",
    "AttemptFailure",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConnectionError",
    "ConversationError",
    "DownloadError",
    "DownloadTooLargeError",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "HFRouterError",
    "InputRequiredError",
    "InputTooLongError",
    "InvalidInputError",
    "InvalidModelError",
    "MalformedResponseError",
    "MissingAuthError",
    "MissingTokenError",
    "ModelLoadingError",
    "ModelNotSupportedError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "StreamInterruptedError",
    "TimeoutError",
    "UnsafeURLError",
]

_MAX_MESSAGE = 500


class HFRouterError(Exception):
    """Root of every error raised by hf_router."""

    default_hint = "See the error details above."

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        provider: str | None = None,
        model: str | None = None,
        server_message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.provider = provider
        self.model = model
        # The one redaction point: what a server said (it may echo our headers) and anything
        # built from it is masked before it is stored, shown, logged or pickled.
        self.server_message = redact_text(server_message) if server_message else server_message
        self.hint = redact_text(hint) if hint is not None else self.default_hint
        self.message = redact_text(message)
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message.rstrip(".") + "."]
        where = []
        if self.model:
            where.append(f"model {self.model!r}")
        if self.provider:
            where.append(f"provider {self.provider!r}")
        if self.status_code is not None:
            where.append(f"HTTP {self.status_code}")
        if where:
            parts.append("(" + ", ".join(where) + ")")
        if self.server_message and self.server_message not in self.message:
            parts.append(f"Server said: {self.server_message}")
        if self.hint:
            parts.append(self.hint)
        return " ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            k: redact_text(v) if k in _REDACTED_FIELDS and isinstance(v, str) else v
            for k, v in self.__dict__.items()
        }
        return (_rebuild, (type(self), state))


_REDACTED_FIELDS = frozenset({"message", "server_message", "hint", "url"})


def _rebuild(cls: type[HFRouterError], state: dict[str, Any]) -> HFRouterError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err._render())
    return err


class InvalidInputError(HFRouterError, ValueError):
    """The arguments given to hf_router were invalid; nothing was sent."""

    default_hint = "Fix the argument and call again."


class InvalidModelError(InvalidInputError):
    """A model id that is not ``org/name`` (plus an optional ``:provider``) or is unsafe."""

    default_hint = (
        "Use a Hub repo id such as 'meta-llama/Llama-3.3-70B-Instruct', optionally followed by "
        "':<provider>' or ':fastest' / ':cheapest' / ':preferred'."
    )


class InputTooLongError(HFRouterError):
    """What must be kept (the system messages and the last user message, plus the current
    agent turn) does not fit the context window or ``max_inputs_lenght``; nothing was sent.

    Deliberately not a ``ValueError`` (unlike :class:`InvalidInputError`): LlamaIndex's
    refine/compact synthesizers catch ``ValueError`` around the LLM call and turn it into an
    "Empty Response", which would hide this error from the user.
    """

    default_hint = (
        "Shorten the system prompt or the last message, use a model with a larger context "
        "window, or raise max_inputs_lenght (None sends everything and lets the server decide)."
    )

    def __init__(self, size: int, limit: int, **kwargs: Any) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"The input is {size} characters (by calculate_lenght) after trimming, over the "
            f"limit of {limit}",
            **kwargs,
        )


class MissingTokenError(HFRouterError):
    """No Hugging Face token was found."""

    default_hint = (
        "Pass api_key='hf_...', or set the HF_TOKEN environment variable, or run "
        "`huggingface-cli login`. Create a token with the 'Make calls to Inference Providers' "
        "permission at https://huggingface.co/settings/tokens."
    )


class MissingAuthError(HFRouterError):
    """No HuggingChat session cookie was found, or it was rejected."""

    default_hint = (
        "Log in at https://huggingface.co/chat in a browser, open the developer tools "
        "(Application/Storage > Cookies of https://huggingface.co), copy the values of the "
        "'hf-chat' and 'token' cookies and pass them as cookies={'hf-chat': '...', "
        "'token': '...'} or set HF_CHAT_COOKIE='hf-chat=...; token=...'."
    )


class ClientClosedError(HFRouterError):
    """The httpx client injected by the caller has been closed."""

    default_hint = "Pass an open httpx client, or none and let hf_router manage its own."


class APIStatusError(HFRouterError):
    """The server answered with an HTTP error status."""

    default_hint = "Check the request and try again."


class AuthenticationError(APIStatusError):
    """401: the token is missing, invalid or lacks the inference permission."""

    default_hint = (
        "Check your token: it must be a valid 'hf_...' token with the 'Make calls to Inference "
        "Providers' permission (https://huggingface.co/settings/tokens)."
    )


class PermissionDeniedError(APIStatusError):
    """403: the model is gated or the token may not use it."""

    default_hint = "Accept the model's licence on its Hub page, or use another model."


class PaymentRequiredError(APIStatusError):
    """402: out of credits for this provider."""

    default_hint = (
        "Add credits or subscribe to PRO at https://huggingface.co/settings/billing, pick another "
        "provider with ':<provider>', or set fallback_models."
    )


class ModelNotSupportedError(APIStatusError):
    """404 or 400 ``model_not_supported``: no provider serves this model for this task."""

    default_hint = (
        "Check the model id and pick one with a live inference provider "
        "(https://huggingface.co/models?inference_provider=all)."
    )


class RateLimitError(APIStatusError):
    """429: too many requests."""

    default_hint = (
        "Wait and retry, or lower the request rate; max_retries controls automatic retries."
    )

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class BadRequestError(APIStatusError):
    """400/422: the server rejected the request as invalid."""

    default_hint = "Check the parameters sent (model, messages, tools, response_format)."


class ProviderError(APIStatusError):
    """5xx: the provider failed."""

    default_hint = "The provider is having trouble; retry later or pick another provider."


class ModelLoadingError(ProviderError):
    """503 while the model is loading."""

    default_hint = "The model is loading; retry in a little while or pick another provider."

    def __init__(self, message: str, *, estimated_time: float | None = None, **kwargs: Any) -> None:
        self.estimated_time = estimated_time
        super().__init__(message, **kwargs)


class MalformedResponseError(HFRouterError):
    """The server's answer was not valid JSON or Server-Sent Events."""

    default_hint = (
        "The server did not speak the OpenAI chat-completions protocol; check base_url, or retry."
    )


class TimeoutError(HFRouterError):
    """The request timed out (after retries), or the call passed its ``deadline``.
    ``request_sent`` is True when the request had been sent (a read timeout): the server may
    still be generating, and billing, the answer, so a chat completion is not retried on the
    same provider then."""

    default_hint = "Raise timeout=..., or retry later."

    def __init__(self, message: str, *, request_sent: bool = False, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kwargs)


class ConnectionError(HFRouterError):
    """The server could not be reached, or the connection was lost (after retries).
    ``request_sent`` is True when it was lost after the request had been sent (the server may
    be generating the answer), False when the request never left (a connect failure)."""

    default_hint = "Check your network connection and base_url, then retry."

    def __init__(self, message: str, *, request_sent: bool = False, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kwargs)


class StreamInterruptedError(HFRouterError):
    """A stream broke after text had been delivered; ``partial_text`` holds what arrived."""

    default_hint = (
        "The text received so far is in .partial_text; it was not restarted to avoid duplicating "
        "output. Retry the request to get a full answer."
    )

    def __init__(
        self, message: str, *, partial_text: str = "", partial_reasoning: str = "", **kwargs: Any
    ) -> None:
        self.partial_text = partial_text
        self.partial_reasoning = partial_reasoning
        super().__init__(message, **kwargs)


class GenerationFailedError(ProviderError):
    """A media generation job ended in a failed state."""

    default_hint = "Try again, change the prompt, or pick another provider with ':<provider>'."

    def __init__(self, message: str, *, job_id: str | None = None, **kwargs: Any) -> None:
        self.job_id = job_id
        super().__init__(message, **kwargs)


class GenerationTimeoutError(TimeoutError):
    """A media generation job did not finish within the polling timeout."""

    default_hint = "Raise poll_timeout, try again later, or pick another provider."

    def __init__(self, message: str, *, job_id: str | None = None, **kwargs: Any) -> None:
        self.job_id = job_id
        super().__init__(message, **kwargs)


class DownloadError(HFRouterError):
    """A generated file could not be downloaded."""

    default_hint = "Retry the generation; if it persists, report the provider's output URL."

    def __init__(self, message: str, *, url: str | None = None, **kwargs: Any) -> None:
        self.url = redact_text(url) if url else url
        super().__init__(message, **kwargs)


class UnsafeURLError(DownloadError):
    """A server pointed at a URL that is not https:, data: or the configured router host, or
    whose host is (or resolves to) a loopback, private, link-local or metadata address."""

    default_hint = (
        "hf_router only downloads https:, data: and router URLs; the file was not fetched."
    )


class DownloadTooLargeError(DownloadError):
    """A download exceeded ``max_download_bytes``; the partial file was removed."""

    default_hint = "Raise max_download_bytes if you expect files this large."

    def __init__(self, message: str, *, limit: int | None = None, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(message, **kwargs)


class ConversationError(MalformedResponseError):
    """A HuggingChat conversation answer could not be understood."""

    default_hint = "HuggingChat's web API may have changed; retry, or start a new conversation."

    def __init__(self, message: str, *, conversation_id: str | None = None, **kwargs: Any) -> None:
        self.conversation_id = conversation_id
        super().__init__(message, **kwargs)


class InputRequiredError(HFRouterError):
    """A HuggingChat tool paused the answer to ask the user for input (an MCP elicitation),
    and no final answer came. ``question`` is what was asked, ``fields`` the names of the
    requested form fields, ``url`` the page to open (URL mode), ``server`` the MCP server,
    ``elicitation_id`` the id to answer with, ``conversation_id`` the conversation."""

    default_hint = (
        "Answer it in the HuggingChat web app (the conversation is kept), or ask again without "
        "the tool that needs the input."
    )

    def __init__(
        self,
        message: str,
        *,
        question: str = "",
        fields: tuple[str, ...] = (),
        url: str | None = None,
        server: str | None = None,
        elicitation_id: str | None = None,
        conversation_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.question = question
        self.fields = tuple(fields)
        self.url = url
        self.server = server
        self.elicitation_id = elicitation_id
        self.conversation_id = conversation_id
        super().__init__(message, **kwargs)


@dataclass(frozen=True)
class AttemptFailure:
    """One failed attempt of a request plan."""

    attempt: int
    model: str
    provider: str | None
    error: HFRouterError

    def __str__(self) -> str:
        who = f"{self.model}" + (f" via {self.provider}" if self.provider else "")
        return f"#{self.attempt} {who}: {type(self.error).__name__}: {self.error.message}"


class AllProvidersFailedError(HFRouterError):
    """Every attempt of the plan (providers, then fallback models) failed."""

    default_hint = "Add fallback_models, pin a working provider with ':<provider>', or retry later."

    def __init__(self, attempts: Iterable[AttemptFailure], **kwargs: Any) -> None:
        self.attempts = list(attempts)
        lines = "; ".join(str(a) for a in self.attempts)
        super().__init__(f"All {len(self.attempts)} attempts failed: {lines}", **kwargs)

    @property
    def last_error(self) -> HFRouterError | None:
        return self.attempts[-1].error if self.attempts else None
