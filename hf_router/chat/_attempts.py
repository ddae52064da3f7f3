"""The attempt plan (providers, then fallback models); no I/O. One answer's stream state is
in :mod:`._answer`.

The plan is a generator so that the sync and async drivers share it: it yields an
:class:`Attempt` to run, or a :class:`NeedMapping` that the driver answers (``send``) with the
model's live providers. The driver resumes the plan only after an attempt failed.

Plan for each model (the requested one, then each fallback model):

* ``repo:provider`` pinned: one attempt on that provider;
* otherwise the model string as given (bare id or ``:fastest``-style policy): the router
  chooses; if that fails and Hub lookups are on, each live ``conversational`` provider from
  the Hub mapping that has not failed yet, as ``repo:provider``.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

from .._redact import scrub_traceback
from .._shared.deadline import Deadline
from .._shared.models import ModelRef
from ..errors import (
    AllProvidersFailedError,
    AttemptFailure,
    AuthenticationError,
    BadRequestError,
    HFRouterError,
    InputTooLongError,
    InvalidInputError,
    MissingTokenError,
    StreamInterruptedError,
    TimeoutError,
)
from ..events import (
    Fallback,
)

__all__ = [
    "Attempt",
    "NeedMapping",
    "PlanRunner",
    "attempt_plan",
    "falls_back",
]

logger = logging.getLogger("hf_router")

_CHAT_TASKS = frozenset({"conversational", "text-generation", "image-text-to-text", ""})


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: ``wire_model`` is the string sent as ``"model"``."""

    number: int
    model: ModelRef
    provider: str | None
    provider_model_id: str | None = None

    @property
    def wire_model(self) -> str:
        return self.model.with_provider(self.provider) if self.provider else str(self.model)


@dataclass(frozen=True, slots=True)
class NeedMapping:
    """The plan needs the live providers of ``model``."""

    model: ModelRef


@dataclass(slots=True)
class PlanState:
    """What the driver tells the plan about failures."""

    failed: dict[str, set[str]] = field(default_factory=dict)

    def record(self, attempt: Attempt, error: HFRouterError) -> None:
        provider = error.provider or attempt.provider
        if provider:
            self.failed.setdefault(attempt.model.repo_id, set()).add(provider)


PlanStep = Attempt | NeedMapping


def attempt_plan(
    models: Sequence[ModelRef], *, hub_lookups: bool, state: PlanState
) -> Generator[PlanStep, object, None]:
    """Yield the attempts of a request in order (see the module docstring)."""
    number = 0
    for ref in models:
        if ref.provider:
            number += 1
            yield Attempt(number, ref, ref.provider)
            continue
        number += 1
        yield Attempt(number, ref, None)
        if not hub_lookups or not ref.is_hub_id:
            continue
        mapping = yield NeedMapping(ref)
        for entry in mapping or ():  # type: ignore[attr-defined]
            if entry.task not in _CHAT_TASKS:
                continue
            if entry.provider in state.failed.get(ref.repo_id, ()):
                continue
            number += 1
            yield Attempt(number, ref, entry.provider, entry.provider_id or None)


def falls_back(error: HFRouterError) -> bool:
    """Errors after which the next attempt is tried. A bad token, an invalid request, our own
    input errors and an interrupted stream never fall back."""
    if isinstance(
        error,
        (
            AuthenticationError,
            BadRequestError,
            InputTooLongError,
            InvalidInputError,
            MissingTokenError,
            StreamInterruptedError,
        ),
    ):
        return False
    return isinstance(error, HFRouterError)


class PlanRunner:
    """Walks the attempt plan for one request and keeps its failures; the sync and async
    drivers only do the I/O (fetching mappings, running attempts)."""

    def __init__(self, models: Sequence[ModelRef], *, hub_lookups: bool) -> None:
        self._state = PlanState()
        self._plan = attempt_plan(models, hub_lookups=hub_lookups, state=self._state)
        self._reply: object = None
        self.failures: list[AttemptFailure] = []

    def next(self, deadline: Deadline | None = None) -> PlanStep | None:
        """The next step, or None when the plan is exhausted; past the ``deadline`` its
        :class:`~hf_router.errors.TimeoutError` (naming the attempts that failed)."""
        if deadline is not None and deadline.expired:
            error = deadline.error()
            if self.failures:
                tried = "; ".join(str(f) for f in self.failures)
                error = TimeoutError(
                    f"{error.message}; {len(self.failures)} attempt(s) failed: {tried}",
                    hint=error.hint,
                )
            raise error
        reply, self._reply = self._reply, None
        try:
            return self._plan.send(reply)
        except StopIteration:
            return None

    def answer(self, mapping: object) -> None:
        """Give the plan the mapping a :class:`NeedMapping` step asked for (None if unknown)."""
        self._reply = mapping

    def fallback_event(self) -> Fallback | None:
        """The :class:`Fallback` to report before running the next attempt, if any failed."""
        if not self.failures:
            return None
        last = self.failures[-1]
        err = last.error
        return Fallback(
            last.attempt,
            last.model,
            last.provider,
            type(err).__name__,
            err.status_code,
            err.message,
        )

    def failed(self, attempt: Attempt, error: HFRouterError) -> None:
        """Record a failed attempt; re-raise errors that must not fall back. The finished
        frames of its traceback are cleared (they held the server's raw bytes)."""
        scrub_traceback(error)
        if not falls_back(error):
            raise error
        provider = error.provider or attempt.provider
        self.failures.append(AttemptFailure(attempt.number, attempt.model.repo_id, provider, error))
        self._state.record(attempt, error)
        logger.warning("Attempt %d (%s) failed: %s", attempt.number, attempt.wire_model, error)

    def final_error(self) -> HFRouterError:
        """The error once every attempt failed: the attempt's own error when there was only
        one, else :class:`AllProvidersFailedError` listing them all."""
        if len(self.failures) == 1:
            return self.failures[0].error
        return AllProvidersFailedError(self.failures)
