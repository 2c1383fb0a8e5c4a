// @ts-check
// Which stickers are selected, and keyboard focus among stickers. One or
// more stickers can be selected; one of them (the last chosen) is the
// focused one, which single-sticker actions (edit, the menu) act on. The
// board is one tab stop (roving tabindex): Tab enters at the focused
// sticker and the next Tab leaves for the sidebar; Ctrl+arrows walk to the
// nearest sticker in that direction (Shift adds it to the selection).
// Two or more selected stickers get a box around them and a count.

const BOX_PAD = 8; // px between the stickers and the box around them

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, viewport, world } = ctx;
  /** @type {string | null} the focused one of the selected */
  let selected = null;
  /** @type {Set<string>} */
  let chosen = new Set();

  const box = document.createElement('div');
  box.className = 'selection-box';
  box.hidden = true;
  box.setAttribute('aria-hidden', 'true');
  world.append(box);
  const count = document.createElement('p');
  count.className = 'selection-count';
  count.setAttribute('role', 'status');
  viewport.after(count);

  function drawBox() {
    const n = chosen.size;
    count.textContent = n > 1 ? `${n} stickers selected` : '';
    count.hidden = n < 2;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const id of chosen) {
      const s = store.get(id);
      if (!s) continue;
      [x0, y0, x1, y1] = [Math.min(x0, s.x), Math.min(y0, s.y), Math.max(x1, s.x + s.w), Math.max(y1, s.y + s.h)];
    }
    box.hidden = n < 2 || x0 === Infinity;
    if (box.hidden) return;
    box.style.transform = `translate(${x0 - BOX_PAD}px, ${y0 - BOX_PAD}px)`;
    box.style.width = `${x1 - x0 + 2 * BOX_PAD}px`;
    box.style.height = `${y1 - y0 + 2 * BOX_PAD}px`;
  }

  /** @type {import('./context.js').Selection['setMany']} */
  function setMany(ids, { focus = false, primary } = {}) {
    const next = new Set([...ids].filter((id) => store.get(id)));
    const first = next.values().next();
    const p = primary && next.has(primary) ? primary : selected && next.has(selected) ? selected : first.done ? null : first.value;
    const changed = p !== selected || next.size !== chosen.size || [...next].some((id) => !chosen.has(id));
    for (const id of chosen) if (!next.has(id)) ctx.render.element(id)?.classList.remove('selected');
    if (selected !== p) {
      const beforeText = selected ? ctx.render.textOf(selected) : undefined;
      if (beforeText) beforeText.tabIndex = -1;
    }
    chosen = next;
    selected = p;
    // a new element (re-created) gets its class back too
    for (const id of chosen) ctx.render.element(id)?.classList.add('selected');
    if (changed) {
      document.body.classList.toggle('has-selection', !!p);
      document.dispatchEvent(new CustomEvent('corkboard:selection', { detail: p }));
      drawBox();
    }
    if (!p) return;
    const text = ctx.render.textOf(p);
    if (text) text.tabIndex = 0;
    if (focus && text && document.activeElement !== text) text.focus({ preventScroll: true });
    const s = store.get(p);
    if (focus && s && !byPointer) ctx.view.ensureVisible(s);
  }

  /** @type {import('./context.js').Selection['set']} */
  function set(id, opts) {
    setMany(id ? [id] : [], { ...opts, primary: id ?? undefined });
  }

  /** @param {string} id */
  function toggle(id) {
    if (!chosen.has(id)) return setMany([...chosen, id], { primary: id, focus: true });
    const hadFocus = world.contains(document.activeElement);
    setMany([...chosen].filter((other) => other !== id));
    if (hadFocus && selected) /** @type {HTMLElement | undefined} */ (ctx.render.textOf(selected))?.focus({ preventScroll: true });
    else if (hadFocus) viewport.focus({ preventScroll: true });
  }

  /** @param {import('./context.js').Sticker} s */
  const mid = (s) => ({ x: s.x + s.w / 2, y: s.y + s.h / 2 });

  /** @type {import('./context.js').Selection['move']} */
  function move(dir, { add = false } = {}) {
    const from = selected && store.get(selected);
    const o = from ? mid(from) : ctx.view.center();
    const [ux, uy] = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[dir];
    let best = null;
    let bestScore = Infinity;
    for (const s of store.all()) {
      if (s.id === selected || (add && chosen.has(s.id))) continue;
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
    if (best && add) setMany([...chosen, best], { primary: best, focus: true });
    else if (best) set(best, { focus: true });
  }

  /** @param {string | string[]} ids */
  function focusAfterRemoval(ids) {
    const gone = new Set(typeof ids === 'string' ? [ids] : ids);
    const mids = [...gone].map((id) => store.get(id)).filter((s) => !!s).map((s) => mid(/** @type {import('./context.js').Sticker} */ (s)));
    let best = null;
    let bestD = Infinity;
    if (mids.length) {
      const o = { x: mids.reduce((a, m) => a + m.x, 0) / mids.length, y: mids.reduce((a, m) => a + m.y, 0) / mids.length };
      for (const s of store.all()) {
        if (gone.has(s.id)) continue;
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
      // focus moving within the selection keeps it
      if (chosen.has(el.dataset.id)) setMany(chosen, { primary: el.dataset.id });
      else set(el.dataset.id);
      const s = store.get(el.dataset.id);
      if (s && !byPointer) ctx.view.ensureVisible(s);
    }
  });

  store.addEventListener('change', (e) => {
    const ids = [.../** @type {CustomEvent} */ (e).detail.ids].filter((id) => chosen.has(id));
    if (!ids.length) return;
    const gone = ids.filter((id) => !store.get(id));
    if (!gone.length) {
      setMany(chosen); // a new element (re-created) gets its class back
      return drawBox(); // and the box follows a move
    }
    const hadFocus = world.contains(document.activeElement) || document.activeElement === document.body;
    const primaryGone = selected !== null && gone.includes(selected);
    setMany([...chosen].filter((id) => !gone.includes(id)));
    if (primaryGone && hadFocus) {
      const text = selected ? ctx.render.textOf(selected) : undefined;
      if (text) text.focus({ preventScroll: true });
      else viewport.focus({ preventScroll: true });
    }
  });

  ctx.selection = {
    id: () => selected,
    get: () => selected,
    ids: () => (selected ? [selected, ...[...chosen].filter((id) => id !== selected)] : []),
    has: (id) => chosen.has(id),
    set,
    setMany,
    toggle,
    all: () => setMany([...store.all()].map((s) => s.id)),
    move,
    focusAfterRemoval,
  };
}
