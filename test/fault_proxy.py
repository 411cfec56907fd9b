"""A fault-injecting TCP proxy in front of a real server (Milvus or MinIO).

It forwards both ways and, on command, delays the server's bytes, stops
forwarding them after a budget (a stall: the connection stays open, silent),
or cuts every connection after a budget (a drop mid-response).  It stands in
for a bad network, never for the server behind it.
"""
import socket
import threading
import time


class FaultProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, int(target_port))
        self.mode = "pass"          # pass | delay | stall | drop
        self.delay = 0.0            # seconds before each server chunk (delay)
        self.budget = None          # server bytes still forwarded (stall, drop)
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.pairs = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode, delay=0.0, budget=None):
        """Change the fault for bytes still to come, on every connection."""
        with self.lock:
            self.mode, self.delay, self.budget = mode, delay, budget

    def cut_all(self):
        """Close every open connection now."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self.closed = True
        self.sock.close()
        self.cut_all()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src, dst, from_server):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_server:
                    data = self._fault(data, src, dst)
                    if data is None:
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _fault(self, data, src, dst):
        """The part of a server chunk to forward now, or None to stop pumping."""
        with self.lock:
            mode, delay = self.mode, self.delay
            if mode in ("stall", "drop") and self.budget is not None:
                allowed = max(0, min(len(data), self.budget))
                self.budget -= allowed
                exhausted = allowed < len(data)
            else:
                allowed, exhausted = len(data), False
        if mode == "delay" and delay > 0:
            time.sleep(delay)
        if not exhausted:
            return data
        if allowed:
            dst.sendall(data[:allowed])
        if mode == "drop":
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return None
        # stall: swallow everything the server says from now on
        while True:
            try:
                if not src.recv(65536):
                    return None
            except OSError:
                return None
