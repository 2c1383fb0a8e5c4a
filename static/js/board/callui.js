// @ts-check
// The call's buttons and what the others see of this member: microphone
// and camera state go out in the presence state so that every tile can
// show "muted" and initials when a camera is off.

import { Call } from '../call.js';

/** @param {import('./context.js').Ctx} ctx */
export function init(ctx) {
  const { conn } = ctx;
  const byId = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ (document.getElementById(id));
  const join = byId('call-join');
  const mic = byId('call-mic');
  const cam = byId('call-cam');
  const leave = byId('call-leave');
  const call = new Call(conn, {
    tiles: /** @type {HTMLElement} */ (document.getElementById('tiles')),
    nameOf: (/** @type {string} */ session) => (session === ctx.session.me ? ctx.session.name : ctx.members.nameOf(session)),
    toast: ctx.toast,
    onChange: () => {
      join.hidden = call.inCall;
      for (const b of [mic, cam, leave]) b.hidden = !call.inCall;
      if (call.inCall) {
        show(mic, true, 'Mute', 'Unmute');
        show(cam, true, 'Camera off', 'Camera on');
        ctx.members.presence({ mic: true, cam: true });
        refreshAll();
      } else ctx.members.presence({ mic: null, cam: null });
    },
  });

  /** @param {HTMLButtonElement} b @param {boolean} on @param {string} onText @param {string} offText */
  function show(b, on, onText, offText) {
    b.textContent = on ? onText : offText;
    b.setAttribute('aria-pressed', String(!on));
    b.classList.toggle('off', !on);
  }

  function refreshAll() {
    for (const fig of document.querySelectorAll('#tiles .tile')) {
      const session = /** @type {HTMLElement} */ (fig).dataset.session ?? '';
      const st = session === ctx.session.me ? { mic: mic.getAttribute('aria-pressed') !== 'true', cam: cam.getAttribute('aria-pressed') !== 'true' } : ctx.members.stateOf(session);
      call.setState(session, { mic: st.mic, cam: st.cam });
    }
  }

  join.addEventListener('click', () => call.join());
  leave.addEventListener('click', () => call.leave());
  mic.addEventListener('click', () => {
    const on = call.toggle('audio');
    show(mic, on, 'Mute', 'Unmute');
    ctx.members.presence({ mic: on });
    refreshAll();
  });
  cam.addEventListener('click', () => {
    const on = call.toggle('video');
    show(cam, on, 'Camera off', 'Camera on');
    ctx.members.presence({ cam: on });
    refreshAll();
  });
  for (const type of ['presence.updated', 'presence.joined', 'call.joined']) conn.addEventListener(type, () => setTimeout(refreshAll));
  // a tile appears when a peer's track arrives
  new MutationObserver(refreshAll).observe(/** @type {HTMLElement} */ (document.getElementById('tiles')), { childList: true });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.querySelector('#tiles .enlarged')) call.enlarge(null);
  });
}
