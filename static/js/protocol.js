// @ts-check
// The wire protocol's codes, in one place. The source of truth is
// docs/protocol.md (and shared/PROTOCOL.md, the contract it implements);
// change them there first. Limits are not here: they come from the server
// in the welcome (`welcome.limits`, `welcome.call.max`).

/** Client messages that are durable ops: sent with an op_id, kept until acknowledged. */
export const DURABLE_OPS = Object.freeze(['sticker.create', 'sticker.update', 'sticker.delete', 'board.rename', 'chat.send']);

/** The most stickers one sticker.drag moves besides its own (docs/protocol.md; src/protocol.rs DRAG_MORE_MAX). */
export const DRAG_MORE_MAX = 99;

/** Close codes (docs/protocol.md, "Limits and closes"), named as src/protocol.rs's CloseCode. */
export const CLOSE = Object.freeze({
  SHUTDOWN: 1001,
  PROTOCOL: 1002,
  BINARY: 1003,
  ABNORMAL: 1006, // no close frame: the browser's code for a refused upgrade or a dropped link
  BAD_UTF8: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  BOARD_UNAVAILABLE: 1011,
  TRY_AGAIN: 1013,
  KICKED: 4001,
  TOKEN_ROTATED: 4003,
  BOARD_DELETED: 4004,
  BOARD_MOVED: 4005, // another server took the board: reconnect at once (with since) and resend
});

/**
 * Why access ended, what the page says about it, and what the reader can do.
 * @typedef {'kicked' | 'kept_out' | 'revoked' | 'deleted'} EndReason
 * @type {Readonly<Record<EndReason, {title: string, what: string, todo: string}>>}
 */
export const ENDED = Object.freeze({
  kicked: {
    title: 'You were removed from this board',
    what: 'An admin ended your session. The board is read-only here now; nothing more is saved from this page.',
    todo: 'If you should still be here, reload the page to join again, or ask the board’s owner.',
  },
  kept_out: {
    title: 'You were removed from this board for a while',
    what: 'An admin removed you and keeps this browser out of the board for a time. The board is read-only here now.',
    todo: 'Try again later, or ask the board’s owner or an admin to let you back in.',
  },
  revoked: {
    title: 'This link no longer opens the board',
    what: 'The board’s links were changed, so the link you opened it with stopped working. The board is read-only here now.',
    todo: 'Ask the board’s owner for the current link.',
  },
  deleted: {
    title: 'This board was deleted',
    what: 'The board no longer exists. What you see is the last state this page had; nothing more can be saved.',
    todo: 'Create a new board from the home page, or ask the board’s owner.',
  },
});

/** @type {Readonly<Record<number, EndReason>>} */
export const ENDING_CLOSES = Object.freeze({
  [CLOSE.KICKED]: 'kicked',
  [CLOSE.TOKEN_ROTATED]: 'revoked',
  [CLOSE.BOARD_DELETED]: 'deleted',
});

/** An upgrade refused with one of these HTTP statuses means access ended too. */
/** @type {Readonly<Record<number, EndReason>>} */
export const ENDING_STATUSES = Object.freeze({ 403: 'revoked', 404: 'deleted' });

/** Error codes of replies, in words a member understands (no ids, no internals). */
export const ERRORS = Object.freeze({
  bad_request: 'The server did not accept that change.',
  forbidden: 'You may not do that on this board.',
  not_found: 'That sticker is gone: someone else removed it.',
  conflict: 'Someone else changed this at the same time.',
  too_large: 'That is too long.',
  limit_exceeded: 'This board has reached one of its limits.',
  rate_limited: 'You are sending changes too fast. Wait a moment and try again.',
  unavailable: 'The board cannot save changes right now, so that one was not saved. Try again in a moment.',
  internal: 'Something went wrong on the server.',
});

/**
 * @typedef {{max_text_chars?: number, max_stickers?: number, max_frame_bytes?: number,
 *   rate_per_s?: number, rate_burst?: number, max_title_chars?: number, max_name_chars?: number}} Limits
 */

/**
 * A sentence for an error reply; the server's message (which may hold ids)
 * goes to the console only.
 * @param {{code?: string, message?: string} | undefined} error
 * @returns {string}
 */
export function errorWords(error) {
  if (error?.message) console.info('server:', error.code, error.message);
  return (error?.code && /** @type {Record<string, string>} */ (ERRORS)[error.code]) || 'Something went wrong.';
}
