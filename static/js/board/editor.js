// @ts-check
// Editing a sticker's text in place. A save checks the version it started
// from: if someone else saved first, a dialog shows both texts. If someone
// deletes the sticker meanwhile, the text is not lost: a dialog offers to
// keep it on a new sticker.

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { store, conn } = ctx;
  /** @type {{id: string, area: HTMLTextAreaElement, original: string, finish: (save: boolean) => string | null} | null} */
  let current = null;

  /** @param {string} id */
  function start(id) {
    if (!ctx.session.canEdit() || current) return;
    const s = store.get(id);
    const el = ctx.render.element(id);
    const text = ctx.render.textOf(id);
    if (!s || !el || !text) return;
    // the version the server will be at once our own changes in flight land
    const base = store.confirmed.get(id);
    let version = base?.version;
    if (version !== undefined) for (const op of store.ops.values()) if (op.id === id && op.kind === 'update') version += 1;
    const area = document.createElement('textarea');
    area.className = 'text-edit';
    area.value = s.text;
    const max = ctx.session.limits.max_text_chars;
    if (max) area.maxLength = max;
    area.setAttribute('aria-label', 'Sticker text (Ctrl+Enter or Escape to finish)');
    text.hidden = true;
    el.classList.add('editing');
    el.append(area);
    area.focus({ preventScroll: true });
    area.setSelectionRange(area.value.length, area.value.length);
    ctx.members.presence({ editing: id });

    /** @param {boolean} save @returns {string | null} the text when it was not saved and differs */
    const finish = (save) => {
      if (current?.area !== area) return null;
      current = null;
      const value = area.value;
      const hadFocus = document.activeElement === area;
      area.remove();
      text.hidden = false;
      el.classList.remove('editing');
      ctx.members.presence({ editing: null });
      const now = store.get(id);
      if (save && now && value !== s.text) {
        ctx.actions.update(id, { text: value }, { ifVersion: version, before: { text: s.text }, quiet: true }).then((reply) => {
          if (!reply || reply.ok) return;
          if (reply.error?.code === 'conflict' && reply.error.sticker) resolveConflict(id, value, reply.error.sticker);
          else if (reply.error?.code === 'not_found') lost(id, value, s, null);
          else if (!ctx.session.ended) ctx.toast(`Your text was not saved: ${reply.error?.code === 'too_large' ? 'it is too long.' : 'the server refused it.'}`);
        });
      }
      if (hadFocus && now) ctx.selection.set(id, { focus: true });
      return value !== s.text ? value : null;
    };
    current = { id, area, original: s.text, finish };
    area.addEventListener('blur', () => finish(true));
    area.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Escape') finish(false);
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) finish(true);
    });
  }

  // someone else deleted the sticker being edited: keep the text
  store.addEventListener('deleted', (e) => {
    const { id, by } = /** @type {CustomEvent} */ (e).detail;
    if (current?.id !== id) return;
    const { area, original } = current;
    const value = area.value;
    current = null;
    area.remove();
    ctx.members.presence({ editing: null });
    const last = store.get(id);
    lost(id, value, last ?? null, by?.name ?? null, original);
  });

  /**
   * @param {string} id
   * @param {string} text
   * @param {import('./context.js').Sticker | null} was the sticker as it was, for a new one in its place
   * @param {string | null} who
   * @param {string} [original]
   */
  function lost(id, text, was, who, original) {
    if (!text.trim() || text === original) {
      ctx.toast(`${who ?? 'Someone'} deleted the sticker you were editing.`);
      return;
    }
    const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('lost-dialog'));
    /** @type {HTMLElement} */ (document.getElementById('lost-who')).textContent =
      `${who ?? 'Someone'} deleted the sticker you were editing. Your text was not saved:`;
    /** @type {HTMLElement} */ (document.getElementById('lost-text')).textContent = text;
    const keep = /** @type {HTMLButtonElement} */ (document.getElementById('lost-keep'));
    const at = was ? { x: was.x + was.w / 2, y: was.y + was.h / 2 } : ctx.view.center();
    const color = was?.color;
    keep.onclick = () => {
      dialog.close();
      ctx.actions.create(at, { edit: false, text, color });
    };
    /** @type {HTMLButtonElement} */ (document.getElementById('lost-discard')).onclick = () => dialog.close();
    if (!dialog.open) dialog.showModal();
    keep.focus();
  }

  /** @param {string} id @param {string} mine @param {import('./context.js').Sticker} theirs */
  function resolveConflict(id, mine, theirs) {
    const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('conflict-dialog'));
    /** @type {HTMLElement} */ (document.getElementById('conflict-theirs')).textContent = theirs.text;
    /** @type {HTMLElement} */ (document.getElementById('conflict-mine')).textContent = mine;
    const done = () => dialog.close();
    /** @type {HTMLButtonElement} */ (document.getElementById('keep-theirs')).onclick = done;
    /** @type {HTMLButtonElement} */ (document.getElementById('keep-mine')).onclick = () => {
      done();
      ctx.actions.update(id, { text: mine }, { ifVersion: theirs.version });
    };
    dialog.showModal();
  }

  ctx.editor = {
    start,
    editing: () => current?.id ?? null,
    stop: (save) => current?.finish(save) ?? null,
  };
  void conn;
}
