// Issue 15: getting around a board — zoom buttons and keys, fit to content
// (also on first load when the initial view shows none of the stickers),
// zoom to the selection, the minimap, and find by text. Screenshots:
// artifacts/navigate-*.png.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, axe, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2, reducedMotion: 'reduce' };

const zoomText = (page) => page.textContent('#reset-view');
const percent = async (page) => parseInt(await zoomText(page), 10);

// whether a sticker lies whole inside the board's area on screen
async function inView(page, text) {
  const vp = await page.locator('#viewport').boundingBox();
  const b = await sticker(page, text).boundingBox();
  return !!b && b.x >= vp.x && b.y >= vp.y && b.x + b.width <= vp.x + vp.width && b.y + b.height <= vp.y + vp.height;
}

// how far a sticker's middle is from the board's middle, in px
async function offCentre(page, text) {
  const vp = await page.locator('#viewport').boundingBox();
  const b = await sticker(page, text).boundingBox();
  return Math.hypot(b.x + b.width / 2 - (vp.x + vp.width / 2), b.y + b.height / 2 - (vp.y + vp.height / 2));
}

const selectedText = (page) => page.locator('.sticker.selected .text').textContent();

// a click on the board's empty space, so that board keys reach it
async function focusBoard(page, x = 30, y = 30) {
  const vp = await page.locator('#viewport').boundingBox();
  await page.mouse.click(vp.x + x, vp.y + y);
}

test('zoom buttons and keys change the percentage and the stickers’ size; the help sheet lists the keys', async () => {
  const board = await server.createBoard('Zoom');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(200, 150, 'zoom me')]);
  await sticker(a, 'zoom me').waitFor();
  const width = async () => (await sticker(a, 'zoom me').boundingBox()).width;
  assert.equal(await zoomText(a), '100 %');
  assert.equal(Math.round(await width()), 160);

  await a.click('#zoom-in');
  assert.equal(await zoomText(a), '125 %');
  assert.equal(Math.round(await width()), 200);
  await a.click('#zoom-out');
  await a.click('#zoom-out');
  assert.equal(await zoomText(a), '80 %');
  assert.equal(Math.round(await width()), 128);
  await a.click('#zoom-in');
  await a.click('#zoom-in');
  await a.click('#reset-view');
  assert.equal(await zoomText(a), '100 %');
  assert.equal(Math.round(await width()), 160);

  // the board's zoom, not the browser's
  await focusBoard(a);
  await a.keyboard.press('Control+Equal');
  assert.equal(await zoomText(a), '125 %');
  assert.equal(await a.evaluate(() => window.devicePixelRatio), 1, 'the page itself is not zoomed');
  await a.keyboard.press('Control+Minus');
  await a.keyboard.press('Control+Minus');
  assert.equal(await zoomText(a), '80 %');
  await a.keyboard.press('0');
  assert.equal(await zoomText(a), '100 %');

  await a.keyboard.press('?');
  const keys = a.locator('#keys-dialog[open]');
  await keys.waitFor();
  const sheet = await keys.textContent();
  for (const line of ['fit all stickers in view', 'zoom to the selected sticker', 'find a sticker by its text', 'zoom the board in, out'])
    assert.ok(sheet.includes(line), `the help sheet lists "${line}"`);
  assert.match(sheet, /Shift\s*\+\s*1/);
  await a.keyboard.press('Escape');
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

test('fit brings far stickers into view; zoom to the selection centres it', async () => {
  const board = await server.createBoard('Far apart');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 100, 'near'), stickerAt(5000, 4000, 'far', { color: '#90caf9' })]);
  await sticker(a, 'far').waitFor({ state: 'attached' });
  assert.equal(await inView(a, 'far'), false);
  assert.equal(await a.locator('#zoom-selection').isDisabled(), true, 'nothing selected');

  await a.click('#zoom-fit');
  assert.equal(await inView(a, 'near'), true);
  assert.equal(await inView(a, 'far'), true);
  const fitted = await percent(a);
  assert.ok(fitted < 30 && fitted >= 10, `fitted at ${fitted} %`);

  // Shift+1 from the board does the same
  await a.click('#reset-view');
  assert.equal(await inView(a, 'far'), false);
  await focusBoard(a, 600, 400);
  await a.keyboard.press('Shift+Digit1');
  assert.equal(await inView(a, 'far'), true);
  assert.equal(await inView(a, 'near'), true);

  // several selected (Shift+click): zoom to the selection shows them all
  await sticker(a, 'near').click();
  await sticker(a, 'far').click({ modifiers: ['Shift'] });
  await a.click('#zoom-in');
  await a.click('#zoom-in');
  assert.equal(await inView(a, 'far'), false);
  await a.click('#zoom-selection');
  assert.equal(await inView(a, 'near'), true);
  assert.equal(await inView(a, 'far'), true);

  // zoom to the selection: the button, then Shift+2
  await sticker(a, 'far').click();
  assert.equal(await selectedText(a), 'far');
  await a.click('#zoom-selection');
  assert.equal(await zoomText(a), '100 %');
  assert.ok((await offCentre(a, 'far')) < 2, 'the selected sticker in the middle');
  await a.click('#reset-view');
  assert.equal(await inView(a, 'far'), false);
  await a.keyboard.press('Shift+Digit2');
  assert.ok((await offCentre(a, 'far')) < 2, 'Shift+2 centres it');
  // a zoom deeper than 100 % is kept; the view comes back to the sticker
  await a.click('#zoom-in');
  await a.click('#zoom-in');
  await a.mouse.move(700, 400);
  await a.mouse.wheel(300, 200);
  assert.ok((await offCentre(a, 'far')) > 100, 'panned away');
  await a.keyboard.press('Shift+Digit2');
  assert.equal(await zoomText(a), '156 %');
  assert.ok((await offCentre(a, 'far')) < 2);
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

