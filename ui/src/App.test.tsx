// Component tests of the whole window with the backend calls replaced by spies:
// what the user sees and which typed commands their actions send.
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Board, BoardChanged, Change, Status } from "./bindings";
import { receive } from "./board";
import { moveChange, seedBoard } from "./test/fixtures";

const backend = vi.hoisted(() => ({
  board: null as Board | null,
  listener: null as ((event: { payload: BoardChanged }) => void) | null,
  microphone: null as ((event: { payload: { status: unknown } }) => void) | null,
  systemAudio: null as ((event: { payload: { status: unknown } }) => void) | null,
  levels: null as ((event: { payload: { levels: unknown } }) => void) | null,
  voice: null as ((event: { payload: { status: unknown } }) => void) | null,
  transcript: null as ((event: { payload: { line: unknown } }) => void) | null,
  cost: null as ((event: { payload: { cost: unknown } }) => void) | null,
  keyStatus: { configured: false, source: "none", storedIn: "file", file: "/home/me/.config/boardroom/openai-api-key" } as Record<string, unknown>,
  setApiKey: vi.fn(),
  setSettings: vi.fn(async (_: unknown) => ({ status: "ok", data: null }) as { status: string; data?: null; error?: { message: string } }),
  editBoard: vi.fn(),
  getBoard: vi.fn(),
  joinRoom: vi.fn(async () => ({ status: "ok", data: null })),
  leaveRoom: vi.fn(async () => ({ status: "ok", data: null })),
  setMuted: vi.fn(async () => null),
  participants: null as ((event: { payload: { participants: unknown } }) => void) | null,
  startRoom: vi.fn(async () => ({ status: "ok", data: { inviteLink: "http://127.0.0.1:4000/r/secret-token", lan: false, fingerprint: null as string | null, warnings: [] as string[] } })),
  newRoomLink: vi.fn(async () => ({ status: "ok", data: { inviteLink: "http://127.0.0.1:4000/r/fresh-token", lan: false, fingerprint: null as string | null, warnings: [] as string[] } })),
  endRoom: vi.fn(async () => ({ status: "ok", data: null })),
  muteParticipant: vi.fn(async (_id: string, _muted: boolean) => ({ status: "ok", data: null })),
  removeParticipant: vi.fn(async (_id: string) => ({ status: "ok", data: null })),
  setTurnSecret: vi.fn(async (secret: string | null) => ({ status: "ok", data: { configured: secret !== null } })),
  lobby: null as ((event: { payload: { lobby: unknown } }) => void) | null,
  admitParticipant: vi.fn(async (_id: string) => ({ status: "ok", data: null })),
  declineParticipant: vi.fn(async (_id: string) => ({ status: "ok", data: null })),
  allowBack: vi.fn(async (_id: string) => ({ status: "ok", data: null })),
  setRoomLocked: vi.fn(async (_locked: boolean) => ({ status: "ok", data: null })),
  whereabouts: null as ((event: { payload: unknown }) => void) | null,
  invite: null as ((event: { payload: { link: string } }) => void) | null,
  joinMeeting: vi.fn(async (_link: string, _name: string) => ({ status: "ok", data: null }) as { status: string; data?: null; error?: { message: string } }),
  leaveMeeting: vi.fn(async () => ({ status: "ok", data: null })),
  notes: {} as Record<string, string>,
  notesWritten: null as ((event: { payload: { name: string } }) => void) | null,
  openNotesFolder: vi.fn(async () => ({ status: "ok", data: null })),
  exportBoard: vi.fn(async (_format: string) => ({ status: "ok", data: "Boardroom board 2026-12-05.md" as string | null })),
  chooseImport: vi.fn(),
  importBoard: vi.fn(),
}));

