// Issue 15: who wrote a sticker (on hover, and under it when selected),
// the board renamed from the page, and a member's own name changed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, axe, openBoard, startBoth, sticker, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, reducedMotion: 'reduce' };

/** Writes a new sticker through the page, as a member does. */
async function write(page, text) {
  await page.click('#add-sticker');
  const box = page.locator('.sticker textarea');
  await box.waitFor();
  await box.fill(text);
  await page.keyboard.press('Control+Enter');
  await page.locator('.sticker:not(.unsaved)', { hasText: text }).waitFor();
}

test('each sticker says who wrote it and who changed it last', async () => {
  const board = await server.createBoard('Who wrote what');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await write(a, 'Ship on Friday');
  const onB = sticker(b, 'Ship on Friday');
  await onB.waitFor();
  assert.equal(await onB.locator('.text').getAttribute('title'), 'Written by Ada');
  // Bob changes it: the last editor is Bob, the author still Ada
  await onB.click();
  await b.keyboard.press('Enter');
  const box = b.locator('.sticker textarea');
  await box.waitFor();
  await box.fill('Ship on Monday');
  await b.keyboard.press('Control+Enter');
  const onA = sticker(a, 'Ship on Monday');
  await onA.waitFor();
  await assert.doesNotReject(() =>
    a.waitForFunction(() => document.querySelector('.sticker .text')?.getAttribute('title') === 'Written by Ada, last changed by Bob'),
  );
  // shown small under it on hover (Ada's own new sticker is still selected)
  await a.keyboard.press('Escape');
  await a.mouse.move(1200, 700);
  const label = onA.locator('.writer');
  assert.equal(await label.isVisible(), false, 'not cluttering the board');
  await onA.hover();
  await label.waitFor();
  assert.equal(await label.textContent(), 'Ada · edited by Bob');
  await a.screenshot({ path: path.join(ARTIFACTS, 'writers-hover-1280.png') });

  // a reload: from the server's snapshot
  await a.reload();
  await a.locator('#status[data-state="connected"]').waitFor();
  assert.equal(await sticker(a, 'Ship on Monday').locator('.text').getAttribute('title'), 'Written by Ada, last changed by Bob');

  // a phone has no hover: the sticker shows it when selected
  const phone = await openBoard(browser, server, board, board.view_token, 'Cy', PHONE);
  const onPhone = sticker(phone, 'Ship on Monday');
  await onPhone.waitFor();
  assert.equal(await onPhone.locator('.writer').isVisible(), false);
  await onPhone.locator('.text').tap();
  await onPhone.locator('.writer').waitFor();
  await phone.screenshot({ path: path.join(ARTIFACTS, 'writers-selected-390.png') });
  await axe(a, 'board with writers');
  for (const p of [a, b, phone]) assert.deepEqual(p.errors, []);
  await Promise.all([a, b, phone].map((p) => p.context().close()));
});

test('an editor renames the board from the page; a viewer cannot', async () => {
  const board = await server.createBoard('Old name');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const v = await openBoard(browser, server, board, board.view_token, 'Vic');
  assert.equal(await v.locator('#rename-board').isVisible(), false, 'no pencil for a viewer');
  await v.click('#board-title');
  assert.equal(await v.locator('#title-form').isVisible(), false, 'the title stays read-only');

  await a.click('#board-title');
  await a.locator('#title-input').waitFor();
  assert.equal(await a.inputValue('#title-input'), 'Old name');
  await a.screenshot({ path: path.join(ARTIFACTS, 'rename-board-1280.png') });
  await a.fill('#title-input', '  Q3 planning  ');
  await a.press('#title-input', 'Enter');
  await v.locator('#board-title', { hasText: 'Q3 planning' }).waitFor();
  await v.waitForFunction(() => document.title === 'Q3 planning · corkboard');
  assert.equal(await a.title(), 'Q3 planning · corkboard');
  assert.equal(await a.evaluate(() => document.activeElement?.id), 'rename-board', 'focus comes back');

  // Escape keeps the title; the pencil does the same as a click on it
  await a.click('#rename-board');
  await a.fill('#title-input', 'Not this');
  await a.press('#title-input', 'Escape');
  assert.equal(await a.textContent('#board-title'), 'Q3 planning');
  // stored: a new page gets it
  const c = await openBoard(browser, server, board, board.view_token, 'Cy');
  assert.equal(await c.textContent('#board-title'), 'Q3 planning');
  for (const p of [a, v, c]) assert.deepEqual(p.errors, []);
  await Promise.all([a, v, c].map((p) => p.context().close()));
});

test('a member changes their name; the others see it at once, with no leave or join', async () => {
  const board = await server.createBoard('Names');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await b.locator('#members li', { hasText: 'Ada' }).waitFor();
  const before = await b.locator('#members li', { hasText: 'Ada' }).getAttribute('data-session');

  await a.click('#change-name');
  await a.locator('#me-dialog[open]').waitFor();
  assert.equal(await a.inputValue('#me-input'), 'Ada');
  await axe(a, 'the name dialog');
  await a.fill('#me-input', 'Ada Lovelace');
  await a.screenshot({ path: path.join(ARTIFACTS, 'change-name-1280.png') });
  await a.click('#me-dialog button[value="save"]');
  const row = b.locator('#members li', { hasText: 'Ada Lovelace' });
  await row.waitFor();
  assert.equal(await row.getAttribute('data-session'), before, 'the same member, renamed');
  assert.equal(await b.locator('#members li').count(), 2);
  await a.locator('#members li', { hasText: 'Ada Lovelace (you)' }).waitFor();
  assert.equal(await a.evaluate(() => localStorage.getItem('corkboard.name')), 'Ada Lovelace');

  // what she writes now is hers under the new name (a reload joins with it:
  // the harness sets the name again on each load, so that is not shown here)
  await write(a, 'Renamed and writing');
  await b.waitForFunction(() =>
    [...document.querySelectorAll('.sticker .text')].some((t) => t.getAttribute('title') === 'Written by Ada Lovelace'),
  );

  // on a phone: the drawer's members, the same dialog
  const phone = await openBoard(browser, server, board, board.edit_token, 'Cy', PHONE);
  await phone.click('#drawer-toggle');
  await phone.click('#change-name');
  await phone.locator('#me-dialog[open]').waitFor();
  await phone.screenshot({ path: path.join(ARTIFACTS, 'change-name-390.png') });
  await phone.click('#me-dialog button[value="cancel"]');
  assert.equal(await phone.evaluate(() => localStorage.getItem('corkboard.name')), 'Cy', 'cancel changes nothing');
  for (const p of [a, b, phone]) assert.deepEqual(p.errors, []);
  await Promise.all([a, b, phone].map((p) => p.context().close()));
});
