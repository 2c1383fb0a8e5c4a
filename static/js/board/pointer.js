// @ts-check
// Pointer input on the board: select, drag and resize stickers, pan, pinch
// and wheel zoom, double-click to add, long-press or right-click for the menu.
// A drag shows its position to the others as an ephemeral preview
// (sticker.drag, coalesced, never stored) and saves once, on drop.

const PREVIEW_MS = 33; // ~30 previews/s at most, the latest wins
const CURSOR_MS = 33;
// previews and cursors together stay well inside the server's rate limit
const SHARE_OF_RATE = 0.3;
const LONG_PRESS_MS = 500;
const SLOP_PX = 4; // a press that moves less is a click
const TOUCH_SLOP_PX = 10;
const MIN_W = 40;
const MIN_H = 30;
const WHEEL_ZOOM = 0.001; // per pixel of wheel: a mouse notch (100) is about 10 %

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { viewport, store, conn } = ctx;
  /** @type {Map<number, {x: number, y: number}>} */
  const touches = new Map();
  /** @type {{id: string, resizing: boolean, startX: number, startY: number, orig: {x: number, y: number, w: number, h: number}, moved: boolean, slop: number} | null} */
  let drag = null;
  /** @type {{x: number, y: number} | null} */
  let pan = null;
  /** @type {{dist: number, x: number, y: number} | null} */
  let pinch = null;
  /** @type {{timer: ReturnType<typeof setTimeout>, x: number, y: number} | null} */
  let press = null;
  let lastPointerType = 'mouse';

  // ---------------------------------------------------------------- ephemeral sends

  /** @param {number} ms the interval wanted; longer if the server's rate limit asks for it */
  const every = (ms) => {
    const rate = ctx.session.limits.rate_per_s;
    return rate ? Math.max(ms, 1000 / (rate * SHARE_OF_RATE)) : ms;
  };

  let lastPreview = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let previewTimer;
  /** @type {{id: string, x: number, y: number, w?: number, h?: number} | null} */
  let pendingPreview = null;
  function flushPreview() {
    previewTimer = undefined;
    if (!pendingPreview) return;
    lastPreview = performance.now();
    conn.send({ type: 'sticker.drag', ...pendingPreview });
    pendingPreview = null;
  }
  /**
   * @param {string} id @param {number} x @param {number} y
   * @param {{w: number, h: number}} [size] while resizing
   */
  function sendPreview(id, x, y, size) {
    pendingPreview = { id, x, y, ...size };
    const wait = every(PREVIEW_MS) - (performance.now() - lastPreview);
    if (wait <= 0) flushPreview();
    else if (!previewTimer) previewTimer = setTimeout(flushPreview, wait);
  }
  function cancelPreview() {
    clearTimeout(previewTimer);
    previewTimer = undefined;
    pendingPreview = null;
  }

  let lastCursor = 0;
  /** @param {PointerEvent} e */
  function sendCursor(e) {
    const now = performance.now();
    if (now - lastCursor < every(CURSOR_MS) || ctx.session.ended) return;
    lastCursor = now;
    const p = ctx.view.toWorld(e.clientX, e.clientY);
    conn.send({ type: 'cursor', x: Math.round(p.x), y: Math.round(p.y) });
  }

  // ---------------------------------------------------------------- long press (phones)

  /** @param {PointerEvent} e @param {string | null} id */
  function startPress(e, id) {
    cancelPress();
    const at = { clientX: e.clientX, clientY: e.clientY };
    press = {
      x: e.clientX,
      y: e.clientY,
      timer: setTimeout(() => {
        press = null;
        abandonDrag();
        pan = null;
        navigator.vibrate?.(10);
        ctx.menu.open(at, id);
      }, LONG_PRESS_MS),
    };
  }
  function cancelPress() {
    if (press) clearTimeout(press.timer);
    press = null;
  }

  function abandonDrag() {
    if (!drag) return;
    if (drag.moved) store.clearLocal();
    cancelPreview();
    drag = null;
  }

  // ---------------------------------------------------------------- pointer events

  /** @param {EventTarget | null} t */
  const stickerOf = (t) => {
    const el = t instanceof Element ? t.closest('.sticker') : null;
    return el instanceof HTMLElement ? el : null;
  };

  viewport.addEventListener('pointerdown', (e) => {
    lastPointerType = e.pointerType;
    if (e.pointerType !== 'mouse') touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (touches.size === 2) {
      // two fingers: pinch zoom and pan, whatever the first one started
      cancelPress();
      abandonDrag();
      pan = null;
      const [a, b] = [...touches.values()];
      pinch = { dist: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      viewport.setPointerCapture(e.pointerId);
      return;
    }
    if (e.button !== 0 || touches.size > 2) return;
    const el = stickerOf(e.target);
    const id = el?.dataset.id ?? null;
    if (id && ctx.editor.editing() === id) return;
    if (e.pointerType !== 'mouse') startPress(e, id);
    if (id) {
      // focus the sticker itself, not the board that captures the pointer
      e.preventDefault();
      ctx.selection.set(id, { focus: true });
      const s = store.get(id);
      if (!s || !ctx.session.canEdit()) return;
      const resizing = /** @type {Element} */ (e.target).classList.contains('resize');
      drag = {
        id,
        resizing,
        startX: e.clientX,
        startY: e.clientY,
        orig: { x: s.x, y: s.y, w: s.w, h: s.h },
        moved: false,
        slop: e.pointerType === 'mouse' ? SLOP_PX : TOUCH_SLOP_PX,
      };
      viewport.setPointerCapture(e.pointerId);
      return;
    }
    ctx.selection.set(null);
    if (document.activeElement !== viewport && !ctx.editor.editing()) viewport.focus({ preventScroll: true });
    pan = { x: e.clientX, y: e.clientY };
    viewport.setPointerCapture(e.pointerId);
  });

  viewport.addEventListener('pointermove', (e) => {
    sendCursor(e);
    if (touches.has(e.pointerId)) touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (press && Math.hypot(e.clientX - press.x, e.clientY - press.y) > TOUCH_SLOP_PX) cancelPress();
    if (pinch && touches.size >= 2) {
      const [a, b] = [...touches.values()];
      const dist = Math.hypot(a.x - b.x, a.y - b.y);
      const x = (a.x + b.x) / 2;
      const y = (a.y + b.y) / 2;
      if (pinch.dist > 0) ctx.view.zoomBy(dist / pinch.dist, x, y);
      ctx.view.panBy(x - pinch.x, y - pinch.y);
      pinch = { dist, x, y };
      return;
    }
    if (drag) {
      const d = drag;
      const scale = ctx.view.scale();
      const dx = (e.clientX - d.startX) / scale;
      const dy = (e.clientY - d.startY) / scale;
      if (!d.moved && Math.hypot(e.clientX - d.startX, e.clientY - d.startY) < d.slop) return;
      d.moved = true;
      if (d.resizing) {
        const size = { w: Math.max(MIN_W, Math.round(d.orig.w + dx)), h: Math.max(MIN_H, Math.round(d.orig.h + dy)) };
        store.setLocal(d.id, size);
        sendPreview(d.id, d.orig.x, d.orig.y, size);
      } else {
        const x = Math.round(d.orig.x + dx);
        const y = Math.round(d.orig.y + dy);
        store.setLocal(d.id, { x, y });
        sendPreview(d.id, x, y);
      }
    } else if (pan) {
      ctx.view.panBy(e.clientX - pan.x, e.clientY - pan.y);
      pan = { x: e.clientX, y: e.clientY };
    }
  });

  /** @param {PointerEvent} e */
  function end(e) {
    touches.delete(e.pointerId);
    cancelPress();
    if (pinch) {
      if (touches.size < 2) pinch = null;
      return;
    }
    if (drag) {
      const d = drag;
      drag = null;
      cancelPreview();
      const local = store.local?.id === d.id ? store.local.patch : null;
      if (d.moved && local && e.type === 'pointerup') {
        // the drop: exactly one durable update
        const before = d.resizing ? { w: d.orig.w, h: d.orig.h } : { x: d.orig.x, y: d.orig.y };
        ctx.actions.update(d.id, { ...local }, { before });
      }
      store.clearLocal();
    }
    pan = null;
  }
  viewport.addEventListener('pointerup', end);
  viewport.addEventListener('pointercancel', end);

  viewport.addEventListener('dblclick', (e) => {
    // pointer capture (for dragging) makes the viewport the target: look under the pointer
    const el = stickerOf(document.elementFromPoint(e.clientX, e.clientY));
    if (el?.dataset.id) return ctx.editor.start(el.dataset.id);
    if (ctx.session.canEdit() && e.target instanceof Element && !e.target.closest('.zoom')) {
      ctx.actions.create(ctx.view.toWorld(e.clientX, e.clientY));
    }
  });

  viewport.addEventListener('contextmenu', (e) => {
    if (/** @type {Element} */ (e.target).closest('textarea')) return;
    e.preventDefault();
    if (lastPointerType !== 'mouse') return; // a long press opens it
    const el = stickerOf(document.elementFromPoint(e.clientX, e.clientY));
    ctx.menu.open({ clientX: e.clientX, clientY: e.clientY }, el?.dataset.id ?? null);
  });

  viewport.addEventListener(
    'wheel',
    (e) => {
      const zoom = e.ctrlKey || e.metaKey;
      // over a sticker whose text does not fit, the wheel scrolls that text (never the board)
      const text = e.target instanceof Element ? e.target.closest('.text, .text-edit') : null;
      if (!zoom && text && scrolls(text)) return;
      e.preventDefault();
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? viewport.clientHeight : 1;
      if (zoom) {
        const dy = Math.max(-100, Math.min(100, e.deltaY * unit));
        ctx.view.zoomBy(Math.exp(-dy * WHEEL_ZOOM), e.clientX, e.clientY);
      } else if (e.shiftKey && !e.deltaX) ctx.view.panBy(-e.deltaY * unit, 0);
      else ctx.view.panBy(-e.deltaX * unit, -e.deltaY * unit);
    },
    { passive: false },
  );
}

/** @param {Element} el */
function scrolls(el) {
  return el.scrollHeight > el.clientHeight + 1 && getComputedStyle(el).overflowY !== 'hidden';
}
