// @ts-check
// The connection's state in one short pill, and the banner when access has
// ended: what happened, what to do; the page stays read-only.

import { ENDED } from '../protocol.js';

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn } = ctx;
  const pill = /** @type {HTMLElement} */ (document.getElementById('status'));
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;

  /** @param {string} text @param {string} [title] */
  const say = (text, title) => {
    if (pill.textContent !== text) pill.textContent = text;
    pill.title = title ?? text;
  };

  conn.addEventListener('status', (e) => {
    const s = /** @type {CustomEvent<import('../connection.js').Status>} */ (e).detail;
    clearInterval(timer);
    pill.dataset.state = s.state;
    if (s.state === 'connected') {
      const tick = () => say(conn.pending ? `Connected · sending ${conn.pending}` : 'Connected');
      tick();
      timer = setInterval(tick, 500);
    } else if (s.state === 'reconnecting') {
      const tick = () => {
        const secs = Math.max(0, Math.ceil(((s.until ?? 0) - Date.now()) / 1000));
        const waiting = conn.pending ? ` · ${conn.pending} waiting` : '';
        say(
          (navigator.onLine ? `Reconnecting in ${secs} s` : 'Offline') + waiting,
          conn.pending ? `${conn.pending} change(s) will be sent when the connection is back` : undefined,
        );
      };
      tick();
      timer = setInterval(tick, 250);
    } else if (s.state === 'ended') {
      say('Disconnected');
    }
  });

  conn.addEventListener('ended', (e) => {
    const { reason, lost } = /** @type {CustomEvent} */ (e).detail;
    const text = ctx.editor.stop(false);
    ctx.menu.close();
    for (const d of document.querySelectorAll('dialog[open]')) /** @type {HTMLDialogElement} */ (d).close();
    const words = ENDED[/** @type {import('../protocol.js').EndReason} */ (reason)];
    const banner = /** @type {HTMLElement} */ (document.getElementById('ended-banner'));
    /** @type {HTMLElement} */ (document.getElementById('ended-title')).textContent = words.title;
    /** @type {HTMLElement} */ (document.getElementById('ended-what')).textContent = words.what;
    /** @type {HTMLElement} */ (document.getElementById('ended-todo')).textContent = words.todo;
    const lostEl = /** @type {HTMLElement} */ (document.getElementById('ended-lost'));
    const bits = [];
    if (lost) bits.push(`${lost} change${lost === 1 ? '' : 's'} made just before could not be saved.`);
    if (text) bits.push('The text you were typing was not saved; copy it below.');
    lostEl.textContent = bits.join(' ');
    lostEl.hidden = !bits.length;
    const unsaved = /** @type {HTMLTextAreaElement} */ (document.getElementById('ended-text'));
    unsaved.value = text ?? '';
    unsaved.hidden = !text;
    /** @type {HTMLElement} */ (document.getElementById('ended-reload')).hidden = reason !== 'kicked';
    banner.hidden = false;
    /** @type {HTMLElement} */ (document.getElementById('ended-title')).focus();
  });
  document.getElementById('ended-reload')?.addEventListener('click', () => location.reload());
}
