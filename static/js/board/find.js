// @ts-check
// Find a sticker by its text: Ctrl/⌘+F (or the zoom group's button) opens a
// field over the board. Matches are case-insensitive, in reading order; the
// current one is selected and put in the middle, "2 of 5" says where it is.
// Enter and Shift+Enter go to the next and previous one, Escape closes and
// leaves focus on the sticker found. A second Ctrl+F in the field is the
// browser's own find.

import { addKeyHelp, iconButton } from './navigate.js';

const READABLE = 0.5; // below this zoom a found sticker is brought to 100 %

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, viewport } = ctx;
  const mod = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';

  const bar = document.createElement('form');
  bar.id = 'find';
  bar.className = 'find';
  bar.setAttribute('role', 'search');
  bar.setAttribute('aria-label', 'Find a sticker');
  bar.hidden = true;
  const input = document.createElement('input');
  input.type = 'search';
  input.id = 'find-input';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.placeholder = 'Find a sticker';
  input.setAttribute('aria-label', 'Find a sticker by its text');
  input.setAttribute('aria-describedby', 'find-count');
  const count = document.createElement('span');
  count.id = 'find-count';
  count.className = 'find-count';
  count.setAttribute('aria-live', 'polite');
  const prev = iconButton('find-prev', 'Previous match', 'Previous match (Shift+Enter)', ['M6 15l6-6 6 6']);
  const next = iconButton('find-next', 'Next match', 'Next match (Enter)', ['M6 9l6 6 6-6']);
  const close = iconButton('find-close', 'Close find', 'Close (Escape)', ['M6 6l12 12M18 6L6 18']);
  bar.append(input, count, prev, next, close);
  const zoom = document.querySelector('.zoom');
  zoom?.after(bar);

  const openButton = iconButton('find-open', 'Find a sticker', `Find a sticker (${mod}+F)`, ['M10.5 4a6.5 6.5 0 1 1 0 13 6.5 6.5 0 0 1 0-13zM15.5 15.5L20 20']);
  zoom?.append(openButton);
  addKeyHelp(/** @type {HTMLElement | null} */ (document.querySelector('#keys-dialog .keys')), [[mod, 'F']],
    'find a sticker by its text (Enter, Shift + Enter: next, previous; Escape: close)', 'zoom to the selected sticker');

  /** @type {string[]} ids of the matching stickers, in reading order */
  let matches = [];
  let index = -1;
  /** @type {HTMLElement | null} */
  let returnFocus = null;

  function mark() {
    for (const el of ctx.world.querySelectorAll('.sticker.find-match')) el.classList.remove('find-match');
    if (bar.hidden) return;
    for (const id of matches) ctx.render.element(id)?.classList.add('find-match');
  }

  function say() {
    const none = !matches.length;
    count.textContent = !input.value.trim() ? '' : none ? 'No match' : `${index + 1} of ${matches.length}`;
    prev.disabled = next.disabled = none;
  }

  /** @param {{move: boolean}} opts move: go to the first match (typing), else keep the current one */
  function search({ move }) {
    const q = input.value.trim().toLocaleLowerCase();
    const current = matches[index];
    matches = q
      ? [...store.all()].filter((s) => s.text.toLocaleLowerCase().includes(q)).sort((a, b) => a.y - b.y || a.x - b.x).map((s) => s.id)
      : [];
    index = !move && current && matches.includes(current) ? matches.indexOf(current) : matches.length ? 0 : -1;
    mark();
    say();
    if (move && index >= 0) go(index);
  }

  /** @param {number} i */
  function go(i) {
    if (!matches.length) return;
    index = (i + matches.length) % matches.length;
    const id = matches[index];
    const s = store.get(id);
    if (!s) return;
    ctx.selection.set(id);
    const scale = ctx.view.scale();
    ctx.view.centerOn({ x: s.x + s.w / 2, y: s.y + s.h / 2 }, scale < READABLE ? 1 : scale);
    say();
  }

  function open() {
    if (bar.hidden) {
      const active = /** @type {HTMLElement | null} */ (document.activeElement);
      returnFocus = active && active !== document.body ? active : null;
      bar.hidden = false;
      if (input.value) search({ move: false });
    }
    input.focus();
    input.select();
  }

  function shut() {
    if (bar.hidden) return;
    bar.hidden = true;
    mark();
    const found = matches[index];
    if (found && store.get(found) && ctx.selection.id() === found) ctx.selection.set(found, { focus: true });
    else if (returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
    else viewport.focus({ preventScroll: true });
  }

  input.addEventListener('input', () => search({ move: true }));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      go(index + (e.shiftKey ? -1 : 1));
    } else if (e.key === 'Escape') {
      e.preventDefault();
      shut();
    }
  });
  bar.addEventListener('submit', (e) => e.preventDefault());
  bar.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      shut();
    }
  });
  prev.addEventListener('click', () => go(index - 1));
  next.addEventListener('click', () => go(index + 1));
  close.addEventListener('click', shut);
  openButton.addEventListener('click', open);

  // texts change while the bar is open: the count follows, the view stays
  store.addEventListener('change', () => {
    if (!bar.hidden && input.value.trim()) search({ move: false });
  });

  document.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== 'f') return;
    const t = /** @type {HTMLElement} */ (e.target);
    if (t === input || t.closest('dialog, textarea, [contenteditable="true"]')) return;
    e.preventDefault();
    open();
  });
}