vi.mock("./bindings", () => ({
  commands: {
    getBoard: backend.getBoard,
    editBoard: backend.editBoard,
    getStartupNotice: vi.fn(async () => null),
    dismissStartupNotice: vi.fn(async () => null),
    uiReady: vi.fn(async () => null),
    getSettings: vi.fn(async () => ({ status: "ok", data: { theme: "system", microphone: null, headset: false, model: null, baseUrl: null, roomLan: false, roomPort: null, roomAskToJoin: false, iceServers: [], publicIp: null, udpPorts: null } })),
    getTurnSecretState: vi.fn(async () => ({ status: "ok", data: { configured: false } })),
    setTurnSecret: backend.setTurnSecret,
    setSettings: backend.setSettings,
    getVoiceStatus: vi.fn(async () => ({ state: "off" })),
    getVoiceCost: vi.fn(async () => null),
    getVoiceSettings: vi.fn(async () => ({
      status: "ok",
      data: {
        key: backend.keyStatus,
        model: "gpt-realtime-2",
        models: ["gpt-realtime-2", "gpt-realtime-2.1", "gpt-realtime-2.1-mini"],
        listPrices: { textIn: 4, cachedTextIn: 0.4, audioIn: 32, cachedAudioIn: 0.4, textOut: 24, audioOut: 64 },
        pricesAsOf: "2026-11-30",
        modelFromEnv: false,
        baseUrl: "https://api.openai.com/v1",
        baseUrlFromEnv: false,
        languages: [
          { code: "en", name: "English" },
          { code: "ja", name: "日本語" },
          { code: "de", name: "Deutsch" },
          { code: "fr", name: "Français" },
        ],
        systemLanguage: { code: "en", name: "English" },
      },
    })),
    setApiKey: backend.setApiKey,
    forgetApiKey: vi.fn(async () => ({ status: "ok", data: backend.keyStatus })),
    joinRoom: backend.joinRoom,
    leaveRoom: backend.leaveRoom,
    setMuted: backend.setMuted,
    listMicrophones: vi.fn(async () => ({ status: "ok", data: ["default", "USB headset"] })),
    getRoom: vi.fn(async () => ({ status: "ok", data: null })),
    getParticipants: vi.fn(async () => ({ status: "ok", data: [] })),
    startRoom: backend.startRoom,
    endRoom: backend.endRoom,
    newRoomLink: backend.newRoomLink,
    muteParticipant: backend.muteParticipant,
    removeParticipant: backend.removeParticipant,
    getLobby: vi.fn(async () => ({ status: "ok", data: { locked: false, askToJoin: false, waiting: [], removed: [] } })),
    admitParticipant: backend.admitParticipant,
    declineParticipant: backend.declineParticipant,
    allowBack: backend.allowBack,
    setRoomLocked: backend.setRoomLocked,
    joinMeeting: backend.joinMeeting,
    leaveMeeting: backend.leaveMeeting,
    getWhereabouts: vi.fn(async () => ({ guest: null, left: null })),
    takeOpenedInvite: vi.fn(async () => null),
    listNotes: vi.fn(async () => ({
      status: "ok",
      data: Object.keys(backend.notes)
        .sort()
        .reverse()
        .map((name) => ({ name, bytes: backend.notes[name].length })),
    })),
    readNotes: vi.fn(async (name: string) =>
      name in backend.notes
        ? { status: "ok", data: backend.notes[name] }
        : { status: "error", error: { kind: "notFound", message: `There are no meeting notes called "${name}".` } },
    ),
    openNotesFolder: backend.openNotesFolder,
    exportBoard: backend.exportBoard,
    chooseImport: backend.chooseImport,
    importBoard: backend.importBoard,
  },
  events: {
    boardChanged: {
      listen: vi.fn(async (listener: (event: { payload: BoardChanged }) => void) => {
        backend.listener = listener;
        return () => {};
      }),
    },
    microphoneChanged: {
      listen: vi.fn(async (listener: (event: { payload: { status: unknown } }) => void) => {
        backend.microphone = listener;
        return () => {};
      }),
    },
    systemAudioChanged: {
      listen: vi.fn(async (listener: (event: { payload: { status: unknown } }) => void) => {
        backend.systemAudio = listener;
        return () => {};
      }),
    },
    audioLevels: {
      listen: vi.fn(async (listener: (event: { payload: { levels: unknown } }) => void) => {
        backend.levels = listener;
        return () => {};
      }),
    },
    voiceStatusChanged: {
      listen: vi.fn(async (listener: (event: { payload: { status: unknown } }) => void) => {
        backend.voice = listener;
        return () => {};
      }),
    },
    transcriptAdded: {
      listen: vi.fn(async (listener: (event: { payload: { line: unknown } }) => void) => {
        backend.transcript = listener;
        return () => {};
      }),
    },
    voiceCostChanged: {
      listen: vi.fn(async (listener: (event: { payload: { cost: unknown } }) => void) => {
        backend.cost = listener;
        return () => {};
      }),
    },
    roomChanged: { listen: vi.fn(async () => () => {}) },
    lobbyChanged: {
      listen: vi.fn(async (listener: (event: { payload: { lobby: unknown } }) => void) => {
        backend.lobby = listener;
        return () => {};
      }),
    },
    participantsChanged: {
      listen: vi.fn(async (listener: (event: { payload: { participants: unknown } }) => void) => {
        backend.participants = listener;
        return () => {};
      }),
    },
    whereaboutsChanged: {
      listen: vi.fn(async (listener: (event: { payload: unknown }) => void) => {
        backend.whereabouts = listener;
        return () => {};
      }),
    },
    inviteOpened: {
      listen: vi.fn(async (listener: (event: { payload: { link: string } }) => void) => {
        backend.invite = listener;
        return () => {};
      }),
    },
    notesWritten: {
      listen: vi.fn(async (listener: (event: { payload: { name: string } }) => void) => {
        backend.notesWritten = listener;
        return () => {};
      }),
    },
  },
}));

import App from "./App";

function column(name: string) {
  return screen.getByRole("region", { name });
}

function emit(change: Change) {
  act(() => backend.listener!({ payload: { change } }));
}

beforeEach(() => {
  backend.board = seedBoard();
  backend.getBoard.mockReset().mockImplementation(async () => ({ status: "ok", data: backend.board }));
  backend.editBoard.mockReset();
});

