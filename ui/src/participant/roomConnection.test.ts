import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RoomConnection, deviceKey } from "./roomConnection";

describe("this browser's key for the room", () => {
  it("is made once, random, in the form the room accepts, and kept", () => {
    localStorage.clear();
    const first = deviceKey(localStorage);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(deviceKey(localStorage)).toBe(first);
    localStorage.clear();
    expect(deviceKey(localStorage)).not.toBe(first);
  });

  it("replaces a stored value the room would refuse", () => {
    localStorage.setItem("boardroom.device", "not a key");
    expect(deviceKey(localStorage)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("the room's TURN credentials", () => {
  /** The one socket the connection opens; the test plays the room. */
  let socket: { onopen: (() => void) | null; onmessage: ((event: { data: string }) => void) | null; readyState: number };
  const peers: { config: RTCConfiguration; setConfiguration: (config: RTCConfiguration) => void }[] = [];

  beforeEach(() => {
    peers.length = 0;
    vi.stubGlobal(
      "WebSocket",
      Object.assign(
        function (this: typeof socket) {
          this.readyState = 1;
          this.onopen = null;
          this.onmessage = null;
          Object.assign(this, { send() {}, close() {} });
          socket = this;
        },
        { OPEN: 1 },
      ),
    );
    vi.stubGlobal(
      "RTCPeerConnection",
      function (this: (typeof peers)[number], config: RTCConfiguration) {
        this.config = config;
        this.setConfiguration = (next) => (this.config = next);
        Object.assign(this, { getConfiguration: () => this.config, addTrack() {}, close() {} });
        peers.push(this);
      },
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  const turn = (username: string) => [{ urls: ["turn:t.example"], username, credential: "c" }];
  const receive = (message: object) => socket.onmessage?.({ data: JSON.stringify(message) });

  it("are the welcome's, then the renewed ones, which the peer takes without being rebuilt", async () => {
    const shown: string[] = [];
    const media = { getTracks: () => [], getAudioTracks: () => [] } as unknown as MediaStream;
    const handlers = { onMessage: (m: { type: string }) => shown.push(m.type), onTrack() {}, onReconnecting() {}, onClosed() {} };
    new RoomConnection("ws://room/ws", "Ana", "0123456789abcdef", media, handlers).connect();
    socket.onopen?.();
    receive({ type: "welcome", version: 2, participantId: "p1", resume: "k", board: {}, participants: [], voice: { state: "off" }, transcript: [], iceServers: turn("100:p1") });
    await Promise.resolve();
    expect(peers).toHaveLength(1);
    expect(peers[0].config.iceServers).toEqual(turn("100:p1"));

    receive({ type: "iceServers", iceServers: turn("200:p1") });
    await Promise.resolve();
    expect(peers).toHaveLength(1);
    expect(peers[0].config.iceServers).toEqual(turn("200:p1"));
    expect(shown).toEqual(["welcome"]);
  });
});
