// End-to-end test of the SockJS event-bus bridge (/eventbus) with the official Vert.x JS client,
// against a RUNNING gencache node:
//
//   GENCACHE_HTTP_URL=http://127.0.0.1:8080 GENCACHE_ADMIN_TOKEN=<a bridge.admin-tokens entry> npm test
//
// GENCACHE_CLIENT_TOKEN (optional): a token from auth.tokens, for a node that has auth on; the
// non-admin connection and the image download present it. Without it they present nothing, which a
// node without auth.tokens accepts (on loopback).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import EventBus from '@vertx/eventbus-bridge-client.js'; // CommonJS: module.exports = EventBus

const TIMEOUT_MS = 15_000; // bound on every single wait
const TEST_TIMEOUT_MS = 60_000;
const BASE = (process.env.GENCACHE_HTTP_URL ?? '').replace(/\/+$/, '');
const ADMIN_TOKEN = process.env.GENCACHE_ADMIN_TOKEN ?? '';
const CLIENT_TOKEN = process.env.GENCACHE_CLIENT_TOKEN ?? '';
const PROBLEM_INVALID = 'urn:gencache:problem:invalid-request';
const MISSING_URL = 'GENCACHE_HTTP_URL is not set: point it at a running gencache node, '
  + 'e.g. GENCACHE_HTTP_URL=http://127.0.0.1:8080 GENCACHE_ADMIN_TOKEN=... npm test';

const buses = []; // every EventBus opened, closed in after() so the process exits
const events = []; // everything received on gencache.events by the client connection
const eventWaiters = new Set();

