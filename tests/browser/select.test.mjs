// Issue 15: select many stickers (Shift+click, a box, Ctrl+A), move,
// recolour and delete them together as one undo step; copy, paste and
// duplicate through the clipboard; pasted text becomes stickers.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, axe, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2, reducedMotion: 'reduce' };

// text -> where a page draws it
const drawn = (page) =>
  page.$$eval('.sticker', (els) => Object.fromEntries(els.map((e) => [e.querySelector('.text').textContent, e.style.transform])));
const at = (x, y) => `translate(${x}px, ${y}px)`;
// text -> the server's stored sticker
async function stored(board) {
  const { stickers } = await server.state(board);
  return Object.fromEntries(stickers.map((s) => [s.text, { x: s.x, y: s.y, color: s.color }]));
}
async function eventually(check, label, ms = 5000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${label}: ${last?.message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const selectedTexts = (page) => page.$$eval('.sticker.selected', (els) => els.map((e) => e.querySelector('.text').textContent).sort());
async function eventsAfter(board, seq) {
  const res = await fetch(`${server.base}/api/boards/${board.id}/events?token=${board.view_token}&after=${seq}`);
  return (await res.json()).events.map((e) => e.event);
}
// a click on the empty board at a world point (the view is not panned or zoomed)
async function clickBoard(page, x, y) {
  const vp = await page.locator('#viewport').boundingBox();
  await page.mouse.click(vp.x + x, vp.y + y);
}

test('Shift+click selects several; dragging one moves them all, live for the other page; one undo step', async () => {
  const board = await server.createBoard('Move many');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await scriptOps(a, server, board, board.edit_token, [
    stickerAt(100, 100, 'first'),
    stickerAt(300, 100, 'second'),
    stickerAt(100, 300, 'third'),
    stickerAt(600, 400, 'apart'),
  ]);
  await sticker(b, 'apart').waitFor();
  await sticker(a, 'apart').waitFor();

  await sticker(a, 'first').click();
  await sticker(a, 'second').click({ modifiers: ['Shift'] });
  await sticker(a, 'third').click({ modifiers: ['Shift'] });
  assert.deepEqual(await selectedTexts(a), ['first', 'second', 'third']);
  assert.equal(await a.locator('.selection-count').textContent(), '3 stickers selected');
  assert.equal(await a.locator('.selection-box').isVisible(), true);
  // Shift+click again takes one out, and back in
  await sticker(a, 'second').click({ modifiers: ['Shift'] });
  assert.deepEqual(await selectedTexts(a), ['first', 'third']);
  await sticker(a, 'second').click({ modifiers: ['Shift'] });
  assert.deepEqual(await selectedTexts(a), ['first', 'second', 'third']);
  assert.deepEqual(await a.evaluate(() => document.querySelector('.sticker.selected .text[tabindex="0"]')?.textContent), 'second');

  const seqBefore = (await server.state(board)).seq;
  const box = await sticker(a, 'third').boundingBox();
  await a.mouse.move(box.x + 30, box.y + 30);
  await a.mouse.down();
  for (let i = 1; i <= 20; i++) {
    await a.mouse.move(box.x + 30 + i * 5, box.y + 30 + i * 2.5);
    await a.waitForTimeout(30);
  }
  // while held: Bob sees every one of them on the way (one preview carries all), nothing stored
  await b.waitForFunction(() => {
    const moved = [...document.querySelectorAll('.sticker')].filter((e) => e.style.transform !== 'translate(100px, 100px)' && e.style.transform !== 'translate(300px, 100px)' && e.style.transform !== 'translate(100px, 300px)' && e.style.transform !== 'translate(600px, 400px)');
    return moved.length === 3;
  });
  assert.equal((await server.state(board)).seq, seqBefore, 'nothing stored while dragging');
  await a.mouse.up();

  const moved = { first: at(200, 150), second: at(400, 150), third: at(200, 350), 'apart': at(600, 400) };
  await eventually(async () => assert.deepEqual(await drawn(b), moved), 'Bob sees all three moved');
  assert.deepEqual(await drawn(a), moved);
  await eventually(async () => {
    const s = await stored(board);
    assert.deepEqual([s.first, s.second, s.third, s.apart].map((p) => [p.x, p.y]), [[200, 150], [400, 150], [200, 350], [600, 400]]);
  }, 'stored');
  const events = await eventsAfter(board, seqBefore);
  // one update per sticker for the whole drag
  assert.deepEqual(events.map((e) => e.kind), ['sticker.updated', 'sticker.updated', 'sticker.updated']);
  assert.deepEqual(events.map((e) => `${e.patch.x},${e.patch.y}`).sort(), ['200,150', '200,350', '400,150']);
  // a plain click on one of them (no move): just that one stays selected
  await sticker(a, 'first').click();
  assert.deepEqual(await selectedTexts(a), ['first']);

  // one undo puts all three back, for both pages and on the server
  await a.keyboard.press('Control+z');
  const back = { first: at(100, 100), second: at(300, 100), third: at(100, 300), 'apart': at(600, 400) };
  await eventually(async () => assert.deepEqual(await drawn(b), back), 'Bob sees the undo');
  assert.deepEqual(await drawn(a), back);
  await eventually(async () => {
    const s = await stored(board);
    assert.deepEqual([s.first, s.second, s.third].map((p) => [p.x, p.y]), [[100, 100], [300, 100], [100, 300]]);
  }, 'undo stored');
  assert.deepEqual(await selectedTexts(a), ['first', 'second', 'third'], 'the undone stickers are selected again');
  // and one redo moves them again
  await a.keyboard.press('Control+Shift+z');
  await eventually(async () => assert.deepEqual(await drawn(b), moved), 'Bob sees the redo');
  assert.deepEqual(a.errors, []);
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('a selection is recoloured, deleted and brought back as one step each', async () => {
  const board = await server.createBoard('Recolour many');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 100, 'red'), stickerAt(300, 100, 'green'), stickerAt(500, 100, 'stays')]);
  await sticker(a, 'stays').waitFor();
  await sticker(b, 'stays').waitFor();
  // Ctrl+A on the board, then Shift+click takes one out
  await clickBoard(a, 700, 500);
  await a.keyboard.press('Control+a');
  assert.deepEqual(await selectedTexts(a), ['green', 'red', 'stays']);
  await sticker(a, 'stays').click({ modifiers: ['Shift'] });
  assert.deepEqual(await selectedTexts(a), ['green', 'red']);

  // the menu of one of them acts on both
  await sticker(a, 'red').click({ button: 'right' });
  const menu = a.locator('#context-menu');
  await menu.waitFor();
  assert.match(await menu.textContent(), /Delete 2 stickers/);
  assert.equal(await menu.getByRole('menuitem', { name: 'Edit text' }).count(), 0);
  await menu.getByRole('menuitem', { name: 'Colour: Blue' }).click();
  const colours = async (page) =>
    page.$$eval('.sticker', (els) => Object.fromEntries(els.map((e) => [e.querySelector('.text').textContent, e.style.background])));
  const blue = { red: 'rgb(144, 202, 249)', green: 'rgb(144, 202, 249)', stays: 'rgb(255, 245, 157)' };
  await eventually(async () => assert.deepEqual(await colours(b), blue), 'Bob sees both blue');
  await eventually(async () => {
    const s = await stored(board);
    assert.deepEqual([s.red.color, s.green.color, s.stays.color], ['#90caf9', '#90caf9', '#fff59d']);
  }, 'stored blue');
  assert.deepEqual(await selectedTexts(a), ['green', 'red'], 'still selected after the menu');
  await a.keyboard.press('Control+z');
  await eventually(async () => assert.deepEqual(Object.values(await colours(b)), Array(3).fill('rgb(255, 245, 157)')), 'undo of the recolour');

  // Delete removes both; one undo brings both back
  await sticker(a, 'red').click();
  await sticker(a, 'green').click({ modifiers: ['Shift'] });
  await a.keyboard.press('Delete');
  await eventually(async () => assert.deepEqual(Object.keys(await drawn(b)), ['stays']), 'Bob sees both gone');
  assert.deepEqual(Object.keys(await stored(board)), ['stays']);
  assert.equal(await a.locator('.selection-count').isVisible(), false);
  await a.keyboard.press('Control+z');
  await eventually(async () => assert.deepEqual(Object.keys(await drawn(b)).sort(), ['green', 'red', 'stays']), 'Bob sees both back');
  await eventually(async () => assert.deepEqual(Object.keys(await stored(board)).sort(), ['green', 'red', 'stays']), 'stored back');
  assert.deepEqual(await selectedTexts(a), ['green', 'red']);
  // the toolbar's Delete takes the selection too
  await a.click('#delete-sticker');
  await eventually(async () => assert.deepEqual(Object.keys(await stored(board)), ['stays']), 'toolbar delete');
  assert.deepEqual(a.errors, []);
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('a box drawn on the empty board selects what it touches; keys extend, nudge and clear', async () => {
  const board = await server.createBoard('Marquee');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 100, 'nw'), stickerAt(300, 120, 'ne'), stickerAt(700, 450, 'far')]);
  await sticker(a, 'far').waitFor();
  const world = () => a.evaluate(() => document.getElementById('world').style.transform);
  const before = await world();
  const vp = await a.locator('#viewport').boundingBox();
  // from the empty top-left to the middle of "ne": touching is enough
  await a.mouse.move(vp.x + 40, vp.y + 40);
  await a.mouse.down();
  await a.mouse.move(vp.x + 200, vp.y + 150, { steps: 5 });
  await a.mouse.move(vp.x + 350, vp.y + 160, { steps: 5 });
  assert.equal(await a.locator('.marquee').isVisible(), true);
  assert.deepEqual(await selectedTexts(a), ['ne', 'nw'], 'selected while drawing');
  await a.screenshot({ path: path.join(ARTIFACTS, 'select-marquee.png') });
  await a.mouse.up();
  assert.equal(await a.locator('.marquee').isVisible(), false);
  assert.equal(await world(), before, 'a drag on the empty board does not pan');
  assert.deepEqual(await selectedTexts(a), ['ne', 'nw']);
  // Shift + a box adds to the selection
  await a.keyboard.down('Shift');
  await a.mouse.move(vp.x + 650, vp.y + 420);
  await a.mouse.down();
  await a.mouse.move(vp.x + 720, vp.y + 470, { steps: 5 });
  await a.mouse.up();
  await a.keyboard.up('Shift');
  assert.deepEqual(await selectedTexts(a), ['far', 'ne', 'nw']);
  // Escape clears; a click on the empty board clears too
  await a.keyboard.press('Escape');
  assert.deepEqual(await selectedTexts(a), []);
  await a.keyboard.press('Control+a');
  assert.deepEqual(await selectedTexts(a), ['far', 'ne', 'nw']);
  await clickBoard(a, 500, 300);
  assert.deepEqual(await selectedTexts(a), []);

  // keyboard only: Ctrl+arrow to one, Ctrl+Shift+arrow adds the next, arrows move both, one undo
  await sticker(a, 'nw').click();
  await a.keyboard.press('Control+Shift+ArrowRight');
  assert.deepEqual(await selectedTexts(a), ['ne', 'nw']);
  assert.equal(await a.evaluate(() => document.activeElement.textContent), 'ne', 'focus follows the one added');
  const seqBefore = (await server.state(board)).seq;
  await a.keyboard.press('ArrowDown');
  await a.keyboard.press('ArrowDown');
  await a.keyboard.press('Shift+ArrowRight');
  await eventually(async () => {
    const s = await stored(board);
    assert.deepEqual([s.nw, s.ne, s.far].map((p) => [p.x, p.y]), [[150, 120], [350, 140], [700, 450]]);
  }, 'the nudges are stored');
  assert.equal((await eventsAfter(board, seqBefore)).length, 2, 'a burst of nudges: one update per sticker');
  await a.keyboard.press('Control+z');
  await eventually(async () => {
    const s = await stored(board);
    assert.deepEqual([s.nw, s.ne].map((p) => [p.x, p.y]), [[100, 100], [300, 120]]);
  }, 'one undo of the nudges');
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

test('copy and paste through the clipboard, Ctrl+D, pasted text becomes stickers; one undo each', async () => {
  const board = await server.createBoard('Clipboard');
  const other = await server.createBoard('Elsewhere');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await a.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 100, 'copy <b>me</b>', { color: '#f48fb1' }), stickerAt(300, 100, 'and me')]);
  await sticker(a, 'and me').waitFor();
  await sticker(b, 'and me').waitFor();

  await sticker(a, 'copy').click();
  await sticker(a, 'and me').click({ modifiers: ['Shift'] });
  await a.keyboard.press('Control+c');
  const clip = await a.evaluate(async () => {
    const items = await navigator.clipboard.read();
    const out = {};
    for (const type of items[0].types) out[type] = await (await items[0].getType(type)).text();
    return out;
  });
  assert.equal(clip['text/plain'], 'copy <b>me</b>\n\nand me');
  assert.match(clip['text/html'], /data-corkboard=/);
  assert.ok(!clip['text/html'].includes('<b>'), 'texts are escaped in the HTML');

  await a.keyboard.press('Control+v');
  const pasted = { 'copy <b>me</b>': [at(100, 100), at(124, 124)], 'and me': [at(300, 100), at(324, 124)] };
  const both = async (page) =>
    page.$$eval('.sticker', (els) => {
      const out = {};
      for (const e of els) (out[e.querySelector('.text').textContent] ??= []).push(e.style.transform);
      for (const k in out) out[k].sort();
      return out;
    });
  await eventually(async () => assert.deepEqual(await both(b), pasted), 'Bob sees the copies');
  assert.deepEqual(await both(a), pasted);
  await eventually(async () => assert.equal((await server.state(board)).stickers.length, 4), 'stored');
  const pink = (await server.state(board)).stickers.filter((s) => s.color === '#f48fb1');
  assert.equal(pink.length, 2, 'the copy keeps its colour');
  // the copies are what is selected now
  const selected = await a.$$eval('.sticker.selected', (els) => els.map((e) => e.style.transform).sort());
  assert.deepEqual(selected, [at(124, 124), at(324, 124)]);
  // one undo takes the paste away
  await a.keyboard.press('Control+z');
  await eventually(async () => assert.equal((await server.state(board)).stickers.length, 2), 'paste undone');

  // the same clipboard in another tab, on another board
  const c = await openBoard(browser, server, other, other.edit_token, 'Cy');
  await c.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
  await c.evaluate(async (html) => {
    // the other context has its own clipboard in a test browser: put the same copy there
    await navigator.clipboard.write([new ClipboardItem({ 'text/html': new Blob([html], { type: 'text/html' }), 'text/plain': new Blob(['x'], { type: 'text/plain' }) })]);
  }, clip['text/html']);
  await c.locator('#viewport').click({ position: { x: 600, y: 500 } });
  await c.keyboard.press('Control+v');
  await eventually(async () => assert.deepEqual(Object.keys(await stored(other)).sort(), ['and me', 'copy <b>me</b>']), 'pasted on the other board');

  // Ctrl+D duplicates the selection, one step
  await sticker(a, 'and me').click();
  await a.keyboard.press('Control+d');
  await eventually(async () => assert.deepEqual((await both(b))['and me'], [at(300, 100), at(324, 124)]), 'Bob sees the duplicate');
  await a.keyboard.press('Control+d');
  await eventually(async () => assert.deepEqual((await both(b))['and me'], [at(300, 100), at(324, 124), at(348, 148)]), 'a duplicate of the duplicate');
  await a.keyboard.press('Control+z');
  await eventually(async () => assert.equal((await server.state(board)).stickers.length, 3), 'one duplicate undone');

  // plain text from elsewhere: one sticker per paragraph
  await clickBoard(a, 700, 500);
  const seqBefore = (await server.state(board)).seq;
  await a.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'Agenda\r\n\r\nFirst point\nstill the first\n\n  \nSecond point\n');
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await eventually(async () => {
    const texts = (await eventsAfter(board, seqBefore)).map((e) => e.sticker?.text);
    assert.deepEqual(texts, ['Agenda', 'First point\nstill the first', 'Second point']);
  }, 'three stickers from three paragraphs');
  await sticker(b, 'Second point').waitFor();
  assert.deepEqual(await selectedTexts(a), ['Agenda', 'First point\nstill the first', 'Second point']);
  // lines without a blank line between them: one sticker per line
  await a.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'milk\neggs\nbread');
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await sticker(b, 'bread').waitFor();
  await a.keyboard.press('Control+z');
  await eventually(async () => {
    const now = await drawn(b);
    assert.deepEqual(['milk', 'eggs', 'bread'].filter((t) => t in now), []);
  }, 'the whole paste undone at once');

  // Ctrl+X takes it away, Ctrl+V brings a copy back
  await sticker(a, 'Second point').click();
  await a.keyboard.press('Control+x');
  await eventually(async () => assert.ok(!('Second point' in (await stored(board)))), 'cut');
  await a.keyboard.press('Control+v');
  await eventually(async () => assert.ok('Second point' in (await stored(board))), 'pasted back');

  // while a sticker's text is edited, a paste is the text field's own
  await sticker(a, 'Agenda').dblclick();
  await a.locator('.text-edit').waitFor();
  const count = (await server.state(board)).stickers.length;
  await a.evaluate(() => navigator.clipboard.writeText(' pasted words'));
  await a.keyboard.press('End');
  await a.keyboard.press('Control+v');
  assert.equal(await a.locator('.text-edit').inputValue(), 'Agenda pasted words');
  await a.keyboard.press('Control+Enter');
  await sticker(b, 'Agenda pasted words').waitFor();
  assert.equal((await server.state(board)).stickers.length, count, 'no new sticker');
  assert.deepEqual(a.errors, []);
  await Promise.all([a, b, c].map((p) => p.context().close()));
});

