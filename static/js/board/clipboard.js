// @ts-check
// Copy, cut, paste and duplicate of stickers through the system clipboard
// (the DOM's copy, cut and paste events), so that stickers go between tabs
// and boards. A copy is the stickers' texts as plain text (for any other
// program), and as HTML whose root carries the stickers as JSON
// (data-corkboard): HTML comes back from the clipboard in every browser,
// also through navigator.clipboard.read for the menu's "Paste here". The
// JSON goes under a custom type as well. Text that is not corkboard's
// becomes new stickers, one per paragraph (or per line if it has no blank
// line). A paste or a duplicate is one undo step and selects what it made.
// While a text field has focus, all of this is the field's own.

import { NEW_STICKER } from './actions.js';

const MIME = 'application/x-corkboard+json';
const OFFSET = 24; // px between a copy and its original
const PASTE_MAX = 200; // new stickers per paste, at most
const GAP = 16; // px between stickers made from pasted text
const FIELDS = 'input, textarea, select, [contenteditable="true"], dialog';

/** @typedef {import('./actions.js').NewSticker} NewSticker */

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, viewport } = ctx;
  const menu = document.getElementById('context-menu');
  /** the last paste of corkboard stickers: pasting them again cascades */
  let last = { key: '', n: 0 };
  let forced = false;

  /** @param {EventTarget | null} t */
  const inField = (t) => t instanceof Element && !!t.closest(FIELDS);
  // the board's clipboard works while focus is on the board, a sticker, its menu or nowhere
  const onBoard = () => {
    const a = document.activeElement;
    return !a || a === document.body || viewport.contains(a) || !!menu?.contains(a);
  };
  const textSelected = () => !(getSelection()?.isCollapsed ?? true);

  // ---------------------------------------------------------------- out

  /** @param {string[]} ids @returns {NewSticker[]} in reading order (top to bottom, left to right) */
  const stickersOf = (ids) =>
    ids
      .map((id) => store.get(id))
      .filter((s) => !!s)
      .map((s) => {
        const { id, x, y, w, h, z, color, text } = /** @type {import('./context.js').Sticker} */ (s);
        return { id, x, y, w, h, z, color, text };
      })
      .sort((a, b) => a.y - b.y || a.x - b.x);

  /** @param {ClipboardEvent} e */
  function onCopy(e) {
    if (!forced && (inField(e.target) || !onBoard() || textSelected())) return false;
    const list = stickersOf(ctx.selection.ids());
    if (!list.length || !e.clipboardData) return false;
    e.preventDefault();
    const json = JSON.stringify({ corkboard: 1, stickers: list.map(({ id, ...rest }) => rest) });
    // built as elements, so that the texts are escaped by the serializer
    const root = document.createElement('div');
    root.dataset.corkboard = json;
    for (const s of list) {
      const p = document.createElement('p');
      p.textContent = s.text;
      root.append(p);
    }
    e.clipboardData.setData('text/plain', list.map((s) => s.text).join('\n\n'));
    e.clipboardData.setData('text/html', root.outerHTML);
    e.clipboardData.setData(MIME, json);
    return true;
  }
  document.addEventListener('copy', (e) => onCopy(e));
  document.addEventListener('cut', (e) => {
    const ids = ctx.selection.ids();
    if (onCopy(e) && ctx.session.canEdit()) ctx.actions.removeMany(ids);
  });

  /** The menu's Copy: the same copy event, asked for by the page. */
  function copy() {
    forced = true;
    let done = false;
    try {
      done = document.execCommand('copy');
    } finally {
      forced = false;
    }
    if (!done) {
      const text = stickersOf(ctx.selection.ids()).map((s) => s.text).join('\n\n');
      navigator.clipboard?.writeText(text).catch(() => ctx.toast('The browser did not let the page copy.'));
    }
  }

  // ---------------------------------------------------------------- in

  /** @param {string} json @returns {NewSticker[] | null} what a corkboard copy holds, checked */
  function parse(json) {
    if (!json) return null;
    let data;
    try {
      data = JSON.parse(json);
    } catch {
      return null;
    }
    if (!data || data.corkboard !== 1 || !Array.isArray(data.stickers)) return null;
    const max = ctx.session.limits.max_text_chars ?? 2000;
    const num = (/** @type {unknown} */ v, /** @type {number} */ lo) => typeof v === 'number' && Number.isFinite(v) && v > lo && v < 1e7;
    /** @type {NewSticker[]} */
    const out = [];
    for (const s of data.stickers) {
      if (!s || !num(s.x, -1e7) || !num(s.y, -1e7) || !num(s.w, 0) || !num(s.h, 0)) continue;
      const color = typeof s.color === 'string' && /^#[0-9a-f]{6}$/i.test(s.color) ? s.color : ctx.actions.color();
      const text = typeof s.text === 'string' ? [...s.text].slice(0, max).join('') : '';
      out.push({ id: '', x: s.x, y: s.y, w: s.w, h: s.h, z: typeof s.z === 'number' ? s.z : 0, color, text });
    }
    return out.length ? out : null;
  }

  /** @param {string} html @returns {string} the JSON a corkboard copy put in its HTML */
  function fromHtml(html) {
    if (!html.includes('data-corkboard')) return '';
    // a parsed document runs no script and loads nothing
    const doc = new DOMParser().parseFromString(html, 'text/html');
    return doc.querySelector('[data-corkboard]')?.getAttribute('data-corkboard') ?? '';
  }

  /** @returns {{x0: number, y0: number, x1: number, y1: number}} the part of the board in view */
  function inView() {
    const r = viewport.getBoundingClientRect();
    const a = ctx.view.toWorld(r.left, r.top);
    const b = ctx.view.toWorld(r.right, r.bottom);
    return { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
  }

  /** @param {NewSticker[]} list @returns {string[]} the new ids, selected */
  function place(list) {
    const ids = ctx.actions.createMany(list);
    if (ids.length) ctx.selection.setMany(ids, { primary: ids[0], focus: true });
    return ids;
  }

  /**
   * Copies of stickers, moved by (dx, dy) or, without them, centred on `at`.
   * @param {NewSticker[]} list @param {{dx: number, dy: number} | {at: {x: number, y: number}}} where
   */
  function copies(list, where) {
    list = list.slice(0, PASTE_MAX);
    let dx = 0;
    let dy = 0;
    if ('at' in where) {
      const x0 = Math.min(...list.map((s) => s.x));
      const y0 = Math.min(...list.map((s) => s.y));
      const x1 = Math.max(...list.map((s) => s.x + s.w));
      const y1 = Math.max(...list.map((s) => s.y + s.h));
      dx = Math.round(where.at.x - (x0 + x1) / 2);
      dy = Math.round(where.at.y - (y0 + y1) / 2);
    } else ({ dx, dy } = where);
    const top = store.maxZ();
    return place(
      [...list].sort((a, b) => a.z - b.z).map((s, i) => ({ ...s, id: crypto.randomUUID(), x: s.x + dx, y: s.y + dy, z: top + 1 + i })),
    );
  }

  /** @param {string} text @param {{x: number, y: number}} at */
  function fromText(text, at) {
    text = text.replace(/\r\n?/g, '\n');
    const blocks = (/\n[ \t]*\n/.test(text) ? text.split(/\n[ \t]*\n/) : text.split('\n')).map((b) => b.trim()).filter(Boolean);
    if (!blocks.length) return;
    if (blocks.length > PASTE_MAX) ctx.toast(`Only the first ${PASTE_MAX} of ${blocks.length} pieces of text became stickers.`);
    const some = blocks.slice(0, PASTE_MAX);
    const max = ctx.session.limits.max_text_chars ?? 2000;
    const cols = Math.ceil(Math.sqrt(some.length));
    const rows = Math.ceil(some.length / cols);
    const { w, h } = NEW_STICKER;
    const x0 = Math.round(at.x - (cols * (w + GAP) - GAP) / 2);
    const y0 = Math.round(at.y - (rows * (h + GAP) - GAP) / 2);
    const top = store.maxZ();
    place(
      some.map((t, i) => ({
        id: crypto.randomUUID(),
        x: x0 + (i % cols) * (w + GAP),
        y: y0 + Math.floor(i / cols) * (h + GAP),
        w,
        h,
        z: top + 1 + i,
        color: ctx.actions.color(),
        text: [...t].slice(0, max).join(''),
      })),
    );
  }

  /**
   * What came from the clipboard, onto the board.
   * @param {{json?: string, html?: string, text?: string}} data
   * @param {{x: number, y: number}} [at] where (the menu's "Paste here"); else by the originals or in the middle of the view
   */
  function pasteData({ json = '', html = '', text = '' }, at) {
    const list = parse(json) ?? parse(fromHtml(html));
    if (!list) return fromText(text, at ?? ctx.view.center());
    if (at) return copies(list, { at });
    // the same stickers pasted again go a step further each time
    const key = JSON.stringify(list);
    last = { key, n: last.key === key ? last.n + 1 : 1 };
    const dx = OFFSET * last.n;
    const v = inView();
    const x0 = Math.min(...list.map((s) => s.x)) + dx;
    const y0 = Math.min(...list.map((s) => s.y)) + dx;
    // by the originals while that is in view, else in the middle of the view
    if (x0 < v.x1 && y0 < v.y1 && x0 > v.x0 - NEW_STICKER.w && y0 > v.y0 - NEW_STICKER.h) copies(list, { dx, dy: dx });
    else copies(list, { at: ctx.view.center() });
  }

  document.addEventListener('paste', (e) => {
    if (inField(e.target) || !onBoard() || ctx.editor.editing() || !e.clipboardData) return;
    e.preventDefault();
    if (!ctx.session.canEdit()) return;
    const dt = e.clipboardData;
    pasteData({ json: dt.getData(MIME), html: dt.getData('text/html'), text: dt.getData('text/plain') });
  });

  /** The menu's "Paste here": the clipboard read by the page (the browser may ask). */
  async function paste(/** @type {{x: number, y: number} | undefined} */ at) {
    if (!ctx.session.canEdit()) return;
    try {
      let html = '';
      let text = '';
      if (navigator.clipboard?.read) {
        for (const item of await navigator.clipboard.read()) {
          if (!html && item.types.includes('text/html')) html = await (await item.getType('text/html')).text();
          if (!text && item.types.includes('text/plain')) text = await (await item.getType('text/plain')).text();
        }
      } else text = await navigator.clipboard.readText();
      pasteData({ html, text }, at);
    } catch {
      ctx.toast('The browser did not let the page read the clipboard: press Ctrl+V (⌘V on a Mac) on the board.');
    }
  }

  function duplicate() {
    if (!ctx.session.canEdit()) return;
    const list = stickersOf(ctx.selection.ids());
    if (list.length) copies(list, { dx: OFFSET, dy: OFFSET });
  }

  // Ctrl+D (⌘D): duplicate, not a bookmark, while on the board
  document.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== 'd') return;
    if (inField(e.target) || !viewport.contains(/** @type {Node} */ (e.target))) return;
    e.preventDefault();
    duplicate();
  });

  ctx.clipboard = { copy, duplicate, paste };
}
