// Issue 15: the chat's times, safe links, earlier messages and unread count.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, openBoard, scriptOps, startBoth, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, reducedMotion: 'reduce' };
const say = (text) => ({ type: 'chat.send', text });

async function send(page, text) {
  await page.fill('#chat-input', text);
  await page.press('#chat-input', 'Enter');
}

test('messages have their time; http(s) links are safe links, anything else stays text', async () => {
  const board = await server.createBoard('Chat links');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.view_token, 'Bob');
  await send(a, 'See https://example.com/a?b=1&c=2. Or (https://example.org/x_(y)) then javascript:alert(1) <img src=x onerror="window.pwned=1"> <a href="javascript:alert(2)">x</a>');
  await send(a, 'javascript:https://evil.example/ and data:text/html,hi and //example.net');
  const li = b.locator('#chat-log li', { hasText: 'See' });
  await li.waitFor();
  await b.locator('#chat-log li', { hasText: 'data:text' }).waitFor();

  const time = li.locator('time');
  const dt = await time.getAttribute('datetime');
  assert.ok(Math.abs(Date.parse(dt) - Date.now()) < 60000, dt);
  assert.match(await time.textContent(), /\d{1,2}.\d{2}/);
  assert.match(await time.getAttribute('title'), /\d{4}/, 'the exact time on hover');

  const links = await b.locator('#chat-log a').evaluateAll((as) =>
    as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent, rel: a.rel, target: a.target })),
  );
  assert.deepEqual(links, [
    { href: 'https://example.com/a?b=1&c=2', text: 'https://example.com/a?b=1&c=2', rel: 'noopener noreferrer nofollow', target: '_blank' },
    { href: 'https://example.org/x_(y)', text: 'https://example.org/x_(y)', rel: 'noopener noreferrer nofollow', target: '_blank' },
    { href: 'https://evil.example/', text: 'https://evil.example/', rel: 'noopener noreferrer nofollow', target: '_blank' },
  ]);
  // the rest is text: no element came from a message
  assert.equal(await b.locator('#chat-log img').count(), 0);
  assert.equal(await b.evaluate(() => window.pwned), undefined);
  assert.match(await li.textContent(), /javascript:alert\(1\) <img src=x onerror="window.pwned=1"> <a href="javascript:alert\(2\)">x<\/a>/);
  assert.equal(await b.locator('#chat-log a[href^="javascript"], #chat-log a[href^="data"]').count(), 0);

  // a click opens a new tab without a way back to the board
  const [popup] = await Promise.all([b.context().waitForEvent('page'), li.locator('a').first().click()]);
  assert.equal(await popup.evaluate(() => window.opener), null);
  await popup.close();
  await b.locator('#chat-log').screenshot({ path: path.join(ARTIFACTS, 'chat-links.png') });
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('load earlier brings the messages before the last 50', async () => {
  const board = await server.createBoard('Long chat');
  const ops = [];
  for (let i = 1; i <= 75; i++) {
    ops.push(say(`message ${i}`));
    if (i % 10 === 0) ops.push(stickerAt(i * 5, 20, `sticker ${i}`));
  }
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(a, server, board, board.edit_token, ops);
  await a.reload();
  await a.locator('#status[data-state="connected"]').waitFor();
  await a.locator('#chat-log li', { hasText: 'message 75' }).waitFor();
  assert.equal(await a.locator('#chat-log li').count(), 50);
  assert.match(await a.locator('#chat-log li').first().textContent(), /message 26$/);
  assert.equal(await a.locator('#chat-earlier').isVisible(), true);

  await a.click('#chat-earlier');
  await a.locator('#chat-log li', { hasText: /message 1$/ }).waitFor();
  const texts = await a.locator('#chat-log li .chat-text').allTextContents();
  assert.deepEqual(texts, Array.from({ length: 75 }, (_, i) => `message ${i + 1}`));
  assert.equal(await a.locator('#chat-earlier').isVisible(), false, 'nothing earlier is left');
  // a new message still goes to the end
  await send(a, 'message 76');
  await a.locator('#chat-log li', { hasText: 'message 76' }).waitFor();
  assert.match(await a.locator('#chat-log li').last().textContent(), /message 76$/);
  await a.context().close();

  // a board with few messages offers nothing earlier
  const small = await server.createBoard('Short chat');
  const s = await openBoard(browser, server, small, small.edit_token, 'Sam');
  await send(s, 'only one');
  await s.locator('#chat-log li').waitFor();
  await s.reload();
  await s.locator('#chat-log li').waitFor();
  assert.equal(await s.locator('#chat-earlier').isVisible(), false);
  await s.context().close();
});

test('on a phone, messages that arrive while the drawer is closed are counted until it opens', async () => {
  const board = await server.createBoard('Unread');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const p = await openBoard(browser, server, board, board.edit_token, 'Pat', PHONE);
  await p.tap('#drawer-toggle');
  await p.locator('#chat-input').waitFor();
  await send(a, 'seen before');
  await p.locator('#chat-log li', { hasText: 'seen before' }).waitFor();
  await p.keyboard.press('Escape');
  await p.locator('#chat-input').waitFor({ state: 'hidden' });
  const count = p.locator('#drawer-toggle .unread-count');
  assert.equal(await count.isVisible(), false, 'a message seen in the open drawer is not unread');

  await send(a, 'are you there?');
  await count.waitFor();
  assert.equal(await count.textContent(), '1 unread');
  await send(a, 'https://example.com');
  await p.waitForFunction(() => document.querySelector('#drawer-toggle .unread-count')?.textContent === '2 unread');
  assert.match(await p.title(), /^\(2\) Unread/);
  await p.screenshot({ path: path.join(ARTIFACTS, 'chat-unread-390.png') });

  await p.tap('#drawer-toggle');
  await p.locator('#chat-input').waitFor();
  await count.waitFor({ state: 'hidden' });
  assert.doesNotMatch(await p.title(), /^\(/);
  // the marker sits before the first message not seen
  const order = await p.locator('#chat-log li').evaluateAll((lis) => lis.map((li) => (li.classList.contains('unread-marker') ? 'NEW' : li.querySelector('.chat-text').textContent)));
  assert.deepEqual(order, ['seen before', 'NEW', 'are you there?', 'https://example.com']);
  await p.screenshot({ path: path.join(ARTIFACTS, 'chat-unread-390-open.png') });

  // while open, nothing is counted; own messages never are
  await send(a, 'now you see it');
  await p.locator('#chat-log li', { hasText: 'now you see it' }).waitFor();
  assert.equal(await count.isVisible(), false);
  await Promise.all([a, p].map((x) => x.context().close()));
});

test('on a wide screen, messages that arrive while the tab is in the background are counted in its title', async () => {
  const board = await server.createBoard('Background');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, server, board, board.edit_token, 'Bob');
  const hide = (hidden) =>
    b.evaluate((hidden) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await send(a, 'while you look');
  await b.locator('#chat-log li', { hasText: 'while you look' }).waitFor();
  assert.equal(await b.title(), 'Background · corkboard');
  await hide(true);
  await send(a, 'while you are away');
  await b.waitForFunction(() => document.title === '(1) Background · corkboard');
  assert.equal(await b.locator('#chat-log .unread-marker + li .chat-text').textContent(), 'while you are away');
  await hide(false);
  await b.waitForFunction(() => document.title === 'Background · corkboard');
  await Promise.all([a, b].map((p) => p.context().close()));
});
