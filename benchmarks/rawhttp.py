"""A raw HTTP/1.1 client on asyncio streams for the benchmarks (keep-alive, no library between the clock and the
socket): request bytes, one response, a header. Shared by bench_api_load.py, bench_api_herd.py, sse_holders.py."""

from __future__ import annotations

import asyncio
import re
import socket

HOST = "127.0.0.1"
REQ_TIMEOUT_S = 10.0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bytes]:
    """Status, raw head, body (Content-Length or chunked; none for 304)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    i = lower.find(b"\r\ncontent-length:")
    if i >= 0:
        j = lower.index(b"\r\n", i + 2)
        n = int(lower[i + 17 : j])
        return status, head, (await reader.readexactly(n) if n else b"")
    if b"transfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, head, b"".join(parts)
    return status, head, b""


def header(head: bytes, name: str) -> str | None:
    m = re.search(rb"\r\n" + name.lower().encode() + rb":\s*([^\r]*)", head.lower())
    if not m:
        return None
    start = m.start(1)
    return head[start : start + len(m.group(1))].decode()  # original case


async def open_conn(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def one_request(port: int, raw: bytes, timeout_s: float = REQ_TIMEOUT_S) -> tuple[int, bytes, bytes]:
    reader, writer = await open_conn(port)
    try:
        writer.write(raw)
        async with asyncio.timeout(timeout_s):
            return await read_response(reader)
    finally:
        writer.close()


def get_request(port: int, path: str, headers: dict[str, str], close: bool = False) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: bench-api-load"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_request(port: int, path: str, headers: dict[str, str], body: bytes, close: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: bench-api-load"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
