"""The layout is a contract: the public API stays where it was, and the import contracts in
pyproject.toml hold on the tree and break when a forbidden import is added."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Every public name as of the flat layout (commit a51d7a3); moving modules must not lose one.
PUBLIC_BEFORE_THE_MOVE: dict[str, list[str]] = {
    "hf_router": [
        "ChatResult", "Conversation", "DEFAULT_BASE_URL", "DEFAULT_HUB_URL", "Event", "Fallback",
        "Finish", "HuggingChat", "HuggingChatClient", "HuggingFaceAPI", "HuggingFaceMedia",
        "InvalidToolCall", "MediaClient", "MediaResult", "ModelRef", "ProviderInfo",
        "ProviderMapping", "ProviderStatus", "ReasoningDelta", "ResultBuilder", "RetryPolicy",
        "RouterClient", "RouterModel", "SearchResult", "Secret", "Source", "Sources", "Status",
        "TextDelta", "Title", "ToolCall", "ToolCallDelta", "Trimmed", "Usage", "__version__",
        "calculate_lenght", "calculate_length", "find_token", "parse_model", "trim_messages",
        "trim_with_report",
    ],
    "hf_router.errors": [
        "APIStatusError", "AllProvidersFailedError", "AttemptFailure", "AuthenticationError",
        "BadRequestError", "ClientClosedError", "ConnectionError", "ConversationError",
        "DownloadError", "DownloadTooLargeError", "GenerationFailedError",
        "GenerationTimeoutError", "HFRouterError", "InputTooLongError", "InvalidInputError",
        "InvalidModelError", "MalformedResponseError", "MissingAuthError", "MissingTokenError",
        "ModelLoadingError", "ModelNotSupportedError", "PaymentRequiredError",
        "PermissionDeniedError", "ProviderError", "RateLimitError", "StreamInterruptedError",
        "TimeoutError", "UnsafeURLError",
    ],
    "hf_router.events": [
        "ChatResult", "Event", "Fallback", "Finish", "InvalidToolCall", "MediaResult",
        "ProviderInfo", "ReasoningDelta", "Source", "Sources", "Status", "TextDelta", "Title",
        "ToolCall", "ToolCallDelta", "Trimmed", "Usage",
    ],
    "hf_router.testing": ["LoggedRequest", "RouterEmulator"],
    "langchain_hf_router": [
        "ChatHFRouter", "HFMediaTool", "HuggingChatSearchRetriever",
        "HuggingChatSourcesCallbackHandler", "get_sources_callback",
    ],
    "llama_index_hf_router": [
        "FallbackEvent", "HFMediaToolSpec", "HFRouter", "HuggingChatRetriever",
        "MediaToolOutput", "SourcesEvent", "TrimmedEvent",
    ],
}  # fmt: skip
PUBLIC_MODULES = ["hf_router.testing.pytest_plugin", "hf_router.testing.__main__"]


@pytest.mark.parametrize("module", sorted(PUBLIC_BEFORE_THE_MOVE))
def test_every_public_name_is_still_importable_from_its_home(module: str) -> None:
    mod = importlib.import_module(module)
    exported = set(mod.__all__)
    missing = sorted(set(PUBLIC_BEFORE_THE_MOVE[module]) - exported)
    assert not missing, f"{module}.__all__ lost {missing}"
    for name in sorted(exported):
        assert getattr(mod, name) is not None, f"{module}.{name}"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_modules_import(module: str) -> None:
    importlib.import_module(module)


def test_the_domains_export_their_clients_under_the_same_objects() -> None:
    import hf_router
    from hf_router import chat, huggingchat, media

    assert chat.RouterClient is hf_router.RouterClient
    assert chat.HuggingFaceAPI is hf_router.HuggingFaceAPI
    assert media.MediaClient is hf_router.MediaClient
    assert media.HuggingFaceMedia is hf_router.HuggingFaceMedia
    assert huggingchat.HuggingChatClient is hf_router.HuggingChatClient
    assert huggingchat.HuggingChat is hf_router.HuggingChat


def test_importing_the_core_stays_light() -> None:
    """``import hf_router`` loads neither media, HuggingChat, the emulator nor a framework."""
    code = (
        "import sys, hf_router; "
        "heavy = [m for m in ('hf_router.media', 'hf_router.huggingchat', 'hf_router.testing', "
        "'langchain_core', 'llama_index', 'starlette') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the three packages and the contracts, to break on purpose."""
    for package in ("hf_router", "langchain_hf_router", "llama_index_hf_router"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_the_tree(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "hf_router/chat/_params.py",
            "from ..media._settings import MediaSettings",
            "chat, media and huggingchat do not import each other BROKEN",
        ),
        (
            "hf_router/_shared/pool.py",
            "from ..huggingchat._wire import Conversation",
            "Layers: domains, then _shared, then errors and events, then _redact BROKEN",
        ),
        (
            "hf_router/media/_run.py",
            "from ..testing import RouterEmulator",
            "The core never imports an adapter, the emulator or a framework BROKEN",
        ),
        (
            "hf_router/errors.py",
            "from ._shared import responses",
            "No import cycles inside hf_router BROKEN",
        ),
        (
            "langchain_hf_router/_convert.py",
            "from hf_router.chat._decoder import ChatStreamDecoder",
            "Adapters use only hf_router's public API (hf_router, errors, events, testing) BROKEN",
        ),
        (
            "hf_router/cli/_render.py",
            "from hf_router.chat._decoder import ChatStreamDecoder",
            "The CLI and the Ray helper use only hf_router's public API BROKEN",
        ),
        (
            "hf_router/_redact.py",
            "from hf_router.errors import HFRouterError",
            "Layers: domains, then _shared, then errors and events, then _redact BROKEN",
        ),
        (
            "llama_index_hf_router/_convert.py",
            "from langchain_hf_router import ChatHFRouter",
            "The LangChain and LlamaIndex adapters do not import each other BROKEN",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tree: Path, module: str, line: str, broken: str
) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # added by the test\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout
