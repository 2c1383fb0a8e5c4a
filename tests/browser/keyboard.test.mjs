// Defects 2 and 3: keyboard focus and shortcuts; focus never scrolls the board.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const active = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName, id: el?.id, cls: el?.className, sticker: el?.closest('.sticker')?.querySelector('.text')?.textContent ?? null };
  });

async function typeNew(page, text) {
  await page.click('#add-sticker');
  await page.keyboard.type(text);
  await page.keyboard.press('Control+Enter');
  await sticker(page, text).waitFor();
}

test('board keys act only on the board; focus follows new, edited and deleted stickers', async () => {
  const board = await server.createBoard('Keys');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');

  // a new sticker opens its editor with focus in it; Ctrl+Enter saves and focus stays on it
  await a.click('#add-sticker');
  let f = await active(a);
  assert.equal(f.tag, 'TEXTAREA');
  await a.keyboard.type('one');
  await a.keyboard.press('Control+Enter');
  f = await active(a);
  assert.equal(f.sticker, 'one');
  assert.equal(await a.locator('.sticker.selected').count(), 1);

  // Enter on "+ Sticker" adds a sticker; it does not open the selected one's editor
  await a.locator('#add-sticker').focus();
  await a.keyboard.press('Enter');
  await a.locator('.sticker').nth(1).waitFor();
  f = await active(a);
  assert.equal(f.tag, 'TEXTAREA');
  assert.equal(await a.locator('.sticker', { hasText: 'one' }).locator('.text-edit').count(), 0);
  await a.keyboard.type('two');
  await a.keyboard.press('Escape'); // Escape in the editor: not saved
  await a.keyboard.press('Enter'); // Enter on the focused sticker edits it
  await a.keyboard.type('two');
  await a.keyboard.press('Control+Enter');
  await sticker(a, 'two').waitFor();

  // Delete on a toolbar button or "Join call" deletes nothing
  await a.locator('#call-join').focus();
  await a.keyboard.press('Delete');
  await a.locator('#undo').focus();
  await a.keyboard.press('Backspace');
  await a.waitForTimeout(200);
  assert.equal(await a.locator('.sticker').count(), 2);

  // Delete on the selected sticker: focus goes to the other sticker, then to the board
  await sticker(a, 'two').click();
  await a.keyboard.press('Delete');
  await sticker(a, 'two').waitFor({ state: 'detached' });
  f = await active(a);
  assert.equal(f.sticker, 'one');
  await a.keyboard.press('Delete');
  await a.locator('.sticker').waitFor({ state: 'detached' });
  f = await active(a);
  assert.equal(f.id, 'viewport');
  await a.context().close();
});

