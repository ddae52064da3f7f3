"""Docs that run: every fenced Python block of README.md and docs/*.md, against the emulator.

The convention (HELPER_RULES "Docs snippets run"): the blocks of one file run in order in one
shared namespace, with the emulator running and HF_ROUTER_BASE_URL, HF_ENDPOINT,
HF_CHAT_BASE_URL pointing at it (plus HF_TOKEN=hf_docs_test_token and HF_CHAT_COOKIE, so the
snippets that read a token or a HuggingChat cookie from the environment find one), in a
temporary working directory. A block preceded by ``<!-- not-run: <reason> -->`` is skipped and
its reason shown in the test output. Top-level ``await`` / ``async for`` are allowed (the block
is run with ``asyncio.run``). New Markdown files under docs/ are picked up automatically (one
test per file); a failure names the file, the block's line and the code.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _docs_blocks import Block, MarkerError, python_blocks

from hf_router.testing import RouterEmulator

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _env(emu: RouterEmulator) -> dict[str, str]:
    return {
        **emu.env(),
        "HF_TOKEN": "hf_docs_test_token",
        "HF_CHAT_COOKIE": "hf-chat=docs-test-session; token=docs-test-login",
    }


@pytest.fixture
def docs_sandbox(
    emulator: RouterEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RouterEmulator]:
    """The emulator's environment, a temp cwd, and global state restored afterwards."""
    saved_env = dict(os.environ)
    for name in ("HUGGING_FACE_HUB_TOKEN", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no real token file is read
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, value in _env(emulator).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    llama_settings = _llama_settings()
    try:
        yield emulator
    finally:
        _restore_llama_settings(llama_settings)
        os.environ.clear()
        os.environ.update(saved_env)


def _llama_settings() -> tuple[Any, ...] | None:
    try:
        from llama_index.core import Settings
    except ImportError:  # pragma: no cover - the dev extra installs it
        return None
    return (Settings._llm, Settings._embed_model)


def _restore_llama_settings(saved: tuple[Any, ...] | None) -> None:
    if saved is not None:
        from llama_index.core import Settings

        Settings._llm, Settings._embed_model = saved


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Run one block in ``namespace``; top-level await runs in a fresh event loop."""
    code = compile(
        block.code,
        block.where,
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        dont_inherit=True,
    )
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)


def run_file(path: Path) -> list[str]:
    """Run every block of ``path`` in order; return the not-run reasons. Fails on the first error."""
    blocks = python_blocks(path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    skipped = []
    for block in blocks:
        if block.not_run is not None:
            skipped.append(f"{block.where} not run: {block.not_run}")
            continue
        try:
            run_block(block, namespace)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
            pytest.fail(
                f"{block.where}: the Python block starting at line {block.line} failed with "
                f"{type(exc).__name__}: {exc}\n--- block ---\n{block.code}--- traceback ---\n"
                f"{trace}",
                pytrace=False,
            )
    return skipped


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")  # llama-index workflows' own
@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_snippets_run(path: Path, docs_sandbox: RouterEmulator) -> None:
    """Each file's Python blocks run as written, in order, against the emulator."""
    for reason in run_file(path):
        warnings.warn(reason, UserWarning, stacklevel=1)


def test_every_doc_file_is_collected() -> None:
    """README.md and each docs/*.md (including ones added later) are parametrized."""
    names = {p.name for p in DOC_FILES}
    assert "README.md" in names
    assert {p.name for p in (ROOT / "docs").glob("*.md")} <= names
    assert sum(len(python_blocks(p)) for p in DOC_FILES) >= 20


# --- the extractor and the runner themselves ---------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_blocks_markers_and_indented_fences(tmp_path: Path) -> None:
    doc = _write(
        tmp_path,
        "# t\n\n```python\nx = 1\n```\n\n<!-- not-run: needs a GPU -->\n```python\nboom()\n```\n"
        "```bash\nmake test\n```\n1. item\n\n   ```python\n   y = x + 1\n   ```\n",
    )
    blocks = python_blocks(doc)
    assert [(b.line, b.code, b.not_run) for b in blocks] == [
        (3, "x = 1\n", None),
        (8, "boom()\n", "needs a GPU"),
        (16, "y = x + 1\n", None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<!-- not-run: -->\n```python\nx = 1\n```\n",  # no reason
        "<!-- not-run: why -->\nsome prose\n```python\nx = 1\n```\n",  # not before a fence
        "<!-- not-run: why -->\n```bash\nls\n```\n",  # not a python fence
    ],
)
def test_bad_markers_are_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(MarkerError, match="not-run marker"):
        python_blocks(_write(tmp_path, text))


def test_a_failing_block_is_reported_with_its_line(tmp_path: Path) -> None:
    doc = _write(
        tmp_path, "```python\nvalue = 41\n```\n\ntext\n\n```python\nassert value == 42\n```\n"
    )
    with pytest.raises(pytest.fail.Exception) as info:
        run_file(doc)
    message = str(info.value)
    assert "doc.md:7" in message and "line 7" in message
    assert "AssertionError" in message and "assert value == 42" in message


def test_blocks_share_a_namespace_and_may_await(tmp_path: Path) -> None:
    doc = _write(
        tmp_path,
        "```python\nimport asyncio\n\nasync def twice(x):\n    await asyncio.sleep(0)\n"
        "    return 2 * x\n```\n```python\nresult = await twice(21)\nassert result == 42\n```\n"
        "<!-- not-run: shows a failure on purpose -->\n```python\nraise SystemExit(1)\n```\n",
    )
    assert run_file(doc) == ["doc.md:13 not run: shows a failure on purpose"]
