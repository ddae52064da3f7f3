"""SSEDecoder: framing, line endings, fields, UTF-8 split across chunks, end of stream."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from hf_router._shared.sse import SSEDecoder, SSEMessage
from hf_router.errors import HFRouterError, MalformedResponseError


def feed_all(chunks: Iterable[bytes], *, close: bool = True) -> list[SSEMessage]:
    """Feed every chunk into one decoder and collect the messages (plus close() when asked)."""
    decoder = SSEDecoder()
    out: list[SSEMessage] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    if close:
        out.extend(decoder.close())
    return out


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def datas(messages: list[SSEMessage]) -> list[str]:
    return [m.data for m in messages]


# -- data lines --------------------------------------------------------------------------------


def test_data_with_space_after_colon() -> None:
    assert feed_all([b"data: hello\n\n"]) == [SSEMessage("message", "hello")]


def test_data_without_space_after_colon() -> None:
    assert feed_all([b"data:hello\n\n"]) == [SSEMessage("message", "hello")]


def test_only_one_leading_space_is_removed() -> None:
    assert datas(feed_all([b"data:  two spaces \n\n"])) == [" two spaces "]


def test_empty_data_value() -> None:
    assert datas(feed_all([b"data:\n\n"])) == [""]


def test_colon_inside_data_kept() -> None:
    assert datas(feed_all([b'data: {"a": "b:c"}\n\n'])) == ['{"a": "b:c"}']


def test_multi_line_data_joined_with_newline() -> None:
    assert datas(feed_all([b"data: one\ndata:two\ndata: three\n\n"])) == ["one\ntwo\nthree"]


def test_message_dispatched_only_at_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"data: b\n") == []
    assert decoder.feed(b"\n") == [SSEMessage("message", "a\nb")]


def test_several_messages_in_one_chunk() -> None:
    assert datas(feed_all([b"data: 1\n\ndata: 2\n\ndata: 3\n\n"])) == ["1", "2", "3"]


def test_extra_blank_lines_do_not_create_messages() -> None:
    assert datas(feed_all([b"\n\n\ndata: x\n\n\n\n"])) == ["x"]


# -- line endings ----------------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_line_endings(eol: bytes) -> None:
    stream = b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert datas(feed_all([stream])) == ["a\nb", "c"]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_line_endings_byte_by_byte(eol: bytes) -> None:
    stream = b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert datas(feed_all(byte_by_byte(stream))) == ["a\nb", "c"]


def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    # "\r" ends one chunk and "\n" starts the next: one line ending, not a blank line.
    decoder = SSEDecoder()
    out = decoder.feed(b"data: a\r")
    out += decoder.feed(b"\ndata: b\r")
    out += decoder.feed(b"\n\r")
    out += decoder.feed(b"\n")
    assert out == [SSEMessage("message", "a\nb")]


def test_crlf_split_at_every_position() -> None:
    stream = b"data: first\r\ndata: second\r\n\r\ndata: third\r\n\r\n"
    for cut in range(1, len(stream)):
        assert datas(feed_all([stream[:cut], stream[cut:]])) == ["first\nsecond", "third"], cut


def test_lone_cr_at_end_of_chunk_followed_by_data() -> None:
    # A lone "\r" line ending at the end of a chunk, next chunk starts a new field.
    decoder = SSEDecoder()
    out = decoder.feed(b"data: a\r")
    out += decoder.feed(b"data: b\r")
    out += decoder.feed(b"\r")
    assert out == [SSEMessage("message", "a\nb")]


def test_empty_chunk_between_cr_and_lf_changes_nothing() -> None:
    # An empty network chunk must not make the "\n" of a split "\r\n" count as a blank line
    # (which would dispatch "a" and "b" as two messages instead of one).
    out = feed_all([b"data: a\r", b"", b"\ndata: b\r\n\r\n"])
    assert out == [SSEMessage("message", "a\nb")]


def test_empty_chunks_are_harmless() -> None:
    assert datas(feed_all([b"", b"data: x", b"", b"\n", b"", b"\n", b""])) == ["x"]


# -- comments, event names, other fields ---------------------------------------------------


def test_comment_and_keep_alive_lines_ignored() -> None:
    stream = b": keep-alive\n:\n: ping 123\ndata: x\n: in between\ndata: y\n\n"
    assert feed_all([stream]) == [SSEMessage("message", "x\ny")]


def test_keep_alive_alone_produces_no_message() -> None:
    assert feed_all([b": ping\n\n: ping\n\n"]) == []


def test_event_name() -> None:
    out = feed_all([b"event: error\ndata: {}\n\ndata: plain\n\n"])
    assert out == [SSEMessage("error", "{}"), SSEMessage("message", "plain")]


def test_event_name_without_space() -> None:
    assert feed_all([b"event:delta\ndata: 1\n\n"]) == [SSEMessage("delta", "1")]


def test_event_name_reset_by_blank_line_without_data() -> None:
    # An event: with no data is dropped at the blank line; the next message is a plain message.
    assert feed_all([b"event: ping\n\ndata: x\n\n"]) == [SSEMessage("message", "x")]


def test_id_and_retry_ignored() -> None:
    stream = b"id: 42\nretry: 1000\ndata: x\nid:43\n\n"
    assert feed_all([stream]) == [SSEMessage("message", "x")]


# -- UTF-8 ---------------------------------------------------------------------------------


def test_utf8_split_byte_by_byte() -> None:
    stream = "data: Привет, 世界 🎉\n\n".encode()
    assert datas(feed_all(byte_by_byte(stream))) == ["Привет, 世界 🎉"]


def test_utf8_split_at_every_position() -> None:
    stream = 'data: {"content": "Привет 🎉"}\r\n\r\n'.encode()
    for cut in range(1, len(stream)):
        assert datas(feed_all([stream[:cut], stream[cut:]])) == ['{"content": "Привет 🎉"}'], cut


def test_invalid_utf8_is_a_typed_error() -> None:
    with pytest.raises(MalformedResponseError):
        feed_all([b"data: \xff\xfe\n\n"])


# -- end of stream -------------------------------------------------------------------------


def test_close_flushes_final_message_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]") == []
    assert decoder.close() == [SSEMessage("message", "[DONE]")]


def test_close_flushes_final_message_after_single_newline() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\ndata: b\n") == []
    assert decoder.close() == [SSEMessage("message", "a\nb")]


def test_close_with_nothing_pending() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.close() == []


def test_close_on_only_a_comment() -> None:
    decoder = SSEDecoder()
    decoder.feed(b": bye")
    assert decoder.close() == []


# -- not SSE -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stream",
    [
        b'{"choices": []}\n\n',  # a JSON body where SSE was expected
        b"<html><body>Bad gateway</body></html>\n",
        b"hello world\n\n",
    ],
)
def test_non_sse_line_raises(stream: bytes) -> None:
    with pytest.raises(MalformedResponseError) as info:
        feed_all([stream])
    assert isinstance(info.value, HFRouterError)
    assert "Server-Sent Events" in str(info.value)


def test_non_sse_final_line_raises_on_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: ok\n\nnot sse") == [SSEMessage("message", "ok")]
    with pytest.raises(MalformedResponseError):
        decoder.close()


def test_long_non_sse_line_preview_is_truncated() -> None:
    with pytest.raises(MalformedResponseError) as info:
        feed_all([b"x" * 5000 + b"\n"])
    assert "x" * 200 not in str(info.value)
