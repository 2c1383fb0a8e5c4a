// Defects 4 and 5: long text shows that it goes on and scrolls; text typed
// into a sticker someone deletes is not lost.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

test('a long text is marked as cut and scrolls, for editors and viewers', async () => {
  const board = await server.createBoard('Long');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const v = await openBoard(browser, server, board, board.view_token, 'Vic');
  const long = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(200, 150, long), stickerAt(500, 150, 'short')]);
  for (const page of [a, v]) {
    const el = page.locator('.sticker', { hasText: 'line 40' });
    await el.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.sticker.overflows').length === 1);
    assert.equal(await el.locator('.more').isVisible(), true, 'the "more" sign shows');
    assert.equal(await sticker(page, 'short').locator('.more').isVisible(), false);
    // the wheel over it scrolls the text, not the board
    const world = await page.evaluate(() => document.getElementById('world').style.transform);
    const box = await el.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 200);
    await page.waitForFunction(() => document.querySelector('.sticker.overflows.at-end'));
    assert.ok((await el.locator('.text').evaluate((t) => t.scrollTop)) > 0);
    assert.equal(await page.evaluate(() => document.getElementById('world').style.transform), world, 'the board did not pan');
    assert.equal(await el.locator('.more').isVisible(), false, 'at the end the sign goes');
    // the keyboard scrolls it too (Page Up on the focused sticker)
    await el.click();
    await page.keyboard.press('PageUp');
    await page.keyboard.press('PageUp');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('.sticker.overflows .text').scrollTop === 0);
  }
  await Promise.all([a, v].map((p) => p.context().close()));
});

test('someone deletes the sticker I am typing in: I am told and can keep my text', async () => {
  const board = await server.createBoard('Lost');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(300, 200, 'draft', { color: '#a5d6a7' })]);
  await sticker(a, 'draft').dblclick();
  await a.locator('.text-edit').waitFor();
  await a.keyboard.press('End');
  await a.keyboard.type(' with my precious words');
  // Bob deletes it meanwhile
  await sticker(b, 'draft').click();
  await b.keyboard.press('Delete');
  const dialog = a.locator('#lost-dialog[open]');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Bob deleted the sticker you were editing/);
  assert.equal(await a.textContent('#lost-text'), 'draft with my precious words');
  await a.click('#lost-keep');
  await sticker(b, 'draft with my precious words').waitFor();
  const state = await server.state(board);
  assert.deepEqual(
    state.stickers.map((s) => [s.text, s.color]),
    [['draft with my precious words', '#a5d6a7']],
  );
  await Promise.all([a, b].map((p) => p.context().close()));
});
