// Issue 15: export from the page's Export menu — the board as PNG and SVG
// (the box around the stickers plus a 24 px margin, every sticker drawn with
// its text), and the stickers as CSV and Markdown (every text and colour,
// texts with commas, quotes and line breaks kept). Files and screenshots:
// artifacts/export-*.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, axe, openBoard, scriptOps, startBoth, sticker, stickerAt, stopBoth } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth(server, browser));

const MARGIN = 24;
const STICKERS = [
  stickerAt(100, 80, 'Went well, mostly', { color: '#a5d6a7' }),
  stickerAt(400, 100, 'He said "ship it",\nthen left', { color: '#f48fb1' }),
  stickerAt(150, 320, '<b>not bold</b> & <script>alert(1)</script>', { color: '#90caf9', w: 220, h: 140 }),
  stickerAt(520, 380, 'Ünïcödé ✓ — 日本語', { color: '#fff59d' }),
  stickerAt(300, 560, '', { color: '#ce93d8' }),
  stickerAt(700, 150, '=1+2 looks like a formula', { color: '#ffcc80' }),
];
// the content box: x 100…860, y 80…680
const BOX = { x: 100 - MARGIN, y: 80 - MARGIN, w: 760 + 2 * MARGIN, h: 600 + 2 * MARGIN };

