"""Tests of gencache_bridge.py against a RUNNING gencache node (they fail, not skip, without one).

  GENCACHE_BRIDGE_ADDR=127.0.0.1:7000 [GENCACHE_HTTP_URL=http://127.0.0.1:8080] \
  GENCACHE_ADMIN_TOKEN=<one of bridge.admin-tokens> python3 -m unittest scripts/clients/test_gencache_bridge.py -v

GENCACHE_HTTP_URL, when set, must be what the image URLs start with. Each run uses new prompts (a uuid),
so the node's cache needs no reset. Every wait is bounded (WAIT seconds).
"""
import json
import os
import queue
import socket
import struct
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gencache_bridge import EVENTS, BridgeError, GencacheBridge  # noqa: E402

ADDR = os.environ.get("GENCACHE_BRIDGE_ADDR", "")
HTTP_URL = os.environ.get("GENCACHE_HTTP_URL", "").rstrip("/")
ADMIN_TOKEN = os.environ.get("GENCACHE_ADMIN_TOKEN", "")
WAIT = 30  # seconds, the bound of every wait
PNG = b"\x89PNG\r\n\x1a\n"
RUN = uuid.uuid4().hex[:12]


def unique_prompt(what):
    return "python bridge test %s %s %s" % (what, RUN, uuid.uuid4().hex[:8])


class BridgeTest(unittest.TestCase):
    def setUp(self):
        if not ADDR:
            self.fail("GENCACHE_BRIDGE_ADDR is not set: these tests need a running gencache node, "
                      "e.g. GENCACHE_BRIDGE_ADDR=127.0.0.1:7000 (see the module docstring)")
        host, _, port = ADDR.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)

    def connect(self, token=None):
        bridge = GencacheBridge(self.host, self.port, token=token, connect_timeout=WAIT)
        self.addCleanup(bridge.close)
        return bridge

    def generate(self, bridge, prompt):
        return bridge.generate({"prompt": prompt, "size": "256x256"}, timeout=WAIT)

    def test_generate_is_a_miss_then_a_hit_and_the_image_comes_over_http(self):
        bridge = self.connect()
        prompt = unique_prompt("miss-hit")
        first = self.generate(bridge, prompt)
        self.assertEqual(first["gencache"]["cache"], "MISS")
        second = self.generate(bridge, prompt)
        self.assertEqual(second["gencache"]["cache"], "HIT")
        self.assertEqual(second["gencache"]["ids"], first["gencache"]["ids"])
        self.assertEqual(second["gencache"]["key"], first["gencache"]["key"])
        self.assertEqual(len(first["data"]), 1)
        self.assertNotIn("b64_json", first["data"][0])
        url = first["data"][0]["url"]
        if HTTP_URL:
            self.assertTrue(url.startswith(HTTP_URL + "/v1/images/"), url)
        with urllib.request.urlopen(url, timeout=WAIT) as r:
            self.assertEqual(r.status, 200)
            body = r.read()
            etag = r.headers["ETag"]
        self.assertTrue(body.startswith(PNG), body[:16])
        self.assertEqual(etag.strip('"'), first["gencache"]["ids"][0])

    def test_a_registered_callback_sees_the_generation_events(self):
        listener = self.connect()
        events = queue.Queue()
        listener.register(EVENTS, events.put)
        reply = self.generate(self.connect(), unique_prompt("events"))
        key = reply["gencache"]["key"]
        seen = []
        deadline = time.monotonic() + WAIT
        while "image.ready" not in seen and time.monotonic() < deadline:
            try:
                event = events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event.get("key") == key:
                seen.append(event["type"] + (":" + event["stage"] if "stage" in event else ""))
                if event["type"] == "image.ready":
                    self.assertEqual(event["ids"], reply["gencache"]["ids"])
        self.assertEqual(seen, ["generation.progress:started", "generation.progress:generated", "image.ready"])
        listener.unregister(EVENTS)
        self.assertGreater(listener.ping(), 0)

    def test_a_bad_request_raises_the_problem(self):
        with self.assertRaises(BridgeError) as caught:
            self.connect().generate({"size": "banana"}, timeout=WAIT)
        err = caught.exception
        self.assertEqual(err.code, 400)
        self.assertIsNotNone(err.problem, err.message)
        self.assertEqual(err.problem["type"], "urn:gencache:problem:invalid-request")
        self.assertEqual(err.problem["status"], 400)

    def test_invalidate_without_a_token_is_denied(self):
        with self.assertRaises(BridgeError) as caught:
            self.connect().invalidate({"tags": ["none"]}, timeout=WAIT)
        self.assertEqual(caught.exception.message, "access_denied")
        self.assertEqual(caught.exception.code, 403)

    def test_a_wrong_token_is_refused_on_connect(self):
        with self.assertRaises(BridgeError) as caught:
            self.connect(token="wrong-token-" + uuid.uuid4().hex)
        self.assertEqual(caught.exception.message, "access_denied")

    def test_invalidate_with_the_admin_token_makes_the_next_generate_a_miss(self):
        if not ADMIN_TOKEN:
            self.fail("GENCACHE_ADMIN_TOKEN is not set: give one of the node's bridge.admin-tokens")
        bridge = self.connect()
        prompt = unique_prompt("invalidate")
        self.assertEqual(self.generate(bridge, prompt)["gencache"]["cache"], "MISS")
        self.assertEqual(self.generate(bridge, prompt)["gencache"]["cache"], "HIT")
        reply = self.connect(token=ADMIN_TOKEN).invalidate({"prompt": prompt}, timeout=WAIT)
        self.assertGreater(reply["seq"], 0)
        self.assertGreaterEqual(reply["removed"], 1, reply)
        self.assertEqual(self.generate(bridge, prompt)["gencache"]["cache"], "MISS")

    def test_an_oversized_frame_closes_only_that_connection(self):
        bridge = self.connect()
        raw = socket.create_connection((self.host, self.port), timeout=WAIT)
        self.addCleanup(raw.close)
        raw.sendall(struct.pack(">II", 100 << 20, 0))  # announces 100 MB
        data = b""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            chunk = raw.recv(65536)
            if not chunk:
                break  # the server closed it
            data += chunk
        else:
            self.fail("the server did not close the connection within %d s" % WAIT)
        (length,) = struct.unpack(">I", data[:4])
        self.assertEqual(json.loads(data[4:4 + length]), {"type": "err", "message": "frame_too_large"})
        self.assertGreater(bridge.ping(), 0)
        self.assertEqual(self.generate(bridge, "python bridge test bystander")["data"][0]["url"][:4], "http")

    def test_the_cli_prints_the_reply(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gencache_bridge.py")
        body = json.dumps({"prompt": unique_prompt("cli"), "size": "256x256"})
        out = subprocess.run([sys.executable, script, "--host", self.host, "--port", str(self.port), "generate", body],
                             capture_output=True, text=True, timeout=WAIT)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["gencache"]["cache"], "MISS")


if __name__ == "__main__":
    unittest.main()
