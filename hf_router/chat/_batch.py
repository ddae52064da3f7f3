"""Many chat requests through one client: ``RouterClient.abatch`` and ``RouterClient.batch``.

Results come back in input order, one per row: the :class:`~hf_router.events.ChatResult`, or the
typed :class:`~hf_router.errors.HFRouterError` that row ended with (``on_error="return"``, the
default), so a failed row never costs the others. A fixed number of workers pull rows from a
shared cursor, so memory stays bounded by ``concurrency``, not by the batch size.

Back-off is shared: every send of the client passes its :class:`BackoffGate` (a 429 pauses new
sends to that model for its ``Retry-After``, then one probe goes first), and an optional
``max_requests_per_second`` limits all sends of the batch, retries and fallbacks included.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from .._shared.gate import RateLimiter, send_limiter
from ..errors import HFRouterError, InvalidInputError
from ..events import ChatResult

# The client (a RouterClient): typed loosely, since _client imports this module.
RouterClient = Any

__all__ = ["DEFAULT_CONCURRENCY", "BatchMixin", "BatchProgress", "BatchResult"]

DEFAULT_CONCURRENCY = 32
MAX_CONCURRENCY = 4096

BatchResult = Union[ChatResult, HFRouterError]  # noqa: UP007 - a runtime alias on 3.10


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """What the progress callback gets after each row: the row's ``index`` and ``result``,
    how many rows are ``done`` of ``total``, how many of those ``failed``, and the seconds
    ``elapsed`` since the batch started."""

    index: int
    result: BatchResult
    done: int
    total: int
    failed: int
    elapsed: float


def _split_row(row: Any, index: int) -> tuple[Any, dict[str, Any]]:
    """A row's messages and its own parameters. A row is a message list (or a string: one user
    message), or a
    mapping ``{"messages": ..., **params}`` whose params (``model`` included) override the
    batch's."""
    if isinstance(row, Mapping):
        if "messages" not in row:
            raise InvalidInputError(
                f"Row {index} is a mapping without 'messages'; give a message list, or "
                "{'messages': [...], **params} to set parameters for that row"
            )
        extra = dict(row)
        return _messages(extra.pop("messages")), extra
    return _messages(row), {}


def _messages(value: Any) -> Any:
    """A string is one user message; anything else is checked by the client."""
    return [{"role": "user", "content": value}] if isinstance(value, str) else value


def _check(concurrency: int, on_error: str, rate: float | None) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise InvalidInputError(f"concurrency={concurrency!r} must be an integer")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidInputError(
            f"concurrency={concurrency} must be between 1 and {MAX_CONCURRENCY}"
        )
    if on_error not in ("return", "raise"):
        raise InvalidInputError(f"on_error={on_error!r} must be 'return' or 'raise'")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0
    ):
        raise InvalidInputError(f"max_requests_per_second={rate!r} must be a positive number")


class _Run:
    """The state of one batch: the cursor, the results and the counters."""

    def __init__(
        self,
        client: RouterClient,
        model: str | None,
        rows: list[Any],
        params: dict[str, Any],
        on_error: str,
        progress: Callable[[BatchProgress], Any] | None,
    ) -> None:
        self.client = client
        self.model = model
        self.rows = rows
        self.params = params
        self.on_error = on_error
        self.progress = progress
        self.results: list[BatchResult | None] = [None] * len(rows)
        self.next = 0
        self.done = 0
        self.failed = 0
        self.started = time.perf_counter()

    async def one(self, index: int) -> BatchResult:
        try:
            messages, extra = _split_row(self.rows[index], index)
            params, model = self.params, self.model
            if extra:
                params = {**params, **extra}
                model = params.pop("model", model)
            return await self.client.achat(model, messages, **params)
        except HFRouterError as exc:
            if self.on_error == "raise":
                raise
            return exc

    async def worker(self) -> None:
        while self.next < len(self.rows):
            index = self.next
            self.next += 1
            result = await self.one(index)
            self.results[index] = result
            self.done += 1
            if isinstance(result, HFRouterError):
                self.failed += 1
            if self.progress is not None:
                self.progress(
                    BatchProgress(
                        index=index,
                        result=result,
                        done=self.done,
                        total=len(self.rows),
                        failed=self.failed,
                        elapsed=time.perf_counter() - self.started,
                    )
                )


async def run_batch(
    client: RouterClient,
    model: str | None,
    batch: Iterable[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_error: Literal["return", "raise"] = "return",
    progress: Callable[[BatchProgress], Any] | None = None,
    max_requests_per_second: float | None = None,
    **params: Any,
) -> list[BatchResult]:
    """The implementation of :meth:`BatchMixin.abatch`."""
    _check(concurrency, on_error, max_requests_per_second)
    if isinstance(batch, (str, bytes, Mapping)):
        raise InvalidInputError(
            "batch must be a list of rows (each a message list or {'messages': ...}), "
            f"not a {type(batch).__name__}"
        )
    rows = list(batch)
    run = _Run(client, model, rows, params, on_error, progress)
    limiter = RateLimiter(max_requests_per_second) if max_requests_per_second else None
    token = send_limiter.set(limiter)
    try:
        workers = [asyncio.ensure_future(run.worker()) for _ in range(min(concurrency, len(rows)))]
    finally:
        send_limiter.reset(token)
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    assert all(r is not None for r in run.results)
    return run.results  # type: ignore[return-value]


class BatchMixin:
    """The batch methods of :class:`~hf_router.RouterClient`."""

    async def abatch(
        self,
        model: str | None,
        batch: Iterable[Any],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_error: Literal["return", "raise"] = "return",
        progress: Callable[[BatchProgress], Any] | None = None,
        max_requests_per_second: float | None = None,
        **params: Any,
    ) -> list[BatchResult]:
        """Answer every row of ``batch``, ``concurrency`` requests at a time.

        Each row is a message list (or a string), or ``{"messages": [...], **params}`` whose
        parameters (``model``, ``temperature``, ``max_tokens``, ...) override the batch-wide
        ``**params`` for that row. Returns one item per row, in input order: the
        :class:`~hf_router.ChatResult`, or the typed error the row ended with. With
        ``on_error="raise"`` the first error is raised instead and the other rows are
        cancelled. ``progress`` is called with a :class:`BatchProgress` after each row.
        ``max_requests_per_second`` caps every send of this batch (retries included); 429s
        pause the client's sends to that model whatever the cap.
        """
        return await run_batch(
            self,  # type: ignore[arg-type]
            model,
            batch,
            concurrency=concurrency,
            on_error=on_error,
            progress=progress,
            max_requests_per_second=max_requests_per_second,
            **params,
        )

    def batch(
        self,
        model: str | None,
        batch: Iterable[Any],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_error: Literal["return", "raise"] = "return",
        progress: Callable[[BatchProgress], Any] | None = None,
        max_requests_per_second: float | None = None,
        **params: Any,
    ) -> list[BatchResult]:
        """Sync twin of :meth:`abatch`: runs it on a private event loop (in a helper thread
        when this thread already runs one, as in a notebook)."""
        coro_args = {
            "concurrency": concurrency,
            "on_error": on_error,
            "progress": progress,
            "max_requests_per_second": max_requests_per_second,
            **params,
        }

        def go() -> list[BatchResult]:
            return asyncio.run(self.abatch(model, batch, **coro_args))

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return go()
        box: dict[str, Any] = {}

        def in_thread() -> None:
            try:
                box["ok"] = go()
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=in_thread, name="hf-router-batch", daemon=True)
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["ok"]