test('after selecting: no serious axe violations; screenshots at 1280 and 390; a phone still pans with one finger', async () => {
  const board = await server.createBoard('Select looks');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [
    stickerAt(40, 40, 'Went well: the demo'),
    stickerAt(230, 60, 'To improve: flaky tests', { color: '#f48fb1' }),
    stickerAt(60, 220, 'Idea: pair on reviews', { color: '#90caf9' }),
    stickerAt(520, 300, 'Not selected', { color: '#a5d6a7' }),
  ]);
  await sticker(a, 'Not selected').waitFor();
  const vp = await a.locator('#viewport').boundingBox();
  await a.mouse.move(vp.x + 20, vp.y + 20);
  await a.mouse.down();
  await a.mouse.move(vp.x + 300, vp.y + 300, { steps: 6 });
  await a.mouse.up();
  assert.equal(await a.locator('.sticker.selected').count(), 3);
  await axe(a, 'a board with three stickers selected');
  await a.screenshot({ path: path.join(ARTIFACTS, 'select-desktop.png') });
  await sticker(a, 'Idea').click({ button: 'right' });
  await a.locator('#context-menu').waitFor();
  await axe(a, 'the menu of three selected stickers');
  await a.screenshot({ path: path.join(ARTIFACTS, 'select-desktop-menu.png') });
  await a.keyboard.press('Escape');
  await a.context().close();

  const p = await openBoard(browser, server, board, board.edit_token, 'Pat', PHONE);
  await sticker(p, 'Not selected').waitFor();
  const cdp = await p.context().newCDPSession(p);
  const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });
  // a long press on the board: Select all
  await touch('touchStart', [[300, 700]]);
  await p.waitForTimeout(700);
  await touch('touchEnd', []);
  await p.locator('#context-menu').getByRole('menuitem', { name: 'Select all' }).tap();
  assert.equal(await p.locator('.sticker.selected').count(), 4);
  assert.equal(await p.locator('.selection-count').textContent(), '4 stickers selected');
  await axe(p, 'a phone with every sticker selected');
  await p.screenshot({ path: path.join(ARTIFACTS, 'select-phone.png') });
  // the menu of one of them acts on all four
  const box = await sticker(p, 'Idea').boundingBox();
  await touch('touchStart', [[box.x + 40, box.y + 40]]);
  await p.waitForTimeout(700);
  await touch('touchEnd', []);
  const menu = p.locator('#context-menu');
  await menu.getByRole('menuitem', { name: 'Delete 4 stickers' }).waitFor();
  await p.screenshot({ path: path.join(ARTIFACTS, 'select-phone-menu.png') });
  await menu.getByRole('menuitem', { name: 'Duplicate' }).tap();
  await eventually(async () => assert.equal((await server.state(board)).stickers.length, 8), 'duplicated from the phone');
  // one finger on the empty board still pans (a box is for a mouse)
  const world = () => p.evaluate(() => document.getElementById('world').style.transform);
  await touch('touchStart', [[300, 760]]);
  for (let i = 1; i <= 5; i++) await touch('touchMove', [[300 - i * 10, 760 - i * 6]]);
  await touch('touchEnd', []);
  assert.equal(await world(), 'translate(-50px, -30px) scale(1)', 'one finger pans');
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test('a large paste is capped, paced within the rate limit, and undone whole', async () => {
  const board = await server.createBoard('Many lines');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await a.locator('#viewport').click({ position: { x: 600, y: 500 } });
  await a.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', Array.from({ length: 250 }, (_, i) => `line ${i + 1}`).join('\n'));
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await a.locator('.toast', { hasText: 'Only the first 200 of 250' }).waitFor();
  await eventually(async () => assert.equal((await server.state(board)).stickers.length, 200), 'all 200 stored', 15000);
  assert.equal(await a.locator('.toast', { hasText: /too fast|not saved/ }).count(), 0, 'none refused');
  await a.keyboard.press('Control+z');
  await eventually(async () => assert.equal((await server.state(board)).stickers.length, 0), 'all 200 undone', 15000);
  await a.waitForFunction(() => document.querySelectorAll('.sticker').length === 0);
  assert.equal(await a.locator('.toast', { hasText: /too fast|not saved/ }).count(), 0, 'none refused');
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

test('a selection of 40 is previewed whole to the other page while it is dragged', async () => {
  const board = await server.createBoard('Drag forty');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  const texts = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, '0')}`);
  await scriptOps(a, server, board, board.edit_token, texts.map((t, i) => stickerAt(40 + (i % 8) * 110, 40 + Math.floor(i / 8) * 100, t)));
  await sticker(a, 'n39').waitFor();
  await sticker(b, 'n39').waitFor();
  const before = await drawn(b);
  await clickBoard(a, 950, 610); // below the last row, above the minimap
  await a.keyboard.press('Control+a');
  assert.equal((await selectedTexts(a)).length, 40);

  const seqBefore = (await server.state(board)).seq;
  const box = await sticker(a, 'n00').boundingBox();
  await a.mouse.move(box.x + 30, box.y + 30);
  await a.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await a.mouse.move(box.x + 30 + i * 4, box.y + 30 + i * 3);
    await a.waitForTimeout(40);
  }
  // while held, every one of the 40 has moved on Bob's page: they no
  // longer take turns in one preview each (which stopped at 30)
  await b.waitForFunction((was) => {
    const now = [...document.querySelectorAll('.sticker')].map((e) => [e.querySelector('.text')?.textContent, /** @type {HTMLElement} */ (e).style.transform]);
    return now.length === 40 && now.every(([t, tr]) => t && tr !== was[t]);
  }, before);
  assert.equal((await server.state(board)).seq, seqBefore, 'nothing stored while dragging');
  await a.mouse.up();
  await eventually(async () => assert.equal((await server.state(board)).seq, seqBefore + 40), 'one update per sticker on the drop');
  assert.deepEqual([...a.errors, ...b.errors], []);
  await Promise.all([a, b].map((p) => p.context().close()));
});