describe("the board window", () => {
  it("shows the four columns with their cards and counts", async () => {
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    for (const [name, count] of [["Backlog", 3], ["In Progress", 0], ["Blocked", 1], ["Done", 0]] as const) {
      expect(within(column(name)).getByText(`${count} cards`)).toBeTruthy();
    }
    expect(within(column("Backlog")).getAllByRole("button", { name: /in Backlog/ })).toHaveLength(3);
  });

  it("follows changes from others and highlights the card they touched", async () => {
    const { container } = render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    emit(moveChange(seedBoard(), "card-003", "Done", 0, { kind: "participant", name: "Ana" }));
    expect(within(column("Done")).getByText("Implement ICE Restart Handling")).toBeTruthy();
    expect(container.querySelector(".card.is-highlighted")?.textContent).toContain("Implement ICE Restart Handling");
    expect(screen.getByText("Moved “Implement ICE Restart Handling” from Backlog to Done")).toBeTruthy();
  });

  it("re-fetches the board when it missed a change", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    expect(backend.getBoard).toHaveBeenCalledTimes(1);
    emit({ ...moveChange(seedBoard(), "card-003", "Done", 0), revision: 9 });
    await waitFor(() => expect(backend.getBoard).toHaveBeenCalledTimes(2));
  });

  it("shows the board as it is now after it missed a change", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const moved = moveChange(seedBoard(), "card-003", "Done", 0);
    const applied = receive(seedBoard(), moved);
    if (applied.kind !== "applied") throw new Error("the fixture's change does not apply");
    backend.board = { ...applied.board, revision: 3 };
    emit({ ...moved, revision: 3 });
    await within(column("Done")).findByText("Implement ICE Restart Handling");
    expect(screen.getByText(/revision 3/)).toBeTruthy();
  });

  it("shows a voice suggestion with its words, and Accept sends it as an edit", async () => {
    const ice = seedBoard().columns[0].cards[2];
    const suggestion = {
      id: 1, edit: { type: "delete" as const, cardId: ice.id }, at: 0, card: ice,
      source: { kind: "voice" as const, callId: "call_1", transcript: "we can drop ICE restarts", speakers: ["Bo"] },
    };
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    expect(screen.queryByRole("region", { name: "Waiting for you" })).toBeNull();
    emit({ revision: 1, at: 0, source: suggestion.source, operation: { type: "suggest", edit: suggestion.edit }, before: null, after: null, suggestion });
    const waiting = screen.getByRole("region", { name: "Waiting for you" });
    expect(within(waiting).getByText("Delete “Implement ICE Restart Handling” from Backlog")).toBeTruthy();
    expect(within(waiting).getByText(/Heard from Bo “we can drop ICE restarts”/)).toBeTruthy();
    // The activity log says whose words filed it.
    const activity = screen.getByRole("region", { name: "Activity" });
    expect(within(activity).getByText(/Voice, from Bo ·/)).toBeTruthy();
    expect(within(column("Backlog")).getByText("Implement ICE Restart Handling")).toBeTruthy();
    backend.editBoard.mockResolvedValue({
      status: "ok",
      data: { revision: 2, at: 0, source: { kind: "hand" }, operation: { type: "accept", suggestion: 1 }, before: { card: ice, position: 2 }, after: null, suggestion },
    });
    fireEvent.click(within(waiting).getByRole("button", { name: "Accept: Delete “Implement ICE Restart Handling” from Backlog" }));
    await waitFor(() => expect(screen.queryByRole("region", { name: "Waiting for you" })).toBeNull());
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "accept", suggestion: 1 }, 1);
    expect(within(column("Backlog")).queryByText("Implement ICE Restart Handling")).toBeNull();
    expect(screen.getByText("Accepted the suggestion to delete “Implement ICE Restart Handling” from Backlog")).toBeTruthy();
  });

  it("creates a card in a column", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const created = { id: "kanban-card-001", status: "Blocked" as const, title: "Waiting on TURN creds", notes: "", tags: [] };
    backend.editBoard.mockResolvedValue({
      status: "ok",
      data: { revision: 1, at: 0, source: { kind: "hand" }, operation: { type: "create", status: "Blocked", title: created.title, notes: "", tags: [], position: null }, before: null, after: { card: created, position: 1 } },
    });
    fireEvent.click(within(column("Blocked")).getByRole("button", { name: "+ Add a card" }));
    fireEvent.change(screen.getByLabelText("Title of the new card in Blocked"), { target: { value: created.title } });
    fireEvent.click(screen.getByRole("button", { name: "Add card" }));
    await within(column("Blocked")).findByText(created.title);
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "create", status: "Blocked", title: created.title, notes: "", tags: [], position: null }, 0);
  });

  it("edits a card in the editor and shows a refusal there, then re-syncs", async () => {
    render(<App />);
    fireEvent.click(await screen.findByText("Add RTP Retransmission Buffer"));
    const dialog = screen.getByRole("dialog");
    fireEvent.change(within(dialog).getByLabelText("Title"), { target: { value: "Add RTX buffer" } });
    fireEvent.change(within(dialog).getByLabelText("Tags (comma separated)"), { target: { value: "rtp, nack" } });
    backend.editBoard.mockResolvedValue({ status: "error", error: { kind: "notFound", message: "There is no card \"card-002\" on the board (it may have been deleted)" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await within(dialog).findByRole("alert")).toHaveProperty("textContent", "There is no card \"card-002\" on the board (it may have been deleted)");
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "update", cardId: "card-002", title: "Add RTX buffer", notes: null, tags: ["rtp", "nack"] }, 0);
    await waitFor(() => expect(backend.getBoard).toHaveBeenCalledTimes(2));
  });

  it("moves a card to another column with the editor's column picker", async () => {
    render(<App />);
    fireEvent.click(await screen.findByText("Add RTP Retransmission Buffer"));
    const dialog = screen.getByRole("dialog");
    expect((within(dialog).getByLabelText("Column") as HTMLSelectElement).value).toBe("Backlog");
    fireEvent.change(within(dialog).getByLabelText("Column"), { target: { value: "Done" } });
    backend.editBoard.mockClear();
    backend.editBoard.mockResolvedValue({ status: "error", error: { kind: "invalid", message: "refused for the test" } });
    const fetched = backend.getBoard.mock.calls.length;
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await within(dialog).findByRole("alert");
    expect(backend.editBoard).toHaveBeenCalledTimes(1);
    expect(backend.getBoard.mock.calls.length).toBe(fetched); // only the value was refused: no re-sync
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "move", cardId: "card-002", status: "Done", position: null }, 0);
  });

  it("deletes a card and offers to undo it", async () => {
    render(<App />);
    fireEvent.click(await screen.findByText("Harden DTLS/SRTP Cleanup"));
    const deleted = seedBoard().columns[2].cards[0];
    backend.editBoard.mockResolvedValueOnce({
      status: "ok",
      data: { revision: 1, at: 0, source: { kind: "hand" }, operation: { type: "delete", cardId: deleted.id }, before: { card: deleted, position: 0 }, after: null },
    });
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByText("Harden DTLS/SRTP Cleanup")).toBeNull());
    backend.editBoard.mockResolvedValueOnce({
      status: "ok",
      data: { revision: 2, at: 0, source: { kind: "hand" }, operation: { type: "undo", revision: 1 }, before: null, after: { card: deleted, position: 0 } },
    });
    const toast = screen.getByText("Deleted “Harden DTLS/SRTP Cleanup”").parentElement!;
    fireEvent.click(within(toast).getByRole("button", { name: "Undo" }));
    await within(column("Blocked")).findByText("Harden DTLS/SRTP Cleanup");
    expect(backend.editBoard).toHaveBeenLastCalledWith({ type: "undo", revision: 1 }, 1);
  });

  it("undoes a change from the activity panel", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const change = moveChange(seedBoard(), "card-003", "Done", 0);
    emit(change);
    backend.editBoard.mockResolvedValue({ status: "error", error: { kind: "conflict", message: "Card changed since" } });
    const fetched = backend.getBoard.mock.calls.length;
    fireEvent.click(screen.getByRole("button", { name: `Undo: Moved “Implement ICE Restart Handling” from Backlog to Done` }));
    expect(await screen.findByText("Card changed since")).toBeTruthy();
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "undo", revision: 1 }, 1);
    // A conflict: the window takes the board as it is now.
    await waitFor(() => expect(backend.getBoard.mock.calls.length).toBe(fetched + 1));
  });
});

