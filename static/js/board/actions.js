// @ts-check
// Durable changes to stickers: shown at once (an op in flight in the store),
// sent with an op_id, settled by the reply and the event. Undo records
// each change with its inverse; a change of many stickers (a selection, a
// paste) is one op per sticker and one undo step.

import { errorWords } from '../protocol.js';

export const NEW_STICKER = { w: 160, h: 120 };

/** @typedef {{id: string, x: number, y: number, w: number, h: number, z: number, color: string, text: string}} NewSticker */
const CASCADE = 24; // px between stickers added at the same spot
// Durable ops leave within this share of the server's rate limit (cursors
// and previews take the rest), so that moving or pasting many stickers at
// once is paced rather than refused as rate_limited.
const OPS_SHARE = 0.5;

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, conn } = ctx;
  let color = '#fff59d';

  // ---------------------------------------------------------------- pacing (a token bucket like the server's)

  /** @type {(() => void)[]} sends waiting for the budget, in order */
  const queue = [];
  let tokens = -1;
  let refilled = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let drainTimer;
  const budget = () => {
    const { rate_per_s: rate = 0, rate_burst: burst = 0 } = ctx.session.limits;
    return { rate: rate * OPS_SHARE, burst: Math.max(1, Math.floor(burst * OPS_SHARE)) };
  };
  function drain() {
    drainTimer = undefined;
    const { rate, burst } = budget();
    const now = performance.now();
    tokens = tokens < 0 ? burst : Math.min(burst, tokens + ((now - refilled) / 1000) * rate);
    refilled = now;
    while (queue.length && (tokens >= 1 || !rate)) {
      tokens -= 1;
      /** @type {() => void} */ (queue.shift())();
    }
    if (queue.length && !drainTimer) drainTimer = setTimeout(drain, ((1 - tokens) / rate) * 1000 + 1);
  }
  /** @param {any} message @returns {Promise<import('../connection.js').Reply>} */
  function request(message) {
    return new Promise((resolve) => {
      queue.push(() => resolve(conn.request(message)));
      if (!drainTimer) drain();
    });
  }

  /**
   * Sends an op and settles it in the store.
   * @param {import('../store.js').Op} op
   * @param {any} message
   * @param {{quiet?: boolean}} [opts]
   */
  async function send(op, message, { quiet = false } = {}) {
    store.add(op);
    const reply = await request({ ...message, op_id: op.opId });
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

  /** @param {number} n @returns {number} how many of n new stickers the board still has room for */
  function room(n) {
    const max = ctx.session.limits.max_stickers;
    const left = max ? Math.max(0, max - store.size) : n;
    if (left < n) ctx.toast(left ? `Only ${left} more stickers fit: this board holds at most ${max}.` : `This board is full: it holds at most ${max} stickers.`);
    return Math.min(n, left);
  }

  /** @param {NewSticker} sticker */
  function put(sticker) {
    ctx.undo.record({ type: 'sticker.create', sticker }, { type: 'sticker.delete', id: sticker.id });
    send({ opId: crypto.randomUUID(), kind: 'create', id: sticker.id, sticker: { ...sticker, version: 0, updated_at: '' } }, { type: 'sticker.create', sticker });
  }

  /** @type {import('./context.js').Actions['create']} */
  function create(at, { edit = true, color: c, text = '' } = {}) {
    if (!ctx.session.canEdit() || !room(1)) return null;
    const spot = freeSpot(at);
    const sticker = { id: crypto.randomUUID(), ...spot, ...NEW_STICKER, z: store.maxZ() + 1, color: c ?? color, text };
    put(sticker);
    ctx.selection.set(sticker.id, { focus: true });
    if (edit) ctx.editor.start(sticker.id);
    return sticker.id;
  }

  /** @type {import('./context.js').Actions['createMany']} */
  function createMany(stickers) {
    if (!ctx.session.canEdit()) return [];
    const some = stickers.slice(0, room(stickers.length));
    ctx.undo.group(() => some.forEach(put));
    return some.map((s) => s.id);
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
    if (ctx.selection.ids().includes(id)) ctx.selection.focusAfterRemoval(id);
    send({ opId: crypto.randomUUID(), kind: 'delete', id }, { type: 'sticker.delete', id });
  }

  /** @type {import('./context.js').Actions['updateMany']} */
  function updateMany(patches, { before } = {}) {
    ctx.undo.group(() => {
      for (const [id, patch] of patches) update(id, patch, { before: before?.get(id) });
    });
  }

  /** @type {import('./context.js').Actions['toFront']} */
  function toFront(ids) {
    const top = store.maxZ();
    // above every other sticker, in the order they were in
    const list = ids.map((id) => store.get(id)).filter((s) => !!s).sort((a, b) => (a?.z ?? 0) - (b?.z ?? 0));
    updateMany(new Map(list.map((s, i) => [/** @type {import('./context.js').Sticker} */ (s).id, { z: top + 1 + i }])));
  }

  /** @type {import('./context.js').Actions['removeMany']} */
  function removeMany(ids) {
    if (!ctx.session.canEdit()) return;
    const gone = ids.filter((id) => store.get(id));
    if (gone.some((id) => ctx.selection.ids().includes(id))) ctx.selection.focusAfterRemoval(gone);
    ctx.undo.group(() => gone.forEach((id) => remove(id)));
  }

  /** @param {any} msg an undo or redo step */
  function replay(msg) {
    if (!ctx.session.canEdit()) return;
    if (msg.type !== 'batch') {
      if (!replayOne(msg)) ctx.toast('That sticker is gone: someone else removed it.');
      return;
    }
    const deleted = msg.steps.filter((/** @type {any} */ m) => m.type === 'sticker.delete').map((/** @type {any} */ m) => m.id);
    if (deleted.some((/** @type {string} */ id) => ctx.selection.ids().includes(id))) ctx.selection.focusAfterRemoval(deleted);
    const missing = msg.steps.filter((/** @type {any} */ m) => !replayOne(m)).length;
    if (missing) ctx.toast(missing === 1 ? 'One of those stickers is gone: someone else removed it.' : `${missing} of those stickers are gone: someone else removed them.`);
    // what a step moved, recoloured or brought back is selected again, as when it was made
    const kept = msg.steps.filter((/** @type {any} */ m) => m.type !== 'sticker.delete').map((/** @type {any} */ m) => m.id ?? m.sticker.id);
    if (kept.length) ctx.selection.setMany(kept.filter((/** @type {string} */ id) => store.get(id)));
  }

  /** @param {any} msg one sticker's step @returns {boolean} false when its sticker is gone */
  function replayOne(msg) {
    switch (msg.type) {
      case 'sticker.create':
        send({ opId: crypto.randomUUID(), kind: 'create', id: msg.sticker.id, sticker: { ...msg.sticker, version: 0, updated_at: '' } }, msg);
        break;
      case 'sticker.delete':
        if (!store.get(msg.id)) return false;
        if (ctx.selection.id() === msg.id) ctx.selection.focusAfterRemoval(msg.id);
        send({ opId: crypto.randomUUID(), kind: 'delete', id: msg.id }, msg);
        break;
      case 'sticker.update':
        if (!store.get(msg.id)) return false;
        send({ opId: crypto.randomUUID(), kind: 'update', id: msg.id, patch: msg.patch }, msg);
        break;
    }
    return true;
  }

  ctx.actions = {
    create,
    update,
    remove,
    createMany,
    updateMany,
    removeMany,
    toFront,
    replay,
    color: () => color,
  };
  // the toolbar's palette sets the colour of new stickers
  document.addEventListener('corkboard:color', (e) => (color = /** @type {CustomEvent} */ (e).detail));
}
