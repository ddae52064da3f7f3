"""Functions that run in spawned worker processes (importable by name, as spawn requires)."""

from __future__ import annotations

import os
import pickle
from typing import Any


def provide_token() -> str:
    """A token provider: a picklable module-level function, called in the worker."""
    return os.environ.get("WORKER_SECRET_STORE_TOKEN", "hf_from_token_provider")


def use_pickled(kind: str, payload: bytes, model: str, prompt: str) -> dict[str, Any]:
    """Unpickle ``payload`` in this (fresh) process and ask it ``prompt``; report what happened
    as plain data (an error's type and message)."""
    try:
        obj = pickle.loads(payload)
        if kind == "RouterClient":
            text = obj.chat(model, [{"role": "user", "content": prompt}]).text
        elif kind == "ChatHFRouter":
            text = obj.invoke(prompt).content
        elif kind == "HFRouter":
            text = obj.complete(prompt).text
        elif kind == "HuggingFaceAPI":
            text = ",".join(obj.get_models())
        else:
            raise ValueError(kind)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"text": text, "token_env": bool(os.environ.get("HF_TOKEN"))}
