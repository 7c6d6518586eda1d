#!/usr/bin/env python3
"""A small client for gencache's TCP event-bus bridge (standard library only).

Protocol: each frame, both ways, is a 4-byte big-endian length + that many bytes of a UTF-8 JSON object.
Client: {"type":"send","address":A,"body":B,"replyAddress":R,"headers":{..}}, register/unregister
{"type":...,"address":A}, {"type":"ping"}. Server: {"type":"pong"}, {"type":"message","address":R or A,
"body":..}, and errors: plain {"type":"err","message":"access_denied"} or, for a failed request,
{"type":"err","address":R,"failureCode":HTTP status,"message":RFC 9457 problem JSON as a string}.
Addresses: gencache.generate (the POST /v1/images/generations body in, its response out; images come
as URLs to fetch over HTTP), gencache.invalidate (admin token), gencache.events (register: image.ready,
cache.invalidated, leader.changed, generation.progress). A token is presented once, as
headers.authorization "Bearer T" on a first ping. Too large or malformed frames close the connection;
more than bridge.max-messages-per-second (default 100) on one connection are refused (rate_limited, 429).

  python3 gencache_bridge.py [--host H] [--port P] [--token T] generate '{"prompt":"a fox"}'
  python3 gencache_bridge.py --token ADMIN invalidate '{"tags":["x"]}'
  python3 gencache_bridge.py events [--count N] [--seconds S]
"""
import argparse
import json
import queue
import socket
import struct
import sys
import threading
import time
import uuid

EVENTS = "gencache.events"
FATAL = ("frame_too_large", "malformed_frame")  # the server closes the connection after these


class BridgeError(Exception):
    """An err frame, a timeout or a closed connection. code: the failureCode (HTTP status) or None;
    problem: the RFC 9457 problem as a dict when the message is one."""

    def __init__(self, message, code=None):
        super().__init__("%s%s" % ("" if code is None else "%s " % code, message))
        self.code, self.message, self.problem = code, message, None
        try:
            parsed = json.loads(message)
            self.problem = parsed if isinstance(parsed, dict) else None
        except (TypeError, ValueError):
            pass


class _Waiter:
    """One reply to wait for: a request's reply, or the pong that ends a control operation."""

    def __init__(self):
        self.done, self.result, self.error = threading.Event(), None, None
        self.plain_err, self.absorb = None, 0  # control operations: see _on_frame

    def finish(self, result=None, error=None):
        if not self.done.is_set():
            self.result, self.error = result, error
            self.done.set()

    def wait(self, timeout, what):
        if not self.done.wait(timeout):
            raise BridgeError("timeout: no answer to %s within %s s" % (what, timeout))
        if self.error is not None:
            raise self.error
        return self.result


