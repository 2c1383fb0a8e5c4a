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
 * @property {() => {x: number, y: number, w: number, h: number}} visibleRect the world rectangle in view
 * @property {(p: {x: number, y: number}, scale?: number) => void} centerOn puts a world point in the middle
 * @property {(rect: {x: number, y: number, w: number, h: number}, opts?: {maxScale?: number}) => void} fitRect shows a world rectangle whole
 *
 * @typedef {Object} Selection one or more selected stickers; one of them (the last chosen) is the focused one
 * @property {() => string | null} id the focused selected sticker
 * @property {() => string | null} get the same as id
 * @property {() => string[]} ids every selected sticker, the focused one first
 * @property {(id: string) => boolean} has
 * @property {(id: string | null, opts?: {focus?: boolean}) => void} set select only this one (null: none)
 * @property {(ids: Iterable<string>, opts?: {focus?: boolean, primary?: string}) => void} setMany
 * @property {(id: string) => void} toggle add it to the selection, or take it out
 * @property {() => void} all select every sticker
 * @property {(dir: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown', opts?: {add?: boolean}) => void} move focus the nearest sticker that way (add: to the selection)
 * @property {(id: string | string[]) => void} focusAfterRemoval focus a neighbour (or the board) before these go
 *
 * @typedef {Object} Actions durable changes: shown at once, sent with an op_id, undoable
 * @property {(at: {x: number, y: number}, opts?: {edit?: boolean, color?: string, text?: string}) => string | null} create
 * @property {(id: string, patch: Patch, opts?: {record?: boolean, ifVersion?: number, before?: Patch, quiet?: boolean}) => Promise<import('../connection.js').Reply | null>} update
 * @property {(id: string, opts?: {record?: boolean}) => void} remove
 * @property {(stickers: import('./actions.js').NewSticker[]) => string[]} createMany as one undo step; answers the ids made (fewer when the board fills)
 * @property {(patches: Map<string, Patch>, opts?: {before?: Map<string, Patch>}) => void} updateMany as one undo step
 * @property {(ids: string[]) => void} removeMany as one undo step
 * @property {(ids: string[]) => void} toFront above every other sticker, in their order, as one undo step
 * @property {(msg: any) => void} replay an undo/redo step
 * @property {() => string} color the colour of new stickers
 *
 * @typedef {Object} Preview this page's drag previews to the others (ephemeral sticker.drag, paced)
 * @property {(id: string, x: number, y: number, size?: {w: number, h: number}) => void} send
 * @property {(moves: Map<string, {x: number, y: number}>) => void} many a selection moved: the first ones (the focused one first) take turns
 * @property {() => void} cancel drop those not sent yet
 * @property {(ms: number) => number} every the interval wanted, longer if the server's rate limit asks for it
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
 * @property {Preview} preview
 * @property {{copy: () => void, duplicate: () => void, paste: (at?: {x: number, y: number}) => Promise<void>}} clipboard
 * @property {{element: (id: string) => HTMLElement | undefined, textOf: (id: string) => HTMLElement | undefined}} render
 * @property {Selection} selection
 * @property {Actions} actions
 * @property {{record: (forward: any, inverse: any) => void, group: <T>(fn: () => T) => T, undo: () => void, redo: () => void}} undo
 * @property {{start: (id: string) => void, editing: () => string | null, stop: (save: boolean) => string | null}} editor
 * @property {{open: (at: {clientX: number, clientY: number}, id: string | null) => void, close: () => void}} menu
 * @property {{nameOf: (session: string) => string, colorOf: (session: string) => string, presence: (patch: Record<string, unknown>) => void, stateOf: (session: string) => Record<string, any>}} members
 */

export {};
