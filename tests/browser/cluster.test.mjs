// The page on a cluster of two nodes (Postgres: skipped without
// CORKBOARD_TEST_PG, which scripts/test.sh sets). When its board moves to
// another node the page is closed with 4005 (docs/SCALE-OUT.md) and
// reconnects at once; nothing it had is lost or doubled.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { freePort, launch, openBoard, Server, sticker } from './harness.mjs';

const PG = process.env.CORKBOARD_TEST_PG;
let browser;
let n1;
let n2;

before(async () => {
  if (!PG) return;
  const name = `corkboard_browser_${process.pid}_${Date.now()}`;
  execFileSync('psql', [PG, '-qc', `CREATE DATABASE ${name}`]);
  const db = PG.replace(/\/[^/]*$/, `/${name}`);
  const env = (id) => ({ CORKBOARD_NODE_ID: id, CORKBOARD_LEASE_TTL_MS: '2000', CORKBOARD_LEASE_RENEW_MS: '500' });
  n1 = new Server({ port: await freePort(), db, env: env('n1') });
  await n1.up();
  n2 = new Server({ port: await freePort(), db, env: env('n2') });
  await n2.up();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await n1?.down();
  await n2?.down();
});

async function addSticker(page, text) {
  const before = await page.locator('.sticker').count();
  await page.click('#add-sticker');
  await page.locator('.sticker').nth(before).waitFor();
  await page.locator('.sticker.selected').dblclick();
  await page.keyboard.type(text);
  await page.locator('#chat-input').click(); // blur saves
  return sticker(page, text);
}

// A WebSocket upgrade of the board on a node; its HTTP status.
function upgradeStatus(server, board) {
  return new Promise((resolve, reject) => {
    const req = http.get({
      host: '127.0.0.1',
      port: server.port,
      path: `/ws/boards/${board.id}?token=${board.edit_token}&name=elsewhere`,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
}

test('a page whose board moves to another node reconnects and keeps its edits', { skip: !PG && 'CORKBOARD_TEST_PG is not set' }, async () => {
  const board = await n1.createBoard('Moving');
  const a = await openBoard(browser, n1, board, board.edit_token, 'Ada');
  await addSticker(a, 'before the move');
  await a.waitForFunction(() => document.querySelector('#status').textContent === 'Connected');
  const sockets = [];
  a.on('websocket', (ws) => sockets.push(ws));

  // a join on the other node is refused, and n1 hands the board over: the
  // page is closed with 4005 and reconnects (n1 takes the board again,
  // nobody else holds it)
  assert.equal(await upgradeStatus(n2, board), 503);
  const deadline = Date.now() + 15000;
  while (sockets.length === 0) {
    assert.ok(Date.now() < deadline, 'the page did not reconnect');
    await new Promise((r) => setTimeout(r, 50));
  }
  await a.locator('#status[data-state="connected"]').waitFor({ timeout: 15000 });
  const metrics = await (await fetch(`${n1.base}/metrics`)).text();
  assert.match(metrics, /^corkboard_handoffs_total 1$/m);

  await addSticker(a, 'after the move');
  await a.waitForFunction(() => document.querySelector('#status').textContent === 'Connected');
  const state = await n1.state(board);
  assert.deepEqual(state.stickers.map((s) => s.text).sort(), ['after the move', 'before the move']);
  assert.equal(await a.locator('.sticker').count(), 2);
  assert.deepEqual(a.errors, []);
  await a.context().close();
});
