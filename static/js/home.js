// The front page: create a board, show its two links.

import { wireCopyButtons } from './copy.js';

const form = document.getElementById('create-form');
const error = document.getElementById('create-error');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const title = document.getElementById('title').value;
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
  if (!res.ok) return showError(body.error?.message ?? `The server answered ${res.status}.`);
  const link = (token) => `${location.origin}/b/${encodeURIComponent(body.id)}?token=${encodeURIComponent(token)}`;
  document.getElementById('created-title').textContent = body.title;
  document.getElementById('edit-link').value = link(body.edit_token);
  document.getElementById('view-link').value = link(body.view_token);
  document.getElementById('open-board').href = link(body.edit_token);
  document.getElementById('created').hidden = false;
});

wireCopyButtons();

function showError(message) {
  error.textContent = message;
  error.hidden = false;
}