test('Tab: a skip link, one tab stop for all stickers, Ctrl+arrows between them, Escape deselects', async () => {
  const board = await server.createBoard('Tabs');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [
    stickerAt(100, 100, 'left'),
    stickerAt(400, 100, 'right'),
    stickerAt(100, 350, 'below'),
    stickerAt(450, 380, 'far'),
  ]);
  await sticker(a, 'far').waitFor();
  await a.reload();
  await a.locator('#status[data-state="connected"]').waitFor();
  await sticker(a, 'far').waitFor();

  // the first Tab reaches the skip link; it leads to the board
  await a.keyboard.press('Tab');
  assert.equal(await a.evaluate(() => document.activeElement.textContent), 'Skip to the board');
  await a.keyboard.press('Enter');
  assert.equal((await active(a)).id, 'viewport');

  // the arrows from the board pick a sticker; Ctrl+arrows walk between them
  await a.keyboard.press('ArrowUp');
  const first = (await active(a)).sticker;
  assert.ok(first, 'a sticker has focus');
  await sticker(a, 'left').click();
  await a.keyboard.press('Control+ArrowRight');
  assert.equal((await active(a)).sticker, 'right');
  await a.keyboard.press('Control+ArrowDown');
  assert.equal((await active(a)).sticker, 'far');
  await a.keyboard.press('Control+ArrowLeft');
  assert.equal((await active(a)).sticker, 'below');

  // one tab stop: the next Tab leaves the board for the sidebar
  await a.keyboard.press('Tab');
  const next = await active(a);
  assert.ok(!next.sticker, `Tab left the stickers (now on ${JSON.stringify(next)})`);
  assert.ok(await a.evaluate(() => !!document.activeElement.closest('.zoom, #side, #ended-banner')), `focus after the board: ${JSON.stringify(next)}`);
  await a.keyboard.press('Shift+Tab');
  assert.equal((await active(a)).sticker, 'below');

  // the sticker's menu from the keyboard: Shift+F10, arrows, Escape back to the sticker
  await a.keyboard.press('Shift+F10');
  await a.locator('#context-menu').waitFor();
  assert.equal(await a.evaluate(() => document.activeElement.textContent), 'Edit text');
  assert.equal(await a.locator('#context-menu').count(), 1);
  await a.keyboard.press('ArrowDown');
  assert.match(await a.evaluate(() => document.activeElement.getAttribute('aria-label')), /^Colour: /);
  await a.keyboard.press('Escape');
  await a.locator('#context-menu').waitFor({ state: 'hidden' });
  assert.equal((await active(a)).sticker, 'below');

  // Escape deselects and leaves focus on the board
  await a.keyboard.press('Escape');
  assert.equal(await a.locator('.sticker.selected').count(), 0);
  assert.equal((await active(a)).id, 'viewport');
  await a.context().close();
});

test('focus on a sticker out of view pans the board, never scrolls it; Reset view and double-click still agree', async () => {
  const board = await server.createBoard('Far');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 100, 'home'), stickerAt(2600, 1900, 'far away')]);
  await sticker(a, 'far away').waitFor({ state: 'attached' });
  const vp = await a.locator('#viewport').boundingBox();
  const inView = async (text) => {
    const b = await sticker(a, text).boundingBox();
    return b.x >= vp.x && b.y >= vp.y && b.x + b.width <= vp.x + vp.width && b.y + b.height <= vp.y + vp.height;
  };
  assert.equal(await inView('far away'), false);

  // keyboard: from "home", Ctrl+arrow to the far sticker brings it into view
  await sticker(a, 'home').click();
  await a.keyboard.press('Control+ArrowDown');
  assert.equal((await active(a)).sticker, 'far away');
  assert.equal(await inView('far away'), true);
  let scroll = await a.evaluate(() => [document.getElementById('viewport').scrollLeft, document.getElementById('viewport').scrollTop]);
  assert.deepEqual(scroll, [0, 0]);

  // Tab back to it from the zoom buttons after a reset: in view, the board not scrolled
  await a.click('#reset-view');
  assert.equal(await inView('far away'), false);
  await a.keyboard.press('Shift+Tab');
  await a.keyboard.press('Shift+Tab');
  assert.equal((await active(a)).sticker, 'far away');
  await a.waitForTimeout(100);
  scroll = await a.evaluate(() => [document.getElementById('viewport').scrollLeft, document.getElementById('viewport').scrollTop]);
  assert.deepEqual(scroll, [0, 0]);
  assert.equal(await inView('far away'), true, `after focus: ${JSON.stringify(await sticker(a, 'far away').boundingBox())} in ${JSON.stringify(vp)}`);

  // Reset view puts everything back; a double-click makes a sticker under the pointer
  await a.click('#reset-view');
  assert.equal(await inView('home'), true);
  assert.equal(await a.textContent('#reset-view'), '100 %');
  await a.mouse.dblclick(vp.x + 600, vp.y + 400);
  await a.locator('.text-edit').waitFor();
  await a.keyboard.type('here');
  await a.keyboard.press('Control+Enter');
  const b = await sticker(a, 'here').boundingBox();
  assert.ok(Math.abs(b.x + b.width / 2 - (vp.x + 600)) < 2 && Math.abs(b.y + b.height / 2 - (vp.y + 400)) < 2, `new sticker at ${JSON.stringify(b)}`);
  await a.context().close();
});
