"""Plumbing every domain uses (chat, media, HuggingChat) and that imports none of them:
configuration and token discovery (``config``), HTTP sessions (``http``) and their sharded
connection pools (``pool``), capped body reading and depth-safe JSON (``bodies``), per-call
deadlines and stall guards (``deadline``), the Server-Sent Events and NDJSON line decoders
(``sse``, ``ndjson``), the ``<think>`` splitter (``think``), reading error answers
(``responses``), the retry policy (``retry``) and the shared 429 gate (``gate``), model
references and aliases (``models``), the router's model list and the Hub provider mapping
(``catalog``), argument and message checks (``checks``, ``messages``)."""
