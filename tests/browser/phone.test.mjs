// Defect 6: the phone layout (390 × 844): one toolbar row, the sidebar as a
// drawer, pinch to zoom, long-press for the menu.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2, reducedMotion: 'reduce' };

// Touches through the DevTools protocol: Playwright has no multi-touch.
async function touch(page) {
  const cdp = await page.context().newCDPSession(page);
  const send = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });
  return { send };
}

test('a phone gets one toolbar row, the board almost whole, and the sidebar as a drawer', async () => {
  const board = await server.createBoard('Phone retro with a long title');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada', PHONE);
  await scriptOps(a, server, board, board.edit_token, [
    stickerAt(20, 30, 'Went well: the demo'),
    stickerAt(200, 60, 'To improve: flaky tests', { color: '#f48fb1' }),
    stickerAt(60, 220, 'Idea: pair on reviews', { color: '#90caf9' }),
  ]);
  await sticker(a, 'Idea').waitFor();
  const bar = await a.locator('.toolbar').boundingBox();
  const vp = await a.locator('#viewport').boundingBox();
  assert.ok(bar.height <= 56, `toolbar ${bar.height} px high`);
  assert.ok(vp.height >= 780, `board ${vp.height} px high`);
  assert.equal(vp.width, 390);
  for (const id of ['#add-sticker', '#tools-toggle', '#drawer-toggle']) assert.equal(await a.locator(id).isVisible(), true, id);
  assert.equal(await a.locator('#undo').isVisible(), false, 'folded tools');
  assert.equal(await a.locator('#chat-input').isVisible(), false, 'the sidebar is a closed drawer');
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-390.png') });

  // the tools menu
  await a.tap('#tools-toggle');
  await a.locator('#undo').waitFor();
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-390-tools.png') });
  await a.tap('#tools-toggle');
  await a.locator('#undo').waitFor({ state: 'hidden' });

  // the drawer: chat works from it; Escape closes it
  await a.tap('#drawer-toggle');
  await a.locator('#chat-input').waitFor();
  const side = await a.locator('#side').boundingBox();
  assert.ok(side.x + side.width <= 391 && side.x >= 0, `drawer in view: ${JSON.stringify(side)}`);
  await a.fill('#chat-input', 'from my phone');
  await a.press('#chat-input', 'Enter');
  await a.locator('#chat-log li', { hasText: 'from my phone' }).waitFor();
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-390-drawer.png') });
  await a.keyboard.press('Escape');
  await a.locator('#chat-input').waitFor({ state: 'hidden' });
  assert.equal(await a.evaluate(() => document.activeElement.id), 'drawer-toggle');
  await a.context().close();
});

test('pinch zooms the board; long-press opens the sticker menu', async () => {
  const board = await server.createBoard('Pinch');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada', PHONE);
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 200, 'press me')]);
  await sticker(a, 'press me').waitFor();
  const t = await touch(a);
  // two fingers apart: zoom in
  await t.send('touchStart', [[150, 500], [250, 500]]);
  for (let i = 1; i <= 10; i++) await t.send('touchMove', [[150 - i * 10, 500], [250 + i * 10, 500]]);
  await t.send('touchEnd', []);
  const zoom = parseInt(await a.textContent('#reset-view'), 10);
  assert.ok(zoom >= 250 && zoom <= 350, `pinch to 3× the spread gives ${zoom} %`);
  await a.tap('#reset-view');
  assert.equal(await a.textContent('#reset-view'), '100 %');

  // a long press on a sticker: its menu; on the board: add a sticker there
  const box = await sticker(a, 'press me').boundingBox();
  await t.send('touchStart', [[box.x + 40, box.y + 40]]);
  await a.waitForTimeout(700);
  await t.send('touchEnd', []);
  const menu = a.locator('#context-menu');
  await menu.waitFor();
  assert.match(await menu.textContent(), /Edit text.*Bring to front.*Delete/);
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-390-menu.png') });
  await menu.getByRole('menuitem', { name: 'Colour: Blue' }).tap();
  await a.waitForFunction(() => getComputedStyle(document.querySelector('.sticker')).backgroundColor === 'rgb(144, 202, 249)');
  assert.equal(await menu.isVisible(), false);
  // a short tap is no long press; the sticker did not move
  const after = await sticker(a, 'press me').boundingBox();
  assert.deepEqual([after.x, after.y], [box.x, box.y]);

  await t.send('touchStart', [[200, 600]]);
  await a.waitForTimeout(700);
  await t.send('touchEnd', []);
  await menu.getByRole('menuitem', { name: 'Add a sticker here' }).tap();
  await a.locator('.text-edit').waitFor();
  await a.keyboard.type('added by long press');
  await a.keyboard.press('Control+Enter');
  const added = await sticker(a, 'added by long press').boundingBox();
  assert.ok(Math.abs(added.x + added.width / 2 - 200) < 3 && Math.abs(added.y + added.height / 2 - 600) < 3, JSON.stringify(added));
  await a.context().close();
});
