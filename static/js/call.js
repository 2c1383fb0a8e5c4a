// @ts-check
// A video/audio call inside the board: WebRTC mesh, the server relays the
// signaling. Perfect negotiation: the newcomer offers; when offers cross,
// the member whose session id sorts lower is polite and rolls back.
// Tiles show each member's name, initials when the camera is off, a sign
// when muted, and a highlight on whoever is speaking; any tile can be
// enlarged.

const SPEAKING_LEVEL = 0.02; // RMS of the signal, 0..1
// A speaker stays highlighted this long after the last loud sample, so that
// the highlight follows speech, not each syllable (and a short sound shows).
const SPEAKING_HOLD_MS = 1500;
const METER_MS = 150;

/** @param {string} name */
export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = [...(words[0] ?? '?')][0] ?? '?';
  const second = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return (first + second).toUpperCase();
}

export class Call {
  constructor(conn, { tiles, nameOf, toast, onChange }) {
    this.conn = conn;
    this.tiles = tiles;
    this.nameOf = nameOf;
    this.toast = toast;
    this.onChange = onChange;
    this.me = null;
    this.iceServers = [];
    this.max = null;
    this.audio = null; // AudioContext for the speaking meters
    this.meters = new Map(); // session -> AnalyserNode
    this.meterTimer = null;
    this.local = null;
    this.inCall = false;
    this.peers = new Map(); // session -> { pc, polite, makingOffer, ignoreOffer, tile }
    conn.addEventListener('welcome', (e) => this.onWelcome(e.detail));
    conn.addEventListener('call.left', (e) => this.closePeer(e.detail.session));
    conn.addEventListener('presence.left', (e) => this.closePeer(e.detail.session));
    conn.addEventListener('signal', (e) => this.onSignal(e.detail));
    conn.addEventListener('status', (e) => {
      if (e.detail.state !== 'connected' && this.inCall) this.hangUp('The connection dropped; you left the call.');
    });
  }

  onWelcome(w) {
    this.me = w.session;
    this.iceServers = w.call?.ice_servers ?? [];
    this.max = w.call?.max ?? null;
  }

  async join() {
    if (this.inCall) return;
    try {
      this.local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    } catch (err) {
      this.toast(`Camera or microphone not available: ${err.name === 'NotAllowedError' ? 'access was denied' : err.message}.`);
      return;
    }
    const reply = await this.conn.request({ type: 'call.join' });
    if (!reply.ok) {
      this.stopLocal();
      this.toast(
        reply.error.code === 'limit_exceeded'
          ? `The call is full${this.max ? ` (at most ${this.max} people)` : ''}. Try again when someone leaves.`
          : 'You could not join the call. Try again in a moment.',
      );
      return;
    }
    this.inCall = true;
    this.tile(this.me, 'You').srcObject = this.local;
    this.startMeters();
    this.meter(this.me, this.local);
    // the newcomer offers to everyone already in the call
    for (const peer of reply.peers) this.addTracks(this.peer(peer));
    this.onChange();
  }

  async leave() {
    if (!this.inCall) return;
    this.hangUp();
    await this.conn.request({ type: 'call.leave' });
  }

  hangUp(message) {
    for (const session of [...this.peers.keys()]) this.closePeer(session);
    this.stopLocal();
    this.removeTile(this.me);
    this.stopMeters();
    this.inCall = false;
    if (message) this.toast(message);
    this.onChange();
  }

  stopLocal() {
    for (const t of this.local?.getTracks() ?? []) t.stop();
    this.local = null;
  }

  toggle(kind) {
    const tracks = kind === 'audio' ? this.local?.getAudioTracks() : this.local?.getVideoTracks();
    for (const t of tracks ?? []) t.enabled = !t.enabled;
    return tracks?.[0]?.enabled ?? false;
  }

  addTracks(p) {
    if (p.tracksAdded) return;
    p.tracksAdded = true;
    for (const track of this.local?.getTracks() ?? []) p.pc.addTrack(track, this.local);
  }

