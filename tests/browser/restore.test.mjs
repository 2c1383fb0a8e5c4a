// Issue 16: members are told of an admin's restore; the admin board page
// charts the board's last hour live.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, adminPage, axe, openBoard, restore, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, reducedMotion: 'reduce' };

test('an admin restore shows a notice on every member page', async () => {
  const board = await server.createBoard('Restored board');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(40, 40, 'kept'), stickerAt(260, 40, 'later one'), stickerAt(40, 220, 'later two')]);
  await sticker(a, 'later two').waitFor();
  const phone = await openBoard(browser, server, board, board.view_token, 'Pat', PHONE);

  const admin = await adminPage(browser, server);
  await restore(admin, server, board, 1);
  for (const p of [a, phone]) {
    await p.locator('#restore-banner').waitFor();
    assert.match(await p.textContent('#restore-banner'), /An admin restored this board\. It is back to how it was on .+; 2 stickers changed\./);
  }
  await sticker(a, 'later two').waitFor({ state: 'detached' });
  await a.screenshot({ path: path.join(ARTIFACTS, 'restore-notice-1280.png') });
  await phone.screenshot({ path: path.join(ARTIFACTS, 'restore-notice-390.png') });
  await axe(a, 'the restore notice');
  await a.click('#restore-dismiss');
  assert.equal(await a.locator('#restore-banner').isVisible(), false);
  for (const p of [a, phone]) assert.deepEqual(p.errors, []);
  await Promise.all([a, phone, admin].map((p) => p.context().close()));
});

test('the admin board page charts the board while it is open, live', async () => {
  const board = await server.createBoard('Charted board');
  const admin = await adminPage(browser, server);
  await admin.setViewportSize({ width: 1280, height: 800 });
  await admin.goto(`${server.base}/admin/boards/${board.id}`);
  assert.match(await admin.textContent('#charts'), /Not open on this server/);

  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(40, 40, 'one'), stickerAt(260, 40, 'two')]);
  await new Promise((r) => setTimeout(r, 2500)); // a few samples, one a second
  await admin.goto(`${server.base}/admin/boards/${board.id}`);
  assert.equal(await admin.locator('#charts .chart svg').count(), 3, 'members, events, commits');
  assert.equal(await admin.textContent('#chart-members strong'), '1');
  await admin.locator('#charts').scrollIntoViewIfNeeded();
  await admin.screenshot({ path: path.join(ARTIFACTS, 'admin-board-charts-1280.png'), fullPage: false });
  await axe(admin, 'the admin board page with charts');

  // a second member: the charts catch up without a reload (admin.js, every 10 s)
  const b = await openBoard(browser, server, board, board.view_token, 'Bob');
  await admin.locator('#chart-members strong', { hasText: '2' }).waitFor({ timeout: 25000 });
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.locator('#charts').scrollIntoViewIfNeeded();
  await admin.screenshot({ path: path.join(ARTIFACTS, 'admin-board-charts-390.png') });
  await Promise.all([a, b, admin].map((p) => p.context().close()));
});
