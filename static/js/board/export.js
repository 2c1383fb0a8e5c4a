// @ts-check
// Export: the board as this page shows it, from the toolbar's Export menu:
// a picture (PNG or SVG: the box around the stickers plus a margin; a PNG
// has the screen's pixel density, at most 2 pixels per board pixel — see
// picture.js), a table (CSV, for spreadsheets), JSON, or Markdown.

import { toPng, toSvg } from './picture.js';

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  /** @param {string} name @param {string} type @param {BlobPart} body */
  function download(name, type, body) {
    const url = URL.createObjectURL(new Blob([body], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  const title = () => document.getElementById('board-title')?.textContent ?? 'board';
  const file = (/** @type {string} */ ext) => `${title().replace(/[^\p{L}\p{N}._ -]+/gu, '').trim() || 'board'}.${ext}`;
  // reading order: top to bottom, then left to right
  const ordered = () => [...ctx.store.all()].sort((a, b) => a.y - b.y || a.x - b.x);
  // the palette's names for its colours ("Yellow"); other colours go by their code
  /** @param {string} color */
  const colourName = (color) => {
    for (const s of document.querySelectorAll('#palette .swatch')) {
      if (/** @type {HTMLElement} */ (s).dataset.color?.toLowerCase() === color.toLowerCase()) return s.getAttribute('aria-label') ?? '';
    }
    return '';
  };

  const menu = document.querySelector('.export-menu');
  const details = /** @type {HTMLDetailsElement | null} */ (menu?.closest('details') ?? null);
  /**
   * @param {string} id @param {string} label @param {() => void | Promise<void>} run @param {'before' | 'after'} where
   * @param {string} [title]
   */
  const addButton = (id, label, run, where, title) => {
    let b = /** @type {HTMLButtonElement | null} */ (document.getElementById(id));
    if (!b) {
      b = document.createElement('button');
      b.type = 'button';
      b.id = id;
      b.textContent = label;
      if (title) b.title = title;
      if (where === 'before') menu?.prepend(b);
      else menu?.append(b);
    }
    b.addEventListener('click', async () => {
      if (details) details.open = false;
      await run();
    });
  };

  /** @returns {boolean} whether there is something to draw */
  const anything = () => {
    if (ctx.store.size) return true;
    ctx.toast('There is nothing to draw: the board has no stickers.');
    return false;
  };

  addButton('export-svg', 'Download SVG', () => {
    if (anything()) download(file('svg'), 'image/svg+xml', toSvg(ordered(), title()));
  }, 'before', 'Every sticker as a picture that scales');
  addButton('export-png', 'Download PNG', async () => {
    if (anything()) download(file('png'), 'image/png', await toPng(ordered()));
  }, 'before', 'Every sticker as a picture, at this screen’s sharpness (at most twice the board’s pixels)');
  addButton('export-json', 'Download JSON', () => {
    const stickers = ordered().map(({ id, x, y, w, h, z, color, text }) => ({ id, x, y, w, h, z, color, text }));
    download(file('json'), 'application/json', JSON.stringify({ board: { id: ctx.boardId, title: title() }, exported_at: new Date().toISOString(), stickers }, null, 2));
  }, 'after');
  addButton('export-md', 'Download Markdown', () => {
    const lines = [`# ${title()}`, ''];
    for (const s of ordered()) {
      const name = colourName(s.color);
      const colour = name ? `${name} (${s.color})` : s.color;
      lines.push(`- ${colour}: ${s.text.replace(/\r?\n/g, '\n  ') || '(empty)'}`);
    }
    download(file('md'), 'text/markdown', lines.join('\n') + '\n');
  }, 'after');
  addButton('export-csv', 'Download CSV', () => {
    const rows = [['id', 'text', 'colour', 'colour_name', 'x', 'y', 'w', 'h', 'z', 'updated_at']];
    for (const s of ordered()) rows.push([s.id, s.text, s.color, colourName(s.color), s.x, s.y, s.w, s.h, s.z, s.updated_at ?? ''].map(String));
    // a byte order mark so that Excel reads UTF-8; CRLF as RFC 4180 has it
    download(file('csv'), 'text/csv', `\uFEFF${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`);
  }, 'after', 'The stickers as a table, for a spreadsheet');
}

/**
 * One CSV field: quoted when it holds a comma, a quote, a line break or
 * edge spaces (quotes doubled); a text a spreadsheet would take for a
 * formula (=, +, -, @ first) gets a leading apostrophe (OWASP's advice).
 * @param {string} value
 */
export function csvField(value) {
  const v = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
