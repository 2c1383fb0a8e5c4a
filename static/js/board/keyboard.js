// @ts-check
// Keyboard shortcuts. Board keys (Delete, Enter, arrows, Escape…) act only
// while focus is on the board or a sticker, never on a toolbar button or in
// the sidebar; undo and redo work anywhere but in a text field. Moves and
// deletes act on every selected sticker (one undo step).

const NUDGE = 10;
const NUDGE_BIG = 50;
const NUDGE_SAVE_MS = 400; // a burst of nudges is saved once

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { viewport, store } = ctx;
  /** @type {{key: string, origs: Map<string, {x: number, y: number}>, timer: ReturnType<typeof setTimeout>} | null} */
  let nudge = null;

  function saveNudge() {
    if (!nudge) return;
    const { origs, timer } = nudge;
    clearTimeout(timer);
    nudge = null;
    ctx.preview.cancel();
    /** @type {Map<string, import('./context.js').Patch>} */
    const patches = new Map();
    for (const id of origs.keys()) {
      const local = store.localOf(id);
      if (local) patches.set(id, { x: local.x, y: local.y });
    }
    ctx.actions.updateMany(patches, { before: origs });
    store.clearLocal();
  }

  /** @param {string[]} ids the focused one first @param {number} dx @param {number} dy */
  function nudgeBy(ids, dx, dy) {
    const key = [...ids].sort().join();
    if (nudge && nudge.key !== key) saveNudge();
    /** @type {Map<string, {x: number, y: number}>} */
    const moves = new Map();
    for (const id of ids) {
      const s = store.get(id);
      if (s) moves.set(id, { x: s.x + dx, y: s.y + dy });
    }
    if (!moves.size) return;
    if (!nudge) nudge = { key, origs: new Map([...moves].map(([id, p]) => [id, { x: p.x - dx, y: p.y - dy }])), timer: setTimeout(saveNudge, NUDGE_SAVE_MS) };
    clearTimeout(nudge.timer);
    nudge.timer = setTimeout(saveNudge, NUDGE_SAVE_MS);
    store.setLocals(moves);
    ctx.preview.many(moves);
    const first = store.get(ids[0]);
    if (first) ctx.view.ensureVisible(first);
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
    if (mod && key === 'a' && !e.altKey) {
      e.preventDefault();
      saveNudge();
      ctx.selection.all();
    } else if (key === 'Escape') {
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
        return ctx.selection.move(dir, { add: mod && e.shiftKey });
      }
      const step = e.shiftKey ? NUDGE_BIG : NUDGE;
      const [dx, dy] = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[dir];
      nudgeBy(ctx.selection.ids(), dx, dy);
    } else if ((key === 'Enter' || key === 'F2') && s && edit) {
      e.preventDefault();
      saveNudge();
      ctx.editor.start(s.id);
    } else if ((key === 'Delete' || key === 'Backspace') && s && edit) {
      e.preventDefault();
      saveNudge();
      const ids = ctx.selection.ids();
      if (ids.length > 1) ctx.actions.removeMany(ids);
      else ctx.actions.remove(s.id);
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
