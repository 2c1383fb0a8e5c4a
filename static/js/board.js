// The board page: stickers, pan and zoom, members and cursors, chat, undo.
// Everything the server sends is rendered as text, never as HTML.

import { Call } from './call.js';
import { Connection } from './connection.js';

const viewport = document.getElementById('viewport');
const world = document.getElementById('world');
const boardId = viewport.dataset.boardId;
const token = new URLSearchParams(location.search).get('token') ?? '';

const NEW_STICKER = { w: 160, h: 120 };
const DRAG_SEND_MS = 50; // ~20 updates/s while dragging
const CURSOR_SEND_MS = 33;

const state = {
  me: null,
  role: null,
  stickers: new Map(), // id -> sticker
  els: new Map(), // id -> element
  members: new Map(), // session -> member
  cursors: new Map(), // session -> element
  selected: null,
  editing: null,
  color: '#fff59d',
  view: { x: 0, y: 0, scale: 1 },
  undo: [],
  redo: [],
};

let conn;

// ------------------------------------------------------------------ start

function askName() {
  const saved = localStorage.getItem('corkboard.name');
  if (saved) return Promise.resolve(saved);
  const dialog = document.getElementById('name-dialog');
  const input = document.getElementById('name-input');
  return new Promise((resolve) => {
    document.getElementById('name-form').addEventListener('submit', () => {
      const name = input.value.trim();
      if (!name) return;
      localStorage.setItem('corkboard.name', name);
      resolve(name);
    });
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    dialog.showModal();
    input.focus();
  });
}

askName().then((name) => {
  conn = new Connection({ boardId, token, name });
  conn.addEventListener('welcome', (e) => onWelcome(e.detail));
  conn.addEventListener('event', (e) => applyEvent(e.detail));
  conn.addEventListener('presence.joined', (e) => upsertMember(e.detail.member));
  conn.addEventListener('presence.updated', (e) => upsertMember(e.detail.member));
  conn.addEventListener('presence.left', (e) => removeMember(e.detail.session));
  conn.addEventListener('cursor', (e) => showCursor(e.detail));
  conn.addEventListener('call.joined', (e) => setInCall(e.detail.session, true));
  conn.addEventListener('call.left', (e) => setInCall(e.detail.session, false));
  conn.addEventListener('reply', (e) => {
    if (!e.detail.ok && e.detail.ref === null) toast(words(e.detail.error));
  });
  conn.addEventListener('error', (e) => toast(words(e.detail.error)));
  conn.addEventListener('status', (e) => showStatus(e.detail));
  setUpCall();
  conn.connect();
});

// ------------------------------------------------------------------ server → page

function onWelcome(w) {
  state.me = w.session;
  state.role = w.role;
  document.body.classList.toggle('viewer', w.role === 'viewer');
  document.getElementById('role-badge').textContent = w.role === 'viewer' ? 'view only' : 'editor';
  setTitle(w.board.title);
  if (!w.recovered) {
    const incoming = new Map(w.stickers.map((s) => [s.id, s]));
    for (const id of state.els.keys()) if (!incoming.has(id) && !pendingCreate(id)) removeSticker(id);
    for (const s of w.stickers) {
      state.stickers.set(s.id, s);
      render(s);
    }
    const log = document.getElementById('chat-log');
    log.replaceChildren();
    for (const ev of w.chat) addChat(ev);
  }
  state.members.clear();
  document.getElementById('members').replaceChildren();
  for (const m of w.members) upsertMember(m);
  for (const [session, el] of state.cursors) {
    if (!state.members.has(session)) {
      el.remove();
      state.cursors.delete(session);
    }
  }
}

function pendingCreate(id) {
  for (const m of conn.outbox.values()) if (m.type === 'sticker.create' && m.sticker.id === id) return true;
  return false;
}

