// @ts-check
// Renaming from the page: the board's title (editors: click it or the
// pencil; Enter saves, Escape cancels; everyone sees the new title), and
// this member's own name (everyone sees it at once; kept for next time).

import { errorWords } from '../protocol.js';

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn } = ctx;
  const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const title = byId('board-title');
  const pencil = /** @type {HTMLButtonElement} */ (byId('rename-board'));
  const form = /** @type {HTMLFormElement} */ (byId('title-form'));
  const input = /** @type {HTMLInputElement} */ (byId('title-input'));

  function startTitle() {
    if (!ctx.session.canEdit() || !form.hidden) return;
    input.value = title.textContent ?? '';
    title.hidden = true;
    pencil.hidden = true;
    form.hidden = false;
    input.focus();
    input.select();
  }

  /** @param {boolean} save */
  async function finishTitle(save) {
    if (form.hidden) return;
    const wanted = input.value.trim();
    const before = title.textContent ?? '';
    const refocus = document.activeElement === input;
    form.hidden = true;
    title.hidden = false;
    pencil.hidden = false;
    if (refocus) pencil.focus();
    if (!save || !wanted || wanted === before) return;
    title.textContent = wanted; // at once; the event confirms it
    const reply = await conn.request({ type: 'board.rename', title: wanted });
    if (!reply.ok) {
      if (title.textContent === wanted) title.textContent = before;
      ctx.toast(`The board was not renamed. ${errorWords(reply.error)}`);
    }
  }

  pencil.addEventListener('click', startTitle);
  title.addEventListener('click', startTitle);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    finishTitle(true);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      finishTitle(false);
    }
  });
  input.addEventListener('blur', () => finishTitle(true));
  conn.addEventListener('ended', () => finishTitle(false));

  // own name
  const dialog = /** @type {HTMLDialogElement} */ (byId('me-dialog'));
  const meForm = /** @type {HTMLFormElement} */ (byId('me-form'));
  const meInput = /** @type {HTMLInputElement} */ (byId('me-input'));
  byId('change-name').addEventListener('click', () => {
    meInput.value = ctx.session.name;
    dialog.showModal();
    meInput.select();
  });
  meForm.addEventListener('submit', async (e) => {
    const submitter = /** @type {SubmitEvent} */ (e).submitter;
    if (/** @type {HTMLButtonElement | null} */ (submitter)?.value !== 'save') return;
    const name = meInput.value.trim();
    if (!name || name === ctx.session.name) return;
    const reply = await conn.request({ type: 'presence.rename', name });
    if (!reply.ok) {
      ctx.toast(`Your name did not change. ${errorWords(reply.error)}`);
      return;
    }
    // the server shortens long names: keep what the others see
    const max = ctx.session.limits.max_name_chars ?? 64;
    const kept = [...name].slice(0, max).join('');
    ctx.session.name = kept;
    conn.name = kept; // a reconnect joins with it
    localStorage.setItem('corkboard.name', kept);
  });
}
