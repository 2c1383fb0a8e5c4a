// The socket to one board: reconnects with exponential backoff and jitter,
// resumes with `since`, and keeps every durable op (with its op_id) until
// the server acknowledges it, so that ops made while disconnected are sent
// once on reconnect and never applied twice.

const DURABLE = new Set(['sticker.create', 'sticker.update', 'sticker.delete', 'board.rename', 'chat.send']);
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;

export class Connection extends EventTarget {
  constructor({ boardId, token, name }) {
    super();
    this.boardId = boardId;
    this.token = token;
    this.name = name;
    this.ws = null;
    this.seq = null; // the last seq applied, for `since`
    this.attempt = 0;
    this.nextRef = 1;
    this.waiting = new Map(); // ref -> {resolve, msg}
    this.outbox = new Map(); // op_id -> message, in send order, until acknowledged
    this.ready = false;
    this.closedForGood = false;
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = new URLSearchParams({ token: this.token, name: this.name });
    if (this.seq !== null) q.set('since', String(this.seq));
    const ws = new WebSocket(`${proto}://${location.host}/ws/boards/${encodeURIComponent(this.boardId)}?${q}`);
    this.ws = ws;
    ws.addEventListener('message', (e) => this.onFrame(e.data));
    ws.addEventListener('close', (e) => this.onClose(e));
  }

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
      this.status('connected');
      this.emit('welcome', msg);
      if (!msg.recovered) this.seq = msg.seq;
      // everything not yet acknowledged goes again, in order; op_ids make it safe
      for (const m of this.outbox.values()) this.transmit(m);
      return;
    }
    if (msg.type === 'event') {
      if (this.seq !== null && msg.seq <= this.seq) return; // already applied
      this.seq = msg.seq;
    }
    if (msg.type === 'reply' && msg.ref !== null && this.waiting.has(msg.ref)) {
      const { resolve, message } = this.waiting.get(msg.ref);
      this.waiting.delete(msg.ref);
      if (message.op_id) this.outbox.delete(message.op_id);
      resolve(msg);
    }
    this.emit(msg.type, msg);
  }

  onClose(e) {
    this.ready = false;
    this.ws = null;
    // replies to what was in flight will not come; durable ops stay in the outbox
    for (const [ref, w] of this.waiting) {
      if (!w.message.op_id) {
        w.resolve({ type: 'reply', ref, ok: false, error: { code: 'unavailable', message: 'disconnected' } });
        this.waiting.delete(ref);
      }
    }
    const terminal = { 4001: 'You were removed from this board.', 4003: 'This link was revoked.', 4004: 'This board was deleted.' };
    if (terminal[e.code]) {
      this.closedForGood = true;
      this.status('offline', { reason: terminal[e.code] });
      return;
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.status('reconnecting', { until: Date.now() + delay });
    setTimeout(() => this.connect(), delay);
  }

  status(state, extra = {}) {
    this.emit('status', { state, ...extra });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  transmit(message) {
    if (this.ws && this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  // Sends a message and resolves with its reply. Durable ops get an op_id
  // and are kept until acknowledged; sent now if connected, else on reconnect.
  request(message) {
    const ref = this.nextRef++;
    const m = { ...message, ref };
    if (DURABLE.has(m.type) && !m.op_id) m.op_id = crypto.randomUUID();
    const done = new Promise((resolve) => this.waiting.set(ref, { resolve, message: m }));
    if (m.op_id) this.outbox.set(m.op_id, m);
    this.transmit(m);
    return done;
  }

  // Fire and forget (cursor, intermediate drag positions): dropped when offline.
  send(message) {
    this.transmit(message);
  }

  get pending() {
    return this.outbox.size;
  }
}
