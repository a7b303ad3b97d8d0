"""Tiny HTTP servers on 127.0.0.1 for the settings' "Test connection": one that answers,
one that reads the request and never does."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 that answers (or never does), recording who called."""

    server: asyncio.Server
    port: int
    agents: list[str]
    writers: list[asyncio.StreamWriter]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def close(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


async def start_local_server(*, answer: bool) -> LocalServer:
    """Start a loopback server that answers 200, or reads the request and says nothing."""
    agents: list[str] = []
    writers: list[asyncio.StreamWriter] = []
    silence = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("user-agent:"):
                agents.append(line.split(":", 1)[1].strip())
        if not answer:
            with contextlib.suppress(asyncio.CancelledError):
                await silence.wait()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            b"Connection: close\r\n\r\nok\n"
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    return LocalServer(server, port, agents, writers)