function applyEvent(ev) {
  const e = ev.event;
  switch (e.kind) {
    case 'sticker.created':
      state.stickers.set(e.sticker.id, e.sticker);
      render(e.sticker);
      break;
    case 'sticker.updated': {
      const s = state.stickers.get(e.id);
      if (!s) break;
      Object.assign(s, e.patch, { version: e.version, updated_at: ev.at });
      if (state.drag?.id !== e.id || ev.by.session !== state.me) render(s);
      break;
    }
    case 'sticker.deleted':
      removeSticker(e.id);
      break;
    case 'chat':
      addChat(ev);
      break;
    case 'board.renamed':
      setTitle(e.title);
      break;
  }
}

function setTitle(title) {
  document.getElementById('board-title').textContent = title;
  document.title = `${title} · corkboard`;
}

// ------------------------------------------------------------------ stickers

function render(s) {
  let el = state.els.get(s.id);
  if (!el) {
    el = document.createElement('div');
    el.className = 'sticker';
    el.tabIndex = 0;
    el.dataset.id = s.id;
    el.setAttribute('role', 'note');
    const text = document.createElement('div');
    text.className = 'text';
    const badge = document.createElement('span');
    badge.className = 'editing-badge';
    const handle = document.createElement('div');
    handle.className = 'resize';
    handle.setAttribute('aria-hidden', 'true');
    el.append(text, badge, handle);
    world.append(el);
    state.els.set(s.id, el);
  }
  el.style.transform = `translate(${s.x}px, ${s.y}px)`;
  el.style.width = `${s.w}px`;
  el.style.height = `${s.h}px`;
  el.style.zIndex = String(Math.max(-2147483000, Math.min(2147483000, Math.round(s.z))));
  el.style.background = s.color;
  if (state.editing !== s.id) el.querySelector('.text').textContent = s.text;
  el.setAttribute('aria-label', `Sticker: ${s.text || 'empty'}`);
  el.classList.toggle('selected', state.selected === s.id);
}

function removeSticker(id) {
  state.stickers.delete(id);
  state.els.get(id)?.remove();
  state.els.delete(id);
  if (state.selected === id) state.selected = null;
}

function select(id) {
  const before = state.selected;
  state.selected = id;
  if (before) state.els.get(before)?.classList.remove('selected');
  if (id) state.els.get(id)?.classList.add('selected');
}

function maxZ() {
  let z = 0;
  for (const s of state.stickers.values()) z = Math.max(z, s.z);
  return z;
}

// Applies a change locally at once, sends it, and records how to undo it.
async function change(id, patch, { record = true, ifVersion } = {}) {
  const s = state.stickers.get(id);
  if (!s) return;
  const before = {};
  for (const k of Object.keys(patch)) before[k] = s[k];
  Object.assign(s, patch);
  render(s);
  const msg = { type: 'sticker.update', id, patch };
  if (ifVersion !== undefined) msg.if_version = ifVersion;
  if (record) remember({ type: 'sticker.update', id, patch }, { type: 'sticker.update', id, patch: before });
  const reply = await conn.request(msg);
  if (!reply.ok) {
    if (reply.error.code === 'conflict' && patch.text !== undefined) return resolveConflict(id, patch.text, reply.error.sticker);
    toast(words(reply.error));
    const now = state.stickers.get(id);
    if (now) {
      Object.assign(now, reply.error.sticker ?? before);
      render(now);
    }
  }
}

async function create(at) {
  const sticker = {
    id: crypto.randomUUID(),
    x: Math.round(at.x - NEW_STICKER.w / 2),
    y: Math.round(at.y - NEW_STICKER.h / 2),
    w: NEW_STICKER.w,
    h: NEW_STICKER.h,
    z: maxZ() + 1,
    color: state.color,
    text: '',
  };
  const local = { ...sticker, version: 0, updated_at: '' };
  state.stickers.set(sticker.id, local);
  render(local);
  select(sticker.id);
  remember({ type: 'sticker.create', sticker }, { type: 'sticker.delete', id: sticker.id });
  const reply = await conn.request({ type: 'sticker.create', sticker });
  if (!reply.ok) {
    toast(words(reply.error));
    if (reply.error.code !== 'conflict') removeSticker(sticker.id);
  }
}

