// @ts-check
// Wires the connection to the store and keeps what the welcome said: who
// this page is, its role, the server's limits, and whether access ended.

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn, store } = ctx;
  /** @type {import('./context.js').Session} */
  const session = {
    me: null,
    role: null,
    name: conn.name,
    limits: {},
    callMax: null,
    ended: null,
    canEdit: () => session.role === 'editor' && !session.ended,
  };
  ctx.session = session;
  const badge = /** @type {HTMLElement} */ (document.getElementById('role-badge'));

  conn.addEventListener('welcome', (e) => {
    const w = /** @type {CustomEvent} */ (e).detail;
    session.me = w.session;
    session.role = w.role;
    session.name = w.name ?? conn.name;
    session.limits = w.limits ?? {};
    session.callMax = w.call?.max ?? null;
    document.body.classList.toggle('viewer', w.role === 'viewer');
    document.body.classList.toggle('editor', w.role === 'editor');
    badge.textContent = w.role === 'viewer' ? 'View only' : 'Editor';
    badge.hidden = false;
    setTitle(w.board.title);
    if (!w.recovered) store.reset(w.stickers, w.seq);
    for (const el of document.querySelectorAll('[data-limit]')) {
      const max = /** @type {Record<string, number | undefined>} */ (session.limits)[/** @type {HTMLElement} */ (el).dataset.limit ?? ''];
      if (max) /** @type {HTMLInputElement} */ (el).maxLength = max;
    }
  });

  conn.addEventListener('event', (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (ev.event.kind === 'board.renamed') setTitle(ev.event.title);
    store.apply(ev);
  });
  conn.addEventListener('sticker.drag', (e) => {
    const d = /** @type {CustomEvent} */ (e).detail;
    if (d.session === session.me) return;
    store.preview(d);
    for (const m of d.more ?? []) store.preview({ session: d.session, ...m });
  });
  conn.addEventListener('presence.left', (e) => store.dropPreviewsOf(/** @type {CustomEvent} */ (e).detail.session));

  conn.addEventListener('ended', (e) => {
    const { reason } = /** @type {CustomEvent} */ (e).detail;
    session.ended = reason;
    document.body.classList.add('ended');
    badge.textContent = 'Read only';
    store.dropAllOps();
  });
}

/** @param {string} title */
function setTitle(title) {
  /** @type {HTMLElement} */ (document.getElementById('board-title')).textContent = title;
  document.title = `${title} · corkboard`;
}
