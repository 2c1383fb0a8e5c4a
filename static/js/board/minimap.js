// @ts-check
// The minimap: every sticker as a small rectangle and the part in view as
// a frame; a click or a drag on it moves the view there. Shown only while
// some sticker lies outside the view (a small board needs none) and not on
// a phone or a board too narrow for it beside the zoom buttons, where it
// would cover the board (the CSS hides it on a phone). It is a
// pointer shortcut only, hidden from assistive technology: the zoom group's
// fit and zoom-to-selection buttons and the find field do the same by keyboard.

import { boundsOf } from './view.js';

const W = 200; // CSS px
const H = 140;
const PAD = 0.08; // of the mapped box, around it
const ROOM_PX = 40; // kept free between it and the zoom buttons

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, viewport } = ctx;
  const canvas = document.createElement('canvas');
  canvas.id = 'minimap';
  canvas.className = 'minimap';
  canvas.setAttribute('aria-hidden', 'true');
  canvas.title = 'Click or drag to move the view';
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  canvas.hidden = true;
  document.querySelector('.zoom')?.after(canvas);

  /** @type {{k: number, ox: number, oy: number} | null} world → minimap: (world − o) × k */
  let map = null;
  let dragging = false;
  let frame = 0;
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  function draw() {
    frame = 0;
    const content = boundsOf(store.all());
    const view = ctx.view.visibleRect();
    const inView = (/** @type {{x: number, y: number, w: number, h: number}} */ b) =>
      b.x >= view.x && b.y >= view.y && b.x + b.w <= view.x + view.w && b.y + b.h <= view.y + view.h;
    // a narrow board (a tablet beside the sidebar) has no room for it beside the zoom buttons
    const zoom = /** @type {HTMLElement | null} */ (document.querySelector('.zoom'));
    const room = viewport.clientWidth >= (zoom?.offsetWidth ?? 0) + W + ROOM_PX;
    canvas.hidden = !dragging && (!content || inView(content) || !room);
    if (canvas.hidden || !content || getComputedStyle(canvas).display === 'none') return;
    // the mapping holds still during a drag, so that the frame follows the pointer
    if (!dragging || !map) {
      const x0 = Math.min(content.x, view.x);
      const y0 = Math.min(content.y, view.y);
      const w = Math.max(content.x + content.w, view.x + view.w) - x0;
      const h = Math.max(content.y + content.h, view.y + view.h) - y0;
      const k = Math.min(W / (w * (1 + 2 * PAD)), H / (h * (1 + 2 * PAD)));
      map = { k, ox: x0 + w / 2 - W / 2 / k, oy: y0 + h / 2 - H / 2 / k };
    }
    const { k, ox, oy } = map;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(W * dpr)) {
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
    }
    const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const style = getComputedStyle(canvas);
    g.lineWidth = 1;
    g.strokeStyle = style.getPropertyValue('--edge').trim() || 'rgba(0, 0, 0, 0.35)';
    for (const s of [...store.all()].sort((a, b) => a.z - b.z)) {
      const x = (s.x - ox) * k;
      const y = (s.y - oy) * k;
      const w = Math.max(3, s.w * k);
      const h = Math.max(3, s.h * k);
      g.fillStyle = s.color;
      g.fillRect(x, y, w, h);
      if (w > 4 && h > 4) g.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    }
    // the view: a tinted frame in the accent colour (the element's `color`)
    g.fillStyle = g.strokeStyle = style.color;
    g.globalAlpha = 0.12;
    g.fillRect((view.x - ox) * k, (view.y - oy) * k, view.w * k, view.h * k);
    g.globalAlpha = 1;
    g.lineWidth = 2;
    g.strokeRect((view.x - ox) * k, (view.y - oy) * k, view.w * k, view.h * k);
  }

  /** @param {PointerEvent} e */
  function moveTo(e) {
    if (!map) return;
    const r = canvas.getBoundingClientRect();
    ctx.view.centerOn({ x: map.ox + (e.clientX - r.left) / map.k, y: map.oy + (e.clientY - r.top) / map.k });
  }
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    dragging = true;
    canvas.setPointerCapture(e.pointerId);
    moveTo(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (dragging) moveTo(e);
  });
  const end = () => {
    dragging = false;
    schedule();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('wheel', (e) => e.preventDefault(), { passive: false });

  store.addEventListener('change', schedule);
  document.addEventListener('corkboard:view', schedule);
  new ResizeObserver(schedule).observe(viewport);
  // the colours come from the CSS, which follows the colour scheme
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', schedule);
  schedule();
}
