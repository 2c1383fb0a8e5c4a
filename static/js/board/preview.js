// @ts-check
// Where this page's stickers are while it drags or nudges them, shown to the
// others as ephemeral previews (sticker.drag, never stored). The server
// passes on one preview per member every 33 ms, latest wins, so one message
// carries the whole selection: the first sticker, and the others in `more`.

import { DRAG_MORE_MAX } from '../protocol.js';

const PREVIEW_MS = 33; // ~30 previews/s at most
// previews and cursors together stay well inside the server's rate limit
const SHARE_OF_RATE = 0.3;

/** @typedef {{id: string, x: number, y: number}} Move */

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
  /** @type {(Move & {w?: number, h?: number, more?: Move[]}) | undefined} the latest, not yet sent */
  let pending;

  function flush() {
    timer = undefined;
    if (!pending) return;
    last = performance.now();
    ctx.conn.send({ type: 'sticker.drag', ...pending });
    pending = undefined;
  }
  function schedule() {
    if (!pending || timer) return;
    const wait = every(PREVIEW_MS) - (performance.now() - last);
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  }

  ctx.preview = {
    send(id, x, y, size) {
      pending = { id, x, y, ...size };
      schedule();
    },
    many(moves) {
      // past the server's bound the others just jump on the drop
      const list = [...moves].slice(0, 1 + DRAG_MORE_MAX).map(([id, p]) => ({ id, x: p.x, y: p.y }));
      const [first, ...more] = list;
      if (!first) return;
      pending = more.length ? { ...first, more } : first;
      schedule();
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
    every,
  };
}
