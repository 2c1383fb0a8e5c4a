// @ts-check
// The board's stickers in one place. What the page shows for a sticker is
//   the server's state (folded from events in seq order)
//   + this page's own ops not yet seen back (by op_id, in send order)
//   + a remote member's drag preview (ephemeral)
//   + this page's own drag or resize in progress (of one sticker or of a
//     selection: a local patch per sticker).
// So an echo of an op never moves a sticker back (a later op of ours still
// lies over it), a failed op disappears and leaves the server's state, and
// a drag preview is never durable.
// An op stays in flight until the event its reply named (seq) is applied.

/**
 * @typedef {{id: string, x: number, y: number, w: number, h: number, z: number,
 *   color: string, text: string, version: number, updated_at: string,
 *   created_by?: {name: string}, updated_by?: {name: string}}} Sticker
 *   (created_by, updated_by: who wrote it, as the server recorded it)
 * @typedef {{x?: number, y?: number, w?: number, h?: number, z?: number, color?: string, text?: string}} Patch
 * @typedef {{opId: string, kind: 'create', id: string, sticker: Sticker, ackSeq?: number}
 *   | {opId: string, kind: 'update', id: string, patch: Patch, ackSeq?: number}
 *   | {opId: string, kind: 'delete', id: string, ackSeq?: number}} Op
 * @typedef {{session: string, x: number, y: number, w?: number, h?: number, at: number}} Preview
 * @typedef {{seq: number, at: string, by: {session: string, name: string}, event: any}} BoardEvent
 */

/** How long a remote drag preview lasts without news from its member. */
export const PREVIEW_TTL_MS = 2000;

