// One participant's link to the room: the signaling WebSocket (protocol in docs/room-protocol.md)
// and the WebRTC peer it sets up. The room always offers; this side answers. When the socket
// or the peer drops, it comes back by itself with the `resume` key from the welcome.
import type {
  Change,
  ClientMessage_Deserialize as ClientMessage,
  Edit,
  IceServer_Serialize as IceServer,
  ServerMessage_Serialize as ServerMessage,
} from "../bindings";
import { FINAL_ERRORS, PROTOCOL_VERSION, RETRY_MS } from "../roomProtocol";

const DEVICE_KEY = "boardroom.device";
/** Candidates found by then go into the answer: a STUN or TURN server that does not answer holds nobody up. */
const GATHER_LIMIT_MS = 3000;

/** How this page's audio reaches the room: the selected candidate pair's types. */
export type Route = { local: string; remote: string; remotePort: number; protocol: string; relayProtocol: string | null };

export type Handlers = {
  /** Any message from the room that the page shows (welcome, participants, levels, board changes…). */
  onMessage: (message: ServerMessage) => void;
  /** A remote participant's (or the host's) media arrived, keyed by the sender's stream id. */
  onTrack: (track: MediaStreamTrack, stream: MediaStream) => void;
  /** The link dropped; it is being re-established. */
  onReconnecting: (reason: string) => void;
  /** The room closed this connection for good (ended, removed, refused); no retry. */
  onClosed: (reason: string) => void;
};

/** Why an edit was not applied. The changes that made it stale arrive as board changes. */
export class EditRefused extends Error {}

/** This browser's own random key for the room (kept in its storage): a participant the host
 *  removed is kept out by it. */
export function deviceKey(storage: Storage): string {
  let key = storage.getItem(DEVICE_KEY);
  if (!key || !/^[A-Za-z0-9_-]{16,64}$/.test(key)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    key = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    storage.setItem(DEVICE_KEY, key);
  }
  return key;
}

export class RoomConnection {
  private socket: WebSocket | null = null;
  private peer: RTCPeerConnection | null = null;
  private resume: string | null = null;
  private iceServers: RTCIceServer[] = [];
  private finished = false;
  private attempt = 0;
  /** A `getBoard` is on its way and its `board` has not come yet. */
  private boardAsked = false;
  private nextRequest = 1;
  private pending = new Map<number, { resolve: (change: Change) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly device: string,
    private readonly media: MediaStream,
    private readonly handlers: Handlers,
  ) {}

  connect() {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () =>
      this.send({ type: "hello", version: PROTOCOL_VERSION, name: this.name, resume: this.resume, device: this.device });
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      void this.take(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.failPending("The connection to the room dropped before the room answered.");
      if (this.finished) return;
      const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
      this.attempt += 1;
      this.handlers.onReconnecting(`Connection lost; trying again in ${delay / 1000} s…`);
      setTimeout(() => {
        if (!this.finished) this.connect();
      }, delay);
    };
  }

  private send(message: ClientMessage) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private async take(message: ServerMessage) {
    switch (message.type) {
      case "welcome":
        this.boardAsked = false;
        this.resume = message.resume;
        this.iceServers = iceServers(message.iceServers);
        this.attempt = 0;
        this.newPeer();
        break;
      case "board":
        this.boardAsked = false;
        break;
      case "offer":
        await this.answer(message.sdp);
        return;
      case "edited":
        this.pending.get(message.request)?.resolve(message.change);
        this.pending.delete(message.request);
        break;
      case "refused":
        this.pending.get(message.request)?.reject(new EditRefused(message.message));
        this.pending.delete(message.request);
        break;
      case "goodbye":
        this.finish(message.reason);
        return;
      case "iceServers":
        // Fresh TURN credentials before the last ones expire: for the peer's next gathering,
        // and for a peer rebuilt after a failure.
        this.iceServers = iceServers(message.iceServers);
        if (this.peer) this.peer.setConfiguration({ ...this.peer.getConfiguration(), iceServers: this.iceServers });
        return;
      case "error":
        if (FINAL_ERRORS.includes(message.code)) {
          this.finish(sentence(message.message));
          return;
        }
        break;
    }
    this.handlers.onMessage(message);
  }

