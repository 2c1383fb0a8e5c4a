// @ts-check
// Getting around a board: fit every sticker in view, zoom to the selection,
// the zoom keys (tldraw's Shift+1, Shift+2; Ctrl+= and Ctrl+−), and on first
// load a view of the stickers when the initial one would show only empty
// board (stickers made far from where a phone's small view starts).
// The buttons are made here, with the features, so that the page's markup
// stays the server's (the template is built into the binary).

import { boundsOf } from './view.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * A small line icon (24 × 24 user units), decorative.
 * @param {string[]} paths
 */
export function icon(paths) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  for (const d of paths) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

/**
 * A button for the zoom group or the find bar.
 * @param {string} id @param {string} label @param {string} title @param {string[]} paths
 */
export function iconButton(id, label, title, paths) {
  const b = document.createElement('button');
  b.type = 'button';
  b.id = id;
  b.setAttribute('aria-label', label);
  b.title = title;
  b.append(icon(paths));
  return b;
}

/**
 * A help-sheet line: keys (each a <kbd>, joined by " + ") and what they do,
 * after the line whose meaning starts with `after` (else at the end).
 * @param {HTMLElement | null} list @param {string[][]} keys alternatives, each a chord @param {string} what
 * @param {string} [after]
 */
export function addKeyHelp(list, keys, what, after) {
  if (!list) return;
  const dt = document.createElement('dt');
  keys.forEach((chord, i) => {
    if (i) dt.append(', ');
    chord.forEach((k, j) => {
      if (j) dt.append(' + ');
      const kbd = document.createElement('kbd');
      kbd.textContent = k;
      dt.append(kbd);
    });
  });
  const dd = document.createElement('dd');
  dd.textContent = what;
  const before = after ? [...list.querySelectorAll('dd')].find((d) => d.textContent?.startsWith(after)) : undefined;
  if (before) before.after(dt, dd);
  else list.append(dt, dd);
}

const MOD = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store } = ctx;
  const zoom = document.querySelector('.zoom');

  /** @returns {string[]} the selected stickers (several once multi-select exists) */
  function selectedIds() {
    const sel = /** @type {{ids?: () => string[], id: () => string | null}} */ (/** @type {unknown} */ (ctx.selection));
    if (sel.ids) return sel.ids();
    const id = sel.id();
    return id ? [id] : [];
  }

  function fit() {
    const box = boundsOf(store.all());
    if (box) ctx.view.fitRect(box, { maxScale: 1 });
  }

  function zoomToSelection() {
    const box = boundsOf(selectedIds().flatMap((id) => store.get(id) ?? []));
    if (box) ctx.view.fitRect(box, { maxScale: Math.max(1, ctx.view.scale()) });
  }

  const fitButton = iconButton('zoom-fit', 'Fit all stickers in view', `Fit all stickers in view (Shift+1)`, [
    'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5',
  ]);
  const selButton = iconButton('zoom-selection', 'Zoom to the selection', 'Zoom to the selection (Shift+2)', [
    'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5',
    'M9 9h6v6H9z',
  ]);
  fitButton.addEventListener('click', fit);
  selButton.addEventListener('click', zoomToSelection);
  // pressing it must not take the selection away
  selButton.addEventListener('pointerdown', (e) => e.preventDefault());
  zoom?.append(fitButton, selButton);
  const selectionChanged = () => {
    selButton.disabled = selectedIds().length === 0;
  };
  document.addEventListener('corkboard:selection', selectionChanged);
  store.addEventListener('change', selectionChanged);
  selectionChanged();

  // first load: stickers exist but none is in the initial view
  let first = true;
  ctx.conn.addEventListener('welcome', () => {
    if (!first) return;
    first = false;
    const v = ctx.view.visibleRect();
    const seen = (/** @type {import('./context.js').Sticker} */ s) => s.x < v.x + v.w && s.x + s.w > v.x && s.y < v.y + v.h && s.y + s.h > v.y;
    if (store.size && ![...store.all()].some(seen)) fit();
  });

  const list = /** @type {HTMLElement | null} */ (document.querySelector('#keys-dialog .keys'));
  // next to the zoom keys, in reverse: each goes right after that line
  const ZOOM_LINE = 'zoom in, out, reset';
  addKeyHelp(list, [['Shift', '2']], 'zoom to the selected sticker', ZOOM_LINE);
  addKeyHelp(list, [['Shift', '1']], 'fit all stickers in view', ZOOM_LINE);
  addKeyHelp(list, [[MOD, '+'], [MOD, '−']], 'zoom the board in, out (not the page)', ZOOM_LINE);

  document.addEventListener('keydown', (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    if (e.defaultPrevented || e.altKey || t.closest('input, textarea, select, dialog, [contenteditable="true"], #context-menu')) return;
    const mod = e.ctrlKey || e.metaKey;
    // by the key's place, so that Shift+1 is the same on every layout ("!" on some, "1" on others)
    if (e.shiftKey && !mod && (e.code === 'Digit1' || e.code === 'Digit2')) {
      e.preventDefault();
      return e.code === 'Digit1' ? fit() : zoomToSelection();
    }
    // the board's zoom, not the browser's page zoom
    if (mod && (e.key === '=' || e.key === '+')) {
      e.preventDefault();
      ctx.view.zoomBy(1.25);
    } else if (mod && (e.key === '-' || e.key === '_')) {
      e.preventDefault();
      ctx.view.zoomBy(0.8);
    }
  });
}