test('the minimap: none on a small board; on a large one a click on it moves the view there', async () => {
  const board = await server.createBoard('Map');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const minimap = a.locator('#minimap');
  await scriptOps(a, server, board, board.edit_token, [stickerAt(100, 100, 'home'), stickerAt(400, 300, 'next door', { color: '#a5d6a7' })]);
  await sticker(a, 'next door').waitFor();
  await a.waitForTimeout(100);
  assert.equal(await minimap.isVisible(), false, 'a board that fits needs no map');

  await scriptOps(a, server, board, board.edit_token, [stickerAt(4200, 2800, 'faraway', { color: '#ce93d8' })]);
  await minimap.waitFor();
  const box = await minimap.boundingBox();
  const vp = await a.locator('#viewport').boundingBox();
  assert.ok(box.x + box.width <= vp.x + vp.width && box.y + box.height <= vp.y + vp.height, 'inside the board, clear of the sidebar');
  // where the purple sticker is drawn on the map
  const spot = await a.evaluate(() => {
    const c = document.getElementById('minimap');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0xce) < 6 && Math.abs(d[i + 1] - 0x93) < 6 && Math.abs(d[i + 2] - 0xd8) < 6 && d[i + 3] > 250) {
        const p = i / 4;
        sx += p % c.width;
        sy += Math.floor(p / c.width);
        n++;
      }
    }
    const k = c.getBoundingClientRect().width / c.width;
    return n ? { x: (sx / n) * k, y: (sy / n) * k } : null;
  });
  assert.ok(spot, 'the far sticker is drawn on the map');
  assert.equal(await inView(a, 'faraway'), false);
  await a.mouse.click(box.x + spot.x, box.y + spot.y);
  assert.equal(await inView(a, 'faraway'), true, 'a click on it brings it into view');
  assert.ok((await offCentre(a, 'faraway')) < 40, 'near the middle');
  assert.equal(await zoomText(a), '100 %', 'the zoom stays');

  // a drag on the map pans the view along with it
  const before = await sticker(a, 'home').boundingBox();
  await a.mouse.move(box.x + 20, box.y + 20);
  await a.mouse.down();
  await a.mouse.move(box.x + 40, box.y + 30, { steps: 3 });
  await a.mouse.move(box.x + 60, box.y + 40, { steps: 3 });
  await a.mouse.up();
  const after = await sticker(a, 'home').boundingBox();
  assert.ok(after.x !== before.x && after.y !== before.y, 'the view moved');
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

const RETRO = [
  stickerAt(100, 100, 'Needle one: the demo went well', { color: '#a5d6a7' }),
  stickerAt(300, 120, 'Haystack, mostly', { color: '#fff59d' }),
  stickerAt(3000, 200, 'a NEEDLE two, far to the right', { color: '#f48fb1' }),
  stickerAt(600, 2500, 'Just hay', { color: '#ffcc80' }),
  stickerAt(4000, 3000, 'needle three\nat the far corner', { color: '#ce93d8' }),
  stickerAt(4250, 3100, 'Question: who owns the release notes?', { color: '#90caf9' }),
];

