// @ts-check
// The front page: create a board, show its two links; list the boards this
// browser has created or opened (kept by the board page, board/recent.js).

import { wireCopyButtons } from './copy.js';
import { forget, readRecent, remember } from './board/recent.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('create-form'));
const error = /** @type {HTMLElement} */ (document.getElementById('create-error'));

/** @param {string} id @param {string} token */
const boardLink = (id, token) => `${location.origin}/b/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}`;

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const title = /** @type {HTMLInputElement} */ (document.getElementById('title')).value;
  let res;
  try {
    res = await fetch('/api/boards', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });
  } catch {
    return showError('The server cannot be reached.');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    // the server holds the rules (a title's length, …) and says which one failed
    const why = body.error?.message;
    return showError(why ? `That did not work: ${why}.` : `The server answered ${res.status}.`);
  }
  const link = (/** @type {string} */ token) => boardLink(body.id, token);
  const byId = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
  byId('created-title').textContent = body.title;
  byId('edit-link').value = link(body.edit_token);
  byId('view-link').value = link(body.view_token);
  byId('open-board').href = link(body.edit_token);
  byId('created').hidden = false;
  // a board made here is listed even if it is never opened
  remember({ id: body.id, title: body.title, role: 'editor', token: body.edit_token, visited: Date.now() });
  renderRecent();
});

wireCopyButtons();

/** @param {string} message */
function showError(message) {
  error.textContent = message;
  error.hidden = false;
}

// Your boards

const list = /** @type {HTMLUListElement} */ (document.getElementById('recent-list'));
const empty = /** @type {HTMLElement} */ (document.getElementById('recent-empty'));
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** @param {number} at ms since the epoch @returns {string} "5 minutes ago", "yesterday" */
function ago(at) {
  const s = Math.round((at - Date.now()) / 1000);
  /** @type {[Intl.RelativeTimeFormatUnit, number][]} */
  const units = [['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) if (Math.abs(s) >= size) return relative.format(Math.round(s / size), unit);
  return Math.abs(s) < 45 ? 'just now' : relative.format(s, 'second');
}

function renderRecent() {
  const boards = readRecent();
  empty.hidden = boards.length > 0;
  list.hidden = boards.length === 0;
  list.replaceChildren(
    ...boards.map((b) => {
      const li = document.createElement('li');
      li.dataset.boardId = b.id;
      li.dataset.role = b.role;
      const a = document.createElement('a');
      a.className = 'recent-title';
      a.href = boardLink(b.id, b.token);
      a.textContent = b.title || 'Untitled board';
      const role = document.createElement('span');
      role.className = `badge role-${b.role}`;
      role.textContent = b.role === 'editor' ? 'Editor' : 'Viewer';
      const when = document.createElement('time');
      when.className = 'recent-when';
      when.dateTime = new Date(b.visited).toISOString();
      when.title = new Date(b.visited).toLocaleString();
      when.textContent = ago(b.visited);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'recent-remove';
      remove.textContent = 'Remove';
      remove.title = 'Remove from this list (the board itself stays)';
      remove.setAttribute('aria-label', `Remove ${a.textContent} (${role.textContent.toLowerCase()}) from this list`);
      remove.addEventListener('click', () => {
        const next = li.nextElementSibling ?? li.previousElementSibling;
        forget(b.id, b.token);
        renderRecent();
        // keep the keyboard where it was: the next row's button, or the heading
        const focus = next && list.querySelector(`li[data-board-id="${CSS.escape(/** @type {HTMLElement} */ (next).dataset.boardId ?? '')}"] .recent-remove`);
        /** @type {HTMLElement} */ (focus ?? document.getElementById('recent-h'))?.focus?.();
      });
      const meta = document.createElement('span');
      meta.className = 'recent-meta';
      meta.append(role, when);
      li.append(a, meta, remove);
      return li;
    }),
  );
}

renderRecent();
// another tab opened a board, or time passed
window.addEventListener('storage', (e) => {
  if (e.key === null || e.key === 'corkboard.recent') renderRecent();
});
window.addEventListener('pageshow', (e) => {
  if (e.persisted) renderRecent();
});
setInterval(renderRecent, 60000);
