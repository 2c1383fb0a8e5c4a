// @ts-check
// An admin restored the board (`board.restored`, after the events that did
// it): a banner says to when and how much changed, until dismissed.

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * @param {number} n
 * @returns {string}
 */
function changed(n) {
  if (n === 0) return 'no sticker changed';
  return n === 1 ? '1 sticker changed' : `${n} stickers changed`;
}

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const banner = /** @type {HTMLElement} */ (document.getElementById('restore-banner'));
  const detail = /** @type {HTMLElement} */ (document.getElementById('restore-detail'));
  ctx.conn.addEventListener('board.restored', (e) => {
    const r = /** @type {CustomEvent} */ (e).detail;
    const at = new Date(r.to_at);
    const when = Number.isNaN(at.getTime()) ? 'an earlier time' : WHEN.format(at);
    // the banner is a live region: shown first, then filled, so that a
    // screen reader says it (a toast as well would say it twice)
    detail.textContent = '';
    banner.hidden = false;
    requestAnimationFrame(() => {
      detail.textContent = `It is back to how it was on ${when}; ${changed(Number(r.changed) || 0)}.`;
    });
  });
  document.getElementById('restore-dismiss')?.addEventListener('click', () => {
    banner.hidden = true;
    ctx.viewport.focus();
  });
}
