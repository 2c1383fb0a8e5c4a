// Two or three Chromium pages on one board against a real server.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openBoard, startBoth, sticker, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

async function addSticker(page, text) {
  const before = await page.locator('.sticker').count();
  await page.click('#add-sticker');
  await page.locator('.sticker').nth(before).waitFor();
  const el = page.locator('.sticker.selected');
  await el.dblclick();
  await page.keyboard.type(text);
  await page.locator('#chat-input').click(); // blur saves
  return sticker(page, text);
}

test('home page creates a board and shows both links', async () => {
  const page = await browser.newPage();
  const res = await page.goto(server.base + '/');
  const headers = res.headers();
  assert.match(headers['content-security-policy'], /script-src 'self'/);
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  await page.fill('#title', 'Retro');
  await page.click('#create-form button');
  await page.locator('#created').waitFor();
  const edit = await page.inputValue('#edit-link');
  const view = await page.inputValue('#view-link');
  assert.match(edit, /\/b\/[\w-]+\?token=/, `edit link: ${edit}`);
  assert.notEqual(edit, view);
  await page.click('#open-board');
  // a fresh browser is asked for a name once
  await page.fill('#name-input', 'Ada');
  await page.click('#name-form button');
  await page.locator('#status[data-state="connected"]').waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('corkboard.name')), 'Ada');
  assert.equal(await page.textContent('#board-title'), 'Retro');
  await page.close();
});

test('two members edit, chat and see each other live; a viewer cannot edit', async () => {
  const board = await server.createBoard('Live');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');

  const onA = await addSticker(a, 'first idea');
  const onB = sticker(b, 'first idea');
  await onB.waitFor();

  // drag on A, B sees it move
  const startB = await onB.boundingBox();
  const box = await onA.boundingBox();
  await a.mouse.move(box.x + 20, box.y + 20);
  await a.mouse.down();
  for (let i = 1; i <= 10; i++) await a.mouse.move(box.x + 20 + i * 15, box.y + 20 + i * 8);
  await a.mouse.up();
  await b.waitForFunction(
    ([x]) => document.querySelector('.sticker')?.getBoundingClientRect().x > x + 100,
    [startB.x],
  );

  // colour (from the sticker's menu), then delete
  await onA.click({ button: 'right' });
  await a.click('#context-menu .swatch[data-color="#90caf9"]');
  await b.waitForFunction(() => getComputedStyle(document.querySelector('.sticker')).backgroundColor === 'rgb(144, 202, 249)');

  // text as text, never HTML
  const xss = '<img src=x onerror=alert(1)>';
  await addSticker(a, xss);
  const xssOnB = sticker(b, xss);
  await xssOnB.waitFor();
  assert.equal(await xssOnB.locator('img').count(), 0);
  assert.equal(await xssOnB.locator('.text').textContent(), xss);
  assert.equal(b.alertSeen, undefined);

  // delete with the Delete key
  await sticker(a, 'first idea').click();
  await a.keyboard.press('Delete');
  await sticker(b, 'first idea').waitFor({ state: 'detached' });

  // chat both ways
  await a.fill('#chat-input', 'hello from Ada');
  await a.press('#chat-input', 'Enter');
  await b.locator('#chat-log li', { hasText: 'hello from Ada' }).waitFor();
  await b.fill('#chat-input', 'hi Ada');
  await b.press('#chat-input', 'Enter');
  await a.locator('#chat-log li', { hasText: 'hi Ada' }).waitFor();

  // cursors and members
  const vp = await b.locator('#viewport').boundingBox();
  await b.mouse.move(vp.x + 300, vp.y + 300);
  await b.mouse.move(vp.x + 320, vp.y + 310);
  await a.locator('.cursor', { hasText: 'Bob' }).waitFor();
  await a.locator('#members li', { hasText: 'Bob' }).waitFor();

  // a viewer sees the same board, has no editing controls, can chat
  const v = await openBoard(browser, server, board, board.view_token, 'Vic');
  await sticker(v, xss).waitFor();
  assert.equal(await v.locator('#add-sticker').isVisible(), false);
  const count = await v.locator('.sticker').count();
  const vbox = await v.locator('#viewport').boundingBox();
  await v.mouse.dblclick(vbox.x + 600, vbox.y + 500);
  await sticker(v, xss).dblclick();
  assert.equal(await v.locator('.text-edit').count(), 0);
  await v.fill('#chat-input', 'viewer here');
  await v.press('#chat-input', 'Enter');
  await a.locator('#chat-log li', { hasText: 'viewer here' }).waitFor();
  assert.equal(await v.locator('.sticker').count(), count);

  // the artifact: two members, stickers and chat
  mkdirSync(path.resolve(import.meta.dirname, '../../artifacts'), { recursive: true });
  await a.screenshot({ path: path.resolve(import.meta.dirname, '../../artifacts/board.png') });
  await Promise.all([a, b, v].map((p) => p.context().close()));
});

