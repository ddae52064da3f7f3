"""Plumbing every domain uses (chat, media, HuggingChat) and that imports none of them:
configuration and token discovery (``config``), HTTP sessions (``http``), reading error answers
(``responses``), the retry policy (``retry``), model references and aliases (``models``), the
router's model list and the Hub provider mapping (``catalog``), message validation (``messages``)
and the facades' client pool (``pool``)."""
