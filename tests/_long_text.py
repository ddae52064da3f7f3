"""Deterministic long texts of realistic shape (English prose, code, CJK) for the fitting tests."""

from __future__ import annotations

_SENTENCES = (
    "The lighthouse keeper of Loopback wrote the tide tables by hand every morning.",
    "Ships arriving after dusk were guided by the third lamp, the one painted green.",
    "In 1987 the harbour council voted to keep the old brass bell on the north pier.",
    "Nobody remembers why the fog horn was tuned a quarter tone below A.",
    "Fishermen said the gulls always knew a storm two days before the barometer did.",
)


def prose(chars: int, tag: str = "") -> str:
    """English prose of exactly ``chars`` characters (numbered sentences, ``tag`` in each)."""
    parts: list[str] = []
    size, i = 0, 0
    while size < chars:
        sentence = f"[{tag}{i}] {_SENTENCES[i % len(_SENTENCES)]} "
        parts.append(sentence)
        size += len(sentence)
        i += 1
    return "".join(parts)[:chars]


def code(chars: int) -> str:
    """Python-looking source of exactly ``chars`` characters."""
    block = (
        "def handler_{n}(request: dict[str, object]) -> dict[str, object]:\n"
        "    items = [x * {n} for x in range(10) if x % 3]\n"
        "    return {{'status': 200, 'items': items, 'name': 'handler_{n}'}}\n\n"
    )
    out, n = [], 0
    while sum(map(len, out)) < chars:
        out.append(block.format(n=n))
        n += 1
    return "".join(out)[:chars]


def cjk(chars: int) -> str:
    """Chinese text of exactly ``chars`` characters."""
    unit = "自然语言处理是人工智能的一个重要分支，它研究如何让计算机理解和生成人类语言。"
    return (unit * (chars // len(unit) + 1))[:chars]