test('undo and redo of my own changes', async () => {
  const board = await server.createBoard('Undo');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await addSticker(a, 'undo me');
  await sticker(b, 'undo me').waitFor();
  // undo the text edit, then the creation
  await a.locator('#viewport').click({ position: { x: 5, y: 5 } });
  await a.keyboard.press('Control+z');
  await b.waitForFunction(() => [...document.querySelectorAll('.sticker .text')].every((t) => t.textContent === ''));
  await a.keyboard.press('Control+z');
  await b.locator('.sticker').waitFor({ state: 'detached' });
  await a.keyboard.press('Control+Shift+z');
  await b.locator('.sticker').waitFor();
  await a.keyboard.press('Control+y');
  await sticker(b, 'undo me').waitFor();
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('pages reconnect after a restart; edits made while down land exactly once', async () => {
  const board = await server.createBoard('Restart');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await addSticker(a, 'before restart');
  await sticker(b, 'before restart').waitFor();

  await server.down();
  await a.locator('#status[data-state="reconnecting"]').waitFor();
  await b.locator('#status[data-state="reconnecting"]').waitFor();
  // made while the socket is down: kept and sent on reconnect
  await addSticker(a, 'made offline');
  await a.fill('#chat-input', 'sent offline');
  await a.press('#chat-input', 'Enter');

  await server.up();
  await a.locator('#status[data-state="connected"]').waitFor({ timeout: 30000 });
  await b.locator('#status[data-state="connected"]').waitFor({ timeout: 30000 });
  await sticker(b, 'made offline').waitFor();
  await b.locator('#chat-log li', { hasText: 'sent offline' }).waitFor();
  await sticker(b, 'before restart').waitFor();

  // exactly once, in the stored state too
  await a.waitForFunction(() => document.querySelector('#status').textContent === 'Connected');
  const state = await server.state(board);
  assert.equal(state.stickers.filter((s) => s.text === 'made offline').length, 1);
  assert.equal(state.stickers.length, 2);
  assert.equal(await b.locator('.sticker').count(), 2);
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('a conflicting text edit shows the other text and lets me keep mine', async () => {
  const board = await server.createBoard('Conflict');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await addSticker(a, 'base');
  await sticker(b, 'base').waitFor();
  // B starts editing, then A saves first
  await sticker(b, 'base').dblclick();
  await b.locator('.text-edit').waitFor();
  await sticker(a, 'base').dblclick();
  await a.locator('.text-edit').fill('from A');
  await a.locator('#chat-input').click();
  await sticker(a, 'from A').waitFor();
  await b.locator('.text-edit').fill('from B');
  await b.locator('#chat-input').click();
  // B is told, sees A's text, keeps its own
  await b.locator('#conflict-dialog[open]').waitFor();
  assert.equal(await b.textContent('#conflict-theirs'), 'from A');
  assert.equal(await b.textContent('#conflict-mine'), 'from B');
  await b.click('#keep-mine');
  await sticker(a, 'from B').waitFor();
  const state = await server.state(board);
  assert.deepEqual(state.stickers.map((s) => s.text), ['from B']);
  await Promise.all([a, b].map((p) => p.context().close()));
});
