// @ts-check
// The board as a picture for export: every sticker at its place and size,
// in its colour, with its text wrapped as the page wraps it (cut with "…"
// where it does not fit), inside the box around the stickers plus a margin.
// Drawn on a canvas (PNG) or built as SVG elements: text goes in through
// textContent, never as markup.

import { boundsOf } from './view.js';

export const MARGIN = 24; // px around the stickers
const PAD = 8; // a sticker's padding on the page (0.5rem)
const FONT_PX = 16;
const LINE_PX = 20;
const ASCENT_PX = 15; // from a line's top to its baseline
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const FONT = `${FONT_PX}px ${FONT_FAMILY}`;
const BOARD = '#efe7d8';
const INK = '#222222';
// a canvas larger than this fails in browsers or takes too much memory
// (4 bytes a pixel): a huge board is drawn smaller
const MAX_SIDE = 16384;
const MAX_AREA = 40e6;
const SVG = 'http://www.w3.org/2000/svg';

/** @typedef {import('./context.js').Sticker} Sticker */

/**
 * The picture's box (world units, margin included) and each sticker's lines, in z order.
 * @param {Sticker[]} stickers at least one
 */
export function layout(stickers) {
  const b = /** @type {{x: number, y: number, w: number, h: number}} */ (boundsOf(stickers));
  const box = { x: Math.floor(b.x) - MARGIN, y: Math.floor(b.y) - MARGIN, w: 0, h: 0 };
  box.w = Math.ceil(b.x + b.w) + MARGIN - box.x;
  box.h = Math.ceil(b.y + b.h) + MARGIN - box.y;
  const g = /** @type {CanvasRenderingContext2D} */ (document.createElement('canvas').getContext('2d'));
  g.font = FONT;
  /** @type {Map<string, number>} */
  const widths = new Map();
  const measure = (/** @type {string} */ t) => {
    let w = widths.get(t);
    if (w === undefined) widths.set(t, (w = g.measureText(t).width));
    return w;
  };
  const items = [...stickers]
    .sort((p, q) => p.z - q.z)
    .map((s) => ({ s, lines: fitLines(clean(s.text), s.w - 2 * PAD, Math.floor((s.h - 2 * PAD) / LINE_PX), measure) }));
  return { box, items };
}

/**
 * The pixels per world unit of a PNG: the screen's density (at most 2), less
 * for a board too large for one canvas.
 * @param {{w: number, h: number}} box
 */
export function pngScale(box) {
  const dpr = Math.min(2, Math.max(1, window.devicePixelRatio || 1));
  return Math.min(dpr, MAX_SIDE / box.w, MAX_SIDE / box.h, Math.sqrt(MAX_AREA / (box.w * box.h)));
}

/** @param {Sticker[]} stickers at least one @returns {Promise<Blob>} */
export function toPng(stickers) {
  const { box, items } = layout(stickers);
  const k = pngScale(box);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(box.w * k));
  canvas.height = Math.max(1, Math.round(box.h * k));
  const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  g.fillStyle = BOARD;
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.setTransform(k, 0, 0, k, -box.x * k, -box.y * k);
  g.font = FONT;
  g.textBaseline = 'alphabetic';
  for (const { s, lines } of items) {
    g.save();
    // shadows are in pixels, whatever the transform
    g.shadowColor = 'rgba(0, 0, 0, 0.2)';
    g.shadowBlur = 6 * k;
    g.shadowOffsetY = 2 * k;
    g.fillStyle = s.color;
    g.beginPath();
    g.roundRect(s.x, s.y, s.w, s.h, 4);
    g.fill();
    g.restore();
    g.save();
    g.beginPath();
    g.rect(s.x, s.y, s.w, s.h);
    g.clip();
    g.fillStyle = INK;
    lines.forEach((line, i) => g.fillText(line, s.x + PAD, s.y + PAD + i * LINE_PX + ASCENT_PX));
    g.restore();
  }
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no PNG'))), 'image/png'));
}

/**
 * @param {Sticker[]} stickers at least one
 * @param {string} title the board's, as the picture's title
 * @returns {string} an SVG document
 */
export function toSvg(stickers, title) {
  const { box, items } = layout(stickers);
  /** @param {string} name @param {Record<string, string | number>} attrs */
  const el = (name, attrs = {}) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };
  const svg = el('svg', { width: box.w, height: box.h, viewBox: `${box.x} ${box.y} ${box.w} ${box.h}`, 'font-family': FONT_FAMILY, 'font-size': FONT_PX });
  const t = el('title');
  t.textContent = clean(title);
  svg.append(t, el('rect', { x: box.x, y: box.y, width: box.w, height: box.h, fill: BOARD }));
  for (const { s, lines } of items) {
    const g = el('g');
    // the whole text, also where the picture cuts it: readable and searchable
    const full = el('title');
    full.textContent = clean(s.text);
    const text = el('text', { fill: INK });
    text.setAttributeNS('http://www.w3.org/XML/1998/namespace', 'xml:space', 'preserve');
    lines.forEach((line, i) => {
      const span = el('tspan', { x: s.x + PAD, y: s.y + PAD + i * LINE_PX + ASCENT_PX });
      span.textContent = line;
      text.append(span);
    });
    g.append(
      full,
      el('rect', { x: s.x, y: s.y + 2, width: s.w, height: s.h, rx: 4, fill: '#000', 'fill-opacity': 0.15 }),
      el('rect', { x: s.x, y: s.y, width: s.w, height: s.h, rx: 4, fill: s.color }),
      text,
    );
    svg.append(g);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(svg)}\n`;
}

/** @param {string} text without what XML cannot hold (control characters but tab and newline) */
function clean(text) {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
}

/**
 * Wraps text as the page does (at spaces, inside a word only when it is
 * longer than a line) and cuts it to maxLines, the last one ending in "…".
 * @param {string} text @param {number} width @param {number} maxLines
 * @param {(t: string) => number} measure
 */
export function fitLines(text, width, maxLines, measure) {
  /** @type {string[]} */
  const lines = [];
  const fits = (/** @type {string} */ t) => measure(t.trimEnd()) <= width;
  for (const para of text.split(/\r?\n/)) {
    let line = '';
    for (const word of para.split(/(?<=\s)/)) {
      if (fits(line + word)) {
        line += word;
        continue;
      }
      if (line) lines.push(line.trimEnd());
      line = '';
      let rest = Array.from(word);
      while (rest.length && !fits(rest.join(''))) {
        let n = 1;
        while (n < rest.length && fits(rest.slice(0, n + 1).join(''))) n++;
        lines.push(rest.slice(0, n).join(''));
        rest = rest.slice(n);
      }
      line = rest.join('');
    }
    lines.push(line.trimEnd());
    if (lines.length > maxLines) break;
  }
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, Math.max(0, maxLines));
  if (!kept.length) return kept;
  let last = Array.from(kept[kept.length - 1]);
  while (last.length && !fits(`${last.join('')}…`)) last.pop();
  kept[kept.length - 1] = `${last.join('').trimEnd()}…`;
  return kept;
}