async function remove(id) {
  const s = state.stickers.get(id);
  if (!s) return;
  const { x, y, w, h, z, color, text } = s;
  removeSticker(id);
  remember({ type: 'sticker.delete', id }, { type: 'sticker.create', sticker: { id, x, y, w, h, z, color, text } });
  const reply = await conn.request({ type: 'sticker.delete', id });
  if (!reply.ok) {
    toast(words(reply.error));
    if (reply.error.code !== 'not_found') {
      state.stickers.set(id, s);
      render(s);
    }
  }
}

// ------------------------------------------------------------------ undo / redo

function remember(forward, inverse) {
  state.undo.push({ forward, inverse });
  if (state.undo.length > 200) state.undo.shift();
  state.redo = [];
}

async function replay(msg) {
  switch (msg.type) {
    case 'sticker.create': {
      const local = { ...msg.sticker, version: 0, updated_at: '' };
      state.stickers.set(local.id, local);
      render(local);
      break;
    }
    case 'sticker.delete':
      removeSticker(msg.id);
      break;
    case 'sticker.update': {
      const s = state.stickers.get(msg.id);
      if (s) {
        Object.assign(s, msg.patch);
        render(s);
      }
      break;
    }
  }
  const reply = await conn.request(msg);
  if (!reply.ok) toast(words(reply.error));
}

function undo() {
  const step = state.undo.pop();
  if (!step) return;
  state.redo.push(step);
  replay(step.inverse);
}

function redo() {
  const step = state.redo.pop();
  if (!step) return;
  state.undo.push(step);
  replay(step.forward);
}

// ------------------------------------------------------------------ conflicts

function resolveConflict(id, mine, theirs) {
  const dialog = document.getElementById('conflict-dialog');
  document.getElementById('conflict-theirs').textContent = theirs.text;
  document.getElementById('conflict-mine').textContent = mine;
  const s = state.stickers.get(id);
  if (s) {
    Object.assign(s, theirs);
    render(s);
  }
  const done = () => dialog.close();
  document.getElementById('keep-theirs').onclick = done;
  document.getElementById('keep-mine').onclick = () => {
    done();
    change(id, { text: mine }, { ifVersion: theirs.version });
  };
  dialog.showModal();
}

// ------------------------------------------------------------------ text editing

function startEditing(id) {
  if (state.role !== 'editor' || state.editing) return;
  const s = state.stickers.get(id);
  const el = state.els.get(id);
  if (!s || !el) return;
  state.editing = id;
  const version = s.version;
  const area = document.createElement('textarea');
  area.className = 'text-edit';
  area.value = s.text;
  area.maxLength = 2000;
  area.setAttribute('aria-label', 'Sticker text');
  el.querySelector('.text').replaceChildren(area);
  area.focus();
  conn.send({ type: 'presence.set', state: { editing: id } });
  const finish = (save) => {
    if (state.editing !== id) return;
    state.editing = null;
    const text = area.value;
    conn.send({ type: 'presence.set', state: {} });
    el.querySelector('.text').textContent = state.stickers.get(id)?.text ?? '';
    // a sticker not yet acknowledged (version 0) has no version to check
    if (save && text !== s.text) change(id, { text }, { ifVersion: version > 0 ? version : undefined });
    el.focus();
  };
  area.addEventListener('blur', () => finish(true));
  area.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Escape') finish(false);
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) finish(true);
  });
}

// ------------------------------------------------------------------ pointer: drag, resize, pan

function toWorld(clientX, clientY) {
  const r = viewport.getBoundingClientRect();
  const { x, y, scale } = state.view;
  return { x: (clientX - r.left - x) / scale, y: (clientY - r.top - y) / scale };
}

function applyView() {
  const { x, y, scale } = state.view;
  world.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
}

