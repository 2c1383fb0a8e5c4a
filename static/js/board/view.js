// @ts-check
// Pan and zoom of the board. The board element itself never scrolls: when
// the browser scrolls it (focus moving to a sticker out of view), the
// scroll is turned into a pan. The dotted background follows the view.

const MIN_SCALE = 0.1;
const MAX_SCALE = 4;
const GRID = 24; // px between the background's dots at 100 %
const MARGIN = 24; // px kept around a sticker brought into view

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { viewport, world } = ctx;
  const v = { x: 0, y: 0, scale: 1 };
  const zoomLabel = document.getElementById('reset-view');

  function apply() {
    world.style.transform = `translate(${v.x}px, ${v.y}px) scale(${v.scale})`;
    const g = GRID * v.scale;
    viewport.style.backgroundSize = `${g}px ${g}px`;
    viewport.style.backgroundPosition = `${v.x}px ${v.y}px`;
    if (zoomLabel) {
      zoomLabel.textContent = `${Math.round(v.scale * 100)} %`;
      zoomLabel.setAttribute('aria-label', `${zoomLabel.textContent}, reset the view`);
    }
  }

  /** @param {number} clientX @param {number} clientY */
  function toWorld(clientX, clientY) {
    const r = viewport.getBoundingClientRect();
    return { x: (clientX - r.left - v.x) / v.scale, y: (clientY - r.top - v.y) / v.scale };
  }

  /** @param {number} factor @param {number} [clientX] @param {number} [clientY] */
  function zoomBy(factor, clientX, clientY) {
    const r = viewport.getBoundingClientRect();
    const px = (clientX ?? r.left + r.width / 2) - r.left;
    const py = (clientY ?? r.top + r.height / 2) - r.top;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
    v.x = px - ((px - v.x) * scale) / v.scale;
    v.y = py - ((py - v.y) * scale) / v.scale;
    v.scale = scale;
    apply();
  }

  /** @param {number} dx @param {number} dy */
  function panBy(dx, dy) {
    v.x += dx;
    v.y += dy;
    apply();
  }

  function reset() {
    viewport.scrollLeft = 0;
    viewport.scrollTop = 0;
    Object.assign(v, { x: 0, y: 0, scale: 1 });
    apply();
  }

  function center() {
    const r = viewport.getBoundingClientRect();
    return toWorld(r.left + r.width / 2, r.top + r.height / 2);
  }

  /** @param {import('./context.js').Sticker} s */
  function ensureVisible(s) {
    const r = viewport.getBoundingClientRect();
    const left = s.x * v.scale + v.x;
    const top = s.y * v.scale + v.y;
    const right = (s.x + s.w) * v.scale + v.x;
    const bottom = (s.y + s.h) * v.scale + v.y;
    let dx = 0;
    let dy = 0;
    if (right - left > r.width - 2 * MARGIN || left < MARGIN) dx = MARGIN - left;
    else if (right > r.width - MARGIN) dx = r.width - MARGIN - right;
    if (bottom - top > r.height - 2 * MARGIN || top < MARGIN) dy = MARGIN - top;
    else if (bottom > r.height - MARGIN) dy = r.height - MARGIN - bottom;
    if (dx || dy) panBy(dx, dy);
  }

  // the browser scrolls an overflow:hidden element to show what gets focus
  viewport.addEventListener('scroll', () => {
    const { scrollLeft, scrollTop } = viewport;
    if (!scrollLeft && !scrollTop) return;
    viewport.scrollLeft = 0;
    viewport.scrollTop = 0;
    panBy(-scrollLeft, -scrollTop);
    // and with a margin, as a pan from the keyboard would
    const id = /** @type {HTMLElement | null} */ (document.activeElement?.closest('.sticker') ?? null)?.dataset.id;
    const s = id ? ctx.store.get(id) : undefined;
    if (s) ensureVisible(s);
  });

  ctx.view = { toWorld, center, zoomBy, panBy, reset, ensureVisible, scale: () => v.scale };
  document.getElementById('reset-view')?.addEventListener('click', reset);
  document.getElementById('zoom-in')?.addEventListener('click', () => zoomBy(1.25));
  document.getElementById('zoom-out')?.addEventListener('click', () => zoomBy(0.8));
  apply();
}
