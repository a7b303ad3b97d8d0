"""A raw HTTP/1.1 client for hostile requests that httpx refuses to send (bytes in headers)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from tests.conftest import LiveApp


@dataclass(frozen=True)
class RawAnswer:
    """The status, headers and body of one answer read off the socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def send_raw(
    live: LiveApp,
    target: bytes,
    *,
    method: bytes = b"GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    send_body: bool = True,
) -> RawAnswer:
    """Send exactly these bytes as one request and read the answer (the server may close).

    With `send_body=False` only the head goes out, announcing `len(body)` bytes: the answer
    must then come without the server waiting for the body.
    """
    host, port = live.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + host.encode()]
    lines += [name + b": " + value for name, value in headers or []]
    if body or method in (b"POST", b"PUT", b"PATCH"):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    try:
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
        if send_body:
            writer.write(body)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        answer_headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                answer_headers[name.strip().lower()] = value.strip()
        length = int(answer_headers.get("content-length", "0"))
        content = await asyncio.wait_for(reader.readexactly(length), 30) if length else b""
    finally:
        writer.close()
    return RawAnswer(int(status_line.split(" ")[1]), answer_headers, content)
