"""Packaging promises: a light core, adapters that name their extra when the framework is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_core_imports_only_httpx_and_tenacity() -> None:
    done = run(
        "import sys, hf_router\n"
        "from hf_router import RouterClient, MediaClient, HuggingChatClient\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'langchain_core', 'llama_index', 'starlette', 'uvicorn', 'yaml', 'pydantic'})\n"
        "print(','.join(bad))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize(
    ("package", "framework", "extra"),
    [
        ("langchain_hf_router", "langchain_core", "hf-router[langchain]"),
        ("llama_index_hf_router", "llama_index", "hf-router[llama-index]"),
    ],
)
def test_adapter_without_its_framework_names_the_extra(
    package: str, framework: str, extra: str
) -> None:
    done = run(f"import sys; sys.modules[{framework!r}] = None; import {package}")
    assert done.returncode != 0
    assert "ImportError" in done.stderr
    assert extra in done.stderr


def test_adapters_export_their_public_names() -> None:
    import langchain_hf_router
    import llama_index_hf_router

    for module in (langchain_hf_router, llama_index_hf_router):
        for name in module.__all__:
            assert getattr(module, name) is not None
