"""A real webhook receiver on loopback for the tests: a starlette app under uvicorn.

It verifies nothing itself; it keeps every request (headers, body, when) and answers what
the test tells it to: a queue of status codes (then 200), or hold the answer until told.
Signatures are checked by the tests with the `standardwebhooks` package, an
implementation independent of ours.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    status: int | None = None  # what the receiver answered (None while held or dropped)


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)
    #: While set, requests wait (nothing is answered) until it is cleared.
    hold: threading.Event = field(default_factory=threading.Event)
    #: Seconds to trickle the answer's body over (after a 200 status line), 1 KiB a step.
    trickle_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self, answered: int | None = None) -> list[str]:
        with self.lock:
            return [
                r.headers["webhook-id"]
                for r in self.received
                if answered is None or r.status == answered
            ]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.statuses.clear()

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        item = Received(dict(request.headers), body, time.time())
        with self.lock:
            self.received.append(item)
        while self.hold.is_set():
            await asyncio.sleep(0.01)
        if await request.is_disconnected():
            with self.lock:
                item.status = 499  # the sender is gone: nothing acknowledged
            return Response(status_code=499)
        with self.lock:
            status = self.statuses.popleft() if self.statuses else 200
            item.status = status
        if status in (301, 302, 307, 308):
            return Response(status_code=status, headers={"location": "http://127.0.0.1:1/x"})
        if self.trickle_s:
            return StreamingResponse(self._trickle(), status_code=status)
        return Response(b"ok", status_code=status)

    async def _trickle(self) -> AsyncIterator[bytes]:
        steps = 20
        for _ in range(steps):
            yield b"x" * 1024
            await asyncio.sleep(self.trickle_s / steps)

    def start(self) -> Receiver:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("receiver did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.hold.clear()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def verify(secret: str, item: Received) -> Any:
    """The body, verified by the standardwebhooks package (raises if the signature fails)."""
    from standardwebhooks import Webhook

    return Webhook(secret).verify(item.body, item.headers)
