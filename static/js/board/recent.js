// @ts-check
// "Your boards": each welcome remembers this board in localStorage (its id,
// title, role, the token the page was opened with, the time of the visit),
// so that the home page (home.js) can list the boards this browser knows.

export const RECENT_KEY = 'corkboard.recent';
export const RECENT_MAX = 50;

/**
 * @typedef {Object} RecentBoard
 * @property {string} id
 * @property {string} title
 * @property {'editor' | 'viewer'} role
 * @property {string} token
 * @property {number} visited ms since the epoch
 */

/** @returns {RecentBoard[]} newest first; whatever is malformed is left out */
export function readRecent() {
  let list;
  try {
    list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list
    .filter((b) => b && typeof b.id === 'string' && typeof b.token === 'string' && typeof b.visited === 'number')
    .map((b) => /** @type {RecentBoard} */ ({ id: b.id, title: String(b.title ?? ''), role: b.role === 'editor' ? 'editor' : 'viewer', token: b.token, visited: b.visited }))
    .sort((a, b) => b.visited - a.visited);
}

/** @param {RecentBoard[]} list */
export function writeRecent(list) {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
  } catch {
    // storage full or refused: the list is a convenience
  }
}

/** Puts a board first; one row per board and token (an edit and a view link are two rows).
 * @param {RecentBoard} entry */
export function remember(entry) {
  writeRecent([entry, ...readRecent().filter((b) => !(b.id === entry.id && b.token === entry.token))]);
}

/** @param {string} id @param {string} token */
export function forget(id, token) {
  writeRecent(readRecent().filter((b) => !(b.id === id && b.token === token)));
}

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn } = ctx;
  /** @type {RecentBoard | null} */
  let entry = null;
  conn.addEventListener('welcome', (e) => {
    const w = /** @type {CustomEvent} */ (e).detail;
    entry = { id: w.board.id ?? ctx.boardId, title: w.board.title, role: w.role, token: conn.token, visited: Date.now() };
    remember(entry);
  });
  conn.addEventListener('event', (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (ev.event.kind !== 'board.renamed' || !entry) return;
    entry = { ...entry, title: ev.event.title };
    // a rename keeps the row where it is
    writeRecent(readRecent().map((b) => (b.id === entry?.id && b.token === entry.token ? { ...b, title: ev.event.title } : b)));
  });
}