  private newPeer() {
    this.peer?.close();
    // STUN, and TURN with credentials minted for this participant (renewed while in the room).
    const peer = new RTCPeerConnection({ iceServers: this.iceServers });
    this.peer = peer;
    for (const track of this.media.getTracks()) peer.addTrack(track, this.media);
    peer.ontrack = (event) => {
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      this.handlers.onTrack(event.track, stream);
    };
    peer.onconnectionstatechange = () => {
      // A peer that failed is rebuilt by reconnecting the socket (the room then offers anew).
      if (peer === this.peer && peer.connectionState === "failed") this.socket?.close();
    };
  }

  private async answer(sdp: string) {
    const peer = this.peer;
    if (!peer) return;
    await peer.setRemoteDescription({ type: "offer", sdp });
    await peer.setLocalDescription(await peer.createAnswer());
    await gathered(peer);
    if (peer === this.peer && peer.localDescription) this.send({ type: "answer", sdp: peer.localDescription.sdp });
  }

  /** The route the audio takes now (host, srflx or relay at each end), or null before it connects. */
  async route(): Promise<Route | null> {
    const peer = this.peer;
    if (!peer) return null;
    const stats = await peer.getStats();
    let pairId: string | null = null;
    stats.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) pairId = report.selectedCandidatePairId;
    });
    const pair = pairId ? stats.get(pairId) : null;
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    if (!local || !remote) return null;
    return {
      local: local.candidateType,
      remote: remote.candidateType,
      remotePort: remote.port,
      protocol: local.protocol,
      relayProtocol: local.relayProtocol ?? null,
    };
  }

  /** Sends an edit made on the board at revision `seen`; resolves with the change, or rejects with why not. */
  edit(edit: Edit, seen: number): Promise<Change> {
    const request = this.nextRequest++;
    return new Promise((resolve, reject) => {
      if (this.socket?.readyState !== WebSocket.OPEN) {
        reject(new EditRefused("Not connected to the room right now; try again in a moment."));
        return;
      }
      this.pending.set(request, { resolve, reject });
      this.send({ type: "edit", request, seen, edit });
    });
  }

  /** Asks the room for the whole board (it answers with `board`, and the changes after it
   *  follow). Once is enough until it comes: the changes arriving meanwhile look like gaps
   *  too. Until the room has welcomed this page (or while it reconnects) the coming welcome
   *  brings the board anyway, so this does nothing then. */
  resync() {
    if (this.finished || !this.resume || this.boardAsked) return;
    this.boardAsked = true;
    this.send({ type: "getBoard" });
  }

  setMuted(muted: boolean) {
    for (const track of this.media.getAudioTracks()) track.enabled = !muted;
    this.send({ type: "mute", muted });
  }

  leave() {
    this.send({ type: "leave" });
    this.finish("You left the room.");
  }

  private finish(reason: string) {
    if (this.finished) return;
    this.finished = true;
    this.failPending(reason);
    this.socket?.close();
    this.peer?.close();
    this.peer = null;
    for (const track of this.media.getTracks()) track.stop();
    this.handlers.onClosed(reason);
  }

  private failPending(reason: string) {
    for (const { reject } of this.pending.values()) reject(new EditRefused(reason));
    this.pending.clear();
  }
}

/** The room's messages start in lower case; shown alone they read as a sentence. */
function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Resolves once the peer has all its ICE candidates (the room does not take them one by one),
 *  or after GATHER_LIMIT_MS with those it has. */
function gathered(peer: RTCPeerConnection): Promise<void> {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      peer.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (peer.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, GATHER_LIMIT_MS);
    peer.addEventListener("icegatheringstatechange", check);
  });
}

/** The `boardroom://` link that opens the desktop app on this invite (with the room's
 *  certificate fingerprint after `#fp=`, which the app trusts the room by). */
export function appLink(invite: string): string {
  return `boardroom://join?url=${encodeURIComponent(invite)}`;
}

/** The room's WebSocket address for an invite link's page (`/r/<token>` → `/r/<token>/ws`). */
export function socketUrl(location: Location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${location.pathname.replace(/\/$/, "")}/ws`;
}

/** The room's `iceServers` as an `RTCPeerConnection` takes them (no empty credentials). */
function iceServers(servers: IceServer[]): RTCIceServer[] {
  return servers.map(({ urls, username, credential }) => ({
    urls,
    ...(username ? { username } : {}),
    ...(credential ? { credential } : {}),
  }));
}