viewport.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  const stickerEl = e.target.closest('.sticker');
  if (stickerEl && state.editing === stickerEl.dataset.id) return;
  if (stickerEl && state.role === 'editor') {
    const id = stickerEl.dataset.id;
    const s = state.stickers.get(id);
    if (!s) return;
    select(id);
    const resizing = e.target.classList.contains('resize');
    state.drag = { id, resizing, startX: e.clientX, startY: e.clientY, orig: { x: s.x, y: s.y, w: s.w, h: s.h }, lastSent: 0, moved: false };
    viewport.setPointerCapture(e.pointerId);
    return;
  }
  if (stickerEl) {
    select(stickerEl.dataset.id);
    return;
  }
  select(null);
  state.pan = { startX: e.clientX, startY: e.clientY, orig: { ...state.view } };
  viewport.setPointerCapture(e.pointerId);
});

viewport.addEventListener('pointermove', (e) => {
  sendCursor(e);
  if (state.drag) {
    const d = state.drag;
    const s = state.stickers.get(d.id);
    if (!s) return;
    const dx = (e.clientX - d.startX) / state.view.scale;
    const dy = (e.clientY - d.startY) / state.view.scale;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 2) return;
    if (!d.moved) conn.send({ type: 'presence.set', state: { editing: d.id } });
    d.moved = true;
    const patch = d.resizing
      ? { w: Math.max(40, Math.round(d.orig.w + dx)), h: Math.max(30, Math.round(d.orig.h + dy)) }
      : { x: Math.round(d.orig.x + dx), y: Math.round(d.orig.y + dy) };
    Object.assign(s, patch);
    render(s);
    const now = performance.now();
    if (now - d.lastSent >= DRAG_SEND_MS) {
      d.lastSent = now;
      conn.send({ type: 'sticker.update', id: d.id, patch });
    }
  } else if (state.pan) {
    const p = state.pan;
    state.view.x = p.orig.x + (e.clientX - p.startX);
    state.view.y = p.orig.y + (e.clientY - p.startY);
    applyView();
  }
});

function endPointer() {
  if (state.drag) {
    const d = state.drag;
    state.drag = null;
    const s = state.stickers.get(d.id);
    if (d.moved && s) {
      conn.send({ type: 'presence.set', state: {} });
      const patch = d.resizing ? { w: s.w, h: s.h } : { x: s.x, y: s.y };
      const before = d.resizing ? { w: d.orig.w, h: d.orig.h } : { x: d.orig.x, y: d.orig.y };
      remember({ type: 'sticker.update', id: d.id, patch }, { type: 'sticker.update', id: d.id, patch: before });
      change(d.id, patch, { record: false });
    }
  }
  state.pan = null;
}
viewport.addEventListener('pointerup', endPointer);
viewport.addEventListener('pointercancel', endPointer);

viewport.addEventListener('dblclick', (e) => {
  // pointer capture (for dragging) makes the viewport the target: look under the pointer
  const stickerEl = document.elementFromPoint(e.clientX, e.clientY)?.closest('.sticker');
  if (stickerEl) return startEditing(stickerEl.dataset.id);
  if (state.role === 'editor') create(toWorld(e.clientX, e.clientY));
});

viewport.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const v = state.view;
    if (e.ctrlKey || e.metaKey) {
      const r = viewport.getBoundingClientRect();
      const px = e.clientX - r.left;
      const py = e.clientY - r.top;
      const scale = Math.min(4, Math.max(0.1, v.scale * Math.exp(-e.deltaY * 0.01)));
      v.x = px - ((px - v.x) * scale) / v.scale;
      v.y = py - ((py - v.y) * scale) / v.scale;
      v.scale = scale;
    } else {
      v.x -= e.deltaX;
      v.y -= e.deltaY;
    }
    applyView();
  },
  { passive: false },
);

let lastCursor = 0;
function sendCursor(e) {
  const now = performance.now();
  if (!conn || now - lastCursor < CURSOR_SEND_MS) return;
  lastCursor = now;
  const p = toWorld(e.clientX, e.clientY);
  conn.send({ type: 'cursor', x: Math.round(p.x), y: Math.round(p.y) });
}

// ------------------------------------------------------------------ keyboard and toolbar

