"""Deliberate connection drops (the ``cut_after`` faults) and keeping uvicorn quiet about them."""

from __future__ import annotations

import logging

__all__ = ["DeliberateDrop", "install_log_filter"]


class DeliberateDrop(Exception):
    """Raised inside a response body to drop the connection on purpose (``cut_after``,
    ``cut_stream``); the server's log filter keeps it out of the logs."""


def _is_drop(exc: BaseException | None) -> bool:
    if isinstance(exc, DeliberateDrop):
        return True
    nested = getattr(exc, "exceptions", None)
    return isinstance(nested, tuple) and any(_is_drop(e) for e in nested)


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and _is_drop(record.exc_info[1]))


def install_log_filter() -> None:
    """Keep uvicorn from logging a traceback for every deliberate connection drop."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())
