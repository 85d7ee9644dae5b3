"""The app served by waitress on 127.0.0.1 in a thread of this process: for the browser tests and the benches.

Production runs waitress as its own process (``run-demo.sh``, the deployment
guide); this one lives as long as the test or bench that starts it, and
closes every socket on its own thread when stopped.
"""

from __future__ import annotations

import threading


class LocalServer:
    def __init__(self, app, threads: int = 4):
        import waitress

        from .serving import WAITRESS

        self.app = app
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, **{**WAITRESS, "threads": threads})
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="local-server", daemon=True)
        self._thread.start()

    def _serve(self):
        from waitress import wasyncore

        server = self.server
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()  # the listening socket and the wake-up trigger

    def close(self):
        self._stop.set()
        self._thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()
        if self._thread.is_alive():
            raise RuntimeError("the local server did not stop")
