import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Board, ClientMessage_Deserialize as ClientMessage, ServerMessage } from "../bindings";
import { receive } from "../board";
import { moveChange, seedBoard } from "../test/fixtures";
import { ParticipantApp, insecureReason } from "./ParticipantApp";

describe("the participant page outside a secure context", () => {
  it("asks for nothing extra on https or this computer's own address", () => {
    expect(insecureReason({ isSecureContext: true, hasMediaDevices: true, origin: "https://192.168.1.5:8443" })).toBeNull();
  });

  it("says why the microphone is unavailable over plain http, and what to do", () => {
    const reason = insecureReason({ isSecureContext: false, hasMediaDevices: false, origin: "http://192.168.1.5:8080" });
    expect(reason).toContain("http://192.168.1.5:8080");
    expect(reason).toContain("starts with https://");
  });

  it("names the browser as the problem when a secure page still has no microphone", () => {
    const reason = insecureReason({ isSecureContext: true, hasMediaDevices: false, origin: "https://meet.example.com" });
    expect(reason).toContain("does not offer a microphone");
  });
});

/** A WebSocket the test plays the room's side of. */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static made: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: ClientMessage[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close() {
    this.readyState = FakeSocket.CLOSING;
    setTimeout(() => {
      this.readyState = FakeSocket.CLOSED;
      this.onclose?.();
    });
  }
  open() {
    act(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    });
  }
  /** Sends the page `message` (its fixtures' board types are looser than the room's messages). */
  receive(message: { type: ServerMessage["type"] } & Record<string, unknown>) {
    act(() => this.onmessage?.({ data: JSON.stringify(message) }));
  }
}

class FakePeer {
  ontrack = null;
  onconnectionstatechange = null;
  addTrack() {}
  close() {}
}

/** Counts contexts made and resumed: Firefox plays WebAudio only for one resumed in a click. */
class FakeAudioContext {
  static made: FakeAudioContext[] = [];
  resumed = 0;
  constructor() {
    FakeAudioContext.made.push(this);
  }
  resume() {
    this.resumed += 1;
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
}

function welcome(board: Board) {
  return { type: "welcome" as const, version: 2, participantId: "p1", resume: "resume-key", board, participants: [], voice: { state: "off" }, transcript: [], iceServers: [] };
}

describe("the participant page's board", () => {
  beforeEach(() => {
    FakeSocket.made = [];
    vi.stubGlobal("WebSocket", FakeSocket);
    vi.stubGlobal("RTCPeerConnection", FakePeer);
    FakeAudioContext.made = [];
    vi.stubGlobal("AudioContext", FakeAudioContext);
    vi.stubGlobal("isSecureContext", true);
    const media = { getTracks: () => [], getAudioTracks: () => [] };
    Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: vi.fn(async () => media) }, configurable: true });
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    delete (navigator as { mediaDevices?: unknown }).mediaDevices;
  });

  async function joined(board: Board): Promise<FakeSocket> {
    render(<ParticipantApp />);
    fireEvent.change(screen.getByLabelText("Your name"), { target: { value: "Ana" } });
    fireEvent.click(screen.getByRole("button", { name: "Join with microphone" }));
    await waitFor(() => expect(FakeSocket.made).toHaveLength(1));
    const socket = FakeSocket.made[0];
    socket.open();
    socket.receive(welcome(board));
    await screen.findByText("Live · revision 0");
    return socket;
  }

  it("starts its audio in the click that joins, before the microphone is even open", () => {
    render(<ParticipantApp />);
    fireEvent.change(screen.getByLabelText("Your name"), { target: { value: "Ana" } });
    fireEvent.click(screen.getByRole("button", { name: "Join with microphone" }));
    expect(FakeAudioContext.made).toHaveLength(1);
    expect(FakeAudioContext.made[0].resumed).toBe(1);
  });

  it("follows the room's changes in order", async () => {
    const socket = await joined(seedBoard());
    socket.receive({ type: "boardChanged", change: moveChange(seedBoard(), "card-003", "Done", 0) });
    expect(within(screen.getByRole("region", { name: "Done" })).getByText("Implement ICE Restart Handling")).toBeTruthy();
    expect(screen.getByText("Live · revision 1")).toBeTruthy();
    expect(FakeSocket.made).toHaveLength(1);
  });

  it("names who spoke on transcript lines and on changes made by voice", async () => {
    const socket = await joined(seedBoard());
    socket.receive({ type: "transcript", line: { itemId: "i1", text: "ICE restarts shipped.", speakers: ["Bo"], at: Date.now() } });
    const transcript = screen.getByRole("region", { name: "Transcript" });
    expect(within(transcript).getByText("Bo")).toBeTruthy();
    const moved = { ...moveChange(seedBoard(), "card-003", "Done", 0), source: { kind: "voice" as const, callId: "c1", transcript: "ICE restarts shipped.", speakers: ["Bo"] } };
    socket.receive({ type: "boardChanged", change: moved });
    const activity = screen.getByRole("region", { name: "Activity" });
    expect(within(activity).getByText(/Voice, from Bo · .* · “ICE restarts shipped\.”/)).toBeTruthy();
    // Participants follow the activity; undoing is the host's.
    expect(within(activity).queryByRole("button", { name: /Undo/ })).toBeNull();
  });

  it("asks the room for the whole board when it missed a change", async () => {
    const socket = await joined(seedBoard());
    const moved = moveChange(seedBoard(), "card-003", "Done", 0);
    const applied = receive(seedBoard(), moved);
    if (applied.kind !== "applied") throw new Error("the fixture's change does not apply");
    const theRooms: Board = { ...applied.board, revision: 3 };
    const asked = socket.sent.length;
    socket.receive({ type: "boardChanged", change: { ...moved, revision: 3 } });
    socket.receive({ type: "boardChanged", change: { ...moved, revision: 4 } });
    // Nothing to apply them to: the page asks once for the board, on the same connection.
    await waitFor(() => expect(socket.sent.slice(asked)).toEqual([{ type: "getBoard" }]));
    socket.receive({ type: "board", board: theRooms });
    await screen.findByText("Live · revision 3");
    expect(FakeSocket.made).toHaveLength(1);
    expect(within(screen.getByRole("region", { name: "Done" })).getByText("Implement ICE Restart Handling")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("lets the change stream bring its own edit when the room's answer overtakes a change before it", async () => {
    const socket = await joined(seedBoard());
    const first = moveChange(seedBoard(), "card-003", "Done", 0, { kind: "participant", name: "Bo" });
    const applied = receive(seedBoard(), first);
    if (applied.kind !== "applied") throw new Error("the fixture's change does not apply");
    const own = moveChange(applied.board, "card-002", "Blocked", 0, { kind: "participant", name: "Ana" });
    socket.receive({ type: "edited", request: 1, change: own });
    socket.receive({ type: "boardChanged", change: first });
    socket.receive({ type: "boardChanged", change: own });
    await screen.findByText("Live · revision 2");
    expect(within(screen.getByRole("region", { name: "Blocked" })).getByText("Add RTP Retransmission Buffer")).toBeTruthy();
    expect(FakeSocket.made).toHaveLength(1);
  });
});
