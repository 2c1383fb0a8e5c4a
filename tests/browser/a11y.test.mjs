// Accessibility (axe-core: no serious or critical violations) on the home
// page and the board, as an editor (with the editor open) and as a viewer;
// and the screenshots at 1280 × 800 and 390 × 844 in artifacts/.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminPage, ARTIFACTS, axe, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';


let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const RETRO = [
  stickerAt(40, 40, 'Went well\nThe demo ran without a hitch', { color: '#a5d6a7' }),
  stickerAt(240, 60, 'To improve: flaky browser tests', { color: '#f48fb1' }),
  stickerAt(440, 40, 'Idea: pair on code reviews every Thursday', { color: '#90caf9' }),
  stickerAt(90, 230, Array.from({ length: 12 }, (_, i) => `Action item ${i + 1}`).join('\n'), { color: '#fff59d' }),
  stickerAt(300, 250, 'Question: who owns the release notes?', { color: '#ffcc80' }),
  stickerAt(520, 240, '', { color: '#ce93d8' }),
];

test('the home page', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.base + '/');
  await axe(page, 'home');
  await page.fill('#title', 'Retro');
  await page.click('#create-form button');
  await page.locator('#created').waitFor();
  await axe(page, 'home, created');
  await page.screenshot({ path: path.join(ARTIFACTS, 'home-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'home-390.png') });
  await page.close();
});

test('the board, as editor (editor open, menu open) and as viewer, at 1280 and 390', async () => {
  const board = await server.createBoard('Sprint 42 retro');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  await scriptOps(a, server, board, board.edit_token, RETRO);
  await sticker(a, 'release notes').waitFor();
  await b.fill('#chat-input', 'Shall we start with the action items?');
  await b.press('#chat-input', 'Enter');
  await a.locator('#chat-log li').waitFor();
  const vp = await b.locator('#viewport').boundingBox();
  await b.mouse.move(vp.x + 700, vp.y + 420);
  await b.mouse.move(vp.x + 710, vp.y + 430);
  await a.locator('.cursor').waitFor();
  await axe(a, 'board, editor');
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-1280.png') });

  await sticker(a, 'pair on code reviews').dblclick();
  await a.locator('.text-edit').waitFor();
  await b.locator('.sticker.being-edited').waitFor();
  await axe(a, 'board, editor open');
  await axe(b, 'board, someone else editing');
  await b.screenshot({ path: path.join(ARTIFACTS, 'board-1280-other-editing.png') });
  await a.keyboard.press('Escape');
  await sticker(a, 'release notes').click({ button: 'right' });
  await a.locator('#context-menu').waitFor();
  await axe(a, 'board, menu open');
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-1280-menu.png') });
  await a.keyboard.press('Escape');
  await a.keyboard.press('?');
  await a.locator('#keys-dialog[open]').waitFor();
  await axe(a, 'board, shortcuts');
  await a.screenshot({ path: path.join(ARTIFACTS, 'board-1280-keys.png') });
  await a.keyboard.press('Escape');

  const v = await openBoard(browser, server, board, board.view_token, 'Vic');
  await sticker(v, 'release notes').waitFor();
  await axe(v, 'board, viewer');
  await v.screenshot({ path: path.join(ARTIFACTS, 'board-1280-viewer.png') });

  const phone = await openBoard(browser, server, board, board.edit_token, 'Pat', { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, reducedMotion: 'reduce' });
  await sticker(phone, 'release notes').waitFor();
  await axe(phone, 'board, phone');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'board-390-retro.png') });
  await phone.tap('#drawer-toggle');
  await phone.locator('#chat-input').waitFor();
  await axe(phone, 'board, phone, drawer');
  await Promise.all([a, b, v, phone].map((p) => p.context().close()));
});

test('the error pages and the admin pages, at 1280 and 390', async () => {
  const board = await server.createBoard('Sprint 42 retro');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  for (const [label, url] of [
    ['error, unknown board', `/b/nosuchboard?token=x`],
    ['error, revoked link', `/b/${board.id}?token=revoked`],
    ['error, no token', `/b/${board.id}`],
    ['error, unknown page', '/no/such/page'],
  ]) {
    const res = await page.goto(server.base + url);
    assert.ok(res.status() >= 400, `${label}: ${res.status()}`);
    assert.match(await page.textContent('h1'), /\w/, label);
    await axe(page, label);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, 'error-1280.png') });
  await page.goto(server.base + '/admin/login');
  await axe(page, 'admin login');
  await page.close();

  const admin = await adminPage(browser, server);
  for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await admin.setViewportSize(size);
    for (const [label, url] of [
      ['admin overview', '/admin'],
      ['admin boards', '/admin/boards'],
      ['admin board', `/admin/boards/${board.id}`],
    ]) {
      await admin.goto(server.base + url);
      await axe(admin, `${label} at ${size.width}`);
    }
    await admin.screenshot({ path: path.join(ARTIFACTS, `admin-board-${size.width}.png`), fullPage: true });
  }
  await admin.context().close();
});