document.addEventListener('keydown', (e) => {
  if (e.target.closest('input, textarea, dialog')) return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'z') {
    e.preventDefault();
    return e.shiftKey ? redo() : undo();
  }
  if (mod && e.key.toLowerCase() === 'y') {
    e.preventDefault();
    return redo();
  }
  if (state.role !== 'editor' || !state.selected) return;
  const s = state.stickers.get(state.selected);
  if (!s) return;
  if (e.key === 'Delete' || e.key === 'Backspace') {
    e.preventDefault();
    remove(state.selected);
  } else if (e.key === 'Enter') {
    e.preventDefault();
    startEditing(state.selected);
  } else if (e.key.startsWith('Arrow')) {
    e.preventDefault();
    const step = e.shiftKey ? 50 : 10;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    change(s.id, { x: s.x + d[0], y: s.y + d[1] });
  }
});

world.addEventListener('focusin', (e) => {
  const el = e.target.closest('.sticker');
  if (el) select(el.dataset.id);
});

document.getElementById('add-sticker').addEventListener('click', () => {
  const r = viewport.getBoundingClientRect();
  create(toWorld(r.left + r.width / 2, r.top + r.height / 2));
});
document.getElementById('delete-sticker').addEventListener('click', () => state.selected && remove(state.selected));
document.getElementById('to-front').addEventListener('click', () => {
  if (state.selected) change(state.selected, { z: maxZ() + 1 });
});
document.getElementById('undo').addEventListener('click', undo);
document.getElementById('redo').addEventListener('click', redo);
document.getElementById('reset-view').addEventListener('click', () => {
  state.view = { x: 0, y: 0, scale: 1 };
  applyView();
});
for (const swatch of document.querySelectorAll('.swatch')) {
  swatch.style.background = swatch.dataset.color;
  swatch.addEventListener('click', () => {
    state.color = swatch.dataset.color;
    for (const other of document.querySelectorAll('.swatch')) other.setAttribute('aria-pressed', String(other === swatch));
    if (state.selected) change(state.selected, { color: state.color });
  });
}

// ------------------------------------------------------------------ members and cursors

function colorOf(session) {
  let h = 0;
  for (const c of session) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h}, 65%, 45%)`;
}

function upsertMember(m) {
  state.members.set(m.session, m);
  const list = document.getElementById('members');
  let li = list.querySelector(`[data-session="${CSS.escape(m.session)}"]`);
  if (!li) {
    li = document.createElement('li');
    li.dataset.session = m.session;
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.style.background = colorOf(m.session);
    const name = document.createElement('span');
    name.className = 'name';
    const extra = document.createElement('span');
    extra.className = 'extra';
    li.append(dot, name, extra);
    list.append(li);
  }
  li.querySelector('.name').textContent = m.name + (m.session === state.me ? ' (you)' : '');
  const bits = [m.role === 'viewer' ? 'viewer' : ''];
  if (m.in_call) bits.push('in call');
  li.querySelector('.extra').textContent = bits.filter(Boolean).join(' · ');
  showEditing();
}

function removeMember(session) {
  state.members.delete(session);
  document.querySelector(`#members [data-session="${CSS.escape(session)}"]`)?.remove();
  state.cursors.get(session)?.remove();
  state.cursors.delete(session);
  showEditing();
}

function setInCall(session, inCall) {
  const m = state.members.get(session);
  if (m) upsertMember({ ...m, in_call: inCall });
}

// Outlines each sticker someone else is editing, with their name.
function showEditing() {
  for (const el of state.els.values()) {
    el.classList.remove('being-edited');
    el.style.removeProperty('--editor');
    el.querySelector('.editing-badge').textContent = '';
  }
  for (const m of state.members.values()) {
    const id = m.state?.editing;
    if (m.session === state.me || typeof id !== 'string') continue;
    const el = state.els.get(id);
    if (!el) continue;
    el.classList.add('being-edited');
    el.style.setProperty('--editor', colorOf(m.session));
    el.querySelector('.editing-badge').textContent = m.name;
  }
}

