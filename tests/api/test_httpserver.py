"""serve's HTTP protocol joins the writes of one event-loop turn (a response's head and body)
into one send, on a real socket pair; close still sends what was written first."""

from __future__ import annotations

import asyncio
import socket

from wikipost.httpserver import CoalescingTransport


async def _pair() -> tuple[CoalescingTransport, socket.socket]:
    ours, peer = socket.socketpair()
    peer.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
    return CoalescingTransport(transport, loop), peer  # type: ignore[arg-type]


def _read(peer: socket.socket) -> bytes:
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b""


def test_writes_of_one_turn_leave_together_after_it() -> None:
    async def run() -> tuple[bytes, bytes]:
        transport, peer = await _pair()
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"{}")
        before = _read(peer)
        await asyncio.sleep(0.05)
        after = _read(peer)
        transport.close()
        peer.close()
        return before, after

    before, after = asyncio.run(run())
    assert before == b""
    assert after == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"


def test_close_sends_what_was_written_first() -> None:
    async def run() -> bytes:
        transport, peer = await _pair()
        transport.write(b"last words")
        transport.close()
        await asyncio.sleep(0.05)
        data = _read(peer)
        peer.close()
        return data

    assert asyncio.run(run()) == b"last words"


def test_everything_else_is_the_real_transports() -> None:
    async def run() -> bool:
        transport, peer = await _pair()
        closing_before = transport.is_closing()
        transport.abort()
        peer.close()
        return closing_before is False and transport.is_closing()

    assert asyncio.run(run())