  peer(session) {
    let p = this.peers.get(session);
    if (p) return p;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    p = { pc, polite: this.me < session, makingOffer: false, ignoreOffer: false, tracksAdded: false };
    this.peers.set(session, p);
    const video = this.tile(session, this.nameOf(session));
    pc.ontrack = ({ streams, track }) => {
      if (streams[0] && video.srcObject !== streams[0]) video.srcObject = streams[0];
      if (track.kind === 'audio' && streams[0]) this.meter(session, streams[0]);
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.signal(session, { candidate });
    };
    pc.onnegotiationneeded = async () => {
      try {
        p.makingOffer = true;
        await pc.setLocalDescription();
        this.signal(session, { description: pc.localDescription });
      } catch (err) {
        console.warn('negotiation failed', err);
      } finally {
        p.makingOffer = false;
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') pc.restartIce();
    };
    return p;
  }

  signal(to, payload) {
    this.conn.send({ type: 'signal', to, payload });
  }

  async onSignal({ from, payload }) {
    if (!this.inCall || !payload) return;
    const p = this.peer(from);
    const { pc } = p;
    try {
      if (payload.description) {
        const d = payload.description;
        const collision = d.type === 'offer' && (p.makingOffer || pc.signalingState !== 'stable');
        p.ignoreOffer = !p.polite && collision;
        if (p.ignoreOffer) return;
        await pc.setRemoteDescription(d); // a polite peer rolls back its own offer here
        if (d.type === 'offer') {
          // answering: our tracks go on the transceivers the offer made
          this.addTracks(p);
          await pc.setLocalDescription();
          this.signal(from, { description: pc.localDescription });
        }
      } else if (payload.candidate) {
        try {
          await pc.addIceCandidate(payload.candidate);
        } catch (err) {
          if (!p.ignoreOffer) throw err;
        }
      }
    } catch (err) {
      console.warn('signal failed', err);
    }
  }

  closePeer(session) {
    const p = this.peers.get(session);
    if (!p) return;
    p.pc.close();
    this.peers.delete(session);
    this.meters.delete(session);
    this.removeTile(session);
  }

  tile(session, name) {
    let fig = this.tiles.querySelector(`[data-session="${CSS.escape(session)}"]`);
    if (!fig) {
      fig = document.createElement('figure');
      fig.className = 'tile';
      fig.dataset.session = session;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      if (session === this.me) {
        video.muted = true; // no echo of one's own microphone
        fig.classList.add('me');
      }
      const face = document.createElement('div');
      face.className = 'initials';
      face.setAttribute('aria-hidden', 'true');
      face.textContent = initials(session === this.me ? this.nameOf(session) : name);
      const caption = document.createElement('figcaption');
      const label = document.createElement('span');
      label.className = 'who';
      label.textContent = name;
      const muted = document.createElement('span');
      muted.className = 'muted-sign';
      muted.textContent = 'muted';
      const camOff = document.createElement('span');
      camOff.className = 'cam-sign';
      camOff.textContent = 'camera off';
      caption.append(label, muted, camOff);
      const enlarge = document.createElement('button');
      enlarge.type = 'button';
      enlarge.className = 'tile-enlarge';
      enlarge.setAttribute('aria-pressed', 'false');
      enlarge.setAttribute('aria-label', `Enlarge the video of ${name}`);
      enlarge.textContent = '⤢';
      enlarge.addEventListener('click', () => this.enlarge(fig.classList.contains('enlarged') ? null : session));
      fig.append(video, face, caption, enlarge);
      this.tiles.append(fig);
    }
    return fig.querySelector('video');
  }

  /** Enlarges one tile (null: none). */
  enlarge(session) {
    for (const fig of this.tiles.querySelectorAll('.tile')) {
      const on = fig.dataset.session === session;
      fig.classList.toggle('enlarged', on);
      fig.querySelector('.tile-enlarge')?.setAttribute('aria-pressed', String(on));
    }
    this.tiles.classList.toggle('has-enlarged', !!session);
  }

  /** Shows a member's microphone and camera state on their tile. */
  setState(session, { mic, cam }) {
    const fig = this.tiles.querySelector(`[data-session="${CSS.escape(session)}"]`);
    if (!fig) return;
    fig.classList.toggle('mic-off', mic === false);
    fig.classList.toggle('cam-off', cam === false);
  }

  removeTile(session) {
    this.tiles.querySelector(`[data-session="${CSS.escape(session)}"]`)?.remove();
    if (!this.tiles.querySelector('.enlarged')) this.tiles.classList.remove('has-enlarged');
  }

  // ------------------------------------------------------------ who is speaking

  startMeters() {
    try {
      this.audio ??= new AudioContext();
      this.audio.resume?.();
    } catch {
      return;
    }
    clearInterval(this.meterTimer);
    const buf = new Float32Array(1024);
    /** @type {{session: string, at: number} | null} */
    let held = null;
    this.meterTimer = setInterval(() => {
      let loudest = null;
      let level = SPEAKING_LEVEL;
      for (const [session, an] of this.meters) {
        an.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        const rms = Math.sqrt(sum / buf.length);
        const fig = this.tiles.querySelector(`[data-session="${CSS.escape(session)}"]`);
        if (fig?.classList.contains('mic-off')) continue;
        if (rms > level) {
          level = rms;
          loudest = session;
        }
      }
      const now = performance.now();
      if (loudest) held = { session: loudest, at: now };
      else if (held && now - held.at < SPEAKING_HOLD_MS && this.meters.has(held.session)) {
        const fig = this.tiles.querySelector(`[data-session="${CSS.escape(held.session)}"]`);
        if (!fig?.classList.contains('mic-off')) loudest = held.session;
      }
      for (const fig of this.tiles.querySelectorAll('.tile')) fig.classList.toggle('speaking', fig.dataset.session === loudest);
    }, METER_MS);
  }

  meter(session, stream) {
    if (!this.audio || !stream.getAudioTracks().length) return;
    try {
      const src = this.audio.createMediaStreamSource(stream);
      const an = this.audio.createAnalyser();
      an.fftSize = 1024;
      src.connect(an);
      this.meters.set(session, an);
    } catch (err) {
      console.warn('no speaking meter', err);
    }
  }

  stopMeters() {
    clearInterval(this.meterTimer);
    this.meters.clear();
  }
}
