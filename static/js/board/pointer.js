// @ts-check
// Pointer input on the board: select, drag and resize stickers, pan, pinch
// and wheel zoom, double-click to add, long-press or right-click for the menu.
// A drag shows its position to the others as an ephemeral preview
// (sticker.drag, coalesced, never stored) and saves once, on drop.
// As in Miro or tldraw: a mouse drag on the empty board draws a box that
// selects every sticker it touches (Shift adds to the selection),
// Shift+click adds or takes out one sticker, and dragging any selected
// sticker moves them all. The board pans with Space+drag, the middle
// button, the wheel, and on touch screens with one finger (two: pinch).

const CURSOR_MS = 33;
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
  /**
   * @type {{id: string, resizing: boolean, startX: number, startY: number, moved: boolean, slop: number,
   *   origs: Map<string, {x: number, y: number, w: number, h: number}>, collapse: boolean} | null}
   */
  let drag = null;
  /** @type {{x: number, y: number} | null} */
  let pan = null;
  /** @type {{x: number, y: number, base: string[], moved: boolean} | null} a selection box being drawn */
  let marquee = null;
  const marqueeEl = document.createElement('div');
  marqueeEl.className = 'marquee';
  marqueeEl.hidden = true;
  marqueeEl.setAttribute('aria-hidden', 'true');
  ctx.world.append(marqueeEl);
  let spaceDown = false;
  /** @type {{dist: number, x: number, y: number} | null} */
  let pinch = null;
  /** @type {{timer: ReturnType<typeof setTimeout>, x: number, y: number} | null} */
  let press = null;
  let lastPointerType = 'mouse';

  // ---------------------------------------------------------------- ephemeral sends

  let lastCursor = 0;
  /** @param {PointerEvent} e */
  function sendCursor(e) {
    const now = performance.now();
    if (now - lastCursor < ctx.preview.every(CURSOR_MS) || ctx.session.ended) return;
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
        endMarquee();
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
    ctx.preview.cancel();
    drag = null;
  }

  function endMarquee() {
    marquee = null;
    marqueeEl.hidden = true;
  }

  /** @param {PointerEvent} e */
  function drawMarquee(e) {
    if (!marquee) return;
    const a = ctx.view.toWorld(marquee.x, marquee.y);
    const b = ctx.view.toWorld(e.clientX, e.clientY);
    const [x0, y0, x1, y1] = [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)];
    marqueeEl.hidden = false;
    marqueeEl.style.transform = `translate(${x0}px, ${y0}px)`;
    marqueeEl.style.width = `${x1 - x0}px`;
    marqueeEl.style.height = `${y1 - y0}px`;
    const hits = [];
    for (const s of store.all()) if (s.x < x1 && s.x + s.w > x0 && s.y < y1 && s.y + s.h > y0) hits.push(s.id);
    ctx.selection.setMany([...marquee.base, ...hits]);
  }

  /** @param {PointerEvent} e */
  function startPan(e) {
    pan = { x: e.clientX, y: e.clientY };
    viewport.classList.add('panning');
    viewport.setPointerCapture(e.pointerId);
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
      endMarquee();
      pan = null;
      const [a, b] = [...touches.values()];
      pinch = { dist: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      viewport.setPointerCapture(e.pointerId);
      return;
    }
    if (touches.size > 2) return;
    const el = stickerOf(e.target);
    const id = el?.dataset.id ?? null;
    if (id && ctx.editor.editing() === id) return;
    if (e.button === 1 || (e.button === 0 && spaceDown)) {
      // the middle button or Space: pan, over stickers too
      e.preventDefault();
      return startPan(e);
    }
    if (e.button !== 0) return;
    if (e.pointerType !== 'mouse') startPress(e, id);
    if (id) {
      // focus the sticker itself, not the board that captures the pointer
      e.preventDefault();
      const resizing = /** @type {Element} */ (e.target).classList.contains('resize');
      let collapse = false;
      if (e.shiftKey && !resizing) {
        const out = ctx.selection.has(id);
        ctx.selection.toggle(id);
        if (out) return; // taken out of the selection: nothing to drag
      } else if (!resizing && ctx.selection.has(id) && ctx.selection.ids().length > 1) {
        // one of several selected: they all go with it; a click without a move selects just it
        ctx.selection.setMany(ctx.selection.ids(), { primary: id, focus: true });
        collapse = true;
      } else ctx.selection.set(id, { focus: true });
      const s = store.get(id);
      if (!s || !ctx.session.canEdit()) return;
      /** @type {Map<string, {x: number, y: number, w: number, h: number}>} */
      const origs = new Map();
      for (const other of resizing ? [id] : ctx.selection.ids()) {
        const o = store.get(other);
        if (o) origs.set(other, { x: o.x, y: o.y, w: o.w, h: o.h });
      }
      drag = {
        id,
        resizing,
        startX: e.clientX,
        startY: e.clientY,
        origs,
        moved: false,
        slop: e.pointerType === 'mouse' ? SLOP_PX : TOUCH_SLOP_PX,
        collapse,
      };
      viewport.setPointerCapture(e.pointerId);
      return;
    }
    if (document.activeElement !== viewport && !ctx.editor.editing()) viewport.focus({ preventScroll: true });
    if (e.pointerType === 'mouse') {
      marquee = { x: e.clientX, y: e.clientY, base: e.shiftKey ? ctx.selection.ids() : [], moved: false };
      if (!e.shiftKey) ctx.selection.set(null);
      viewport.setPointerCapture(e.pointerId);
      return;
    }
    ctx.selection.set(null);
    startPan(e);
  });
  // no autoscroll on a middle press: it pans
  viewport.addEventListener('mousedown', (e) => {
    if (e.button === 1) e.preventDefault();
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
      const orig = d.origs.get(d.id);
      if (d.resizing && orig) {
        const size = { w: Math.max(MIN_W, Math.round(orig.w + dx)), h: Math.max(MIN_H, Math.round(orig.h + dy)) };
        store.setLocal(d.id, size);
        ctx.preview.send(d.id, orig.x, orig.y, size);
      } else if (!d.resizing) {
        /** @type {Map<string, {x: number, y: number}>} */
        const moves = new Map();
        for (const [id, o] of d.origs) moves.set(id, { x: Math.round(o.x + dx), y: Math.round(o.y + dy) });
        store.setLocals(moves);
        ctx.preview.many(moves);
      }
    } else if (marquee) {
      if (!marquee.moved && Math.hypot(e.clientX - marquee.x, e.clientY - marquee.y) < SLOP_PX) return;
      marquee.moved = true;
      drawMarquee(e);
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
      ctx.preview.cancel();
      if (d.moved && e.type === 'pointerup') {
        // the drop: exactly one durable update per sticker, one undo step
        /** @type {Map<string, import('./context.js').Patch>} */
        const patches = new Map();
        /** @type {Map<string, import('./context.js').Patch>} */
        const before = new Map();
        for (const [id, o] of d.origs) {
          const local = store.localOf(id);
          if (!local) continue;
          patches.set(id, { ...local });
          before.set(id, d.resizing ? { w: o.w, h: o.h } : { x: o.x, y: o.y });
        }
        ctx.actions.updateMany(patches, { before });
      } else if (d.collapse && e.type === 'pointerup') ctx.selection.set(d.id, { focus: true });
      store.clearLocal();
    }
    endMarquee();
    pan = null;
    viewport.classList.remove('panning');
  }

  // Space held: the pointer pans. Never in a text field; on a focused
  // button only while the pointer is over the board (else Space presses it).
  let overBoard = false;
  viewport.addEventListener('pointerenter', () => (overBoard = true));
  viewport.addEventListener('pointerleave', () => (overBoard = false));
  document.addEventListener('keydown', (e) => {
    if (e.key !== ' ' || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = /** @type {HTMLElement} */ (e.target);
    if (t.closest('input, textarea, select, dialog, [contenteditable="true"], #context-menu')) return;
    if (!overBoard && t.closest('button, summary, a')) return;
    e.preventDefault();
    spaceDown = true;
    viewport.classList.add('pan-ready');
  });
  const spaceUp = () => {
    spaceDown = false;
    viewport.classList.remove('pan-ready');
  };
  document.addEventListener('keyup', (e) => {
    if (e.key !== ' ' || !spaceDown) return;
    e.preventDefault();
    spaceUp();
  });
  window.addEventListener('blur', spaceUp);
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
