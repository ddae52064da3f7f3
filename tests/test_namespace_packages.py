"""The LlamaIndex-style import paths (``llama_index.llms.hf_router`` & co.), from a clean install.

The wheel is built from this tree (hatchling, no build isolation, offline), installed with
``pip install --no-deps --target`` into a temp dir, and imported by a fresh interpreter whose
working directory is elsewhere, so only the installed files (plus llama-index-core from the
environment) can answer. The wheel must not ship an ``__init__.py`` in ``llama_index/`` or
``llama_index/<kind>/``: that would shadow llama-index-core's namespace package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTIONS = {
    "llama_index.llms.hf_router": ["HFRouter"],
    "llama_index.tools.hf_router": ["HFMediaToolSpec", "MediaToolOutput"],
    "llama_index.retrievers.hf_router": ["HuggingChatRetriever", "SourcesEvent"],
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (dev extra)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    [built] = out.glob("hf_router-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_ships_namespace_portions_only(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in PORTIONS:
        assert module.replace(".", "/") + "/__init__.py" in names
    assert "llama_index/__init__.py" not in names
    assert not any(n.startswith("llama_index/core") for n in names)
    for kind in ("llms", "tools", "retrievers"):
        assert f"llama_index/{kind}/__init__.py" not in names


@pytest.mark.slow
def test_import_paths_from_a_clean_install(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    probe = f"""
import importlib, json
import llama_index.core
out = {{"core": llama_index.core.__file__}}
for module, names in {PORTIONS!r}.items():
    mod = importlib.import_module(module)
    out[module] = [mod.__file__, [getattr(mod, n).__module__ for n in names]]
from llama_index.llms.hf_router import HFRouter
llm = HFRouter("meta-llama/Llama-3.3-70B-Instruct", base_url="http://127.0.0.1:9/v1", api_key="hf_x")
out["metadata_model"] = llm.metadata.model_name
out["hf_router"] = __import__("hf_router").__file__
print(json.dumps(out))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["hf_router"].startswith(str(target))
    assert not found["core"].startswith(str(target))  # llama-index-core's own namespace
    for module, names in PORTIONS.items():
        path, origins = found[module]
        assert path.startswith(str(target)), module
        assert all(o.startswith("llama_index_hf_router.") for o in origins), origins
        assert len(origins) == len(names)
    assert found["metadata_model"] == "meta-llama/Llama-3.3-70B-Instruct"


@pytest.mark.slow
def test_the_wheel_declares_the_cli(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    dist_info = next(n.split("/")[0] for n in archive.namelist() if ".dist-info/" in n)
    entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    assert "hf-router = hf_router.cli:console_script" in entry_points
    assert "hf-router-emulator = hf_router.testing.__main__:main" in entry_points
    metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert "Provides-Extra: cli" in metadata
    assert "typer>=0.12; extra == 'cli'" in metadata.replace('"', "'")
