"""Shared fixtures: the real llama.cpp servers of SPEC 6a, started lazily once per session.

Two servers (see tests/_llama_server.py for why two): ``llama_chat_base_url`` uses the GGUF's own
ChatML template (plain chat), ``llama_base_url`` uses ``--chat_format chatml-function-calling``
(tool calls). Tests that use them are skipped with the reason when llama.cpp is not installed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest
from _llama_server import TOOLS_CHAT_FORMAT, llama_server, llama_server_available


def _server(chat_format: str | None) -> Iterator[str]:
    available, reason = llama_server_available()
    if not available:
        pytest.skip(reason)
    with llama_server(chat_format) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def llama_base_url() -> Iterator[str]:
    """A llama.cpp server with ``--chat_format chatml-function-calling`` (for tool calls)."""
    yield from _server(TOOLS_CHAT_FORMAT)


@pytest.fixture(scope="session")
def llama_chat_base_url() -> Iterator[str]:
    """A llama.cpp server with the GGUF's own chat template (for plain chat)."""
    yield from _server(None)


def pytest_configure(config: pytest.Config) -> None:
    """Tidy output: pytest-benchmark (pulled in by langchain-tests) would print a timing table
    for langchain-tests' test_init_time and create ./.benchmarks on every run. Unless asked for
    on the command line, benchmarks run once without stats (--benchmark-disable) and its
    storage is a temp dir removed at the end."""
    if not hasattr(config.option, "benchmark_storage"):
        return  # pytest-benchmark is not installed
    if not getattr(config.option, "benchmark_enable", False):
        config.option.benchmark_disable = True
    if config.option.benchmark_storage == "file://./.benchmarks":
        config._hf_router_bench_dir = tempfile.mkdtemp(prefix="hf-router-benchmarks-")  # type: ignore[attr-defined]
        config.option.benchmark_storage = "file://" + config._hf_router_bench_dir  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    bench_dir = getattr(config, "_hf_router_bench_dir", None)
    if bench_dir:
        shutil.rmtree(bench_dir, ignore_errors=True)
