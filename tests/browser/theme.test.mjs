// Issue 15: dark mode (prefers-color-scheme: dark) on the home page, the
// board, the error page and the admin pages: no serious or critical axe
// violations (colour contrast included); stickers keep their colours and dark
// text. Screenshots: artifacts/*-dark-1280.png.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminPage, ARTIFACTS, axe, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

const DARK = { colorScheme: 'dark', viewport: { width: 1280, height: 800 } };

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const background = (page, selector) => page.locator(selector).first().evaluate((el) => getComputedStyle(el).backgroundColor);
// relative luminance of an "rgb(r, g, b)" colour, 0 (black) … 1 (white)
function luminance(rgb) {
  const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test('the home page in dark mode', async () => {
  const context = await browser.newContext(DARK);
  const page = await context.newPage();
  await page.goto(server.base + '/');
  assert.ok(luminance(await background(page, 'body')) < 0.05, 'a dark page');
  assert.ok(luminance(await background(page, '.card')) < 0.05, 'dark cards');
  await axe(page, 'home, dark');
  await page.fill('#title', 'Retro');
  await page.click('#create-form button');
  await page.locator('#created').waitFor();
  await page.locator('#recent-list li').waitFor();
  await axe(page, 'home, created, dark');
  await page.screenshot({ path: path.join(ARTIFACTS, 'home-dark-1280.png'), fullPage: true });
  await context.close();
});

test('the board in dark mode: stickers keep their colours and dark text', async () => {
  const board = await server.createBoard('Sprint 42 retro');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada', DARK);
  await scriptOps(a, server, board, board.edit_token, [
    stickerAt(40, 40, 'Went well\nThe demo ran without a hitch', { color: '#a5d6a7' }),
    stickerAt(240, 60, 'To improve: flaky browser tests', { color: '#f48fb1' }),
    stickerAt(440, 40, 'Idea: pair on code reviews', { color: '#90caf9' }),
    stickerAt(90, 230, 'Action items\n1. release notes\n2. on-call', { color: '#fff59d' }),
    stickerAt(300, 250, 'Question: who owns the release notes?', { color: '#ffcc80' }),
    stickerAt(520, 240, 'Purple', { color: '#ce93d8' }),
    { type: 'chat.send', text: 'Notes: https://example.com/retro' },
  ]);
  await sticker(a, 'release notes?').waitFor();
  await a.locator('#chat-log a').waitFor();
  const s = sticker(a, 'flaky');
  assert.equal(await s.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(244, 143, 177)');
  assert.equal(await s.locator('.text').evaluate((el) => getComputedStyle(el).color), 'rgb(34, 34, 34)');
  assert.ok(luminance(await background(a, '.side')) < 0.05, 'a dark sidebar');
  assert.ok(luminance(await background(a, '#viewport')) < 0.05, 'a dark board');
  await axe(a, 'board, editor, dark');
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-dark-1280.png') });

  await sticker(a, 'pair on code reviews').dblclick();
  await a.locator('.text-edit').waitFor();
  assert.equal(await a.locator('.text-edit').evaluate((el) => getComputedStyle(el).color), 'rgb(34, 34, 34)');
  await axe(a, 'board, editing, dark');
  await a.keyboard.press('Escape');
  await sticker(a, 'flaky').click({ button: 'right' });
  await a.locator('#context-menu').waitFor();
  await axe(a, 'board, menu, dark');
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-menu-dark-1280.png') });
  await a.keyboard.press('Escape');

  const v = await openBoard(browser, server, board, board.view_token, 'Vic', DARK);
  await sticker(v, 'flaky').waitFor();
  await axe(v, 'board, viewer, dark');

  const phone = await openBoard(browser, server, board, board.edit_token, 'Pat', { ...DARK, viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, reducedMotion: 'reduce' });
  await sticker(phone, 'flaky').waitFor();
  await a.fill('#chat-input', 'Are you on your phone?');
  await a.press('#chat-input', 'Enter');
  await phone.locator('#drawer-toggle .unread-count').waitFor();
  await axe(phone, 'board, phone, dark');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'board-dark-390.png') });
  await phone.tap('#drawer-toggle');
  await phone.locator('#chat-input').waitFor();
  await axe(phone, 'board, phone, drawer, dark');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'board-dark-390-drawer.png') });
  await Promise.all([a, v, phone].map((p) => p.context().close()));
});

test('the error page and the admin pages in dark mode', async () => {
  const context = await browser.newContext(DARK);
  const page = await context.newPage();
  const res = await page.goto(server.base + '/b/nosuchboard?token=x');
  assert.equal(res.status(), 404);
  assert.ok(luminance(await background(page, 'body')) < 0.05, 'a dark error page');
  await axe(page, 'error, dark');
  await page.screenshot({ path: path.join(ARTIFACTS, 'error-dark-1280.png') });
  await page.goto(server.base + '/admin/login');
  await axe(page, 'admin login, dark');
  await context.close();

  const board = await server.createBoard('Admin dark');
  const admin = await adminPage(browser, server);
  await admin.emulateMedia({ colorScheme: 'dark' });
  await admin.setViewportSize({ width: 1280, height: 800 });
  for (const [label, url] of [
    ['admin overview', '/admin'],
    ['admin boards', '/admin/boards'],
    ['admin board', `/admin/boards/${board.id}`],
  ]) {
    await admin.goto(server.base + url);
    assert.ok(luminance(await background(admin, 'body')) < 0.05, `${label}: dark`);
    await axe(admin, `${label}, dark`);
  }
  await admin.screenshot({ path: path.join(ARTIFACTS, 'admin-board-dark-1280.png'), fullPage: true });
  await admin.context().close();
});
