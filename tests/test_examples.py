"""The tour (`make demo`) runs: every example script, offline against the emulator it starts
itself, exits 0 and shows what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# what each script must show (one line of its output each)
PROMISES: dict[str, list[str]] = {
    "quickstart.py": ["[served by]", "[fallback]", "[trimmed]"],
    "langchain_chat.py": ["emulator"],
    "langchain_agent.py": ["emulator"],
    "llamaindex_query_engine.py": ["emulator"],
    "llamaindex_agent.py": ["emulator"],
    "media_tool.py": ["emulator"],
    "web_search_sources.py": ["source"],
    "batch_and_long_inputs.py": ["[fitted]", "60/60 answered", "stdout: Say hello from the CLI."],
}


def test_every_example_is_checked() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(PROMISES)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", sorted(PROMISES))
def test_example_runs_offline(script: str, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_CHAT_COOKIE")
        and not k.startswith("HF_ROUTER")
    }
    env["HF_HOME"] = str(tmp_path / "hf-home")  # no token file from the machine
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for promise in PROMISES[script]:
        assert promise in done.stdout, f"{script} did not show {promise!r}:\n{done.stdout[-3000:]}"
