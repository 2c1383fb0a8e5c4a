// Calls in the board page: real WebRTC between Chromium pages with fake
// camera and microphone; the server only relays the signaling.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, Server, launch, openBoard } from './harness.mjs';

let browser;
const servers = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
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

test('tiles show mute and camera-off (with initials), who speaks, and can be enlarged', async () => {
  const s = await server();
  const board = await s.createBoard('Tiles');
  const a = await openBoard(browser, s, board, board.edit_token, 'Ada Lovelace');
  const b = await openBoard(browser, s, board, board.edit_token, 'Bob');
  await join(a);
  await a.locator('.tile.me').waitFor();
  await join(b);
  await seesLiveVideoOf(b, 1);
  const adaOnB = b.locator('.tile:not(.me)');

  // the fake microphone beeps: someone is highlighted as speaking
  await b.locator('.tile.speaking').waitFor({ timeout: 20000 });

  // Ada mutes: Bob sees "muted" on her tile, and she is never the speaker
  await a.click('#call-mic');
  await adaOnB.locator('.muted-sign').waitFor();
  assert.equal(await a.locator('.tile.me .muted-sign').isVisible(), true);
  // Ada's camera off: initials instead of a black picture
  await a.click('#call-cam');
  await adaOnB.locator('.initials').waitFor();
  assert.equal(await adaOnB.locator('.initials').textContent(), 'AL');
  assert.equal(await adaOnB.locator('.cam-sign').isVisible(), true);
  await a.click('#call-mic');
  await adaOnB.locator('.muted-sign').waitFor({ state: 'hidden' });

  // enlarge Ada's tile on Bob's page, then back
  const small = await adaOnB.boundingBox();
  await adaOnB.getByRole('button', { name: /Enlarge the video of Ada/ }).click();
  const big = await adaOnB.boundingBox();
  assert.ok(big.width > small.width * 3, `enlarged from ${small.width} to ${big.width} px`);
  await b.screenshot({ path: path.join(ARTIFACTS, 'call-enlarged-1280.png') });
  await b.keyboard.press('Escape');
  assert.ok((await adaOnB.boundingBox()).width < small.width * 1.1);
  await b.screenshot({ path: path.join(ARTIFACTS, 'call-1280.png') });
  await Promise.all([a, b].map((p) => p.context().close()));
});
