// Issue 15: the home page lists the boards this browser created or opened
// (title, last visit, role, link), newest first; a row can be removed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, startBoth, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

async function create(page, title) {
  await page.goto(server.base + '/');
  await page.fill('#title', title);
  await page.click('#create-form button');
  await page.locator('#created').waitFor();
  return { edit: await page.inputValue('#edit-link'), view: await page.inputValue('#view-link') };
}

test('your boards: created and opened boards, with role and link, newest first; remove', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => localStorage.setItem('corkboard.name', 'Ada'));
  const page = await context.newPage();
  page.on('pageerror', (e) => assert.fail(e));
  await page.goto(server.base + '/');
  await page.locator('#recent-empty').waitFor();
  assert.equal(await page.locator('#recent-list li').count(), 0);

  const first = await create(page, 'First <b>board</b>');
  await page.click('#open-board');
  await page.locator('#status[data-state="connected"]').waitFor();
  const second = await create(page, 'Second board');
  await page.goto(second.view);
  await page.locator('#status[data-state="connected"]').waitFor();
  assert.equal(await page.textContent('#role-badge'), 'View only');

  await page.goto(server.base + '/');
  const rows = page.locator('#recent-list li');
  // the second board twice (made here as editor, opened as viewer), then the first
  await page.waitForFunction(() => document.querySelectorAll('#recent-list li').length === 3);
  assert.equal(await page.locator('#recent-empty').isVisible(), false);
  const seen = await rows.evaluateAll((lis) =>
    lis.map((li) => ({
      title: li.querySelector('a').textContent,
      href: li.querySelector('a').href,
      role: li.querySelector('.badge').textContent,
      when: li.querySelector('time').textContent,
    })),
  );
  assert.deepEqual(
    seen.map((r) => [r.title, r.role, r.href]),
    [
      ['Second board', 'Viewer', second.view],
      ['Second board', 'Editor', second.edit],
      ['First <b>board</b>', 'Editor', first.edit],
    ],
  );
  assert.ok(seen.every((r) => /now|second|minute/.test(r.when)), JSON.stringify(seen));
  await page.screenshot({ path: path.join(ARTIFACTS, 'home-recent-1280.png') });

  // the link opens the board with its role
  await page.click('#recent-list li:first-child a');
  await page.locator('#status[data-state="connected"]').waitFor();
  assert.equal(await page.textContent('#role-badge'), 'View only');
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#recent-list li').length === 3);

  // remove the first board: it is gone, after a reload too
  await page.locator('#recent-list li', { hasText: 'First' }).getByRole('button').click();
  await page.waitForFunction(() => document.querySelectorAll('#recent-list li').length === 2);
  assert.equal(await page.locator('#recent-list li', { hasText: 'First' }).count(), 0);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#recent-list li').length === 2);
  assert.equal(await page.locator('#recent-list li', { hasText: 'First' }).count(), 0);
  while ((await page.locator('#recent-list li').count()) > 0) await page.locator('#recent-list li button').first().click();
  await page.locator('#recent-empty').waitFor();
  assert.equal(await page.locator('#recent-list').isVisible(), false);
  await context.close();
});

test('the list keeps at most 50 boards, newest first, and ignores what is malformed', async () => {
  const page = await browser.newPage();
  await page.goto(server.base + '/');
  await page.evaluate(() => {
    const list = Array.from({ length: 60 }, (_, i) => ({ id: `b${i}`, title: `Board ${i}`, role: 'editor', token: 't', visited: Date.now() - i * 3600e3 }));
    localStorage.setItem('corkboard.recent', JSON.stringify([{ junk: true }, ...list]));
  });
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#recent-list li').length === 60);
  assert.equal(await page.textContent('#recent-list li:first-child a'), 'Board 0');
  assert.equal(await page.textContent('#recent-list li:nth-child(2) time'), '1 hour ago');
  await page.locator('#recent-list li button').first().click();
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('corkboard.recent')).length), 50);
  await page.close();
});
