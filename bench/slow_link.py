"""A slow link in front of a local server, for the benchmarks: a TCP relay on 127.0.0.1 that behaves like slow 3G.

Every byte between the browser and the server crosses it, whoever asks (a page, its service worker, a script's
fetch), which DevTools' per-tab throttling cannot promise: a service worker's fetches are not the tab's.

* Each direction is one shared link of ``rate`` bytes per second: bytes queue behind those sent before them,
  on every connection at once.
* Each direction adds ``one_way`` seconds of delay (400 ms round trip by default): a request and its answer
  take at least one round trip more than on loopback. Opening a connection to the relay is not delayed.
* ``down`` and ``up`` count the bytes delivered each way (TCP payload: headers and bodies as sent, compressed
  where the server compressed them); ``reset()`` zeroes them. ``slow = False`` lets everything through at
  loopback speed (to prepare a state that is not being measured), still counted. ``requests`` lists the
  request lines that went up (method and path), also zeroed by ``reset()``.
"""

from __future__ import annotations

import asyncio
import threading
import time

CHUNK = 1460  # one TCP segment of a typical path: the link delivers at about this grain


class _Direction:
    def __init__(self, link: "SlowLink"):
        self.link, self.free_at, self.bytes = link, 0.0, 0

    def schedule(self, size: int) -> float:
        """When ``size`` bytes arriving now reach the other end."""
        now = time.monotonic()
        if not self.link.slow:
            return now
        start = max(now, self.free_at)
        self.free_at = start + size / self.link.rate
        return self.free_at + self.link.one_way


class SlowLink:
    def __init__(self, target_port: int, rate: int = 50_000, one_way: float = 0.2):
        self.target_port, self.rate, self.one_way, self.slow = target_port, rate, one_way, True
        self.requests: list[str] = []
        self._down, self._up = _Direction(self), _Direction(self)
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), name="slow-link", daemon=True)
        self._thread.start()
        started.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def down(self) -> int:
        return self._down.bytes

    @property
    def up(self) -> int:
        return self._up.bytes

    def reset(self) -> None:
        self._down.bytes = self._up.bytes = 0
        self.requests = []

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()

    async def _relay(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pump(client_reader, server_writer, self._up),
                             self._pump(server_reader, client_writer, self._down), return_exceptions=True)
        for writer in (server_writer, client_writer):
            writer.close()

    async def _pump(self, reader, writer, direction: _Direction) -> None:
        """Read as bytes come, deliver each chunk when the link would have (in order, on its own task)."""
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver():
            while True:
                at, data = await queue.get()
                if data is None:
                    break
                delay = at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                direction.bytes += len(data)
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                if direction is self._up and data[:4] in (b"GET ", b"POST", b"HEAD"):
                    self.requests.append(data.split(b"\r\n", 1)[0].decode("latin-1").rsplit(" ", 1)[0])
                queue.put_nowait((direction.schedule(len(data)), data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((0.0, None))
            try:
                await sender
            except (ConnectionError, OSError):
                pass

    def close(self) -> None:
        def stop():
            self._server.close()
            self._loop.stop()
        self._loop.call_soon_threadsafe(stop)
        self._thread.join(timeout=10)
