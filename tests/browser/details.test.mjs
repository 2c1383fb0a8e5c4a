// Defect 8: the small things a new user trips over.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBoard, scriptOps, Server, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const boxes = (page) => page.$$eval('.sticker', (els) => els.map((e) => e.getBoundingClientRect()).map((r) => [Math.round(r.x), Math.round(r.y)]));

test('"+ Sticker" cascades; the palette sets the next colour only; double-click edits', async () => {
  const board = await server.createBoard('Add');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  for (let i = 0; i < 3; i++) {
    await a.click('#add-sticker');
    await a.keyboard.press('Escape');
  }
  const at = await boxes(a);
  assert.equal(new Set(at.map(String)).size, 3, `three places: ${JSON.stringify(at)}`);

  // the last sticker is selected; picking a colour does not recolour it
  await a.click('#palette .swatch[aria-label="Pink"]');
  await a.waitForTimeout(300);
  const colours = await a.$$eval('.sticker', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
  assert.deepEqual(new Set(colours), new Set(['rgb(255, 245, 157)']));
  await a.click('#add-sticker');
  await a.keyboard.type('pink one');
  await a.keyboard.press('Control+Enter');
  assert.equal(await sticker(a, 'pink one').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(244, 143, 177)');

  // double-click on the board: a sticker there, its editor open
  const vp = await a.locator('#viewport').boundingBox();
  await a.mouse.dblclick(vp.x + 150, vp.y + 600);
  await a.locator('.text-edit').waitFor();
  assert.equal(await a.evaluate(() => document.activeElement.className), 'text-edit');
  await a.keyboard.type('typed at once');
  await a.keyboard.press('Control+Enter');
  await sticker(a, 'typed at once').waitFor();
  const state = await server.state(board);
  assert.equal(state.stickers.length, 5);
  await a.context().close();
});

test('zoom steps are gentle and the dotted background follows pan and zoom', async () => {
  const board = await server.createBoard('Zoom');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const vp = await a.locator('#viewport').boundingBox();
  await a.mouse.move(vp.x + 400, vp.y + 300);
  await a.keyboard.down('Control');
  for (let i = 0; i < 10; i++) await a.mouse.wheel(0, 10); // ten small steps out
  await a.keyboard.up('Control');
  let zoom = parseInt(await a.textContent('#reset-view'), 10);
  assert.ok(zoom >= 85 && zoom < 100, `ten small steps: ${zoom} %`);
  await a.keyboard.down('Control');
  for (let i = 0; i < 10; i++) await a.mouse.wheel(0, 100); // ten mouse notches out
  await a.keyboard.up('Control');
  zoom = parseInt(await a.textContent('#reset-view'), 10);
  assert.ok(zoom >= 30 && zoom < 85, `ten notches: ${zoom} %`);
  const bg = () => a.evaluate(() => [getComputedStyle(document.getElementById('viewport')).backgroundSize, getComputedStyle(document.getElementById('viewport')).backgroundPosition]);
  const zoomed = await bg();
  assert.notEqual(zoomed[0], '24px 24px', 'the dots shrink with the zoom');
  await a.click('#reset-view');
  assert.deepEqual(await bg(), ['24px 24px', '0px 0px']);
  // pan by Space + drag (a plain drag draws a selection box): the dots move with it
  await a.mouse.move(vp.x + 400, vp.y + 300);
  await a.keyboard.down('Space');
  await a.mouse.down();
  await a.mouse.move(vp.x + 437, vp.y + 311, { steps: 4 });
  await a.mouse.up();
  await a.keyboard.up('Space');
  assert.deepEqual(await bg(), ['24px 24px', '37px 11px']);
  // and by the middle button
  await a.mouse.down({ button: 'middle' });
  await a.mouse.move(vp.x + 400, vp.y + 300, { steps: 4 });
  await a.mouse.up({ button: 'middle' });
  assert.deepEqual(await bg(), ['24px 24px', '0px 0px']);
  await a.context().close();
});

test('members: colours kept across reloads and distinct, same names told apart, cursors that leave fade', async () => {
  const board = await server.createBoard('People');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const c = await openBoard(browser, server, board, board.edit_token, 'Cy');
  const listOn = (p) => p.$$eval('#members li', (lis) => lis.map((li) => [li.querySelector('.name').textContent, li.querySelector('.dot').style.background]));
  await c.waitForFunction(() => document.querySelectorAll('#members li').length === 3);
  await c.waitForTimeout(300);
  const before = await listOn(c);
  const names = before.map(([n]) => n).sort();
  assert.deepEqual(names, ['Ada (1)', 'Ada (2)', 'Cy (you)']);
  assert.equal(new Set(before.map(([, col]) => col)).size, 3, `distinct colours: ${JSON.stringify(before)}`);
  // A reloads: the same colour, on A's page and on C's
  const mine = (p) => p.$$eval('#members li', (lis) => lis.find((li) => li.textContent.includes('(you)')).querySelector('.dot').style.background);
  const colourOfA = await mine(a);
  await a.reload();
  await a.locator('#status[data-state="connected"]').waitFor();
  await a.waitForTimeout(300);
  assert.equal(await mine(a), colourOfA);
  await c.waitForFunction(
    (col) => {
      const lis = [...document.querySelectorAll('#members li')];
      return lis.length === 3 && lis.filter((li) => li.querySelector('.dot').style.background === col).length === 1;
    },
    colourOfA,
  );
  // a cursor that leaves the board fades
  const vp = await b.locator('#viewport').boundingBox();
  await b.mouse.move(vp.x + 300, vp.y + 300);
  await b.mouse.move(vp.x + 310, vp.y + 305);
  const cursor = c.locator('.cursor', { hasText: 'Ada' });
  await cursor.waitFor();
  await b.mouse.move(1100, 400); // over the sidebar
  await c.waitForFunction(() => [...document.querySelectorAll('.cursor')].every((el) => getComputedStyle(el).opacity === '0'), null, { timeout: 8000 });
  await b.context().close();
  await c.locator('#members li', { hasText: 'Ada (2)' }).waitFor({ state: 'detached' });
  assert.equal(await c.locator('.cursor').count(), 0);
  await Promise.all([a, c].map((p) => p.context().close()));
});

test('toasts speak words, not ids; no empty role pill while connecting; /favicon.ico', async () => {
  const board = await server.createBoard('Words');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await a.click('#add-sticker');
  await a.keyboard.type('gone soon');
  await a.keyboard.press('Control+Enter');
  await sticker(b, 'gone soon').click();
  await b.keyboard.press('Delete');
  await sticker(a, 'gone soon').waitFor({ state: 'detached' });
  // undo on A: first the text, then the creation; the sticker is gone
  await a.locator('#viewport').click({ position: { x: 5, y: 5 } });
  await a.keyboard.press('Control+z');
  const t = a.locator('.toast').first();
  await t.waitFor();
  const text = await t.textContent();
  assert.match(text, /gone/);
  assert.doesNotMatch(text, /[0-9a-f]{8}-[0-9a-f]{4}-/);

  // while the socket is not open yet: no empty pill
  const context = await browser.newContext();
  await context.addInitScript(() => localStorage.setItem('corkboard.name', 'Slow'));
  const p = await context.newPage();
  await p.routeWebSocket(/\/ws\//, () => {}); // never answers
  await p.goto(`${server.base}/b/${board.id}?token=${board.view_token}`);
  await p.waitForTimeout(300);
  assert.equal(await p.locator('#role-badge').isVisible(), false);
  assert.equal(await p.textContent('#status'), 'Connecting…');
  const res = await fetch(`${server.base}/favicon.ico`);
  assert.equal(res.status, 200);
  await Promise.all([a, b, p].map((x) => x.context().close()));
});

test('the status never wraps the toolbar or moves the board', async () => {
  const board = await server.createBoard('A board with a rather long title for the toolbar');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(10, 10, 'x')]);
  const top = async () => (await a.locator('#viewport').boundingBox()).y;
  const first = await top();
  for (let i = 0; i < 3; i++) {
    await a.click('#add-sticker'); // queued while offline below
    await a.keyboard.press('Escape');
  }
  await server.down();
  await a.locator('#status[data-state="reconnecting"]').waitFor();
  await a.click('#add-sticker');
  await a.keyboard.press('Escape');
  await a.waitForFunction(() => /waiting/.test(document.getElementById('status').textContent));
  assert.equal(await top(), first);
  const bar = await a.locator('.toolbar').boundingBox();
  assert.ok(bar.height < 56, `toolbar ${bar.height} px`);
  await server.up();
  await a.locator('#status[data-state="connected"]').waitFor({ timeout: 30000 });
  assert.equal(await top(), first);
  await a.context().close();
});

test('limits come from the server: text length and sticker count', async () => {
  const small = await Server.start({ CORKBOARD_MAX_TEXT_CHARS: '50', CORKBOARD_MAX_STICKERS: '2' });
  try {
    const board = await small.createBoard('Small');
    const a = await openBoard(browser, small, board, board.edit_token, 'Ada');
    assert.equal(await a.getAttribute('#chat-input', 'maxlength'), '50');
    await a.click('#add-sticker');
    assert.equal(await a.locator('.text-edit').getAttribute('maxlength'), '50');
    await a.keyboard.type('x'.repeat(80));
    await a.keyboard.press('Control+Enter');
    await sticker(a, 'x'.repeat(50)).waitFor();
    await a.click('#add-sticker');
    await a.keyboard.press('Escape');
    await a.click('#add-sticker');
    await a.locator('.toast', { hasText: 'at most 2 stickers' }).waitFor();
    assert.equal(await a.locator('.sticker').count(), 2);
    const state = await small.state(board);
    assert.deepEqual(state.stickers.map((s) => s.text.length).sort(), [0, 50]);
    await a.context().close();
  } finally {
    await small.down();
  }
});
