// @ts-check
// Undo and redo of this page's own changes (each a message and its inverse).

const DEPTH = 200;

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  /** @type {{forward: any, inverse: any}[]} */
  let done = [];
  /** @type {{forward: any, inverse: any}[]} */
  let undone = [];
  const buttons = { undo: document.getElementById('undo'), redo: document.getElementById('redo') };
  const show = () => {
    if (buttons.undo instanceof HTMLButtonElement) buttons.undo.disabled = !done.length;
    if (buttons.redo instanceof HTMLButtonElement) buttons.redo.disabled = !undone.length;
  };
  ctx.undo = {
    record(forward, inverse) {
      done.push({ forward, inverse });
      if (done.length > DEPTH) done.shift();
      undone = [];
      show();
    },
    undo() {
      const step = done.pop();
      if (!step) return;
      undone.push(step);
      ctx.actions.replay(step.inverse);
      show();
    },
    redo() {
      const step = undone.pop();
      if (!step) return;
      done.push(step);
      ctx.actions.replay(step.forward);
      show();
    },
  };
  buttons.undo?.addEventListener('click', () => ctx.undo.undo());
  buttons.redo?.addEventListener('click', () => ctx.undo.redo());
  ctx.conn.addEventListener('ended', () => {
    done = [];
    undone = [];
    show();
  });
  show();
}