class GencacheBridge:
    """One connection; every method may be called from any thread. How errors are attributed: a request
    carries its own replyAddress, and gencache addresses every failure of a request to it (400, 403
    access_denied, 429 rate_limited, ...). Plain errs answer ping/register/unregister, which run one at a
    time and each end with a ping: a refused register's err comes before its ping's pong (it fails), a
    refused ping (bad token, rate_limited) gets the err instead of a pong. A plain err outside those
    fails the pending request if exactly one is pending (a bridge that does not address its errors),
    else goes to on_error. frame_too_large/malformed_frame and a closed connection fail all waiting."""

    def __init__(self, host="127.0.0.1", port=7000, token=None, connect_timeout=5, on_error=None):
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.on_error = on_error or (lambda e: print("gencache_bridge: unattributed error: %s" % e, file=sys.stderr))
        self._send_lock, self._control_lock, self._lock = threading.Lock(), threading.Lock(), threading.Lock()
        self._pending = {}  # replyAddress -> _Waiter
        self._control = None  # the _Waiter of the control operation in progress
        self._handlers = {}  # address -> callback(body)
        self._events = queue.Queue()
        self._closed = None  # the BridgeError every later call raises
        threading.Thread(target=self._read_loop, name="gencache-bridge-reader", daemon=True).start()
        threading.Thread(target=self._dispatch_loop, name="gencache-bridge-events", daemon=True).start()
        try:
            self.ping(headers={"authorization": "Bearer " + token} if token else None, timeout=connect_timeout)
        except BridgeError:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- frames ---------------------------------------------------------------------------------
    def _send(self, frame):
        data = json.dumps(frame, separators=(",", ":")).encode()
        with self._send_lock:
            if self._closed:
                raise self._closed
            try:
                self.sock.sendall(struct.pack(">I", len(data)) + data)
            except OSError as e:
                raise BridgeError("connection closed: %s" % e) from e

    def _read_exactly(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    def _read_loop(self):
        reason = BridgeError("connection closed")
        try:
            while True:
                frame = json.loads(self._read_exactly(struct.unpack(">I", self._read_exactly(4))[0]))
                fatal = self._on_frame(frame)
                if fatal:
                    reason = fatal
        except (OSError, EOFError, ValueError) as e:
            if not isinstance(e, EOFError) and reason.message == "connection closed":
                reason = BridgeError("connection closed: %r" % e)
        self._shut(reason)

    def _on_frame(self, frame):
        kind, address = frame.get("type"), frame.get("address")
        with self._lock:
            waiter = self._pending.pop(address, None) if address else None
            control = self._control
            only = next(iter(self._pending.values())) if len(self._pending) == 1 else None
        if kind == "message":
            if waiter:
                waiter.finish(result=frame.get("body"))
            elif address in self._handlers:
                self._events.put((address, frame.get("body")))
        elif kind == "pong":
            if control:
                control.finish(error=control.plain_err)
        elif kind == "err":
            error = BridgeError(frame.get("message", "error"), frame.get("failureCode"))
            if waiter:
                waiter.finish(error=error)
            elif address:
                pass  # for a request that timed out
            elif error.message in FATAL:
                return error
            elif control and control.absorb > 0:  # a refused register/unregister; its ping still answers
                control.absorb -= 1
                control.plain_err = control.plain_err or error
            elif control:  # the refused ping itself (access_denied token, rate_limited)
                control.finish(error=control.plain_err or error)
            elif only:
                only.finish(error=error)
            else:
                self.on_error(error)
        return None

    def _dispatch_loop(self):
        while True:
            item = self._events.get()
            if item is None:
                return
            callback = self._handlers.get(item[0])
            try:
                if callback:
                    callback(item[1])
            except Exception as e:  # a callback's bug must not stop the events
                print("gencache_bridge: callback for %s failed: %r" % (item[0], e), file=sys.stderr)

    def _shut(self, reason):
        with self._lock:
            if not self._closed:
                self._closed = reason
            waiters, self._pending = list(self._pending.values()), {}
            if self._control:
                waiters.append(self._control)
        for w in waiters:
            w.finish(error=self._closed)
        self._events.put(None)

    # --- API --------------------------------------------------------------------------------------
    def request(self, address, body, headers=None, timeout=30):
        """Sends a request and returns the reply body; raises BridgeError. The server's own timeout for
        it (headers.timeout, ms) is set to the same bound."""
        reply = "gencache.py.%s" % uuid.uuid4()
        h = dict(headers or {})
        if not all(isinstance(v, str) for v in h.values()):  # the server would close the connection
            raise ValueError("header values must be strings")
        h.setdefault("timeout", max(1, min(600_000, int(timeout * 1000))))
        waiter = _Waiter()
        with self._lock:
            if self._closed:
                raise self._closed
            self._pending[reply] = waiter
        try:
            self._send({"type": "send", "address": address, "body": body, "replyAddress": reply, "headers": h})
            return waiter.wait(timeout, address)
        finally:
            with self._lock:
                self._pending.pop(reply, None)

    def generate(self, body, timeout=130):
        return self.request("gencache.generate", body, timeout=timeout)

    def invalidate(self, body, timeout=30):
        return self.request("gencache.invalidate", body, timeout=timeout)

    def _control_op(self, frames, timeout, what):
        """Sends frames + a ping, one operation at a time; returns when the pong arrives."""
        with self._control_lock:
            waiter = _Waiter()
            waiter.absorb = len(frames) - 1
            with self._lock:
                if self._closed:
                    raise self._closed
                self._control = waiter
            try:
                for frame in frames:
                    self._send(frame)
                waiter.wait(timeout, what)
            finally:
                with self._lock:
                    self._control = None

    def ping(self, headers=None, timeout=10):
        """Round trip to the server in seconds; with headers (e.g. the token) presented on the ping."""
        t0 = time.perf_counter()
        ping = {"type": "ping"}
        if headers:
            ping["headers"] = headers
        self._control_op([ping], timeout, "ping")
        return time.perf_counter() - t0

    def register(self, address, callback, timeout=10):
        """callback(body) runs on the client's event thread for each message published to address."""
        self._handlers[address] = callback
        try:
            self._control_op([{"type": "register", "address": address}, {"type": "ping"}], timeout, "register")
        except BridgeError:
            self._handlers.pop(address, None)
            raise

    def unregister(self, address, timeout=10):
        self._handlers.pop(address, None)
        self._control_op([{"type": "unregister", "address": address}, {"type": "ping"}], timeout, "unregister")

    def close(self):
        self._shut(BridgeError("connection closed by the client"))
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader
        except OSError:
            pass
        self.sock.close()


def main(argv=None):
    p = argparse.ArgumentParser(description="gencache TCP event-bus bridge client")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7000)
    p.add_argument("--token", help="bearer token (an admin token for invalidate)")
    p.add_argument("--timeout", type=float, default=130, help="seconds to wait for a reply")
    p.add_argument("command", choices=["generate", "invalidate", "events", "ping"])
    p.add_argument("body", nargs="?", help="the request body as JSON (generate, invalidate)")
    p.add_argument("--count", type=int, help="events: stop after N events")
    p.add_argument("--seconds", type=float, help="events: stop after S seconds")
    a = p.parse_args(argv)
    body = None
    if a.command in ("generate", "invalidate"):
        try:
            body = json.loads(a.body or "")
        except ValueError:
            p.error("%s needs a JSON object as its body, e.g. '{\"prompt\":\"a fox\"}'" % a.command)
    try:
        with GencacheBridge(a.host, a.port, a.token) as bridge:
            if body is not None:
                call = bridge.generate if a.command == "generate" else bridge.invalidate
                print(json.dumps(call(body, timeout=a.timeout), indent=2))
            elif a.command == "ping":
                print("pong in %.2f ms" % (bridge.ping() * 1000))
            else:
                events = queue.Queue()
                bridge.register(EVENTS, events.put)
                deadline = time.monotonic() + (a.seconds or float("inf"))
                seen = 0
                while (a.count is None or seen < a.count) and time.monotonic() < deadline:
                    try:
                        event = events.get(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
                    except queue.Empty:
                        if bridge._closed:
                            raise bridge._closed
                        continue
                    print(json.dumps(event), flush=True)
                    seen += 1
    except BridgeError as e:
        print("error: %s" % (json.dumps(e.problem) if e.problem else e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        print("error: cannot reach the bridge at %s:%s: %s" % (a.host, a.port, e), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
