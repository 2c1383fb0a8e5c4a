// The board page under a large board, in headless Chromium (a benchmark,
// not a test: docs/PERFORMANCE.md records its numbers).
//
//   cargo build --release && CORKBOARD_BIN=target/release/corkboard \
//     node scripts/bench-page.mjs [stickers=1000] [runs=3]
//
// Per run: the time from navigation until every sticker is on the page;
// the frames per second Chromium paints while one sticker is dragged for
// 2 s among them; and how many events that drag wrote (the target is 1:
// the previews are ephemeral, the drop is one update).

import { Server, launch, openBoard } from '../tests/browser/harness.mjs';

const STICKERS = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 3);

const server = await Server.start({ CORKBOARD_RATE_PER_S: '100000', CORKBOARD_RATE_BURST: '100000' });
const browser = await launch();
const results = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const board = await server.createBoard(`Bench ${run}`);
    const page = await openBoard(browser, server, board, board.edit_token, 'Bench');
    // fill the board from a second socket of the page's origin
    await page.evaluate(
      ({ id, token, n }) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws/boards/${id}?token=${token}&name=filler`);
          let acked = 0;
          ws.onmessage = (m) => {
            const msg = JSON.parse(m.data);
            if (msg.type === 'welcome') {
              for (let i = 0; i < n; i++) {
                const x = (i % 40) * 180;
                const y = Math.floor(i / 40) * 140;
                ws.send(JSON.stringify({ type: 'sticker.create', ref: i, sticker: { x, y, w: 160, h: 120, color: '#fff59d', text: `note ${i}` } }));
              }
            } else if (msg.type === 'reply') {
              if (!msg.ok) reject(new Error(JSON.stringify(msg)));
              if (++acked === n) {
                ws.close();
                resolve();
              }
            }
          };
          ws.onerror = reject;
        }),
      { id: board.id, token: board.edit_token, n: STICKERS },
    );

    const started = Date.now();
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('.sticker').length >= n, STICKERS, { timeout: 60000 });
    const loadMs = Date.now() - started;

    const seqBefore = (await (await fetch(`${server.base}/api/boards/${board.id}?token=${board.edit_token}`)).json()).seq;
    // the sticker nearest the middle of the view (not under the toolbar)
    const box = await page.evaluate(() => {
      const [cx, cy] = [innerWidth / 2, innerHeight / 2];
      let best = null;
      for (const el of document.querySelectorAll('.sticker')) {
        const r = el.getBoundingClientRect();
        const d = Math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy);
        if (!best || d < best.d) best = { d, x: r.x, y: r.y };
      }
      return best;
    });
    await page.evaluate(() => {
      window.__frames = 0;
      const tick = () => {
        window.__frames++;
        if (window.__counting) requestAnimationFrame(tick);
      };
      window.__counting = true;
      requestAnimationFrame(tick);
    });
    const t0 = Date.now();
    await page.mouse.move(box.x + 20, box.y + 20);
    await page.mouse.down();
    const steps = 120;
    for (let i = 1; i <= steps; i++) {
      await page.mouse.move(box.x + 20 + i * 4, box.y + 20 + i * 2);
      const due = t0 + (2000 * i) / steps;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await page.mouse.up();
    const dragMs = Date.now() - t0;
    const frames = await page.evaluate(() => {
      window.__counting = false;
      return window.__frames;
    });
    // let the drop commit, and anything else the drag wrote
    await new Promise((r) => setTimeout(r, 1500));
    const seqAfter = (await (await fetch(`${server.base}/api/boards/${board.id}?token=${board.edit_token}`)).json()).seq;
    if (run === 0) await page.screenshot({ path: 'artifacts/bench-page.png' });
    results.push({ loadMs, fps: (frames * 1000) / dragMs, events: seqAfter - seqBefore });
    console.log(`run ${run + 1}: ${STICKERS} stickers loaded in ${loadMs} ms; drag ${(frames * 1000 / dragMs).toFixed(1)} frames/s over ${dragMs} ms; ${seqAfter - seqBefore} event(s) written`);
    await page.context().close();
  }
} finally {
  await browser.close();
  await server.down();
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median of ${RUNS}: load ${median(results.map((r) => r.loadMs))} ms, drag ${median(results.map((r) => r.fps)).toFixed(1)} frames/s, ${median(results.map((r) => r.events))} event(s) per drag`,
);
