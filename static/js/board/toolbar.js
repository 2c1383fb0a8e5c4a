// @ts-check
// The toolbar: add a sticker, the colour of new stickers, and buttons that
// act on the selected stickers (disabled while nothing is selected).

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const byId = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ (document.getElementById(id));
  byId('add-sticker').addEventListener('click', () => ctx.actions.create(ctx.view.center()));

  const swatches = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('#palette .swatch')]);
  for (const swatch of swatches) {
    swatch.style.background = swatch.dataset.color ?? '';
    swatch.addEventListener('click', () => {
      for (const other of swatches) other.setAttribute('aria-pressed', String(other === swatch));
      document.dispatchEvent(new CustomEvent('corkboard:color', { detail: swatch.dataset.color }));
      const add = byId('add-sticker');
      add.style.setProperty('--new-color', swatch.dataset.color ?? '');
    });
  }
  byId('add-sticker').style.setProperty('--new-color', ctx.actions.color());

  const front = byId('to-front');
  const del = byId('delete-sticker');
  const selectionButtons = () => {
    const none = !ctx.selection.id();
    front.disabled = none;
    del.disabled = none;
  };
  front.addEventListener('click', () => ctx.actions.toFront(ctx.selection.ids()));
  del.addEventListener('click', () => ctx.actions.removeMany(ctx.selection.ids()));
  // pressing a toolbar button must not take the selection away
  for (const b of [front, del]) b.addEventListener('pointerdown', (e) => e.preventDefault());
  document.addEventListener('corkboard:selection', selectionButtons);
  selectionButtons();
}
