// @ts-check
// Where this page's stickers are while it drags or nudges them, shown to the
// others as ephemeral previews (sticker.drag, never stored). The server
// passes on one preview per member every 33 ms, whatever the sticker, so
// the stickers of a selection take turns: each waits in line with its
// latest position, and the one sent longest ago goes next.

const PREVIEW_MS = 33; // ~30 previews/s at most
// previews and cursors together stay well inside the server's rate limit
const SHARE_OF_RATE = 0.3;
// past this many stickers moved together, the others would not get their
// turn often enough (a preview lasts 2 s): they just jump on the drop
const MANY_MAX = 30;

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  /** @param {number} ms the interval wanted; longer if the server's rate limit asks for it */
  const every = (ms) => {
    const rate = ctx.session.limits.rate_per_s;
    return rate ? Math.max(ms, 1000 / (rate * SHARE_OF_RATE)) : ms;
  };

  let last = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {Map<string, {id: string, x: number, y: number, w?: number, h?: number}>} in turn order: a re-sent id keeps its place */
  const waiting = new Map();

  function flush() {
    timer = undefined;
    const next = waiting.values().next();
    if (next.done) return;
    waiting.delete(next.value.id);
    last = performance.now();
    ctx.conn.send({ type: 'sticker.drag', ...next.value });
    schedule();
  }
  function schedule() {
    if (!waiting.size || timer) return;
    const wait = every(PREVIEW_MS) - (performance.now() - last);
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  }

  ctx.preview = {
    send(id, x, y, size) {
      waiting.set(id, { id, x, y, ...size });
      schedule();
    },
    many(moves) {
      let n = 0;
      for (const [id, p] of moves) if (n++ < MANY_MAX) ctx.preview.send(id, p.x, p.y);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      waiting.clear();
    },
    every,
  };
}
