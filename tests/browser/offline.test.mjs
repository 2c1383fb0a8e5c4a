// Edits made while the server is away are all saved when it is back, even
// more of them than the server's rate limit lets through at once: the
// page resends its queue paced, instead of having most of it refused as
// rate_limited and rolled back.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBoard, startBoth, stopBoth } from './harness.mjs';

let server;
let browser;
// a small budget, so that a queue of 40 is well past one burst (10)
before(async () => ({ server, browser } = await startBoth({ CORKBOARD_RATE_PER_S: '20', CORKBOARD_RATE_BURST: '10' })));
after(() => stopBoth(server, browser));

test('forty stickers pasted while the server is down are all saved once it is back', async () => {
  const board = await server.createBoard('Offline');
  const a = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await a.locator('#viewport').click({ position: { x: 600, y: 500 } });

  await server.down();
  await a.locator('#status[data-state="reconnecting"]').waitFor();
  await a.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', Array.from({ length: 40 }, (_, i) => `offline ${i + 1}`).join('\n'));
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  // every op has left the page's own pacing and waits in the connection
  await a.locator('#status', { hasText: '40 waiting' }).waitFor({ timeout: 15000 });

  await server.up();
  await a.locator('#status[data-state="connected"]').waitFor({ timeout: 30000 });
  const deadline = Date.now() + 20000;
  let texts = [];
  while (Date.now() < deadline) {
    texts = (await server.state(board)).stickers.map((s) => s.text);
    if (texts.length >= 40) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(texts.sort(), Array.from({ length: 40 }, (_, i) => `offline ${i + 1}`).sort(), 'all forty, once each');
  assert.equal(await a.locator('.toast', { hasText: /too fast|not saved/ }).count(), 0, 'none refused');
  assert.equal(await a.locator('.sticker').count(), 40, 'none rolled back on the page');
  assert.deepEqual(a.errors, []);
  await a.context().close();
});
