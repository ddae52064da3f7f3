"""Extract the fenced Python blocks of a Markdown file (for tests/test_docs.py).

The convention (HELPER_RULES "Docs snippets run", README "Tests"): every fenced block whose info
string is ``python`` (or ``py``) runs; one preceded by the line ``<!-- not-run: <reason> -->``
(blank lines allowed in between) is skipped with that reason, which must not be empty. Fences
may be indented (inside a list item): the block is dedented by the fence's own indentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run\s*:(?P<reason>.*?)-->\s*$")
_PYTHON = {"python", "py", "python3"}


@dataclass(frozen=True)
class Block:
    """One fenced Python block: where it starts, its code, and why it is not run (if so)."""

    path: Path
    line: int  # 1-based line of the opening fence
    code: str
    not_run: str | None  # the visible reason, or None when the block runs

    @property
    def where(self) -> str:
        """``docs/media.md:31``: the file (relative to its repository's docs/ parent) and line."""
        name = f"docs/{self.path.name}" if self.path.parent.name == "docs" else self.path.name
        return f"{name}:{self.line}"


class MarkerError(ValueError):
    """A ``not-run`` marker without a reason, or one that is not followed by a Python block."""


def python_blocks(path: Path) -> list[Block]:
    """Every fenced Python block of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    pending: tuple[int, str] | None = None  # (line, reason) of a not-run marker
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _NOT_RUN.match(line)
        if marker:
            reason = marker.group("reason").strip()
            if not reason:
                raise MarkerError(f"{path.name}:{i + 1}: a not-run marker needs a reason")
            pending = (i + 1, reason)
            i += 1
            continue
        opened = _FENCE_OPEN.match(line)
        if not opened:
            if line.strip() and pending:
                raise MarkerError(
                    f"{path.name}:{pending[0]}: a not-run marker must come right before a "
                    "```python fence"
                )
            i += 1
            continue
        indent, fence, info = opened.group("indent", "fence", "info")
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1  # past the closing fence
        if info.lower() in _PYTHON:
            reason = pending[1] if pending else None
            blocks.append(Block(path, start + 1, "\n".join(body) + "\n", reason))
        elif pending:
            raise MarkerError(
                f"{path.name}:{pending[0]}: a not-run marker must come right before a "
                "```python fence"
            )
        pending = None
    if pending:
        raise MarkerError(f"{path.name}:{pending[0]}: a not-run marker at the end of the file")
    return blocks