describe("import and export", () => {
  it("exports in the format picked and says where", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Import and export" }));
    const dialog = screen.getByRole("dialog", { name: "Import and export" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Export as Markdown" }));
    expect(await within(dialog).findByRole("status")).toHaveProperty("textContent", "Exported the board as Markdown to Boardroom board 2026-12-05.md.");
    expect(backend.exportBoard).toHaveBeenCalledWith("markdown");
  });

  it("imports a Trello export once every list has a column, as one change the toast can undo", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Import and export" }));
    const dialog = screen.getByRole("dialog", { name: "Import and export" });
    backend.chooseImport.mockResolvedValueOnce({
      status: "ok",
      data: {
        file: "team.json",
        format: "trello",
        lists: [
          { name: "To Do", column: "Backlog", cards: 1 },
          { name: "QA", column: null, cards: 1 },
        ],
        cards: 2,
        leftOut: 1,
      },
    });
    fireEvent.click(within(dialog).getByRole("button", { name: "Choose a file…" }));
    const form = await within(dialog).findByRole("form", { name: "Import team.json" });
    expect(form.textContent).toContain("team.json: 2 cards from a Trello export; 1 card archived, left out");
    const submit = within(form).getByRole("button", { name: "Import 2 cards" });
    expect(submit).toHaveProperty("disabled", true);
    fireEvent.change(within(form).getByRole("combobox", { name: "QA (1 card)" }), { target: { value: "Blocked" } });
    fireEvent.click(within(form).getByRole("radio", { name: "In place of the board's 4 cards" }));
    const card = (id: string, title: string, status: Status) => ({ id, title, status, notes: "", tags: [] });
    const added = [
      { card: card("kanban-card-001", "Write the runbook", "Backlog"), position: 0 },
      { card: card("kanban-card-002", "Check the fix", "Blocked"), position: 0 },
    ];
    const removed = seedBoard().columns.flatMap((column) => column.cards.map((c, position) => ({ card: c, position })));
    backend.importBoard.mockResolvedValueOnce({
      status: "ok",
      data: { revision: 1, at: 0, source: { kind: "hand" }, operation: { type: "import", from: "team.json", replace: true, cards: [] }, before: null, after: null, suggestion: null, batch: { removed, added } },
    });
    fireEvent.click(submit);
    await within(column("Blocked")).findByText("Check the fix");
    expect(screen.queryByText("Implement ICE Restart Handling")).toBeNull();
    expect(backend.importBoard).toHaveBeenCalledWith(["Backlog", "Blocked"], true, 0);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getAllByText("Imported 2 cards from “team.json” in place of 4 cards")).toHaveLength(2); // the toast and the activity
    backend.editBoard.mockResolvedValueOnce({
      status: "ok",
      data: { revision: 2, at: 0, source: { kind: "hand" }, operation: { type: "undo", revision: 1 }, before: null, after: null, suggestion: null, batch: { removed: added, added: removed } },
    });
    fireEvent.click(screen.getByRole("button", { name: "Undo" }));
    await screen.findByText("Implement ICE Restart Handling");
    expect(screen.queryByText("Check the fix")).toBeNull();
    expect(backend.editBoard).toHaveBeenLastCalledWith({ type: "undo", revision: 1 }, 1);
  });

  it("shows why a file cannot be imported, naming the line", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Import and export" }));
    const dialog = screen.getByRole("dialog", { name: "Import and export" });
    backend.chooseImport.mockResolvedValueOnce({ status: "error", error: { kind: "invalid", message: "broken.csv: line 3: “Later” is not a column." } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Choose a file…" }));
    expect((await within(dialog).findByRole("alert")).textContent).toBe("broken.csv: line 3: “Later” is not a column.");
  });
});

