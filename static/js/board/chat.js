// @ts-check
// The board's chat: the last messages from the welcome, then live ones.

import { errorWords } from '../protocol.js';

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn } = ctx;
  const log = /** @type {HTMLElement} */ (document.getElementById('chat-log'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('chat-form'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('chat-input'));

  /** @param {{by: {name: string}, event: {text: string}}} ev */
  function add(ev) {
    const li = document.createElement('li');
    const who = document.createElement('strong');
    who.textContent = ev.by.name;
    const text = document.createElement('span');
    text.textContent = ev.event.text;
    li.append(who, document.createTextNode(' '), text);
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(li);
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  conn.addEventListener('welcome', (e) => {
    const w = /** @type {CustomEvent} */ (e).detail;
    if (w.recovered) return;
    log.replaceChildren();
    for (const ev of w.chat) add(ev);
    log.scrollTop = log.scrollHeight;
  });
  conn.addEventListener('event', (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (ev.event.kind !== 'chat') return;
    add(ev);
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
