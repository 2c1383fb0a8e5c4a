// @ts-check
// The front page: create a board, show its two links.

import { wireCopyButtons } from './copy.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('create-form'));
const error = /** @type {HTMLElement} */ (document.getElementById('create-error'));

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
  const link = (token) => `${location.origin}/b/${encodeURIComponent(body.id)}?token=${encodeURIComponent(token)}`;
  const byId = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
  byId('created-title').textContent = body.title;
  byId('edit-link').value = link(body.edit_token);
  byId('view-link').value = link(body.view_token);
  byId('open-board').href = link(body.edit_token);
  byId('created').hidden = false;
});

wireCopyButtons();

/** @param {string} message */
function showError(message) {
  error.textContent = message;
  error.hidden = false;
}
