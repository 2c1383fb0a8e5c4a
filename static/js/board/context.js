// @ts-check
// Types only: the context every board module's `init` receives. Each module
// adds its small API to it (ctx.view, ctx.selection, …) and uses the others'
// at run time, never at import.

/**
 * @typedef {import('../store.js').Sticker} Sticker
 * @typedef {import('../store.js').Patch} Patch
 *
 * @typedef {Object} Session what the welcome said about this page
 * @property {string | null} me this page's session id
 * @property {'editor' | 'viewer' | null} role
 * @property {string} name
 * @property {import('../protocol.js').Limits} limits from the server
 * @property {number | null} callMax
 * @property {import('../protocol.js').EndReason | null} ended access ended: read-only for good
 * @property {() => boolean} canEdit an editor whose access has not ended
 *
 * @typedef {Object} View pan and zoom
 * @property {(clientX: number, clientY: number) => {x: number, y: number}} toWorld
 * @property {() => {x: number, y: number}} center the world point at the middle of the board
 * @property {(factor: number, clientX?: number, clientY?: number) => void} zoomBy
 * @property {(dx: number, dy: number) => void} panBy
 * @property {() => void} reset
 * @property {(s: Sticker) => void} ensureVisible pans (never scrolls) so that a sticker is in view
 * @property {() => number} scale
 *
 * @typedef {Object} Selection
 * @property {() => string | null} id
 * @property {(id: string | null, opts?: {focus?: boolean}) => void} set
 * @property {(dir: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown') => void} move focus the nearest sticker that way
 * @property {(id: string) => void} focusAfterRemoval focus a neighbour (or the board) before id goes
 *
 * @typedef {Object} Actions durable changes: shown at once, sent with an op_id, undoable
 * @property {(at: {x: number, y: number}, opts?: {edit?: boolean, color?: string, text?: string}) => string | null} create
 * @property {(id: string, patch: Patch, opts?: {record?: boolean, ifVersion?: number, before?: Patch, quiet?: boolean}) => Promise<import('../connection.js').Reply | null>} update
 * @property {(id: string, opts?: {record?: boolean}) => void} remove
 * @property {(msg: any) => void} replay an undo/redo step
 * @property {() => string} color the colour of new stickers
 *
 * @typedef {Object} Ctx
 * @property {HTMLElement} viewport
 * @property {HTMLElement} world
 * @property {string} boardId
 * @property {import('../connection.js').Connection} conn
 * @property {import('../store.js').Store} store
 * @property {(message: string) => void} toast
 * @property {Session} session
 * @property {View} view
 * @property {{element: (id: string) => HTMLElement | undefined, textOf: (id: string) => HTMLElement | undefined}} render
 * @property {Selection} selection
 * @property {Actions} actions
 * @property {{record: (forward: any, inverse: any) => void, undo: () => void, redo: () => void}} undo
 * @property {{start: (id: string) => void, editing: () => string | null, stop: (save: boolean) => string | null}} editor
 * @property {{open: (at: {clientX: number, clientY: number}, id: string | null) => void, close: () => void}} menu
 * @property {{nameOf: (session: string) => string, colorOf: (session: string) => string, presence: (patch: Record<string, unknown>) => void, stateOf: (session: string) => Record<string, any>}} members
 */

export {};
