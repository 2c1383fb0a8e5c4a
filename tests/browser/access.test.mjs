// Defect 1: access that ended. Kicked, link rotated, board deleted, or an
// upgrade refused: the page turns read-only at once, says what happened
// and what to do, and never reconnects into a loop.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { ARTIFACTS, Server, adminPage, deleteBoard, kick, launch, openBoard, rotate, sticker } from './harness.mjs';

let server;
let browser;
let admin;

before(async () => {
  server = await Server.start();
  browser = await launch();
  admin = await adminPage(browser, server);
});

after(async () => {
  await browser?.close();
  await server?.down();
});

// New sockets a page opens from now on.
function countSockets(page) {
  const seen = { n: 0 };
  page.on('websocket', () => (seen.n += 1));
  return seen;
}

async function isReadOnly(page, words) {
  const banner = page.locator('#ended-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), words);
  assert.equal(await page.textContent('#status'), 'Disconnected');
  assert.equal(await page.locator('#add-sticker').isVisible(), false, '+ Sticker is gone');
  // no local-only stickers: double-click and N add nothing
  const count = await page.locator('.sticker').count();
  const vp = await page.locator('#viewport').boundingBox();
  await page.mouse.dblclick(vp.x + 500, vp.y + 500);
  await page.locator('#viewport').focus();
  await page.keyboard.press('n');
  assert.equal(await page.locator('.sticker').count(), count);
  assert.equal(await page.locator('.text-edit').count(), 0);
  assert.equal(await page.locator('#chat-input').isDisabled(), true);
}

test('a kicked member gets a read-only page that says so, and no reconnect loop', async () => {
  const board = await server.createBoard('Kick');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await a.click('#add-sticker');
  await a.keyboard.type('still here');
  await a.keyboard.press('Control+Enter');
  await sticker(b, 'still here').waitFor();
  const sockets = countSockets(a);
  await kick(admin, server, board, 'Ada');
  await isReadOnly(a, /removed from this board/);
  assert.match(await a.textContent('#ended-banner'), /reload the page/i);
  assert.equal(await a.locator('#ended-reload').isVisible(), true);
  await sticker(a, 'still here').waitFor(); // the last state stays visible
  mkdirSync(ARTIFACTS, { recursive: true });
  await a.screenshot({ path: path.join(ARTIFACTS, 'ended-1280.png') });
  await a.waitForTimeout(3000);
  assert.equal(sockets.n, 0, 'no reconnect after a kick');
  // the other member goes on
  await b.click('#add-sticker');
  await b.keyboard.type('bob goes on');
  await b.keyboard.press('Control+Enter');
  await b.locator('#members li', { hasText: 'Ada' }).waitFor({ state: 'detached' });
  assert.equal(await b.locator('#ended-banner').isVisible(), false);
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('a kick that keeps the member out: a reload says so and does not loop', async () => {
  const board = await server.createBoard('Kept out');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await kick(admin, server, board, 'Ada', 15);
  await isReadOnly(a, /removed from this board/);
  const sockets = countSockets(a);
  await a.reload();
  await isReadOnly(a, /removed from this board for a while/);
  assert.match(await a.textContent('#ended-banner'), /let you back in/);
  await a.waitForTimeout(3000);
  assert.ok(sockets.n <= 1, `one refused upgrade, no loop (${sockets.n})`);
  // another browser with the same link is not kept out
  const other = await openBoard(browser, server, board, board.edit_token, 'Eve');
  assert.equal(await other.locator('#ended-banner').isVisible(), false);
  await Promise.all([a, other].map((p) => p.context().close()));
});

test('a rotated edit link ends the editors, not the viewers; a delete ends everyone and keeps typed text', async () => {
  const board = await server.createBoard('Rotate');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const v = await openBoard(browser, server, board, board.view_token, 'Vic');
  const sockets = countSockets(a);
  await rotate(admin, server, board, 'edit');
  await isReadOnly(a, /link no longer opens the board/);
  assert.match(await a.textContent('#ended-banner'), /Ask the board’s owner for the current link/);
  assert.equal(await a.locator('#ended-reload').isVisible(), false);
  assert.equal(await v.getAttribute('#status', 'data-state'), 'connected');

  // a new editor with the new link, typing, when the board is deleted
  await admin.goto(`${server.base}/admin/boards/${board.id}`);
  const link = await admin.inputValue('#edit-link');
  const e = await openBoard(browser, server, { id: board.id }, new URL(link).searchParams.get('token'), 'Eve');
  await e.click('#add-sticker');
  await e.keyboard.type('half a thought');
  await deleteBoard(admin, server, board);
  await isReadOnly(e, /This board was deleted/);
  assert.equal(await e.inputValue('#ended-text'), 'half a thought');
  await isReadOnly(v, /This board was deleted/);
  await e.waitForTimeout(2000);
  assert.equal(sockets.n, 0);
  await Promise.all([a, v, e].map((p) => p.context().close()));
});

test('an upgrade refused with 404 after a reconnect means the board is gone', async () => {
  const board = await server.createBoard('Vanish');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  // the server comes back without this board (another database)
  await server.down();
  await a.locator('#status[data-state="reconnecting"]').waitFor();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'corkboard-browser-'));
  const other = new Server({ port: server.port, db: path.join(dir, 'other.db') });
  await other.up();
  try {
    await isReadOnly(a, /This board was deleted/);
    const sockets = countSockets(a);
    await a.waitForTimeout(2500);
    assert.equal(sockets.n, 0, 'no reconnect loop after a refused upgrade');
  } finally {
    await a.context().close();
    await other.down();
    await server.up();
  }
});
