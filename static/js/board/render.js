// @ts-check
// Draws the stickers the store shows, as text (never HTML). One element per
// sticker, updated in place; a sticker whose text does not fit is marked so
// (a fade and a "more" sign) and its text scrolls. Who wrote a sticker (as
// the server recorded it) is its tooltip, and shows small under it while it
// is hovered or selected.

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, world } = ctx;
  /** @type {Map<string, HTMLElement>} */
  const els = new Map();

  /** @param {string} id */
  function draw(id) {
    const s = store.get(id);
    let el = els.get(id);
    if (!s) {
      el?.remove();
      els.delete(id);
      return;
    }
    if (!el) {
      el = document.createElement('div');
      el.className = 'sticker';
      el.dataset.id = id;
      const text = document.createElement('div');
      text.className = 'text';
      text.tabIndex = -1;
      text.setAttribute('role', 'note');
      text.setAttribute('aria-roledescription', 'sticker');
      const badge = document.createElement('span');
      badge.className = 'editing-badge';
      badge.id = `badge-${id}`;
      const more = document.createElement('span');
      more.className = 'more';
      more.setAttribute('aria-hidden', 'true');
      more.textContent = 'more ▾';
      const handle = document.createElement('div');
      handle.className = 'resize';
      handle.setAttribute('aria-hidden', 'true');
      // the text's title says the same to a screen reader
      const writer = document.createElement('span');
      writer.className = 'writer';
      writer.setAttribute('aria-hidden', 'true');
      el.append(text, badge, more, handle, writer);
      world.append(el);
      els.set(id, el);
    }
    el.style.transform = `translate(${s.x}px, ${s.y}px)`;
    el.style.width = `${s.w}px`;
    el.style.height = `${s.h}px`;
    el.style.zIndex = String(Math.max(-2147483000, Math.min(2147483000, Math.round(s.z))));
    el.style.background = s.color;
    el.style.setProperty('--sticker', s.color);
    el.classList.toggle('previewed', !!store.previewOf(id) && !store.localOf(id));
    el.classList.toggle('unsaved', store.inFlight(id));
    const text = /** @type {HTMLElement} */ (el.querySelector('.text'));
    if (text.textContent !== s.text) text.textContent = s.text;
    if (s.text) text.removeAttribute('aria-label');
    else text.setAttribute('aria-label', 'Empty sticker');
    const who = writers(s);
    const writer = /** @type {HTMLElement} */ (el.querySelector('.writer'));
    if (writer.textContent !== who.short) writer.textContent = who.short;
    if (who.long) text.title = who.long;
    else text.removeAttribute('title');
    later.add(el);
    if (later.size === 1) requestAnimationFrame(checkOverflow);
  }

  /**
   * Who wrote a sticker, in words: short (under it) and long (its tooltip).
   * @param {import('../store.js').Sticker} s
   */
  function writers(s) {
    const made = s.created_by?.name;
    const changed = s.updated_by?.name;
    if (!made) return { short: changed ? `edited by ${changed}` : '', long: changed ? `Last changed by ${changed}` : '' };
    if (!changed || changed === made) return { short: made, long: `Written by ${made}` };
    return { short: `${made} · edited by ${changed}`, long: `Written by ${made}, last changed by ${changed}` };
  }

  /** @type {Set<HTMLElement>} stickers whose fit is measured at the next frame (reads after writes) */
  const later = new Set();
  function checkOverflow() {
    for (const el of later) if (el.isConnected) markOverflow(el);
    later.clear();
  }

  /** @param {HTMLElement} el */
  function markOverflow(el) {
    const text = /** @type {HTMLElement} */ (el.querySelector('.text'));
    const over = text.scrollHeight > text.clientHeight + 2;
    el.classList.toggle('overflows', over);
    el.classList.toggle('at-end', over && text.scrollTop + text.clientHeight >= text.scrollHeight - 2);
  }

  store.addEventListener('change', (e) => {
    for (const id of /** @type {CustomEvent} */ (e).detail.ids) draw(id);
  });
  world.addEventListener(
    'scroll',
    (e) => {
      const sticker = /** @type {HTMLElement} */ (e.target).closest?.('.sticker');
      if (sticker instanceof HTMLElement) markOverflow(sticker);
    },
    true,
  );

  ctx.render = {
    element: (id) => els.get(id),
    textOf: (id) => /** @type {HTMLElement | undefined} */ (els.get(id)?.querySelector('.text') ?? undefined),
  };
}
