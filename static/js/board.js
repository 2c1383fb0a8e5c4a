// @ts-check
// The board page's entry: builds the shared context and starts each module.
// Every module exports an `init(ctx)` and does nothing on import; a feature
// is one module that reads the store and the context and adds to them.
// Everything the server sends is rendered as text, never as HTML.

import { Connection } from './connection.js';
import { Store } from './store.js';
import { toast, init as initNotify } from './board/notify.js';
import { init as initSession } from './board/session.js';
import { init as initView } from './board/view.js';
import { init as initRender } from './board/render.js';
import { init as initSelection } from './board/selection.js';
import { init as initActions } from './board/actions.js';
import { init as initUndo } from './board/undo.js';
import { init as initEditor } from './board/editor.js';
import { init as initMenu } from './board/menu.js';
import { init as initPointer } from './board/pointer.js';
import { init as initPreview } from './board/preview.js';
import { init as initClipboard } from './board/clipboard.js';
import { init as initKeyboard } from './board/keyboard.js';
import { init as initToolbar } from './board/toolbar.js';
import { init as initMembers } from './board/members.js';
import { init as initChat } from './board/chat.js';
import { init as initExport } from './board/export.js';
import { init as initStatus } from './board/status.js';
import { init as initLayout } from './board/layout.js';
import { init as initCall } from './board/callui.js';
import { init as initRecent } from './board/recent.js';
import { init as initNavigate } from './board/navigate.js';
import { init as initFind } from './board/find.js';
import { init as initMinimap } from './board/minimap.js';
import { init as initRename } from './board/rename.js';
import { init as initRestored } from './board/restored.js';

/** @returns {Promise<string>} the member's display name, asked once per browser */
function askName() {
  const saved = localStorage.getItem('corkboard.name');
  if (saved) return Promise.resolve(saved);
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('name-dialog'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('name-input'));
  return new Promise((resolve) => {
    /** @type {HTMLFormElement} */ (document.getElementById('name-form')).addEventListener('submit', () => {
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

async function main() {
  const viewport = /** @type {HTMLElement} */ (document.getElementById('viewport'));
  const world = /** @type {HTMLElement} */ (document.getElementById('world'));
  const boardId = viewport.dataset.boardId ?? '';
  const token = new URLSearchParams(location.search).get('token') ?? '';
  initLayout(); // the phone layout works before the name is known
  const name = await askName();
  const conn = new Connection({ boardId, token, name });
  /** @type {import('./board/context.js').Ctx} */
  const ctx = /** @type {any} */ ({ viewport, world, boardId, conn, store: new Store(), toast });
  // order: what others call at init time comes first
  for (const init of [initNotify, initSession, initView, initRender, initSelection, initActions, initUndo, initEditor,
    initMenu, initPreview, initPointer, initKeyboard, initClipboard, initToolbar, initMembers, initChat, initExport, initStatus, initCall, initRecent,
    initNavigate, initFind, initMinimap, initRename, initRestored]) init(ctx);
  conn.connect();
}

main();
