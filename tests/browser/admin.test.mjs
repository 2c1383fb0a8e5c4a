// An admin at work, clicking as an operator does: the charts and the
// boards drawn small, a restore and a delete through their confirmations.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, adminPage, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

test('an admin sees the charts and thumbnails, restores and deletes through confirmations', async () => {
  const board = await server.createBoard('Sprint 42 retro');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(40, 40, 'first'), stickerAt(240, 40, 'second')]);
  await sticker(a, 'second').waitFor();

  const admin = await adminPage(browser, server);
  await admin.setViewportSize({ width: 1280, height: 800 });
  await admin.goto(`${server.base}/admin`);
  assert.equal(await admin.locator('.chart svg').count(), 4, 'four charts');
  await admin.goto(`${server.base}/admin/boards`);
  const thumb = admin.locator('img.thumb').first();
  await thumb.waitFor();
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the board is drawn');

  // restore to seq 1 from the history: the confirmation shows before and after
  await admin.goto(`${server.base}/admin/boards/${board.id}`);
  await admin.locator('a', { hasText: 'Restore to here' }).last().click();
  await admin.locator('.compare img').nth(1).waitFor();
  assert.match(await admin.textContent('h1'), /Restore .* to seq 1/);
  assert.match(await admin.textContent('.confirm'), /0 stickers created, 0 changed, 1 removed/);
  await admin.screenshot({ path: path.join(ARTIFACTS, 'admin-restore-1280.png') });
  await admin.click('button:has-text("Restore")');
  await admin.waitForURL(/done=restored/);
  await sticker(a, 'second').waitFor({ state: 'detached' });

  // delete: refused until the title is typed
  await admin.click('button:has-text("Delete this board")');
  await admin.locator('#confirm-title').waitFor();
  await admin.fill('#confirm-title', 'Sprint 42');
  await admin.click('.confirm-form button.danger');
  assert.match(await admin.textContent('body'), /does not match .* nothing was deleted/);
  await admin.goBack();
  await admin.fill('#confirm-title', 'Sprint 42 retro');
  await admin.click('.confirm-form button.danger');
  await admin.waitForURL(/done=deleted/);
  await a.locator('#ended-banner').waitFor();
  await Promise.all([a, admin].map((p) => p.context().close()));
});
