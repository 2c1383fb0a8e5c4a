// @ts-check
// Which sticker is selected, and keyboard focus among stickers. The board
// is one tab stop (roving tabindex): Tab enters at the selected sticker and
// the next Tab leaves for the sidebar; Ctrl+arrows walk to the nearest
// sticker in that direction.

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, viewport, world } = ctx;
  /** @type {string | null} */
  let selected = null;

  /** @param {string | null} id @param {{focus?: boolean}} [opts] */
  function set(id, { focus = false } = {}) {
    if (id && !store.get(id)) id = null;
    if (selected !== id) {
      const before = selected ? ctx.render.element(selected) : undefined;
      before?.classList.remove('selected');
      const beforeText = selected ? ctx.render.textOf(selected) : undefined;
      if (beforeText) beforeText.tabIndex = -1;
      selected = id;
      document.body.classList.toggle('has-selection', !!id);
      document.dispatchEvent(new CustomEvent('corkboard:selection', { detail: id }));
    }
    if (!id) return;
    ctx.render.element(id)?.classList.add('selected');
    const text = ctx.render.textOf(id);
    if (text) text.tabIndex = 0;
    if (focus && text && document.activeElement !== text) text.focus({ preventScroll: true });
    const s = store.get(id);
    if (focus && s && !byPointer) ctx.view.ensureVisible(s);
  }

  /** @param {import('./context.js').Sticker} s */
  const mid = (s) => ({ x: s.x + s.w / 2, y: s.y + s.h / 2 });

  /** @param {'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown'} dir */
  function move(dir) {
    const from = selected && store.get(selected);
    const o = from ? mid(from) : ctx.view.center();
    const [ux, uy] = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[dir];
    let best = null;
    let bestScore = Infinity;
    for (const s of store.all()) {
      if (s.id === selected) continue;
      const c = mid(s);
      const along = (c.x - o.x) * ux + (c.y - o.y) * uy;
      const across = Math.abs((c.x - o.x) * uy - (c.y - o.y) * ux);
      if (from ? along <= 0 : along < -Infinity) continue;
      const score = Math.abs(along) + 2 * across;
      if (score < bestScore) {
        bestScore = score;
        best = s.id;
      }
    }
    if (best) set(best, { focus: true });
  }

  /** @param {string} id */
  function focusAfterRemoval(id) {
    const gone = store.get(id);
    let best = null;
    let bestD = Infinity;
    if (gone) {
      const o = mid(gone);
      for (const s of store.all()) {
        if (s.id === id) continue;
        const c = mid(s);
        const d = Math.hypot(c.x - o.x, c.y - o.y);
        if (d < bestD) {
          bestD = d;
          best = s.id;
        }
      }
    }
    if (best) set(best, { focus: true });
    else {
      set(null);
      viewport.focus({ preventScroll: true });
    }
  }

  // a sticker focused from the keyboard is brought into view; one under the pointer stays put
  let byPointer = false;
  document.addEventListener('pointerdown', () => (byPointer = true), true);
  document.addEventListener('keydown', () => (byPointer = false), true);
  world.addEventListener('focusin', (e) => {
    const el = /** @type {HTMLElement} */ (e.target).closest('.sticker');
    if (el instanceof HTMLElement && el.dataset.id) {
      set(el.dataset.id);
      const s = store.get(el.dataset.id);
      if (s && !byPointer) ctx.view.ensureVisible(s);
    }
  });

  store.addEventListener('change', (e) => {
    for (const id of /** @type {CustomEvent} */ (e).detail.ids) {
      if (id !== selected) continue;
      if (!store.get(id)) {
        const hadFocus = world.contains(document.activeElement) || document.activeElement === document.body;
        selected = null;
        document.body.classList.remove('has-selection');
        document.dispatchEvent(new CustomEvent('corkboard:selection', { detail: null }));
        if (hadFocus) viewport.focus({ preventScroll: true });
      } else set(id); // a new element (re-created) gets its classes back
    }
  });

  ctx.selection = { id: () => selected, set, move, focusAfterRemoval };
}
