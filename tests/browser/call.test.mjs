// Calls in the board page: real WebRTC between Chromium pages with fake
// camera and microphone; the server only relays the signaling.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Server, launch, openBoard } from './harness.mjs';

let browser;
const servers = [];

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.down();
});

async function server(env) {
  const s = await Server.start(env);
  servers.push(s);
  return s;
}

async function join(page) {
  await page.click('#call-join');
}

// Every remote tile plays a live track: a real frame size and advancing time.
async function seesLiveVideoOf(page, count) {
  const describe = () =>
    page.$$eval('#tiles .tile', (fs) =>
      fs.map((f) => `${f.querySelector('figcaption').textContent} ${f.querySelector('video').videoWidth}x${f.querySelector('video').videoHeight} state ${f.querySelector('video').readyState}`),
    );
  await page.waitForFunction(
    (n) => {
      const vids = [...document.querySelectorAll('#tiles .tile:not(.me) video')];
      return vids.length === n && vids.every((v) => v.videoWidth > 0 && v.readyState >= 2);
    },
    count,
    { timeout: 30000 },
  ).catch(async (e) => {
    throw new Error(`${e.message}; tiles: ${JSON.stringify(await describe())}`);
  });
  const times = () =>
    page.$$eval('#tiles .tile:not(.me) video', (vs) => vs.map((v) => v.currentTime));
  const t1 = await times();
  await page.waitForTimeout(1000);
  const t2 = await times();
  t2.forEach((t, i) => assert.ok(t > t1[i], `video ${i} advances (${t1[i]} → ${t})`));
}

test('three members see each other; a closed page leaves everyone\'s call', async () => {
  const s = await server();
  const board = await s.createBoard('Standup');
  const a = await openBoard(browser, s, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, s, board, board.view_token, 'Bob');
  const c = await openBoard(browser, s, board, board.edit_token, 'Cy');
  await join(a);
  await a.locator('.tile.me').waitFor();
  await join(b);
  await seesLiveVideoOf(a, 1);
  await seesLiveVideoOf(b, 1);
  await join(c);
  for (const p of [a, b, c]) await seesLiveVideoOf(p, 2);
  await a.locator('#members li', { hasText: 'Cy' }).filter({ hasText: 'in call' }).waitFor();
  assert.equal(await a.locator('.tile figcaption', { hasText: 'Cy' }).count(), 1);

  // C goes away without a word: its tiles vanish (heartbeat timeout is 3 s here)
  await c.context().close();
  for (const p of [a, b]) {
    await p.locator('.tile figcaption', { hasText: 'Cy' }).waitFor({ state: 'detached', timeout: 5000 });
    await seesLiveVideoOf(p, 1);
  }

  // mute and camera toggles, then leave
  await a.click('#call-mic');
  assert.equal(await a.textContent('#call-mic'), 'Unmute');
  await a.click('#call-cam');
  assert.equal(await a.textContent('#call-cam'), 'Camera on');
  await a.click('#call-leave');
  await b.locator('#tiles .tile:not(.me)').waitFor({ state: 'detached' });
  assert.equal(await a.locator('#call-join').isVisible(), true);
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('with the cap at 2 the third member hears that the call is full', async () => {
  const s = await server({ CORKBOARD_CALL_MAX: '2' });
  const board = await s.createBoard('Small');
  const a = await openBoard(browser, s, board, board.edit_token, 'Ada');
  const b = await openBoard(browser, s, board, board.edit_token, 'Bob');
  const c = await openBoard(browser, s, board, board.edit_token, 'Cy');
  await join(a);
  await a.locator('.tile.me').waitFor();
  await join(b);
  await seesLiveVideoOf(b, 1);
  await join(c);
  await c.locator('.toast', { hasText: 'The call is full' }).waitFor();
  assert.equal(await c.locator('.tile').count(), 0);
  assert.equal(await c.locator('#call-join').isVisible(), true);
  await Promise.all([a, b, c].map((p) => p.context().close()));
});