/** Resolves or rejects with `promise`, or rejects after `ms` saying what it was waiting for. */
function bounded(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function bridgeUrl(token) {
  return `${BASE}/eventbus` + (token ? `?access_token=${encodeURIComponent(token)}` : '');
}

/** Opens an EventBus and waits for onopen; a close before that (e.g. a 401 on /info) rejects. */
function connect(token) {
  const eb = new EventBus(bridgeUrl(token), { vertxbus_ping_interval: 5000 });
  buses.push(eb);
  eb.onerror = (err) => console.error('[eventbus onerror]', JSON.stringify(err));
  const opened = new Promise((resolve, reject) => {
    eb.onopen = () => resolve(eb);
    // sockjs-client reports a failed GET /eventbus/info (e.g. 401: missing or wrong token) as 1002.
    eb.onclose = (e) => reject(new Error(`the bridge closed before opening: ${e?.code} ${e?.reason}`
      + (e?.code === 1002 ? ` (GET ${BASE}/eventbus/info failed: is the node up, is the token right?)` : '')));
  });
  return bounded(opened, `onopen of ${BASE}/eventbus`).finally(() => {
    eb.onclose = null;
  });
}

/** eb.send with a reply callback, as a promise of {err, msg}; bounded. */
function request(eb, address, body, headers = {}) {
  const replied = new Promise((resolve) => {
    eb.send(address, body, headers, (err, msg) => resolve({ err, msg }));
  });
  return bounded(replied, `a reply from ${address}`);
}

/** Waits for an event on gencache.events (already received or still to come) matching `pred`. */
function waitForEvent(pred, what) {
  const seen = events.find(pred);
  if (seen) {
    return Promise.resolve(seen);
  }
  let waiter;
  const arrived = new Promise((resolve) => {
    waiter = (ev) => {
      if (pred(ev)) {
        resolve(ev);
        return true;
      }
      return false;
    };
    eventWaiters.add(waiter);
  });
  return bounded(arrived, what).finally(() => eventWaiters.delete(waiter));
}

/**
 * Sends to `address` expecting the bridge to refuse it. vertx-web answers a refused send with an
 * err frame WITHOUT an address ({"type":"err","body":"access_denied"}), so the client cannot match it
 * to the send: it goes to eb.onerror and the send callback is never called. Accepts either place.
 */
function expectRefused(eb, address, body) {
  const previous = eb.onerror;
  const refused = new Promise((resolve) => {
    eb.onerror = (frame) => resolve({ via: 'onerror', frame });
    eb.send(address, body, {}, (err, msg) => resolve({ via: 'callback', frame: err ?? msg }));
  });
  return bounded(refused, `the bridge to refuse a send to ${address}`).finally(() => {
    eb.onerror = previous;
  });
}

function assertAccessDenied({ via, frame }) {
  if (via === 'onerror') {
    assert.deepEqual(frame, { type: 'err', body: 'access_denied' });
  } else {
    assert.ok(frame && (frame.body === 'access_denied' || frame.message === 'access_denied'),
      `expected access_denied in the send callback, got ${JSON.stringify(frame)}`);
  }
}

function assertGenerated(msg, cache) {
  assert.ok(msg && msg.body, `no reply body: ${JSON.stringify(msg)}`);
  const { data, gencache } = msg.body;
  assert.equal(gencache.cache, cache, `expected cache=${cache}: ${JSON.stringify(msg.body)}`);
  assert.match(gencache.key, /^[0-9a-f]{64}$/);
  assert.ok(Array.isArray(gencache.ids) && gencache.ids.length === 1, 'one image id');
  assert.ok(Array.isArray(data) && data.length === 1 && typeof data[0].url === 'string', 'one url');
  assert.match(data[0].url, /^https?:\/\//);
  return msg.body;
}

// Fails (never skips) without a node to test against.
test('GENCACHE_HTTP_URL points at a ready gencache node', { timeout: TEST_TIMEOUT_MS }, async () => {
  assert.ok(BASE, MISSING_URL);
  assert.match(BASE, /^https?:\/\//, `GENCACHE_HTTP_URL must be an http(s) URL, got ${BASE}`);
  const res = await fetch(`${BASE}/health/ready`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((e) => {
    throw new Error(`cannot reach ${BASE}/health/ready: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  });
  assert.equal(res.status, 200, `${BASE}/health/ready answered ${res.status}`);
});

describe('gencache SockJS event-bus bridge', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  const prompt = `node bridge test ${new Date().toISOString()} ${randomUUID()}`;
  const generateBody = { prompt, size: '256x256' };
  let client; // no token (or GENCACHE_CLIENT_TOKEN)
  let admin; // ?access_token=GENCACHE_ADMIN_TOKEN
  let miss; // body of the first (MISS) reply

  before(async () => {
    if (!BASE) {
      throw new Error(MISSING_URL);
    }
  });

  after(() => {
    for (const eb of buses) {
      if (eb.state !== EventBus.CLOSED && eb.sockJSConn) {
        eb.close();
      }
    }
  });

  test('connects over WebSocket and registers for gencache.events', { timeout: TEST_TIMEOUT_MS }, async () => {
    client = await connect(CLIENT_TOKEN);
    assert.equal(client.state, EventBus.OPEN);
    assert.equal(client.sockJSConn.transport, 'websocket');
    client.registerHandler('gencache.events', (err, msg) => {
      if (err) {
        console.error('[gencache.events error]', err);
        return;
      }
      events.push(msg.body);
      for (const waiter of eventWaiters) {
        waiter(msg.body);
      }
    });
    // The register frame has no reply: give the clustered registration a moment before publishing starts.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  test('gencache.generate: a new prompt is a MISS with a url', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(client, 'needs the connection from the first test');
    const { err, msg } = await request(client, 'gencache.generate', generateBody);
    assert.equal(err, null, `generate failed: ${JSON.stringify(err)}`);
    miss = assertGenerated(msg, 'MISS');
  });

  test('gencache.generate: the same request again is a HIT with the same ids', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(miss, 'needs the MISS from the previous test');
    const { err, msg } = await request(client, 'gencache.generate', generateBody);
    assert.equal(err, null, `generate failed: ${JSON.stringify(err)}`);
    const hit = assertGenerated(msg, 'HIT');
    assert.equal(hit.gencache.key, miss.gencache.key);
    assert.deepEqual(hit.gencache.ids, miss.gencache.ids);
    assert.equal(hit.data[0].url, miss.data[0].url);
  });

  test('gencache.events: image.ready for the generated key', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(miss, 'needs the MISS from an earlier test');
    const ev = await waitForEvent((e) => e.type === 'image.ready' && e.key === miss.gencache.key,
      `image.ready for key ${miss.gencache.key}`);
    assert.deepEqual(ev.ids, miss.gencache.ids);
  });

  test('the image url serves a PNG', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(miss, 'needs the MISS from an earlier test');
    const headers = CLIENT_TOKEN ? { authorization: `Bearer ${CLIENT_TOKEN}` } : {};
    const res = await fetch(miss.data[0].url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^image\/png/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test('gencache.generate: a bad request fails with 400 and an RFC 9457 problem', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(client, 'needs the connection from the first test');
    const { err, msg } = await request(client, 'gencache.generate', { size: 'banana' });
    assert.ok(err, `expected a failure, got ${JSON.stringify(msg)}`);
    assert.equal(err.failureCode, 400);
    assert.equal(err.failureType, 'RECIPIENT_FAILURE');
    const problem = JSON.parse(err.message);
    assert.equal(problem.type, PROBLEM_INVALID);
    assert.equal(problem.status, 400);
    assert.equal(typeof problem.detail, 'string');
  });

  test('gencache.invalidate without the admin token: access_denied', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(client, 'needs the connection from the first test');
    const refused = await expectRefused(client, 'gencache.invalidate', { ids: miss?.gencache.ids ?? [] });
    assertAccessDenied(refused);
    assert.equal(client.state, EventBus.OPEN, 'a refused send leaves the connection open');
  });

  test('an internal address (gencache.internal.leader) is not bridged', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(client, 'needs the connection from the first test');
    assertAccessDenied(await expectRefused(client, 'gencache.internal.leader', {}));
    assert.equal(client.state, EventBus.OPEN, 'a refused send leaves the connection open');
  });

  test('with ?access_token=<admin token>: invalidate by ids, then generate is a MISS again', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(ADMIN_TOKEN, 'GENCACHE_ADMIN_TOKEN is not set: give a token from the node\'s bridge.admin-tokens '
      + '(GENCACHE_BRIDGE_ADMIN_TOKENS)');
    assert.ok(miss, 'needs the MISS from an earlier test');
    admin = await connect(ADMIN_TOKEN);
    const { err, msg } = await request(admin, 'gencache.invalidate', { ids: miss.gencache.ids });
    assert.equal(err, null, `invalidate failed: ${JSON.stringify(err)}`);
    const outcome = msg.body;
    assert.ok(Number.isInteger(outcome.seq) && outcome.seq > 0, `seq > 0: ${JSON.stringify(outcome)}`);
    assert.ok(outcome.removed >= 1, `removed >= 1: ${JSON.stringify(outcome)}`);
    assert.ok(Array.isArray(outcome.acked_by) && Array.isArray(outcome.members), JSON.stringify(outcome));

    const invalidated = await waitForEvent((e) => e.type === 'cache.invalidated' && e.seq === outcome.seq,
      `cache.invalidated seq ${outcome.seq} on the client connection`);
    assert.equal(invalidated.removed, outcome.removed);

    const again = await request(admin, 'gencache.generate', generateBody);
    assert.equal(again.err, null, `generate failed: ${JSON.stringify(again.err)}`);
    const regenerated = assertGenerated(again.msg, 'MISS');
    assert.equal(regenerated.gencache.key, miss.gencache.key);
  });
});
