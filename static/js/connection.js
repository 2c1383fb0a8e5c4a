// @ts-check
// The socket to one board: reconnects with exponential backoff and jitter,
// resumes with `since`, and keeps every durable op (with its op_id) until
// the server acknowledges it, so that ops made while disconnected are sent
// once on reconnect and never applied twice. When access ends (kicked, link
// rotated, board deleted; or an upgrade refused with 403/404) it stops for
// good and says why: it never reconnects into a loop.

import { CLOSE, DURABLE_OPS, ENDING_CLOSES, ENDING_STATUSES } from './protocol.js';

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const DURABLE = new Set(DURABLE_OPS);
// The share of the server's rate limit that resending after a reconnect
// may take (the page's own pacing of new ops uses the same share), so a
// long offline queue is not refused as rate_limited and rolled back.
const RESEND_SHARE = 0.5;

/**
 * @typedef {{type: string, ok?: boolean, seq?: number, ref?: number | string | null,
 *   error?: {code: string, message?: string, sticker?: any}, peers?: string[]}} Reply
 * @typedef {{state: 'connecting' | 'connected' | 'reconnecting' | 'ended', until?: number,
 *   reason?: import('./protocol.js').EndReason}} Status
 */

/**
 * This browser's member key: random, made once, sent when connecting so
 * that a reload is the same member (an admin's kick can then hold). It
 * proves nothing: anyone with a link can make another.
 * @returns {string}
 */
export function memberKey() {
  let key = localStorage.getItem('corkboard.member');
  if (!key) {
    key = crypto.randomUUID();
    localStorage.setItem('corkboard.member', key);
  }
  return key;
}

export class Connection extends EventTarget {
  /** @param {{boardId: string, token: string, name: string}} opts */
  constructor({ boardId, token, name }) {
    super();
    this.boardId = boardId;
    this.token = token;
    this.name = name;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {number | null} the last seq applied, for `since` */
    this.seq = null;
    this.attempt = 0;
    this.nextRef = 1;
    /** @type {Map<number, {resolve: (r: Reply) => void, message: any}>} */
    this.waiting = new Map();
    /** @type {Map<string, any>} op_id -> message, in send order, until acknowledged */
    this.outbox = new Map();
    this.ready = false;
    this.ended = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {any[]} durable ops waiting to be resent within the rate budget, in order */
    this.backlog = [];
    this.tokens = 0;
    this.refilled = 0;
    /** @type {{rate: number, burst: number}} */
    this.budget = { rate: 0, burst: 1 };
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.resendTimer = undefined;
  }

  connect() {
    if (this.ended) return;
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = new URLSearchParams({ token: this.token, name: this.name, member: memberKey() });
    if (this.seq !== null) q.set('since', String(this.seq));
    const ws = new WebSocket(`${proto}://${location.host}/ws/boards/${encodeURIComponent(this.boardId)}?${q}`);
    this.ws = ws;
    let welcomed = false;
    ws.addEventListener('message', (e) => {
      if (this.ws !== ws) return;
      if (!welcomed && typeof e.data === 'string' && e.data.includes('"welcome"')) welcomed = true;
      this.onFrame(e.data);
    });
    ws.addEventListener('close', (e) => {
      if (this.ws === ws) this.onClose(e, welcomed);
    });
  }