describe("the participants panel", () => {
  it("joins, shows you speaking with a live level, mutes and leaves", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const panel = screen.getByRole("region", { name: "Participants" });
    expect(within(panel).getByText("You are not in the room. Join to turn your microphone on.")).toBeTruthy();
    fireEvent.click(within(panel).getByRole("button", { name: "Join room" }));
    expect(backend.joinRoom).toHaveBeenCalled();

    act(() => backend.microphone!({ payload: { status: { state: "live", device: "default" } } }));
    const level = { rmsDbfs: -18, peakDbfs: -12, speaking: true };
    act(() =>
      backend.levels!({
        payload: { levels: { sources: [{ id: "you", level, muted: false, gainDb: 2, droppedSamples: 0, lateFrames: 0 }], mix: level } },
      }),
    );
    expect(within(panel).getByText("speaking")).toBeTruthy();
    expect(within(panel).getByRole("meter", { name: "Your microphone level" }).getAttribute("aria-valuenow")).toBe("70");
    expect(within(panel).getByText("Microphone: default")).toBeTruthy();

    fireEvent.click(within(panel).getByRole("button", { name: "Mute" }));
    expect(backend.setMuted).toHaveBeenCalledWith(true);
    expect(within(panel).queryByText("speaking")).toBeNull();
    expect(within(panel).getByRole("meter", { name: "Your microphone level" }).getAttribute("aria-valuenow")).toBe("0");

    fireEvent.click(within(panel).getByRole("button", { name: "Leave room" }));
    expect(backend.leaveRoom).toHaveBeenCalled();
  });

  it("shows what this computer plays as call audio, with its level and gain, while it is heard", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const panel = screen.getByRole("region", { name: "Participants" });
    fireEvent.click(within(panel).getByRole("button", { name: "Join room" }));
    act(() => backend.microphone!({ payload: { status: { state: "live", device: "default" } } }));
    expect(within(panel).queryByText(/Call audio/)).toBeNull();

    act(() => backend.systemAudio!({ payload: { status: { state: "listening", apps: ["ZOOM VoiceEngine"] } } }));
    const quiet = { rmsDbfs: null, peakDbfs: null, speaking: false };
    const call = { rmsDbfs: -30, peakDbfs: -24, speaking: true };
    const source = (id: string, level: typeof call | typeof quiet, gainDb: number) => ({ id, level, muted: false, gainDb, droppedSamples: 0, lateFrames: 0 });
    act(() => backend.levels!({ payload: { levels: { sources: [source("you", quiet, 0), source("call audio", call, 6.2)], mix: call } } }));
    const row = within(panel).getByText(/Call audio/).closest("li")!;
    expect(within(row).getByRole("meter", { name: "Call audio level" }).getAttribute("aria-valuenow")).toBe("50");
    expect(within(row).getByText("For the voice operator only: ZOOM VoiceEngine · gain +6 dB")).toBeTruthy();
    expect(within(row).getByText("speaking")).toBeTruthy();

    act(() => backend.systemAudio!({ payload: { status: { state: "unavailable", reason: "no sound server (PulseAudio or PipeWire) could be reached: Connection refused" } } }));
    expect(within(row).getByText("No sound server (PulseAudio or PipeWire) could be reached: Connection refused (trying again)")).toBeTruthy();
    act(() => backend.systemAudio!({ payload: { status: { state: "off" } } }));
    expect(within(panel).queryByText(/Call audio/)).toBeNull();
  });

  it("says clearly when there is no microphone, and the board still works", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    act(() =>
      backend.microphone!({
        payload: { status: { state: "unavailable", reason: "no microphone was found; plug one in or choose another microphone" } },
      }),
    );
    expect(screen.getAllByText(/No microphone was found/).length).toBeGreaterThan(0);
    expect(within(column("Backlog")).getByText("Implement ICE Restart Handling")).toBeTruthy();
  });
});

