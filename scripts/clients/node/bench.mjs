// Round trip of gencache.generate on a cache HIT over the SockJS bridge with the npm client:
// sequential requests, one at a time, after a warm-up; bounded in count and time.
//
//   node scripts/clients/node/bench.mjs --url http://127.0.0.1:8080 [--requests 5000] [--warmup 2000] [--seconds 60]
import EventBus from '@vertx/eventbus-bridge-client.js';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const url = (args.url ?? '').replace(/\/+$/, '');
const requests = Number(args.requests ?? 5000);
const warmup = Number(args.warmup ?? 2000);
const seconds = Number(args.seconds ?? 60);
if (!url) {
  console.error('usage: bench.mjs --url http://127.0.0.1:8080 [--requests N] [--warmup N] [--seconds S]');
  process.exit(2);
}
const body = { prompt: `bench sockjs hit ${process.pid}`, size: '256x256' };

function request(eb) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reply within 10 s')), 10_000);
    eb.send('gencache.generate', body, {}, (err, reply) => {
      clearTimeout(timer);
      if (err) reject(new Error(JSON.stringify(err)));
      else resolve(reply.body.gencache.cache);
    });
  });
}

async function run(eb, count, label) {
  const times = [];
  const deadline = Date.now() + seconds * 1000;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const t0 = process.hrtime.bigint();
    const cache = await request(eb);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (label && cache !== 'HIT') throw new Error(`expected a HIT, got ${cache}`);
  }
  return times;
}

const eb = new EventBus(`${url}/eventbus`);
const opened = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the bridge did not open within 15 s')), 15_000);
  eb.onopen = () => { clearTimeout(timer); resolve(); };
});
try {
  await opened;
  await request(eb); // the one generation
  await run(eb, warmup, null);
  const t = (await run(eb, requests, 'measured')).sort((a, b) => a - b);
  const q = (p) => Math.round(t[Math.min(t.length - 1, Math.floor(p * t.length))]);
  const mean = Math.round(t.reduce((s, x) => s + x, 0) / t.length);
  console.log(`  bridge generate (SockJS, npm client)  ${String(t.length).padStart(5)}  p50 ${q(0.5)}  p90 ${q(0.9)}`
    + `  p99 ${q(0.99)}  max ${Math.round(t[t.length - 1])}  mean ${mean} us`);
  console.log(`RESULT sockjs cache HIT round trip, ${t.length} sequential requests: p50 ${q(0.5)} / p90 ${q(0.9)}`
    + ` / p99 ${q(0.99)} / max ${Math.round(t[t.length - 1])} us; all HIT`);
} finally {
  eb.enableReconnect(false);
  eb.close();
}
