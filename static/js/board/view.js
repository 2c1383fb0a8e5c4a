// @ts-check
// Pan and zoom of the board. The board element itself never scrolls: when
// the browser scrolls it (focus moving to a sticker out of view), the
// scroll is turned into a pan. The dotted background follows the view.

const MIN_SCALE = 0.1;
const MAX_SCALE = 4;
const GRID = 24; // px between the background's dots at 100 %
const MARGIN = 24; // px kept around a sticker brought into view
const FIT_MARGIN = 48; // px kept around what a fit brings into view (clear of the zoom buttons)

/**
 * The box around stickers, in world units; null for none.
 * @param {Iterable<{x: number, y: number, w: number, h: number}>} stickers
 * @returns {{x: number, y: number, w: number, h: number} | null}
 */
export function boundsOf(stickers) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const s of stickers) {
    x0 = Math.min(x0, s.x);
    y0 = Math.min(y0, s.y);
    x1 = Math.max(x1, s.x + s.w);
    y1 = Math.max(y1, s.y + s.h);
  }
  return x0 === Infinity ? null : { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

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
    // the minimap and the find bar follow the view
    document.dispatchEvent(new CustomEvent('corkboard:view'));
  }

  const clamp = (/** @type {number} */ scale) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));

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
    const scale = clamp(v.scale * factor);
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

  /** The world rectangle the board shows now. */
  function visibleRect() {
    const r = viewport.getBoundingClientRect();
    return { x: -v.x / v.scale, y: -v.y / v.scale, w: r.width / v.scale, h: r.height / v.scale };
  }

  /** @param {{x: number, y: number}} p a world point to put in the middle @param {number} [scale] */
  function centerOn(p, scale = v.scale) {
    const r = viewport.getBoundingClientRect();
    v.scale = clamp(scale);
    v.x = r.width / 2 - p.x * v.scale;
    v.y = r.height / 2 - p.y * v.scale;
    apply();
  }

  /**
   * Shows a world rectangle whole and in the middle, zoomed out as needed and
   * in no further than maxScale (a single sticker should not fill the screen).
   * @param {{x: number, y: number, w: number, h: number}} rect
   * @param {{maxScale?: number}} [opts]
   */
  function fitRect(rect, { maxScale = 1 } = {}) {
    const r = viewport.getBoundingClientRect();
    const margin = Math.min(FIT_MARGIN, r.width / 8, r.height / 8);
    const fit = Math.min((r.width - 2 * margin) / Math.max(1, rect.w), (r.height - 2 * margin) / Math.max(1, rect.h));
    centerOn({ x: rect.x + rect.w / 2, y: rect.y + rect.h / 2 }, Math.min(fit, maxScale));
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

  ctx.view = { toWorld, center, zoomBy, panBy, reset, ensureVisible, scale: () => v.scale, visibleRect, centerOn, fitRect };
  document.getElementById('reset-view')?.addEventListener('click', reset);
  document.getElementById('zoom-in')?.addEventListener('click', () => zoomBy(1.25));
  document.getElementById('zoom-out')?.addEventListener('click', () => zoomBy(0.8));
  apply();
}
