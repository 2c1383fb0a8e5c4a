// @ts-check
// Export: the board as this page shows it, as a JSON file or as Markdown.

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  /** @param {string} name @param {string} type @param {string} body */
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

  document.getElementById('export-json')?.addEventListener('click', () => {
    const stickers = ordered().map(({ id, x, y, w, h, z, color, text }) => ({ id, x, y, w, h, z, color, text }));
    download(file('json'), 'application/json', JSON.stringify({ board: { id: ctx.boardId, title: title() }, exported_at: new Date().toISOString(), stickers }, null, 2));
  });
  document.getElementById('export-md')?.addEventListener('click', () => {
    const lines = [`# ${title()}`, ''];
    for (const s of ordered()) lines.push(`- ${s.text.replace(/\n/g, '\n  ') || '(empty)'}`);
    download(file('md'), 'text/markdown', lines.join('\n') + '\n');
  });
}