describe("hosting a room", () => {
  it("starts a room with the host in it, shows the invite link, and lets the host mute or remove a guest", async () => {
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    backend.joinRoom.mockClear();
    fireEvent.click(screen.getByRole("button", { name: "Start room" }));
    const link = (await screen.findByDisplayValue("http://127.0.0.1:4000/r/secret-token")) as HTMLInputElement;
    await waitFor(() => expect(backend.joinRoom).toHaveBeenCalled());
    expect(link.readOnly).toBe(true);
    expect(screen.getByText(/this computer only/)).toBeTruthy();
    const ana = { id: "p1", name: "Ana", host: false, muted: false, mutedByHost: false, connection: "connected" };
    const host = { id: "host", name: "Host", host: true, muted: false, mutedByHost: false, connection: "connected" };
    act(() => backend.participants!({ payload: { participants: [host, ana] } }));
    fireEvent.click(await screen.findByRole("button", { name: "Mute Ana" }));
    expect(backend.muteParticipant).toHaveBeenCalledWith("p1", true);
    fireEvent.click(screen.getByRole("button", { name: "Remove Ana" }));
    await waitFor(() => expect(backend.removeParticipant).toHaveBeenCalledWith("p1"));
    act(() => backend.participants!({ payload: { participants: [host, { ...ana, mutedByHost: true }] } }));
    expect(await screen.findByText("muted by the host")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "End room" }));
    expect(backend.endRoom).toHaveBeenCalled();
  });

  it("keeps the link until the host asks for a new one, and asks once more before replacing it", async () => {
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    fireEvent.click(screen.getByRole("button", { name: "Start room" }));
    await screen.findByDisplayValue("http://127.0.0.1:4000/r/secret-token");
    expect(screen.getByText(/keeps this link every time you start it/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "New link" }));
    const confirm = screen.getByRole("group", { name: "Replace the invite link" });
    fireEvent.click(within(confirm).getByRole("button", { name: "Keep this link" }));
    expect(backend.newRoomLink).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "New link" }));
    fireEvent.click(screen.getByRole("button", { name: "Make a new link" }));
    await screen.findByDisplayValue("http://127.0.0.1:4000/r/fresh-token");
    expect(backend.newRoomLink).toHaveBeenCalledTimes(1);
    expect(screen.getByText(/old one no longer lets anyone in/).getAttribute("role")).toBe("status");
    expect(screen.queryByRole("group", { name: "Replace the invite link" })).toBeNull();
  });

  it("announces who asks to join, admits or declines them, lets a removed guest back, and locks the room", async () => {
    backend.setSettings.mockClear();
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    fireEvent.click(screen.getByLabelText("Ask me before people join"));
    await waitFor(() => expect(backend.setSettings).toHaveBeenCalledWith(expect.objectContaining({ roomAskToJoin: true })));
    fireEvent.click(screen.getByRole("button", { name: "Start room" }));
    await screen.findByDisplayValue("http://127.0.0.1:4000/r/secret-token");
    const waiting = [
      { id: "w1", name: "Bo" },
      { id: "w2", name: "Cy" },
    ];
    const removed = [{ id: "p1", name: "Ana" }];
    act(() => backend.lobby!({ payload: { lobby: { locked: false, askToJoin: true, waiting, removed } } }));
    expect(await screen.findByText("Bo asks to join the room")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Admit Bo" }));
    await waitFor(() => expect(backend.admitParticipant).toHaveBeenCalledWith("w1"));
    fireEvent.click(screen.getByRole("button", { name: "Decline Cy" }));
    await waitFor(() => expect(backend.declineParticipant).toHaveBeenCalledWith("w2"));
    fireEvent.click(screen.getByRole("button", { name: "Let Ana back in" }));
    await waitFor(() => expect(backend.allowBack).toHaveBeenCalledWith("p1"));
    // Each knock is announced once, however often the lobby changes after it.
    act(() => backend.lobby!({ payload: { lobby: { locked: false, askToJoin: true, waiting: [waiting[1]], removed: [] } } }));
    expect(screen.getAllByText("Cy asks to join the room")).toHaveLength(1);
    fireEvent.click(screen.getByLabelText("Lock the room (nobody new can join)"));
    await waitFor(() => expect(backend.setRoomLocked).toHaveBeenCalledWith(true));
    act(() => backend.lobby!({ payload: { lobby: { locked: true, askToJoin: true, waiting: [], removed: [] } } }));
    expect((screen.getByLabelText("Lock the room (nobody new can join)") as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByRole("button", { name: "Admit Bo" })).toBeNull();
  });

  it("shows the self-signed certificate's fingerprint with what the browser's warning means, and warnings", async () => {
    const fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
    const warning = "the ICE server turn:turn.example.com does not answer (no answer within 2 s)";
    backend.startRoom.mockImplementationOnce(async () => ({
      status: "ok",
      data: { inviteLink: "https://192.168.1.5:4000/r/secret-token", lan: true, fingerprint, warnings: [warning] },
    }));
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    fireEvent.click(screen.getByRole("button", { name: "Start room" }));
    await screen.findByDisplayValue("https://192.168.1.5:4000/r/secret-token");
    expect(screen.getByText(fingerprint)).toBeTruthy();
    expect(screen.getByTestId("certificate-note").textContent).toContain("browsers warn that the connection is not private");
    expect(screen.getByText(warning)).toBeTruthy();
  });

  it("keeps the network settings and sets the TURN secret without ever reading it back", async () => {
    backend.setSettings.mockClear();
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    fireEvent.click(screen.getByText("Network: STUN and TURN servers"));
    fireEvent.change(screen.getByPlaceholderText("turn:turn.example.com:3478?transport=tcp"), {
      target: { value: "stun:stun.example.com\n turn:turn.example.com?transport=tcp \n" },
    });
    fireEvent.change(screen.getByLabelText(/TURN shared secret/), { target: { value: "north-wind" } });
    fireEvent.click(screen.getByRole("button", { name: "Save network settings" }));
    await waitFor(() => expect(backend.setTurnSecret).toHaveBeenCalledWith("north-wind"));
    expect(backend.setSettings).toHaveBeenCalledWith(
      expect.objectContaining({ iceServers: ["stun:stun.example.com", "turn:turn.example.com?transport=tcp"], publicIp: null }),
    );
    expect(await screen.findByText(/TURN shared secret \(set; type to replace\)/)).toBeTruthy();
  });

  it("refuses a port that is not a number", async () => {
    backend.startRoom.mockClear();
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    fireEvent.change(screen.getByPlaceholderText("any"), { target: { value: "80a" } });
    fireEvent.click(screen.getByRole("button", { name: "Start room" }));
    expect((await screen.findByRole("alert")).textContent).toContain("The port must be a number");
    expect(backend.startRoom).not.toHaveBeenCalled();
  });
});

