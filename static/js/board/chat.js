// @ts-check
// The board's chat: the last messages from the welcome, then live ones; each
// with its time; links made clickable (http and https only, built as DOM
// nodes: a message is never HTML); earlier messages paged in from the events
// endpoint; an unread count while the chat cannot be seen (the drawer closed
// on a phone, or the tab in the background).

import { errorWords } from '../protocol.js';

/** How many events one "load earlier" request looks back (the endpoint's maximum). */
const WINDOW = 1000;
/** Stop looking back once this many earlier messages were found, or after this many requests. */
const PAGE = 50;
const MAX_REQUESTS = 10;
/** The welcome carries at most this many messages: as many means there may be more. */
const WELCOME_CHAT = 50;

/**
 * @typedef {{seq: number, at?: string, by: {session?: string, name: string}, event: {kind?: string, text: string}}} ChatEvent
 */

/** Splits a message into text and http(s) links, as DOM nodes.
 * @param {string} text @returns {Node[]} */
export function linkify(text) {
  /** @type {Node[]} */
  const out = [];
  const re = /\bhttps?:\/\/[^\s<>"]+/gi;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let raw = m[0];
    // punctuation that ends a sentence is not part of the link; a ")" only if unbalanced
    for (;;) {
      const end = raw.at(-1) ?? '';
      if (/[.,;:!?'\]}*]/.test(end) || (end === ')' && (raw.match(/\(/g)?.length ?? 0) < (raw.match(/\)/g)?.length ?? 0))) raw = raw.slice(0, -1);
      else break;
    }
    let url = null;
    try {
      url = new URL(raw);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    const a = document.createElement('a');
    a.href = url.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    a.textContent = raw;
    out.push(a);
    last = m.index + raw.length;
    re.lastIndex = last;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** @param {string | undefined} at @returns {HTMLTimeElement | null} */
function timeOf(at) {
  const d = at ? new Date(at) : null;
  if (!d || Number.isNaN(d.getTime())) return null;
  const t = document.createElement('time');
  t.dateTime = d.toISOString();
  t.title = fullFormat.format(d);
  t.textContent = d.toDateString() === new Date().toDateString() ? timeFormat.format(d) : dayTimeFormat.format(d);
  return t;
}

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn } = ctx;
  const log = /** @type {HTMLElement} */ (document.getElementById('chat-log'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('chat-form'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('chat-input'));
  const side = /** @type {HTMLElement} */ (document.getElementById('side'));
  const drawerToggle = /** @type {HTMLButtonElement | null} */ (document.getElementById('drawer-toggle'));

  const earlier = document.createElement('button');
  earlier.type = 'button';
  earlier.id = 'chat-earlier';
  earlier.className = 'chat-earlier';
  earlier.textContent = 'Load earlier messages';
  earlier.hidden = true;
  log.before(earlier);

  /** @param {ChatEvent} ev @returns {HTMLLIElement} */
  function item(ev) {
    const li = document.createElement('li');
    li.dataset.seq = String(ev.seq);
    const who = document.createElement('strong');
    who.textContent = ev.by.name;
    const text = document.createElement('span');
    text.className = 'chat-text';
    text.append(...linkify(ev.event.text));
    li.append(who, document.createTextNode(' '));
    const when = timeOf(ev.at);
    if (when) li.append(when, document.createTextNode(' '));
    li.append(text);
    return li;
  }

  /** @param {ChatEvent} ev */
  function add(ev) {
    if (log.querySelector(`li[data-seq="${ev.seq}"]`)) return;
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(item(ev));
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  /** @returns {number | null} the seq of the oldest message shown */
  function oldest() {
    const first = log.querySelector('li[data-seq]');
    return first ? Number(/** @type {HTMLElement} */ (first).dataset.seq) : null;
  }

  // load earlier: page backwards through the events, keeping the chat
  let loading = false;
  earlier.addEventListener('click', async () => {
    const from = oldest();
    if (loading || from === null) return;
    loading = true;
    earlier.disabled = true;
    earlier.textContent = 'Loading…';
    /** @type {ChatEvent[]} */
    const found = [];
    let before = from; // events with seq < before
    try {
      for (let i = 0; i < MAX_REQUESTS && before > 1 && found.length < PAGE; i++) {
        const after = Math.max(0, before - 1 - WINDOW);
        const q = new URLSearchParams({ after: String(after), limit: String(before - 1 - after) });
        const res = await fetch(`/api/boards/${encodeURIComponent(ctx.boardId)}/events?${q}`, {
          headers: { authorization: `Bearer ${conn.token}` },
        });
        if (!res.ok) throw new Error(String(res.status));
        const body = await res.json();
        const chats = /** @type {ChatEvent[]} */ (body.events ?? []).filter((e) => e.event?.kind === 'chat' && e.seq < before);
        found.unshift(...chats);
        before = after + 1;
      }
    } catch {
      ctx.toast('Earlier messages could not be loaded.');
    }
    // the newest PAGE of what was found goes on top, keeping what is in view where it is
    const shown = found.slice(-PAGE);
    const fromBottom = log.scrollHeight - log.scrollTop;
    const first = log.firstElementChild;
    for (const ev of shown) if (!log.querySelector(`li[data-seq="${ev.seq}"]`)) log.insertBefore(item(ev), first);
    log.scrollTop = log.scrollHeight - fromBottom;
    const top = shown.length ? shown[0].seq : before;
    earlier.hidden = top <= 1 || (before <= 1 && found.length <= PAGE);
    earlier.disabled = false;
    earlier.textContent = 'Load earlier messages';
    loading = false;
  });

  // unread: messages from others while the chat cannot be seen
  let unread = 0;
  const count = document.createElement('span');
  count.className = 'unread-count';
  count.hidden = true;
  drawerToggle?.append(count);
  /** @returns {boolean} */
  function chatVisible() {
    if (document.hidden) return false;
    const drawer = drawerToggle && getComputedStyle(drawerToggle).display !== 'none';
    return !drawer || side.classList.contains('open');
  }
  function showUnread() {
    count.hidden = unread === 0;
    count.replaceChildren(String(unread), Object.assign(document.createElement('span'), { className: 'sr-only', textContent: ' unread' }));
    const base = document.title.replace(/^\(\d+\) /, '');
    document.title = unread ? `(${unread}) ${base}` : base;
  }
  /** @param {ChatEvent} ev */
  function arrived(ev) {
    if (ev.by.session === ctx.session.me || chatVisible()) return;
    if (unread === 0) {
      // the marker goes before the first message not seen
      log.querySelector('.unread-marker')?.remove();
      const marker = document.createElement('li');
      marker.className = 'unread-marker';
      marker.textContent = 'New messages';
      log.querySelector(`li[data-seq="${ev.seq}"]`)?.before(marker);
    }
    unread += 1;
    showUnread();
  }
  function seen() {
    if (!unread || !chatVisible()) return;
    unread = 0;
    showUnread();
    const marker = log.querySelector('.unread-marker');
    if (marker) /** @type {HTMLElement} */ (marker.nextElementSibling ?? marker).scrollIntoView({ block: 'nearest' });
  }
  document.addEventListener('visibilitychange', seen);
  new MutationObserver(seen).observe(side, { attributes: true, attributeFilter: ['class'] });
  window.addEventListener('resize', seen);

  conn.addEventListener('welcome', (e) => {
    const w = /** @type {CustomEvent} */ (e).detail;
    if (w.recovered) return;
    log.replaceChildren();
    for (const ev of w.chat) add(ev);
    earlier.hidden = w.chat.length < WELCOME_CHAT || (oldest() ?? 0) <= 1;
    log.scrollTop = log.scrollHeight;
  });
  conn.addEventListener('event', (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (ev.event.kind !== 'chat') return;
    add(ev);
    arrived(ev);
    document.dispatchEvent(new CustomEvent('corkboard:chat', { detail: ev }));
  });
  conn.addEventListener('ended', () => {
    input.disabled = true;
    input.placeholder = 'The chat is closed';
    for (const b of form.querySelectorAll('button')) b.disabled = true;
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const reply = await conn.request({ type: 'chat.send', text });
    if (!reply.ok && !ctx.session.ended) {
      ctx.toast(errorWords(reply.error));
      if (!input.value) input.value = text;
    }
  });
}