function showCursor({ session, x, y }) {
  const m = state.members.get(session);
  if (!m) return;
  let el = state.cursors.get(session);
  if (!el) {
    el = document.createElement('div');
    el.className = 'cursor';
    el.style.setProperty('--who', colorOf(session));
    const label = document.createElement('span');
    label.textContent = m.name;
    el.append(label);
    world.append(el);
    state.cursors.set(session, el);
  }
  el.style.transform = `translate(${x}px, ${y}px)`;
}

// ------------------------------------------------------------------ call

function setUpCall() {
  const call = new Call(conn, {
    tiles: document.getElementById('tiles'),
    nameOf: (session) => state.members.get(session)?.name ?? 'someone',
    toast,
    onChange: () => {
      document.getElementById('call-join').hidden = call.inCall;
      for (const id of ['call-mic', 'call-cam', 'call-leave']) document.getElementById(id).hidden = !call.inCall;
    },
  });
  document.getElementById('call-join').addEventListener('click', () => call.join());
  document.getElementById('call-leave').addEventListener('click', () => call.leave());
  document.getElementById('call-mic').addEventListener('click', (e) => {
    const on = call.toggle('audio');
    e.target.textContent = on ? 'Mute' : 'Unmute';
    e.target.setAttribute('aria-pressed', String(on));
  });
  document.getElementById('call-cam').addEventListener('click', (e) => {
    const on = call.toggle('video');
    e.target.textContent = on ? 'Camera off' : 'Camera on';
    e.target.setAttribute('aria-pressed', String(on));
  });
}

// ------------------------------------------------------------------ chat

function addChat(ev) {
  const li = document.createElement('li');
  const who = document.createElement('strong');
  who.textContent = ev.by.name;
  const text = document.createElement('span');
  text.textContent = ev.event.text;
  li.append(who, document.createTextNode(' '), text);
  const log = document.getElementById('chat-log');
  log.append(li);
  log.scrollTop = log.scrollHeight;
}

document.getElementById('chat-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = document.getElementById('chat-input');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  const reply = await conn.request({ type: 'chat.send', text });
  if (!reply.ok) {
    toast(words(reply.error));
    input.value = text;
  }
});

// ------------------------------------------------------------------ status and errors

let statusTimer;
function showStatus(s) {
  const el = document.getElementById('status');
  clearInterval(statusTimer);
  el.dataset.state = s.state;
  if (s.state === 'connected') {
    const tick = () => (el.textContent = conn.pending ? `Connected · sending ${conn.pending}` : 'Connected');
    tick();
    statusTimer = setInterval(tick, 500);
  } else if (s.state === 'reconnecting') {
    const tick = () => {
      const secs = Math.max(0, Math.ceil((s.until - Date.now()) / 1000));
      const queued = conn.pending ? ` · ${conn.pending} change(s) waiting` : '';
      el.textContent = (navigator.onLine ? `Reconnecting in ${secs} s` : 'Offline') + queued;
    };
    tick();
    statusTimer = setInterval(tick, 250);
  } else {
    el.textContent = s.reason ?? 'Offline';
  }
}

const WORDS = {
  rate_limited: 'You are sending changes too fast. Wait a moment and try again.',
  too_large: 'That is too long.',
  limit_exceeded: 'A limit of this board was reached.',
  unavailable: 'The board cannot save changes right now. Try again in a moment.',
  forbidden: 'You may not do that here.',
  not_found: 'That is gone: someone else removed it.',
  conflict: 'Someone else changed this at the same time.',
  bad_request: 'The server did not accept that.',
  internal: 'Something went wrong on the server.',
};

function words(error) {
  const base = WORDS[error?.code] ?? 'Something went wrong.';
  return error?.message ? `${base} (${error.message})` : base;
}

function toast(message) {
  const box = document.getElementById('toasts');
  const t = document.createElement('div');
  t.className = 'toast';
  t.textContent = message;
  box.append(t);
  setTimeout(() => t.remove(), 6000);
}
