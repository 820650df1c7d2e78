"""A "slow gateway" in front of the sandbox: every create (POST /api/...) is held for `delay_s`
before it is forwarded, and it is forwarded even when the client has given up meanwhile, as a
real gateway keeps processing a request whose client timed out.

The sandbox's own `delay_ms` fault cannot show this: it sleeps inside the request's handler,
which is dropped when the client closes the connection, so a timed-out create is never committed.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Optional


async def _read_message(reader: asyncio.StreamReader) -> bytes:
    """One HTTP/1.1 message with a Content-Length body (what the clients and the sandbox send)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + (await reader.readexactly(length) if length else b"")


class LateCommitProxy:
    def __init__(self, upstream: str, delay_s: float) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.delay_s = delay_s
        self.delayed = 0
        self.loop = asyncio.new_event_loop()
        self.server: Optional[asyncio.base_events.Server] = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> "LateCommitProxy":
        self.thread.start()
        start = asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.server = asyncio.run_coroutine_threadsafe(start, self.loop).result()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            while True:
                request = await _read_message(reader)
                if request.startswith(b"POST /api/"):
                    self.delayed += 1
                    await asyncio.sleep(self.delay_s)  # the client may time out meanwhile
                up_writer.write(request)
                await up_writer.drain()
                response = await _read_message(up_reader)  # committed, whoever still listens
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # either side closed the connection
        finally:
            up_writer.close()
            writer.close()