  /** @param {string} data */
  onFrame(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg.type === 'welcome') {
      this.attempt = 0;
      this.ready = true;
      this.status({ state: 'connected' });
      if (!msg.recovered) this.seq = msg.seq;
      // everything not yet acknowledged goes again, in order, paced to the
      // server's rate limit (a new connection starts with its full burst);
      // op_ids make it safe
      const { rate_per_s: rate = 0, rate_burst: burst = 0 } = msg.limits ?? {};
      this.budget = { rate: rate * RESEND_SHARE, burst: Math.max(1, Math.floor(burst * RESEND_SHARE)) };
      this.tokens = this.budget.burst;
      this.refilled = performance.now();
      this.backlog = [...this.outbox.values()];
      this.resend();
      // after the backlog is set: an op a listener makes goes behind it
      this.emit('welcome', msg);
      return;
    }
    if (msg.type === 'event') {
      if (this.seq !== null && msg.seq <= this.seq) return; // already applied
      this.seq = msg.seq;
    }
    if (msg.type === 'reply' && msg.ref !== null && this.waiting.has(msg.ref)) {
      const w = /** @type {{resolve: (r: Reply) => void, message: any}} */ (this.waiting.get(msg.ref));
      this.waiting.delete(msg.ref);
      if (w.message.op_id) this.outbox.delete(w.message.op_id);
      w.resolve(msg);
      return;
    }
    this.emit(msg.type, msg);
  }

  /**
   * @param {CloseEvent} e
   * @param {boolean} welcomed whether this socket got its welcome
   */
  async onClose(e, welcomed) {
    this.ready = false;
    this.ws = null;
    // the outbox keeps them all; the next welcome resends from it
    this.backlog = [];
    clearTimeout(this.resendTimer);
    // replies to what was in flight will not come; durable ops stay in the outbox
    for (const [ref, w] of this.waiting) {
      if (!w.message.op_id) {
        w.resolve({ type: 'reply', ref, ok: false, error: { code: 'unavailable', message: 'disconnected' } });
        this.waiting.delete(ref);
      }
    }
    const ending = ENDING_CLOSES[e.code];
    if (ending) return this.end(ending);
    // A refused upgrade looks like 1006 to a page: ask over HTTP whether the
    // board and this token still exist before trying again.
    if (!welcomed && e.code === CLOSE.ABNORMAL && navigator.onLine) {
      const reason = await this.probe();
      if (reason) return this.end(reason);
    }
    if (this.ended) return;
    // The board moved to another server (a failover, or a balancer that now
    // sends it elsewhere): it is ready there at once, so no backoff.
    if (e.code === CLOSE.BOARD_MOVED) this.attempt = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.status({ state: 'reconnecting', until: Date.now() + delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** @returns {Promise<import('./protocol.js').EndReason | null>} */
  async probe() {
    try {
      const res = await fetch(`/api/boards/${encodeURIComponent(this.boardId)}?member=${memberKey()}`, {
        headers: { authorization: `Bearer ${this.token}` },
        cache: 'no-store',
      });
      if (res.status === 403) {
        // a kick that holds: this browser is kept out for a while
        const body = await res.json().catch(() => ({}));
        if (String(body.error?.message ?? '').includes('removed you')) return 'kept_out';
      }
      return ENDING_STATUSES[res.status] ?? null;
    } catch {
      return null; // unreachable: keep trying
    }
  }

  /**
   * Access ended: stop for good. Unacknowledged ops are dropped (they can
   * never be saved) and reported as `lost`.
   * @param {import('./protocol.js').EndReason} reason
   */
  end(reason) {
    if (this.ended) return;
    this.ended = true;
    this.ready = false;
    clearTimeout(this.timer);
    const lost = this.outbox.size;
    this.outbox.clear();
    this.backlog = [];
    clearTimeout(this.resendTimer);
    for (const [ref, w] of this.waiting) w.resolve({ type: 'reply', ref, ok: false, error: { code: 'forbidden', message: 'access ended' } });
    this.waiting.clear();
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.status({ state: 'ended', reason });
    this.emit('ended', { reason, lost });
  }

  /** @param {Status} s */
  status(s) {
    this.emit('status', s);
  }

  /** @param {string} type @param {any} detail */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Sends from the backlog what the budget allows, and schedules the rest. */
  resend() {
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
    const { rate, burst } = this.budget;
    const now = performance.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilled) / 1000) * rate);
    this.refilled = now;
    while (this.backlog.length && this.ready && (this.tokens >= 1 || !rate)) {
      this.tokens -= 1;
      const m = this.backlog.shift();
      // the outbox is the truth: an op that left it meanwhile is not resent
      if (this.outbox.has(m.op_id)) this.transmit(m);
    }
    if (this.backlog.length && this.ready) this.resendTimer = setTimeout(() => this.resend(), ((1 - this.tokens) / rate) * 1000 + 1);
  }

  /** @param {any} message */
  transmit(message) {
    if (this.ws && this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /**
   * Sends a message and resolves with its reply. Durable ops get an op_id
   * (unless they have one) and are kept until acknowledged; sent now if
   * connected, else on reconnect.
   * @param {any} message
   * @returns {Promise<Reply>}
   */
  request(message) {
    if (this.ended) return Promise.resolve({ type: 'reply', ok: false, error: { code: 'forbidden', message: 'access ended' } });
    const ref = this.nextRef++;
    const m = { ...message, ref };
    if (DURABLE.has(m.type) && !m.op_id) m.op_id = crypto.randomUUID();
    /** @type {Promise<Reply>} */
    const done = new Promise((resolve) => this.waiting.set(ref, { resolve, message: m }));
    if (m.op_id) this.outbox.set(m.op_id, m);
    // behind what is still being resent, so ops keep their order
    if (m.op_id && this.backlog.length) this.backlog.push(m);
    else this.transmit(m);
    return done;
  }

  /**
   * Fire and forget (cursor, drag preview, presence): dropped when offline.
   * @param {any} message
   */
  send(message) {
    if (!this.ended) this.transmit(message);
  }

  get pending() {
    return this.outbox.size;
  }
}
