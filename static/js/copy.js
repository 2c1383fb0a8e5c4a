// @ts-check
// "Copy" buttons beside read-only inputs: <button data-copy="input-id">.
// Without JavaScript the buttons stay hidden and the inputs can be
// selected and copied by hand.

/** @param {ParentNode} [root] */
export function wireCopyButtons(root = document) {
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (root.querySelectorAll('[data-copy]'))) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const input = /** @type {HTMLInputElement} */ (document.getElementById(button.dataset.copy ?? ''));
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        document.execCommand('copy');
      }
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = 'Copy'), 1500);
    });
  }
}
