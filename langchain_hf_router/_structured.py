"""Tool binding and structured output for :class:`~langchain_hf_router.ChatHFRouter`.

Pure helpers: they turn LangChain tools and schemas into the OpenAI request fields the core
sends (``tools``, ``tool_choice``, ``response_format``) and pick the output parser. Every bad
argument raises :class:`~hf_router.errors.InvalidInputError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from hf_router.errors import InvalidInputError

__all__ = [
    "METHODS",
    "StructuredMethod",
    "format_tools",
    "output_parser",
    "response_format",
    "tool_choice_value",
    "with_raw",
]

StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
METHODS: tuple[str, ...] = ("json_schema", "function_calling", "json_mode")
_KEYWORDS = ("auto", "none", "required", "any")

ToolLike = Mapping[str, Any] | type | Callable[..., Any] | BaseTool


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None) -> list[dict[str, Any]]:
    """OpenAI tool dicts; a tool that cannot be converted raises naming ``tools[i]``."""
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        raise InvalidInputError(
            f"tools must be a list of tools (BaseTool, functions, Pydantic models or OpenAI tool "
            f"dicts), not {type(tools).__name__}"
        )
    out = []
    for i, tool in enumerate(tools):
        try:
            out.append(convert_to_openai_tool(tool, strict=strict))
        except Exception as exc:  # langchain raises ValueError/TypeError/KeyError variously
            raise InvalidInputError(
                f"tools[{i}] ({tool!r:.80}) cannot be converted to an OpenAI tool: {exc}; pass a "
                "BaseTool, a typed function with a docstring, a Pydantic model or an OpenAI tool "
                "dict"
            ) from exc
    return out


def tool_choice_value(choice: Any, names: Sequence[str]) -> Any:
    """The ``tool_choice`` to send: ``"any"``/``True`` force some tool (``"required"``), a tool
    name (which must be bound) forces that tool, ``"auto"``/``"none"``/``None``/``False`` as is;
    an OpenAI ``{"type": "function", "function": {"name": ...}}`` dict is accepted too."""
    if choice is None or choice is False:
        return None if choice is None else "none"
    if choice is True or choice == "any":
        return "required"
    if isinstance(choice, str):
        if choice in _KEYWORDS:
            return choice
        if choice in names:
            return {"type": "function", "function": {"name": choice}}
        raise InvalidInputError(
            f"tool_choice={choice!r} is neither 'auto', 'none', 'any', 'required', True nor the "
            f"name of a bound tool ({', '.join(names) or 'no tools bound'}); pass one of those"
        )
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if choice.get("type") == "function" and name in names:
            return dict(choice)
        raise InvalidInputError(
            f"tool_choice={choice!r} must be {{'type': 'function', 'function': {{'name': <a bound "
            f"tool>}}}} (bound tools: {', '.join(names) or 'none'})"
        )
    raise InvalidInputError(
        f"tool_choice has type {type(choice).__name__}; use 'auto', 'none', 'any', 'required', "
        "True or the name of a bound tool"
    )


def is_pydantic(schema: Any) -> bool:
    """True for a Pydantic (v1 or v2) model class."""
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def json_schema_of(schema: Any) -> dict[str, Any]:
    """The JSON schema of a Pydantic model, TypedDict or JSON-schema dict."""
    try:
        return convert_to_json_schema(schema)
    except Exception as exc:
        raise InvalidInputError(
            f"schema ({schema!r:.80}) cannot be converted to a JSON schema: {exc}; pass a "
            "Pydantic model, a TypedDict or a JSON-schema dict"
        ) from exc


def response_format(method: str, schema: Any, *, strict: bool | None) -> dict[str, Any]:
    """The ``response_format`` for ``json_schema`` / ``json_mode``."""
    if method == "json_mode":
        return {"type": "json_object"}
    spec = json_schema_of(schema)
    name = str(spec.get("title") or "output")
    inner: dict[str, Any] = {"name": name, "schema": spec}
    if spec.get("description"):
        inner["description"] = spec["description"]
    if strict is not None:
        inner["strict"] = strict
    return {"type": "json_schema", "json_schema": inner}


def output_parser(method: str, schema: Any, tool_name: str | None = None) -> Runnable:
    """The parser for ``method``: Pydantic schemas give Pydantic objects, others dicts."""
    if method == "function_calling":
        assert tool_name is not None
        if is_pydantic(schema):
            return PydanticToolsParser(tools=[schema], first_tool_only=True)
        return JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
    if is_pydantic(schema):
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


def with_raw(llm: Runnable, parser: Runnable) -> Runnable:
    """``{"raw": AIMessage, "parsed": ..., "parsing_error": Exception | None}``."""
    parse = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    give_up = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([give_up], exception_key="parsing_error")