export class Store extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, Sticker>} the server's state */
    this.confirmed = new Map();
    /** @type {Map<string, Op>} own ops in flight, in send order */
    this.ops = new Map();
    /** @type {Map<string, Preview>} sticker id -> a remote member's drag preview */
    this.previews = new Map();
    /** @type {Map<string, Patch>} own drag, nudge or resize in progress, per sticker */
    this.locals = new Map();
    /** @type {Map<string, Sticker>} what is shown, recomputed per changed id */
    this.shown = new Map();
    this.seq = 0;
    this.sweeper = setInterval(() => this.sweepPreviews(), 500);
  }

  // ---------------------------------------------------------------- reading

  /** @param {string} id @returns {Sticker | undefined} */
  get(id) {
    return this.shown.get(id);
  }

  /** @returns {IterableIterator<Sticker>} */
  all() {
    return this.shown.values();
  }

  get size() {
    return this.shown.size;
  }

  maxZ() {
    let z = 0;
    for (const s of this.shown.values()) z = Math.max(z, s.z);
    return z;
  }

  /** @param {string} id @returns {boolean} whether an op of ours on it is in flight */
  inFlight(id) {
    for (const op of this.ops.values()) if (op.id === id) return true;
    return false;
  }

  /** @param {string} id @returns {Preview | undefined} */
  previewOf(id) {
    return this.previews.get(id);
  }

  /** @param {string} id @returns {Patch | undefined} own move of it in progress */
  localOf(id) {
    return this.locals.get(id);
  }

  /** @returns {{id: string, patch: Patch} | null} the first own move in progress (one sticker's API) */
  get local() {
    const first = this.locals.entries().next();
    return first.done ? null : { id: first.value[0], patch: first.value[1] };
  }

  // ---------------------------------------------------------------- server → store

  /**
   * A full snapshot (a welcome that is not recovered).
   * @param {Sticker[]} stickers
   * @param {number} seq
   */
  reset(stickers, seq) {
    const before = new Set(this.shown.keys());
    this.confirmed = new Map(stickers.map((s) => [s.id, { ...s }]));
    this.seq = seq;
    for (const [opId, op] of this.ops) if (op.ackSeq !== undefined && op.ackSeq <= seq) this.ops.delete(opId);
    this.previews.clear();
    const ids = new Set([...before, ...this.confirmed.keys(), ...[...this.ops.values()].map((o) => o.id)]);
    this.refresh(ids);
  }

  /**
   * One durable event, in seq order.
   * @param {BoardEvent} ev
   */
  apply(ev) {
    const e = ev.event;
    this.seq = ev.seq;
    /** @type {Set<string>} */
    const ids = new Set();
    switch (e.kind) {
      case 'sticker.created':
        // the event's `by` is who wrote it, as in the server's snapshot
        this.confirmed.set(e.sticker.id, { ...e.sticker, created_by: { name: ev.by.name }, updated_by: { name: ev.by.name } });
        ids.add(e.sticker.id);
        break;
      case 'sticker.updated': {
        const s = this.confirmed.get(e.id);
        if (s) Object.assign(s, e.patch, { version: e.version, updated_at: ev.at, updated_by: { name: ev.by.name } });
        ids.add(e.id);
        break;
      }
      case 'sticker.deleted':
        this.confirmed.delete(e.id);
        ids.add(e.id);
        break;
      default:
        return;
    }
    for (const id of ids) this.previews.delete(id);
    for (const [opId, op] of this.ops) {
      if (op.ackSeq !== undefined && op.ackSeq <= ev.seq) {
        this.ops.delete(opId);
        ids.add(op.id);
      }
    }
    // told before the element goes, so that an editor can keep its text
    if (e.kind === 'sticker.deleted' && this.shown.has(e.id) && !this.compute(e.id)) this.emit('deleted', { id: e.id, by: ev.by });
    this.refresh(ids);
  }

  /**
   * A remote member's drag preview.
   * @param {{session: string, id: string, x: number, y: number, w?: number, h?: number}} p
   */
  preview({ session, id, x, y, w, h }) {
    if (!this.confirmed.has(id)) return;
    this.previews.set(id, { session, x, y, w, h, at: performance.now() });
    this.refresh([id]);
  }

  /** @param {string} session a member who left: their previews end */
  dropPreviewsOf(session) {
    const ids = [];
    for (const [id, p] of this.previews) if (p.session === session) ids.push(id);
    for (const id of ids) this.previews.delete(id);
    this.refresh(ids);
  }

  sweepPreviews() {
    const now = performance.now();
    const ids = [];
    for (const [id, p] of this.previews) if (now - p.at > PREVIEW_TTL_MS) ids.push(id);
    for (const id of ids) this.previews.delete(id);
    if (ids.length) this.refresh(ids);
  }

  // ---------------------------------------------------------------- own ops

  /** @param {Op} op */
  add(op) {
    this.ops.set(op.opId, op);
    this.refresh([op.id]);
  }

  /**
   * The server acknowledged an op with the seq of its event.
   * @param {string} opId
   * @param {number} seq
   */
  acked(opId, seq) {
    const op = this.ops.get(opId);
    if (!op) return;
    if (seq <= this.seq) {
      this.ops.delete(opId);
      this.refresh([op.id]);
    } else op.ackSeq = seq;
  }

  /** @param {string} opId the server refused it: it never happened */
  failed(opId) {
    const op = this.ops.get(opId);
    if (!op) return;
    this.ops.delete(opId);
    this.refresh([op.id]);
  }

  /** Access ended: nothing in flight will ever land. */
  dropAllOps() {
    const ids = [...this.ops.values()].map((o) => o.id);
    this.ops.clear();
    ids.push(...this.locals.keys());
    this.locals.clear();
    this.refresh(ids);
  }

  /** @param {string} id @param {Patch} patch own drag or resize of one sticker in progress */
  setLocal(id, patch) {
    this.setLocals(new Map([[id, patch]]));
  }

  /** @param {Map<string, Patch>} patches own move of several stickers in progress (replaces any) */
  setLocals(patches) {
    const ids = new Set([...this.locals.keys(), ...patches.keys()]);
    this.locals = patches;
    this.refresh(ids);
  }

  clearLocal() {
    const ids = [...this.locals.keys()];
    this.locals = new Map();
    this.refresh(ids);
  }

  // ---------------------------------------------------------------- computing what is shown

  /** @param {Iterable<string>} ids */
  refresh(ids) {
    /** @type {Set<string>} */
    const changed = new Set();
    for (const id of ids) {
      const next = this.compute(id);
      if (next) this.shown.set(id, next);
      else this.shown.delete(id);
      changed.add(id);
    }
    if (changed.size) this.emit('change', { ids: changed });
  }

  /** @param {string} id @returns {Sticker | undefined} */
  compute(id) {
    const base = this.confirmed.get(id);
    /** @type {Sticker | undefined} */
    let s = base ? { ...base } : undefined;
    for (const op of this.ops.values()) {
      if (op.id !== id) continue;
      if (op.kind === 'create') {
        if (!s) s = { ...op.sticker };
      } else if (op.kind === 'update') {
        if (s) Object.assign(s, op.patch);
      } else s = undefined;
    }
    if (!s) return undefined;
    const p = this.previews.get(id);
    const local = this.locals.get(id);
    if (p && !local) {
      Object.assign(s, { x: p.x, y: p.y });
      if (p.w !== undefined && p.h !== undefined) Object.assign(s, { w: p.w, h: p.h });
    }
    if (local) Object.assign(s, local);
    return s;
  }

  /** @param {string} type @param {any} detail */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
