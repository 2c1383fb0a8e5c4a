// @ts-check
// Toasts: short messages that go away. Errors come in words (protocol.js),
// never with internal ids.

import { errorWords } from '../protocol.js';

/** @param {string} message */
export function toast(message) {
  const box = document.getElementById('toasts');
  if (!box) return;
  // the same message twice in a row is shown once
  if ([...box.children].some((t) => t.textContent === message)) return;
  const t = document.createElement('div');
  t.className = 'toast';
  t.textContent = message;
  box.append(t);
  setTimeout(() => t.remove(), 6000);
}

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  // failures of messages sent without a ref (cursor, previews, presence)
  ctx.conn.addEventListener('reply', (e) => {
    const r = /** @type {CustomEvent} */ (e).detail;
    if (!r.ok && r.ref === null) console.info('refused:', r.error);
  });
  ctx.conn.addEventListener('error', (e) => console.info('refused frame:', /** @type {CustomEvent} */ (e).detail.error));
}

export { errorWords };
