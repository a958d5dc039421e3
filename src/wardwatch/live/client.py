"""A small blocking MLLP client (replay, benchmarks, tests)."""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Callable, Iterable
from typing import Self

START, END = b"\x0b", b"\x1c\x0d"


def frame(message: str) -> bytes:
    return START + message.encode("utf-8") + END


class MllpClient:
    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_ack(self) -> str:
        while END not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection before acknowledging")
            self._buffer += chunk
        block, _, self._buffer = self._buffer.partition(END)
        return block.lstrip(START).decode("utf-8")

    def send(self, message: str) -> str:
        self.sock.sendall(frame(message))
        return self._read_ack()

    def send_many(self, messages: Iterable[str], window: int = 1,
                  on_ack: Callable[[int, str], None] | None = None) -> list[str]:
        """Send with up to ``window`` messages awaiting ACK; ACKs come back in order."""
        acks: list[str] = []
        in_flight: deque[int] = deque()
        for index, message in enumerate(messages):
            while len(in_flight) >= window:
                done = in_flight.popleft()
                acks.append(self._read_ack())
                if on_ack:
                    on_ack(done, acks[-1])
            self.sock.sendall(frame(message))
            in_flight.append(index)
        while in_flight:
            done = in_flight.popleft()
            acks.append(self._read_ack())
            if on_ack:
                on_ack(done, acks[-1])
        return acks


def ack_code(ack: str) -> tuple[str, str]:
    """(MSA-1, MSA-2) of an ACK."""
    for segment in ack.split("\r"):
        if segment.startswith("MSA|"):
            fields = segment.split("|")
            return fields[1], fields[2] if len(fields) > 2 else ""
    raise ValueError("ACK has no MSA segment")