describe("the voice operator", () => {
  it("shows its state in the status bar, counting down a reconnect", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      render(<App />);
      await screen.findByText("Implement ICE Restart Handling");
      const status = screen.getByTestId("voice-status");
      expect(status.textContent).toContain("off until you join");
      act(() => backend.voice!({ payload: { status: { state: "connecting" } } }));
      expect(status.textContent).toContain("connecting");
      act(() => backend.voice!({ payload: { status: { state: "reconnecting", attempt: 2, retryInSecs: 4, reason: "Could not reach the API" } } }));
      expect(status.textContent).toContain("reconnecting in 4 s (attempt 2) · Could not reach the API");
      await act(async () => vi.advanceTimersByTimeAsync(2_100));
      expect(status.textContent).toContain("reconnecting in 2 s");
      act(() => backend.voice!({ payload: { status: { state: "stopped", reason: "API key rejected (invalid_api_key)" } } }));
      expect(status.textContent).toContain("stopped: API key rejected");
      expect(status.classList.contains("warning")).toBe(true);
      act(() => backend.voice!({ payload: { status: { state: "listening", callId: "rtc_1" } } }));
      expect(status.textContent).toContain("listening");
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows what it heard, newest first, with who said it and the time", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const panel = screen.getByRole("region", { name: "Transcript" });
    expect(within(panel).getByText("What the voice operator hears shows up here.")).toBeTruthy();
    act(() => backend.transcript!({ payload: { line: { itemId: "i1", text: "I started on ICE restarts.", speakers: ["Ana"], at: Date.now() } } }));
    act(() => backend.transcript!({ payload: { line: { itemId: "i2", text: "The DTLS cleanup is done.", speakers: [], at: Date.now() } } }));
    act(() => backend.transcript!({ payload: { line: { itemId: "i3", text: "Both of us are on it.", speakers: ["Bo", "Ana"], at: Date.now() } } }));
    const items = within(panel).getAllByRole("listitem");
    expect(items.map((item) => item.querySelector("p:last-child")!.textContent)).toEqual([
      "Both of us are on it.",
      "The DTLS cleanup is done.",
      "I started on ICE restarts.",
    ]);
    // Each line names who said it: one person, several at once, or nobody the room could name.
    expect(items.map((item) => item.querySelector(".speaker")?.textContent ?? null)).toEqual(["several people: Bo, Ana", null, "Ana"]);
  });

  it("shows a meeting's notes when it ends, lists the earlier ones, copies them and opens their folder", async () => {
    backend.notes = { "2026-12-04 09.00 meeting.md": "# Meeting notes: Friday 4 December 2026, 09:00\n" };
    const writeText = vi.fn(async (_: string) => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    // The meeting ends: its notes are written and shown at once.
    const today = "# Meeting notes: Saturday 5 December 2026, 09:00\n\n## Transcript\n\n- 09:01:00 **Ana:** ICE restarts shipped.\n";
    backend.notes["2026-12-05 09.00 meeting.md"] = today;
    act(() => backend.notesWritten!({ payload: { name: "2026-12-05 09.00 meeting.md" } }));
    const dialog = await screen.findByRole("dialog", { name: "Meeting notes" });
    await within(dialog).findByText(/\*\*Ana:\*\* ICE restarts shipped\./);
    const meetings = within(within(dialog).getByRole("navigation", { name: "Meetings" })).getAllByRole("button");
    expect(meetings.map((button) => button.textContent)).toEqual(["2026-12-05 09.00 meeting", "2026-12-04 09.00 meeting"]);
    expect(meetings[0].getAttribute("aria-current")).toBe("true");
    fireEvent.click(within(dialog).getByRole("button", { name: "Copy" }));
    await within(dialog).findByText("Copied: paste the notes anywhere.");
    expect(writeText).toHaveBeenCalledWith(today);
    // An earlier meeting's notes read the same way.
    fireEvent.click(meetings[1]);
    await within(dialog).findByText(/Friday 4 December 2026/);
    fireEvent.click(within(dialog).getByRole("button", { name: "Open folder" }));
    expect(backend.openNotesFolder).toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole("button", { name: "Close the meeting notes" }));
    expect(screen.queryByRole("dialog", { name: "Meeting notes" })).toBeNull();
    // The top bar opens them again, on the newest.
    fireEvent.click(screen.getByRole("button", { name: "Meeting notes" }));
    await within(await screen.findByRole("dialog", { name: "Meeting notes" })).findByText(/Saturday 5 December 2026/);
  });

  it("takes an API key without ever showing it, and says where it is kept", async () => {
    backend.setApiKey.mockReset().mockImplementation(async () => {
      backend.keyStatus = { ...backend.keyStatus, configured: true, source: "file" };
      return { status: "ok", data: backend.keyStatus };
    });
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Voice settings" }));
    const dialog = await screen.findByRole("dialog", { name: "Voice operator" });
    await within(dialog).findByText(/No key yet. A key you enter is saved in \/home\/me\/.config\/boardroom\/openai-api-key/);
    const input = within(dialog).getByLabelText("OpenAI API key") as HTMLInputElement;
    expect(input.type).toBe("password");
    fireEvent.change(input, { target: { value: "sk-secret" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save key" }));
    await within(dialog).findByText(/A key is saved in \/home\/me/);
    expect(backend.setApiKey).toHaveBeenCalledWith("sk-secret");
    expect(input.value).toBe("");
    expect(dialog.textContent).not.toContain("sk-secret");
  });

  it("shows what the meeting has cost so far in the status bar", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    expect(screen.queryByTestId("voice-cost")).toBeNull();
    const tokens = { textIn: 1500, cachedTextIn: 1500, audioIn: 1180, cachedAudioIn: 420, textOut: 50, audioOut: 0, transcriptionIn: 100, transcriptionOut: 18 };
    act(() => backend.cost!({ payload: { cost: { tokens, dollars: 0.045258, unpriced: false } } }));
    const cost = await screen.findByTestId("voice-cost");
    expect(cost.textContent).toBe("· $0.045 · 4,600 tokens, 41 % cached");
    expect(cost.getAttribute("title")).toContain("Output: 50 tokens");
  });

  it("offers today's models and saves prices of one's own, blank ones from the list", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Voice settings" }));
    const dialog = await screen.findByRole("dialog", { name: "Voice operator" });
    await within(dialog).findByText(/list prices of 2026-11-30/);
    const options = [...dialog.querySelectorAll("#realtime-models option")].map((o) => o.getAttribute("value"));
    expect(options).toEqual(["gpt-realtime-2", "gpt-realtime-2.1", "gpt-realtime-2.1-mini"]);
    fireEvent.change(within(dialog).getByLabelText("Audio in"), { target: { value: "28.5" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save model and address" }));
    await waitFor(() => expect(backend.setSettings).toHaveBeenCalled());
    const calls = backend.setSettings.mock.calls;
    const saved = calls[calls.length - 1][0] as { prices: Record<string, number> };
    expect(saved.prices).toEqual({ textIn: 4, cachedTextIn: 0.4, audioIn: 28.5, cachedAudioIn: 0.4, textOut: 24, audioOut: 64 });
    fireEvent.change(within(dialog).getByLabelText("Text out"), { target: { value: "lots" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save model and address" }));
    await within(dialog).findByText('Text out: "lots" is not a price.');
  });

  it("lists meeting languages by their own names and saves the one picked", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Voice settings" }));
    const dialog = await screen.findByRole("dialog", { name: "Voice operator" });
    const select = within(dialog).getByLabelText("Meeting language") as HTMLSelectElement;
    await waitFor(() => expect(select.disabled).toBe(false));
    const names = [...select.options].map((o) => o.textContent);
    expect(names).toEqual(["As this computer: English", "Deutsch", "English", "Français", "日本語"]);
    expect(select.value).toBe("");
    fireEvent.change(select, { target: { value: "de" } });
    await waitFor(() => expect(backend.setSettings).toHaveBeenLastCalledWith(expect.objectContaining({ meetingLanguage: "de" })));
    await waitFor(() => expect(select.value).toBe("de"));
    fireEvent.change(select, { target: { value: "" } });
    await waitFor(() => expect(backend.setSettings).toHaveBeenLastCalledWith(expect.objectContaining({ meetingLanguage: null })));
  });

  it("turns listening to this computer's audio on and off", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Voice settings" }));
    const dialog = await screen.findByRole("dialog", { name: "Voice operator" });
    const box = within(dialog).getByRole("checkbox", { name: /Also listen to this computer's audio/ }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    await waitFor(() => expect(backend.setSettings).toHaveBeenLastCalledWith(expect.objectContaining({ systemAudio: true })));
    await waitFor(() => expect(box.checked).toBe(true));
    fireEvent.click(box);
    await waitFor(() => expect(backend.setSettings).toHaveBeenLastCalledWith(expect.objectContaining({ systemAudio: false })));
  });

  it("shows a refused model or address and keeps the dialog open", async () => {
    backend.setSettings.mockImplementationOnce(async () => ({ status: "error", error: { kind: "invalid", message: "\"ftp://x\" is not an http(s) address." } }));
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    fireEvent.click(screen.getByRole("button", { name: "Voice settings" }));
    const dialog = await screen.findByRole("dialog", { name: "Voice operator" });
    fireEvent.change(within(dialog).getByLabelText(/API address/), { target: { value: "ftp://x" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save model and address" }));
    expect((await within(dialog).findByRole("alert")).textContent).toContain("is not an http(s) address");
    expect(backend.setSettings).toHaveBeenLastCalledWith(expect.objectContaining({ baseUrl: "ftp://x" }));
  });
});

describe("joining somebody else's meeting", () => {
  const link = "https://192.168.1.5:4000/r/token#fp=sha256:" + "ab".repeat(32);

  it("joins with the link and the remembered name, shows their room, and comes home", async () => {
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    fireEvent.click(screen.getByRole("button", { name: "Join a meeting…" }));
    const dialog = screen.getByRole("dialog", { name: "Join a meeting" });
    fireEvent.change(within(dialog).getByLabelText("Invite link"), { target: { value: link } });
    fireEvent.change(within(dialog).getByLabelText("Your name"), { target: { value: "Dee" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Join" }));
    await waitFor(() => expect(backend.joinMeeting).toHaveBeenCalledWith(link, "Dee"));
    expect(backend.setSettings).toHaveBeenCalledWith(expect.objectContaining({ yourName: "Dee" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    // The room's board replaces this machine's own while the window is there.
    const theirs = { ...seedBoard(), revision: 7, columns: seedBoard().columns.map((c) => ({ ...c, cards: c.status === "Done" ? [] : c.cards.slice(0, 1) })) };
    backend.getBoard.mockImplementation(async () => ({ status: "ok", data: theirs }));
    act(() => backend.whereabouts!({ payload: { guest: { host: null, connection: { state: "connecting" }, mutedByHost: false }, left: null } }));
    expect(await screen.findByText("Joining the room…")).toBeTruthy();
    act(() => backend.whereabouts!({ payload: { guest: { host: "Ana", connection: { state: "in" }, mutedByHost: false }, left: null } }));
    expect(await screen.findByText("You are in Ana's room")).toBeTruthy();
    expect(await screen.findByText(/Ana's board · revision 7/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Start room" })).toBeNull();

    act(() => backend.whereabouts!({ payload: { guest: { host: "Ana", connection: { state: "reconnecting", reason: "The connection dropped. Trying again in 1 s…" }, mutedByHost: false }, left: null } }));
    expect(await screen.findByText(/Reconnecting to Ana's room/)).toBeTruthy();
    act(() => backend.whereabouts!({ payload: { guest: { host: "Ana", connection: { state: "in" }, mutedByHost: true }, left: null } }));
    expect(await screen.findByText(/The host muted you for everyone/)).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Leave" }));
    await waitFor(() => expect(backend.leaveMeeting).toHaveBeenCalled());
    backend.getBoard.mockImplementation(async () => ({ status: "ok", data: backend.board }));
    act(() => backend.whereabouts!({ payload: { guest: null, left: null } }));
    await waitFor(() => expect(screen.queryByText(/Ana's room/)).toBeNull());
    expect(await screen.findByText(/Saved · revision 0/)).toBeTruthy();
  });

  it("says why when the room ends the visit", async () => {
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    act(() => backend.whereabouts!({ payload: { guest: { host: "Ana", connection: { state: "in" }, mutedByHost: false }, left: null } }));
    await screen.findByText("You are in Ana's room");
    act(() => backend.whereabouts!({ payload: { guest: null, left: "The host ended the room." } }));
    expect(await screen.findByText("The host ended the room.")).toBeTruthy();
    // A visit too short to be seen (the room could not be reached) arrives as the way home alone.
    act(() => backend.whereabouts!({ payload: { guest: null, left: "The room could not be reached." } }));
    expect(await screen.findByText("The room could not be reached.")).toBeTruthy();
  });

  it("offers to join with a link that opened the app, and shows a refusal in the dialog", async () => {
    backend.joinMeeting.mockImplementationOnce(async () => ({ status: "error", error: { message: "That is not an invite link." } }));
    render(<App />);
    await screen.findByText("Finish RTP HEVC Packetizer");
    act(() => backend.invite!({ payload: { link: "boardroom://join?url=x" } }));
    const dialog = await screen.findByRole("dialog", { name: "Join a meeting" });
    expect((within(dialog).getByLabelText("Invite link") as HTMLInputElement).value).toBe("boardroom://join?url=x");
    fireEvent.change(within(dialog).getByLabelText("Your name"), { target: { value: "Dee" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Join" }));
    expect(await within(dialog).findByText("That is not an invite link.")).toBeTruthy();
  });
});

