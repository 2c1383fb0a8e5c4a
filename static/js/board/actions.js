// @ts-check
// Durable changes to stickers: shown at once (an op in flight in the store),
// sent with an op_id, settled by the reply and the event. Undo records
// each change with its inverse.

import { errorWords } from '../protocol.js';

export const NEW_STICKER = { w: 160, h: 120 };
const CASCADE = 24; // px between stickers added at the same spot

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, conn } = ctx;
  let color = '#fff59d';

  /**
   * Sends an op and settles it in the store.
   * @param {import('../store.js').Op} op
   * @param {any} message
   * @param {{quiet?: boolean}} [opts]
   */
  async function send(op, message, { quiet = false } = {}) {
    store.add(op);
    const reply = await conn.request({ ...message, op_id: op.opId });
    if (reply.ok) store.acked(op.opId, /** @type {number} */ (reply.seq));
    else {
      store.failed(op.opId);
      if (!quiet && !ctx.session.ended) ctx.toast(errorWords(reply.error));
    }
    return reply;
  }

  /** A spot near `at` that no sticker starts at, so that new ones do not hide each other. */
  /** @param {{x: number, y: number}} at */
  function freeSpot(at) {
    let x = Math.round(at.x - NEW_STICKER.w / 2);
    let y = Math.round(at.y - NEW_STICKER.h / 2);
    const taken = (/** @type {number} */ px, /** @type {number} */ py) => {
      for (const s of store.all()) if (Math.abs(s.x - px) < CASCADE / 2 && Math.abs(s.y - py) < CASCADE / 2) return true;
      return false;
    };
    for (let i = 0; i < 50 && taken(x, y); i++) {
      x += CASCADE;
      y += CASCADE;
    }
    return { x, y };
  }

  /** @type {import('./context.js').Actions['create']} */
  function create(at, { edit = true, color: c, text = '' } = {}) {
    if (!ctx.session.canEdit()) return null;
    const max = ctx.session.limits.max_stickers;
    if (max && store.size >= max) {
      ctx.toast(`This board is full: it holds at most ${max} stickers.`);
      return null;
    }
    const spot = freeSpot(at);
    const sticker = { id: crypto.randomUUID(), ...spot, ...NEW_STICKER, z: store.maxZ() + 1, color: c ?? color, text };
    ctx.undo.record({ type: 'sticker.create', sticker }, { type: 'sticker.delete', id: sticker.id });
    send({ opId: crypto.randomUUID(), kind: 'create', id: sticker.id, sticker: { ...sticker, version: 0, updated_at: '' } }, { type: 'sticker.create', sticker });
    ctx.selection.set(sticker.id, { focus: true });
    if (edit) ctx.editor.start(sticker.id);
    return sticker.id;
  }

  /** @type {import('./context.js').Actions['update']} */
  async function update(id, patch, { record = true, ifVersion, before, quiet } = {}) {
    const s = store.get(id);
    if (!s || !ctx.session.canEdit()) return null;
    if (record) {
      const inverse = before ?? Object.fromEntries(Object.keys(patch).map((k) => [k, /** @type {any} */ (s)[k]]));
      ctx.undo.record({ type: 'sticker.update', id, patch }, { type: 'sticker.update', id, patch: inverse });
    }
    const msg = { type: 'sticker.update', id, patch };
    if (ifVersion !== undefined) Object.assign(msg, { if_version: ifVersion });
    return send({ opId: crypto.randomUUID(), kind: 'update', id, patch }, msg, { quiet });
  }

  /** @type {import('./context.js').Actions['remove']} */
  function remove(id, { record = true } = {}) {
    const s = store.get(id);
    if (!s || !ctx.session.canEdit()) return;
    if (record) {
      const { x, y, w, h, z, color: c, text } = s;
      ctx.undo.record({ type: 'sticker.delete', id }, { type: 'sticker.create', sticker: { id, x, y, w, h, z, color: c, text } });
    }
    if (ctx.selection.id() === id) ctx.selection.focusAfterRemoval(id);
    send({ opId: crypto.randomUUID(), kind: 'delete', id }, { type: 'sticker.delete', id });
  }

  /** @param {any} msg an undo or redo step */
  function replay(msg) {
    if (!ctx.session.canEdit()) return;
    switch (msg.type) {
      case 'sticker.create':
        send({ opId: crypto.randomUUID(), kind: 'create', id: msg.sticker.id, sticker: { ...msg.sticker, version: 0, updated_at: '' } }, msg);
        break;
      case 'sticker.delete':
        if (ctx.selection.id() === msg.id) ctx.selection.focusAfterRemoval(msg.id);
        send({ opId: crypto.randomUUID(), kind: 'delete', id: msg.id }, msg);
        break;
      case 'sticker.update':
        if (store.get(msg.id)) send({ opId: crypto.randomUUID(), kind: 'update', id: msg.id, patch: msg.patch }, msg);
        else ctx.toast('That sticker is gone: someone else removed it.');
        break;
    }
  }

  ctx.actions = {
    create,
    update,
    remove,
    replay,
    color: () => color,
  };
  // the toolbar's palette sets the colour of new stickers
  document.addEventListener('corkboard:color', (e) => (color = /** @type {CustomEvent} */ (e).detail));
}