for (const scheme of ['light', 'dark']) {
  test(`find by text: Ctrl+F, "n of m", Enter and Shift+Enter, Escape; axe with find and minimap open (${scheme})`, async () => {
    const board = await server.createBoard(`Find ${scheme}`);
    const a = await openBoard(browser, server, board, board.edit_token, 'Ada', { colorScheme: scheme });
    await scriptOps(a, server, board, board.edit_token, RETRO);
    await sticker(a, 'release notes').waitFor({ state: 'attached' });
    await focusBoard(a, 700, 500);
    await a.keyboard.press('Control+f');
    const input = a.locator('#find-input');
    await input.waitFor();
    assert.equal(await a.evaluate(() => document.activeElement.id), 'find-input');
    await a.keyboard.type('needle');
    const count = a.locator('#find-count');
    assert.equal(await count.textContent(), '1 of 3');
    assert.match(await selectedText(a), /^Needle one/);
    assert.ok((await offCentre(a, 'Needle one')) < 2, 'the match in the middle');
    assert.equal(await a.locator('.sticker.find-match').count(), 3);

    await a.keyboard.press('Enter');
    assert.equal(await count.textContent(), '2 of 3');
    assert.match(await selectedText(a), /NEEDLE two/);
    assert.ok((await offCentre(a, 'NEEDLE two')) < 2);
    await a.keyboard.press('Enter');
    assert.equal(await count.textContent(), '3 of 3');
    assert.ok(await inView(a, 'needle three'));
    await a.keyboard.press('Enter');
    assert.equal(await count.textContent(), '1 of 3', 'after the last, the first');
    await a.keyboard.press('Shift+Enter');
    assert.equal(await count.textContent(), '3 of 3', 'before the first, the last');
    assert.match(await selectedText(a), /^needle three/);
    assert.equal(await a.evaluate(() => document.activeElement.id), 'find-input', 'typing goes on in the field');

    await input.fill('no such words');
    assert.equal(await count.textContent(), 'No match');
    await input.fill('NEEDLE T');
    assert.equal(await count.textContent(), '1 of 2');
    await a.keyboard.press('Enter');
    assert.match(await selectedText(a), /^needle three/);

    // the minimap is up: the view shows only part of the board
    await a.locator('#minimap').waitFor();
    await axe(a, `board, find and minimap open, ${scheme}`);
    await a.screenshot({ path: path.join(ARTIFACTS, scheme === 'dark' ? 'navigate-desktop-dark.png' : 'navigate-desktop.png') });

    // Escape: the field closes, focus lands on the sticker found
    await a.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden' });
    assert.equal(await a.evaluate(() => document.activeElement.closest('.sticker')?.textContent.startsWith('needle three')), true);
    assert.equal(await a.locator('.sticker.find-match').count(), 0);
    // the zoom group's button opens it too, with the last search
    await a.click('#find-open');
    await input.waitFor();
    assert.equal(await input.inputValue(), 'NEEDLE T');
    assert.equal(await count.textContent(), '2 of 2');
    await a.click('#find-close');
    await input.waitFor({ state: 'hidden' });
    assert.deepEqual(a.errors, []);
    await a.context().close();
  });
}

test('a phone opening a board whose stickers lie far from the origin sees them', async () => {
  const board = await server.createBoard('Made on a desktop');
  const desk = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(desk, server, board, board.edit_token, [
    stickerAt(1400, 900, 'Made in the middle of a wide screen', { color: '#a5d6a7' }),
    stickerAt(1600, 1000, 'Second thought', { color: '#f48fb1' }),
    stickerAt(1450, 1100, 'Third: pair on reviews', { color: '#90caf9' }),
  ]);
  await desk.context().close();

  const phone = await openBoard(browser, server, board, board.edit_token, 'Pat', PHONE);
  await sticker(phone, 'Third').waitFor();
  for (const text of ['Made in the middle', 'Second thought', 'Third']) assert.equal(await inView(phone, text), true, `${text} in view`);
  assert.equal(await phone.locator('#minimap').isVisible(), false, 'no minimap on a phone');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'navigate-phone.png') });

  // find from the zoom group's button
  await phone.tap('#find-open');
  await phone.locator('#find-input').waitFor();
  await phone.fill('#find-input', 'second');
  assert.equal(await phone.textContent('#find-count'), '1 of 1');
  const bar = await phone.locator('#find').boundingBox();
  assert.ok(bar.x >= 0 && bar.x + bar.width <= 390, `the find bar fits: ${JSON.stringify(bar)}`);
  await axe(phone, 'board, phone, find open');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'navigate-phone-find.png') });

  // a board that opens with stickers in view keeps the initial view
  const board2 = await server.createBoard('Near the origin');
  const desk2 = await openBoard(browser, server, board2, board2.edit_token, 'Ada');
  await scriptOps(desk2, server, board2, board2.edit_token, [stickerAt(40, 40, 'top left'), stickerAt(3000, 3000, 'far off')]);
  await desk2.context().close();
  const phone2 = await openBoard(browser, server, board2, board2.edit_token, 'Pat', PHONE);
  await sticker(phone2, 'top left').waitFor();
  assert.equal(await phone2.textContent('#reset-view'), '100 %');
  assert.equal(await inView(phone2, 'top left'), true);
  assert.deepEqual([...phone.errors, ...phone2.errors], []);
  await Promise.all([phone.context().close(), phone2.context().close()]);
});
