// @ts-check
// The phone layout: the tools fold into one menu button and the sidebar
// (call, members, chat) becomes a drawer over the board. On a wide screen
// both are simply shown and the toggles are hidden.

export function init() {
  const tools = /** @type {HTMLElement} */ (document.getElementById('tools'));
  const toolsToggle = /** @type {HTMLButtonElement} */ (document.getElementById('tools-toggle'));
  const side = /** @type {HTMLElement} */ (document.getElementById('side'));
  const drawerToggle = /** @type {HTMLButtonElement} */ (document.getElementById('drawer-toggle'));
  const scrim = /** @type {HTMLElement} */ (document.getElementById('scrim'));

  /** @param {boolean} open */
  function setTools(open) {
    toolsToggle.setAttribute('aria-expanded', String(open));
    tools.classList.toggle('open', open);
  }
  /** @param {boolean} open @param {boolean} [moveFocus] */
  function setDrawer(open, moveFocus = true) {
    drawerToggle.setAttribute('aria-expanded', String(open));
    side.classList.toggle('open', open);
    scrim.hidden = !open;
    // the drawer is modal on a phone: what lies under it is out of reach
    for (const under of document.querySelectorAll('.toolbar, #viewport, .zoom, .find, .minimap')) /** @type {HTMLElement} */ (under).inert = open;
    if (open) {
      setTools(false);
      if (moveFocus) /** @type {HTMLElement | null} */ (side.querySelector('#drawer-close'))?.focus();
    } else if (moveFocus && side.contains(document.activeElement)) drawerToggle.focus();
  }

  toolsToggle.addEventListener('click', () => setTools(toolsToggle.getAttribute('aria-expanded') !== 'true'));
  drawerToggle.addEventListener('click', () => setDrawer(drawerToggle.getAttribute('aria-expanded') !== 'true'));
  document.getElementById('drawer-close')?.addEventListener('click', () => setDrawer(false));
  scrim.addEventListener('click', () => setDrawer(false));
  // a tool used from the folded menu closes it
  tools.addEventListener('click', (e) => {
    if (/** @type {Element} */ (e.target).closest('button:not(.swatch)')) setTools(false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    if (side.classList.contains('open') && !(/** @type {Element} */ (e.target).closest('dialog'))) setDrawer(false);
    if (tools.classList.contains('open')) {
      setTools(false);
      toolsToggle.focus();
    }
  });
  document.addEventListener('pointerdown', (e) => {
    const t = /** @type {Node} */ (e.target);
    if (tools.classList.contains('open') && !tools.contains(t) && !toolsToggle.contains(t)) setTools(false);
  });
  // a new chat message while the drawer is closed on a phone: a dot on its button
  document.addEventListener('corkboard:chat', () => {
    if (!side.classList.contains('open') && getComputedStyle(drawerToggle).display !== 'none') drawerToggle.classList.add('unread');
  });
  drawerToggle.addEventListener('click', () => drawerToggle.classList.remove('unread'));
}
