// @ts-check
// Undo and redo of this page's own changes (each a message and its inverse).
// Changes made inside `group` (a selection moved, recoloured, deleted; a
// paste) are one step: a `batch` of messages, undone in reverse order.

const DEPTH = 200;

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  /** @type {{forward: any, inverse: any}[]} */
  let done = [];
  /** @type {{forward: any, inverse: any}[]} */
  let undone = [];
  const buttons = { undo: document.getElementById('undo'), redo: document.getElementById('redo') };
  /** @type {{forward: any, inverse: any}[] | null} the steps of the group being made */
  let collecting = null;
  /** @param {{forward: any, inverse: any}} step */
  const push = (step) => {
    done.push(step);
    if (done.length > DEPTH) done.shift();
    undone = [];
    show();
  };
  const show = () => {
    if (buttons.undo instanceof HTMLButtonElement) buttons.undo.disabled = !done.length;
    if (buttons.redo instanceof HTMLButtonElement) buttons.redo.disabled = !undone.length;
  };
  ctx.undo = {
    record(forward, inverse) {
      if (collecting) collecting.push({ forward, inverse });
      else push({ forward, inverse });
    },
    group(fn) {
      if (collecting) return fn(); // nested: part of the outer group
      const steps = (collecting = []);
      try {
        return fn();
      } finally {
        collecting = null;
        if (steps.length === 1) push(steps[0]);
        else if (steps.length > 1) {
          push({
            forward: { type: 'batch', steps: steps.map((s) => s.forward) },
            inverse: { type: 'batch', steps: steps.map((s) => s.inverse).reverse() },
          });
        }
      }
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
