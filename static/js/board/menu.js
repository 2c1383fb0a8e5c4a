// @ts-check
// The context menu of a sticker (right-click, long-press on a phone, the
// Menu key or Shift+F10) and of the board (add a sticker there). On one of
// several selected stickers it acts on all of them.

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const menu = /** @type {HTMLElement} */ (document.getElementById('context-menu'));
  /** @type {HTMLElement | null} */
  let returnFocus = null;

  /** @param {string} label @param {() => void} run @param {string} [cls] */
  const item = (label, run, cls) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.tabIndex = -1;
    b.textContent = label;
    if (cls) b.className = cls;
    b.addEventListener('click', (e) => {
      // the finger of the long press that opened the menu, lifted: not a choice
      if (byLongPress && !pressed) return;
      close();
      run();
    });
    return b;
  };

  let openedAt = 0;
  let pressed = false; // a press in the menu since it opened
  let held = false; // a finger is down
  let byLongPress = false;
  menu.addEventListener('pointerdown', () => (pressed = true));
  document.addEventListener('pointerdown', (e) => (held = e.pointerType !== 'mouse'), true);
  for (const type of ['pointerup', 'pointercancel']) document.addEventListener(type, () => (held = false), true);

  /** @type {import('./context.js').Ctx['menu']['open']} */
  function open(at, id) {
    // the Menu key and Shift+F10 come as a key and as a contextmenu event: one menu
    if (!menu.hidden && performance.now() - openedAt < 400) return;
    openedAt = performance.now();
    pressed = false;
    byLongPress = held;
    const canEdit = ctx.session.canEdit();
    const items = [];
    const many = id && ctx.selection.has(id) && ctx.selection.ids().length > 1 ? ctx.selection.ids() : null;
    if (id) {
      const s = ctx.store.get(id);
      if (!s) return;
      if (many) ctx.selection.setMany(many, { primary: id });
      else ctx.selection.set(id);
      const ids = many ?? [id];
      if (canEdit) {
        if (!many) items.push(item('Edit text', () => ctx.editor.start(id)));
        const colours = document.createElement('div');
        colours.className = 'menu-colours';
        colours.setAttribute('role', 'group');
        colours.setAttribute('aria-label', 'Colour');
        for (const swatch of document.querySelectorAll('#palette .swatch')) {
          const c = /** @type {HTMLElement} */ (swatch).dataset.color ?? '';
          const recolour = () => ctx.actions.updateMany(new Map(ids.map((one) => [one, { color: c }])));
          const b = item('', recolour, 'swatch');
          b.setAttribute('aria-label', `Colour: ${swatch.getAttribute('aria-label')}`);
          b.dataset.color = c;
          b.style.background = c;
          if (ids.every((one) => ctx.store.get(one)?.color === c)) b.setAttribute('aria-current', 'true');
          colours.append(b);
        }
        items.push(colours);
        items.push(item('Bring to front', () => ctx.actions.toFront(ids)));
        items.push(item('Copy', () => ctx.clipboard.copy()));
        items.push(item('Duplicate', () => ctx.clipboard.duplicate()));
        items.push(item(many ? `Delete ${many.length} stickers` : 'Delete', () => ctx.actions.removeMany(ids), 'danger'));
      } else {
        items.push(item('Copy text', () => navigator.clipboard?.writeText(ids.map((one) => ctx.store.get(one)?.text ?? '').join('\n\n'))));
      }
    } else if (canEdit) {
      const p = ctx.view.toWorld(at.clientX, at.clientY);
      items.push(item('Add a sticker here', () => ctx.actions.create(p)));
      items.push(item('Paste here', () => ctx.clipboard.paste(p)));
      if (ctx.store.size) items.push(item('Select all', () => ctx.selection.all()));
      items.push(item('Reset view', () => ctx.view.reset()));
    } else {
      items.push(item('Reset view', () => ctx.view.reset()));
    }
    returnFocus = /** @type {HTMLElement | null} */ (document.activeElement);
    menu.setAttribute('aria-label', many ? `Menu of ${many.length} stickers` : id ? 'Sticker menu' : 'Board menu');
    menu.replaceChildren(...items);
    menu.hidden = false;
    const w = menu.offsetWidth;
    const h = menu.offsetHeight;
    menu.style.left = `${Math.max(4, Math.min(at.clientX, innerWidth - w - 4))}px`;
    menu.style.top = `${Math.max(4, Math.min(at.clientY, innerHeight - h - 4))}px`;
    /** @type {HTMLElement | null} */ (menu.querySelector('[role="menuitem"]'))?.focus();
  }

  function close() {
    if (menu.hidden) return;
    menu.hidden = true;
    if (returnFocus?.isConnected && menu.contains(document.activeElement)) returnFocus.focus({ preventScroll: true });
  }

  menu.addEventListener('keydown', (e) => {
    const items = /** @type {HTMLElement[]} */ ([...menu.querySelectorAll('[role="menuitem"]')]);
    const i = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      close();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {
      e.preventDefault();
      items[(i + 1) % items.length]?.focus();
    } else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length]?.focus();
    }
    e.stopPropagation();
  });
  document.addEventListener('pointerdown', (e) => {
    if (!menu.contains(/** @type {Node} */ (e.target))) close();
  });
  ctx.menu = { open, close };
}
