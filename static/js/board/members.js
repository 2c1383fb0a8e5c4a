// @ts-check
// Who is on the board: the member list, each member's colour (kept across
// reloads and distinct from the others present), names told apart when two
// are the same, live cursors, and who is editing or moving which sticker.
// This page's presence state ({color, editing, mic, cam}) is set here.

const COLORS = ['#c62828', '#1565c0', '#2e7d32', '#6a1b9a', '#bf360c', '#006064', '#ad1457', '#4e342e', '#283593', '#5b6300'];
const CURSOR_IDLE_MS = 5000;

/**
 * @typedef {{session: string, name: string, role: string, state?: Record<string, any>, in_call?: boolean}} Member
 */

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn, store, world } = ctx;
  /** @type {Map<string, Member>} in the order they came */
  const members = new Map();
  /** @type {Map<string, {el: HTMLElement, timer?: ReturnType<typeof setTimeout>}>} */
  const cursors = new Map();
  const list = /** @type {HTMLElement} */ (document.getElementById('members'));
  /** @type {Record<string, any>} */
  let mine = {};

  /** @param {string} s */
  const hash = (s) => {
    let h = 0;
    for (const c of s) h = (h * 31 + (c.codePointAt(0) ?? 0)) >>> 0;
    return h;
  };

  /** @param {string} session */
  function colorIndex(session) {
    const m = members.get(session);
    const i = m?.state?.color;
    if (Number.isInteger(i) && i >= 0 && i < COLORS.length) return i;
    return hash(m?.name ?? session) % COLORS.length;
  }
  /** @param {string} session */
  const colorOf = (session) => COLORS[colorIndex(session)];

  /** @param {string} session a name others can tell apart: "Ada (2)" for the second Ada */
  function nameOf(session) {
    const m = members.get(session);
    if (!m) return 'Someone';
    const same = [...members.values()].filter((o) => o.name === m.name);
    return same.length > 1 ? `${m.name} (${same.indexOf(m) + 1})` : m.name;
  }

  /** @param {Record<string, unknown>} patch */
  function presence(patch) {
    mine = { ...mine, ...patch };
    for (const [k, v] of Object.entries(mine)) if (v === null || v === undefined) delete mine[k];
    conn.send({ type: 'presence.set', state: mine });
  }

  /**
   * My colour: the one I had, unless someone else present has it; then a
   * free one. A member of my name with my saved colour is my own previous
   * page (a reload whose old session has not left yet): not someone else.
   */
  function pickColor() {
    const raw = localStorage.getItem('corkboard.color');
    const saved = raw === null ? NaN : Number(raw);
    const hasSaved = Number.isInteger(saved) && saved >= 0 && saved < COLORS.length;
    const taken = new Set();
    for (const m of members.values()) {
      if (m.session === ctx.session.me) continue;
      const c = colorIndex(m.session);
      if (hasSaved && c === saved && m.name === ctx.session.name) continue;
      taken.add(c);
    }
    let i = hasSaved ? saved : hash(ctx.session.name) % COLORS.length;
    if (taken.has(i)) i = COLORS.findIndex((_, j) => !taken.has(j));
    if (i < 0) i = hasSaved ? saved : 0;
    localStorage.setItem('corkboard.color', String(i));
    return i;
  }

  function drawList() {
    const items = [];
    for (const m of members.values()) {
      const li = document.createElement('li');
      li.dataset.session = m.session;
      const dot = document.createElement('span');
      dot.className = 'dot';
      dot.style.background = colorOf(m.session);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = nameOf(m.session) + (m.session === ctx.session.me ? ' (you)' : '');
      const extra = document.createElement('span');
      extra.className = 'extra';
      extra.textContent = [m.role === 'viewer' ? 'viewer' : '', m.in_call ? 'in call' : ''].filter(Boolean).join(' · ');
      li.append(dot, name, extra);
      items.push(li);
    }
    list.replaceChildren(...items);
    const count = document.getElementById('member-count');
    if (count) count.textContent = String(members.size);
    for (const [session, c] of cursors) {
      const label = c.el.querySelector('span');
      if (label) label.textContent = nameOf(session);
      c.el.style.setProperty('--who', colorOf(session));
    }
    decorate();
  }

  // outlines and names on stickers someone else is editing or moving
  /** @type {Set<string>} */
  let decorated = new Set();
  function decorate() {
    /** @type {Map<string, string>} sticker id -> session */
    const by = new Map();
    for (const m of members.values()) {
      const id = m.state?.editing;
      if (m.session !== ctx.session.me && typeof id === 'string') by.set(id, m.session);
    }
    for (const [id, p] of store.previews) by.set(id, p.session);
    for (const id of decorated) {
      if (by.has(id)) continue;
      const el = ctx.render.element(id);
      if (!el) continue;
      el.classList.remove('being-edited');
      el.style.removeProperty('--editor');
      const badge = el.querySelector('.editing-badge');
      if (badge) badge.textContent = '';
      el.querySelector('.text')?.removeAttribute('aria-describedby');
    }
    for (const [id, session] of by) {
      const el = ctx.render.element(id);
      if (!el) continue;
      el.classList.add('being-edited');
      el.style.setProperty('--editor', colorOf(session));
      const badge = el.querySelector('.editing-badge');
      if (badge) badge.textContent = nameOf(session);
      el.querySelector('.text')?.setAttribute('aria-describedby', `badge-${id}`);
    }
    decorated = new Set(by.keys());
  }

  /** @param {Member} m */
  function upsert(m) {
    members.set(m.session, { ...members.get(m.session), ...m });
    drawList();
  }

  /** @param {string} session */
  function remove(session) {
    members.delete(session);
    const c = cursors.get(session);
    if (c) {
      clearTimeout(c.timer);
      c.el.remove();
      cursors.delete(session);
    }
    drawList();
  }

  /** @param {{session: string, x: number, y: number}} p */
  function showCursor({ session, x, y }) {
    if (!members.has(session) || session === ctx.session.me) return;
    let c = cursors.get(session);
    if (!c) {
      const el = document.createElement('div');
      el.className = 'cursor';
      el.setAttribute('aria-hidden', 'true');
      el.style.setProperty('--who', colorOf(session));
      const label = document.createElement('span');
      label.textContent = nameOf(session);
      el.append(label);
      world.append(el);
      c = { el };
      cursors.set(session, c);
    }
    c.el.classList.remove('idle');
    c.el.style.transform = `translate(${x}px, ${y}px)`;
    clearTimeout(c.timer);
    const el = c.el;
    // a pointer that stopped (or left the board) fades instead of staying at the edge
    c.timer = setTimeout(() => el.classList.add('idle'), CURSOR_IDLE_MS);
  }

  conn.addEventListener('welcome', (e) => {
    const w = /** @type {CustomEvent} */ (e).detail;
    members.clear();
    for (const m of w.members) members.set(m.session, m);
    for (const session of [...cursors.keys()]) if (!members.has(session)) remove(session);
    const color = pickColor();
    const me = members.get(w.session);
    if (me) me.state = { ...mine, color };
    presence({ color });
    drawList();
  });
  const on = (/** @type {string} */ type, /** @type {(d: any) => void} */ f) => conn.addEventListener(type, (e) => f(/** @type {CustomEvent} */ (e).detail));
  on('presence.joined', (d) => upsert(d.member));
  on('presence.updated', (d) => upsert(d.member));
  on('presence.left', (d) => remove(d.session));
  on('cursor', (d) => showCursor(d));
  on('call.joined', (d) => members.has(d.session) && upsert({ .../** @type {Member} */ (members.get(d.session)), in_call: true }));
  on('call.left', (d) => members.has(d.session) && upsert({ .../** @type {Member} */ (members.get(d.session)), in_call: false }));
  on('ended', () => {
    for (const session of [...members.keys()]) if (session !== ctx.session.me) remove(session);
  });
  store.addEventListener('change', () => decorate());

  ctx.members = {
    nameOf,
    colorOf,
    presence,
    stateOf: (session) => members.get(session)?.state ?? {},
  };
}
