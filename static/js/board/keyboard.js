// @ts-check
// Keyboard shortcuts. Board keys (Delete, Enter, arrows, Escape…) act only
// while focus is on the board or a sticker, never on a toolbar button or in
// the sidebar; undo and redo work anywhere but in a text field.

const NUDGE = 10;
const NUDGE_BIG = 50;
const NUDGE_SAVE_MS = 400; // a burst of nudges is saved once

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { viewport, store } = ctx;
  /** @type {{id: string, orig: {x: number, y: number}, timer: ReturnType<typeof setTimeout>} | null} */
  let nudge = null;

  function saveNudge() {
    if (!nudge) return;
    const { id, orig, timer } = nudge;
    clearTimeout(timer);
    nudge = null;
    const local = store.local?.id === id ? store.local.patch : null;
    if (local) ctx.actions.update(id, { x: /** @type {number} */ (local.x), y: /** @type {number} */ (local.y) }, { before: orig });
    store.clearLocal();
  }

  /** @param {string} id @param {number} dx @param {number} dy */
  function nudgeBy(id, dx, dy) {
    const s = store.get(id);
    if (!s) return;
    if (nudge && nudge.id !== id) saveNudge();
    if (!nudge) nudge = { id, orig: { x: s.x, y: s.y }, timer: setTimeout(saveNudge, NUDGE_SAVE_MS) };
    clearTimeout(nudge.timer);
    nudge.timer = setTimeout(saveNudge, NUDGE_SAVE_MS);
    const x = s.x + dx;
    const y = s.y + dy;
    store.setLocal(id, { x, y });
    ctx.conn.send({ type: 'sticker.drag', id, x, y });
    ctx.view.ensureVisible({ ...s, x, y });
  }

  const shortcuts = /** @type {HTMLDialogElement | null} */ (document.getElementById('keys-dialog'));
  document.getElementById('show-keys')?.addEventListener('click', () => shortcuts?.showModal());

  document.addEventListener('keydown', (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    if (t.closest('input, textarea, select, dialog, [contenteditable="true"], #context-menu')) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (mod && key === 'z') {
      e.preventDefault();
      saveNudge();
      return e.shiftKey ? ctx.undo.redo() : ctx.undo.undo();
    }
    if (mod && key === 'y') {
      e.preventDefault();
      return ctx.undo.redo();
    }
    if (key === '?' && !mod) {
      e.preventDefault();
      return shortcuts?.showModal();
    }
    if (!viewport.contains(t)) return;
    const id = ctx.selection.id();
    const s = id ? store.get(id) : undefined;
    const edit = ctx.session.canEdit();
    if (key === 'Escape') {
      if (id) {
        e.preventDefault();
        saveNudge();
        ctx.selection.set(null);
        viewport.focus({ preventScroll: true });
      }
    } else if (key.startsWith('Arrow')) {
      e.preventDefault();
      const dir = /** @type {'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown'} */ (key);
      if (mod || !s || !edit || e.altKey) {
        saveNudge();
        return ctx.selection.move(dir);
      }
      const step = e.shiftKey ? NUDGE_BIG : NUDGE;
      const [dx, dy] = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[dir];
      nudgeBy(s.id, dx, dy);
    } else if ((key === 'Enter' || key === 'F2') && s && edit) {
      e.preventDefault();
      saveNudge();
      ctx.editor.start(s.id);
    } else if ((key === 'Delete' || key === 'Backspace') && s && edit) {
      e.preventDefault();
      saveNudge();
      ctx.actions.remove(s.id);
    } else if (key === 'n' && !mod && !e.altKey && edit) {
      e.preventDefault();
      ctx.actions.create(ctx.view.center());
    } else if (key === 'ContextMenu' || (key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      const el = s ? ctx.render.element(s.id) : null;
      const r = (el ?? viewport).getBoundingClientRect();
      ctx.menu.open({ clientX: r.left + Math.min(r.width / 2, 40), clientY: r.top + Math.min(r.height / 2, 40) }, s?.id ?? null);
    } else if ((key === '+' || key === '=') && !mod) {
      ctx.view.zoomBy(1.25);
    } else if (key === '-' && !mod) {
      ctx.view.zoomBy(0.8);
    } else if (key === '0' && !mod) {
      ctx.view.reset();
    }
  });
}
