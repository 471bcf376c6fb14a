// Component tests of the whole window with the backend calls replaced by spies:
// what the user sees and which typed commands their actions send.
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Board, BoardChanged, Change } from "./bindings";
import { moveChange, seedBoard } from "./test/fixtures";

const backend = vi.hoisted(() => ({
  board: null as Board | null,
  listener: null as ((event: { payload: BoardChanged }) => void) | null,
  editBoard: vi.fn(),
  getBoard: vi.fn(),
}));

vi.mock("./bindings", () => ({
  commands: {
    getBoard: backend.getBoard,
    editBoard: backend.editBoard,
    getStartupNotice: vi.fn(async () => null),
    dismissStartupNotice: vi.fn(async () => null),
    uiReady: vi.fn(async () => null),
    getSettings: vi.fn(async () => ({ status: "ok", data: { theme: "system" } })),
    setSettings: vi.fn(async () => ({ status: "ok", data: null })),
  },
  events: {
    boardChanged: {
      listen: vi.fn(async (listener: (event: { payload: BoardChanged }) => void) => {
        backend.listener = listener;
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
      expect(within(column(name)).getByLabelText(`${count} cards`)).toBeTruthy();
    }
    expect(within(column("Backlog")).getAllByRole("button", { name: /in Backlog$/ })).toHaveLength(3);
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
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "create", status: "Blocked", title: created.title, notes: "", tags: [], position: null });
  });

  it("edits a card in the editor and shows a refusal there, then re-syncs", async () => {
    render(<App />);
    fireEvent.click(await screen.findByText("Add RTP Retransmission Buffer"));
    const dialog = screen.getByRole("dialog");
    fireEvent.change(within(dialog).getByLabelText("Title"), { target: { value: "Add RTX buffer" } });
    fireEvent.change(within(dialog).getByLabelText("Tags (comma separated)"), { target: { value: "rtp, nack" } });
    backend.editBoard.mockResolvedValue({ status: "error", error: { message: "There is no card \"card-002\" on the board (it may have been deleted)" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await within(dialog).findByRole("alert")).toHaveProperty("textContent", "There is no card \"card-002\" on the board (it may have been deleted)");
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "update", cardId: "card-002", title: "Add RTX buffer", notes: null, tags: ["rtp", "nack"] });
    await waitFor(() => expect(backend.getBoard).toHaveBeenCalledTimes(2));
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
    expect(backend.editBoard).toHaveBeenLastCalledWith({ type: "undo", revision: 1 });
  });

  it("undoes a change from the activity panel", async () => {
    render(<App />);
    await screen.findByText("Implement ICE Restart Handling");
    const change = moveChange(seedBoard(), "card-003", "Done", 0);
    emit(change);
    backend.editBoard.mockResolvedValue({ status: "error", error: { message: "Card changed since" } });
    fireEvent.click(screen.getByRole("button", { name: `Undo: Moved “Implement ICE Restart Handling” from Backlog to Done` }));
    expect(await screen.findByText("Card changed since")).toBeTruthy();
    expect(backend.editBoard).toHaveBeenCalledWith({ type: "undo", revision: 1 });
  });
});