// Clicks an export button and answers the downloaded file.
async function download(page, id) {
  const menu = page.locator('details.export');
  if (!(await menu.evaluate((d) => d.open))) await menu.locator('summary').click();
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

// RFC 4180: quoted fields, doubled quotes, CRLF between records.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

async function retro(title) {
  const board = await server.createBoard(title);
  const page = await openBoard(browser, server, board, board.edit_token, 'Ada');
  await scriptOps(page, server, board, board.edit_token, STICKERS);
  await sticker(page, 'formula').waitFor();
  return { board, page };
}

test('PNG: the content box in pixels, every sticker drawn; SVG: every text, as text', async () => {
  const { page } = await retro('Sprint 42: "retro", done');
  assert.equal(await page.evaluate(() => window.devicePixelRatio), 1);

  const png = await download(page, 'export-png');
  assert.equal(png.name, 'Sprint 42 retro done.png');
  assert.deepEqual([...png.bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG');
  assert.equal(png.bytes.toString('latin1', 12, 16), 'IHDR');
  const size = { w: png.bytes.readUInt32BE(16), h: png.bytes.readUInt32BE(20) };
  assert.deepEqual(size, { w: BOX.w, h: BOX.h }, 'the box around the stickers plus the margin, at 1 pixel per board pixel');
  await writeFile(path.join(ARTIFACTS, 'export-board.png'), png.bytes);

  // decoded in the page: the stickers' colours where they are, dark text, many colours
  const seen = await page.evaluate(async ({ b64, stickers, box }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = document.createElement('canvas');
    c.width = bitmap.width;
    c.height = bitmap.height;
    const g = c.getContext('2d');
    g.drawImage(bitmap, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const at = (x, y) => {
      const i = (Math.round(y) * c.width + Math.round(x)) * 4;
      return '#' + [d[i], d[i + 1], d[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
    };
    const colours = new Set();
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i] + d[i + 1] + d[i + 2] < 200) dark++;
    }
    // each sticker's bottom-right corner area: its colour (no text there)
    const corners = stickers.map(({ sticker: s }) => at(s.x + (s.w ?? 160) - 12 - box.x, s.y + (s.h ?? 120) - 12 - box.y));
    return { colours: colours.size, dark, corners, margin: at(3, 3) };
  }, { b64: png.bytes.toString('base64'), stickers: STICKERS, box: BOX });
  assert.deepEqual(seen.corners, STICKERS.map((m) => m.sticker.color));
  assert.ok(seen.colours > 50, `${seen.colours} colours: not blank`);
  assert.ok(seen.dark > 500, `${seen.dark} dark pixels: the texts`);
  assert.notEqual(seen.margin, '#000000');

  const svg = await download(page, 'export-svg');
  assert.equal(svg.name, 'Sprint 42 retro done.svg');
  const source = svg.bytes.toString('utf8');
  await writeFile(path.join(ARTIFACTS, 'export-board.svg'), source);
  assert.ok(source.startsWith('<?xml'));
  assert.ok(!source.includes('<script') && !source.includes('<b>'), 'sticker text is never markup');
  assert.ok(source.includes('&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;'));
  const parsed = await page.evaluate((src) => {
    const doc = new DOMParser().parseFromString(src, 'image/svg+xml');
    const root = doc.documentElement;
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      size: [root.getAttribute('width'), root.getAttribute('height')],
      titles: [...root.querySelectorAll('g > title')].map((t) => t.textContent),
      lines: [...root.querySelectorAll('tspan')].map((t) => t.textContent),
      fills: [...root.querySelectorAll('g > rect:nth-of-type(2)')].map((r) => r.getAttribute('fill')),
    };
  }, source);
  assert.equal(parsed.error, null);
  assert.deepEqual(parsed.size, [String(BOX.w), String(BOX.h)]);
  assert.deepEqual(new Set(parsed.titles), new Set(STICKERS.map((m) => m.sticker.text)));
  assert.deepEqual(new Set(parsed.fills), new Set(STICKERS.map((m) => m.sticker.color)));
  for (const line of ['Went well, mostly', 'He said "ship it",', 'then left', '=1+2 looks like a']) assert.ok(parsed.lines.includes(line), `a line "${line}" in ${JSON.stringify(parsed.lines)}`);

  // the SVG as a browser shows it
  const viewer = await browser.newPage({ viewport: { width: BOX.w, height: BOX.h } });
  await viewer.setContent('<body style="margin:0"></body>');
  await viewer.evaluate((src) => {
    const img = new Image();
    img.src = URL.createObjectURL(new Blob([src], { type: 'image/svg+xml' }));
    document.body.append(img);
    return img.decode();
  }, source);
  await viewer.screenshot({ path: path.join(ARTIFACTS, 'export-svg.png') });
  await viewer.close();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('CSV and Markdown: every sticker’s text and colour; the menu at 1280 and 390, axe', async () => {
  const { board, page } = await retro('Retro');
  const csv = await download(page, 'export-csv');
  assert.equal(csv.name, 'Retro.csv');
  assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark for Excel');
  const rows = parseCsv(csv.bytes.toString('utf8').slice(1));
  assert.deepEqual(rows[0], ['id', 'text', 'colour', 'colour_name', 'x', 'y', 'w', 'h', 'z', 'updated_at']);
  assert.equal(rows.length, STICKERS.length + 1);
  const state = await server.state(board);
  for (const { sticker: s } of STICKERS) {
    const row = rows.find((r) => r[0] === s.id);
    assert.ok(row, `a row for "${s.text}"`);
    // a text a spreadsheet would run as a formula starts with an apostrophe
    assert.equal(row[1], s.text.startsWith('=') ? `'${s.text}` : s.text);
    assert.equal(row[2], s.color);
    assert.deepEqual(row.slice(4, 8).map(Number), [s.x, s.y, s.w, s.h]);
    assert.equal(row[9], state.stickers.find((t) => t.id === s.id).updated_at);
  }
  assert.equal(rows.find((r) => r[2] === '#a5d6a7')[3], 'Green');
  // the quoting itself, as written
  assert.ok(csv.bytes.toString('utf8').includes('"He said ""ship it"",\nthen left"'));

  const md = await download(page, 'export-md');
  assert.equal(md.name, 'Retro.md');
  const text = md.bytes.toString('utf8');
  assert.ok(text.startsWith('# Retro\n'));
  assert.ok(text.includes('- Green (#a5d6a7): Went well, mostly\n'));
  assert.ok(text.includes('- Pink (#f48fb1): He said "ship it",\n  then left\n'));
  assert.ok(text.includes('- Purple (#ce93d8): (empty)\n'));
  for (const { sticker: s } of STICKERS) {
    assert.ok(text.includes(s.text.replace(/\n/g, '\n  ')), `Markdown holds "${s.text}"`);
    assert.ok(text.includes(`(${s.color})`), `Markdown holds ${s.color}`);
  }
  // reading order: top to bottom, then left to right
  assert.ok(text.indexOf('Went well') < text.indexOf('ship it') && text.indexOf('ship it') < text.indexOf('formula'));

  const json = JSON.parse((await download(page, 'export-json')).bytes.toString('utf8'));
  assert.equal(json.stickers.length, STICKERS.length);

  // the menu, open
  await page.locator('details.export summary').click();
  await page.locator('#export-png').waitFor();
  assert.deepEqual(await page.locator('.export-menu button').allTextContents(), ['Download PNG', 'Download SVG', 'Download JSON', 'Download Markdown', 'Download CSV']);
  await axe(page, 'board, export menu open');
  await page.screenshot({ path: path.join(ARTIFACTS, 'export-menu-1280.png') });
  await page.context().close();

  const phone = await openBoard(browser, server, board, board.edit_token, 'Pat', { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await sticker(phone, 'formula').waitFor({ state: 'attached' });
  await phone.tap('#tools-toggle');
  await phone.locator('details.export summary').tap();
  await phone.locator('#export-csv').waitFor();
  await axe(phone, 'board, phone, export menu open');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'export-menu-390.png') });
  const [file] = await Promise.all([phone.waitForEvent('download'), phone.tap('#export-png')]);
  const bytes = await readFile(await file.path());
  // a phone's PNG has its pixel density (2 here): twice the box
  const dpr = await phone.evaluate(() => Math.min(2, window.devicePixelRatio));
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [BOX.w * dpr, BOX.h * dpr]);
  assert.deepEqual(phone.errors, []);
  await phone.context().close();
});

test('an empty board: no picture, a word why', async () => {
  const board = await server.createBoard('Empty');
  const page = await openBoard(browser, server, board, board.edit_token, 'Ada');
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.locator('details.export summary').click();
  await page.click('#export-png');
  await page.locator('.toast', { hasText: 'no stickers' }).waitFor();
  const csv = await download(page, 'export-csv');
  assert.equal(csv.bytes.toString('utf8'), '\uFEFFid,text,colour,colour_name,x,y,w,h,z,updated_at\r\n');
  assert.equal(downloads, 1, 'only the CSV');
  await page.context().close();
});
