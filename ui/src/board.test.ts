import { describe as suite, expect, it } from "vitest";
import { canUndo, describe, describeSuggestion, parseTags, receive, sendInTurn } from "./board";
import type { Change, Edit, Suggestion } from "./bindings";
import { card, moveChange, seedBoard } from "./test/fixtures";

suite("receive", () => {
  it("applies the next revision: the card leaves its column and lands at its position", () => {
    const board = seedBoard();
    const result = receive(board, moveChange(board, "card-003", "In Progress", 0));
    expect(result.kind).toBe("applied");
    if (result.kind !== "applied") return;
    expect(result.board.revision).toBe(1);
    expect(result.board.columns[0].cards.map((c) => c.id)).toEqual(["card-001", "card-002"]);
    expect(result.board.columns[1].cards.map((c) => c.id)).toEqual(["card-003"]);
    expect(result.board.activity).toHaveLength(1);
  });

  it("reorders within a column", () => {
    const board = seedBoard();
    const result = receive(board, moveChange(board, "card-001", "Backlog", 2));
    if (result.kind !== "applied") throw new Error(result.kind);
    expect(result.board.columns[0].cards.map((c) => c.id)).toEqual(["card-002", "card-003", "card-001"]);
  });

  it("creates and deletes", () => {
    const board = seedBoard();
    const created = card("kanban-card-001", "New", "Done");
    const create = receive(board, {
      revision: 1, at: 0, source: { kind: "hand" },
      operation: { type: "create", status: "Done", title: "New", notes: "", tags: [], position: null },
      before: null, after: { card: created, position: 0 },
    });
    if (create.kind !== "applied") throw new Error(create.kind);
    expect(create.board.columns[3].cards).toEqual([created]);
    const remove = receive(create.board, {
      revision: 2, at: 0, source: { kind: "hand" },
      operation: { type: "delete", cardId: "kanban-card-001" },
      before: { card: created, position: 0 }, after: null,
    });
    if (remove.kind !== "applied") throw new Error(remove.kind);
    expect(remove.board.columns[3].cards).toEqual([]);
  });

  it("ignores what it has seen and asks for a resync on a gap", () => {
    const board = { ...seedBoard(), revision: 5 };
    expect(receive(board, { ...moveChange(board, "card-001", "Done", 0), revision: 5 }).kind).toBe("stale");
    expect(receive(board, { ...moveChange(board, "card-001", "Done", 0), revision: 7 }).kind).toBe("gap");
  });
});

suite("suggestions", () => {
  const voice = { kind: "voice" as const, callId: "call_1", transcript: "we can drop the ICE card" };
  const suggestion = (id: number): Suggestion => ({
    id, edit: { type: "delete", cardId: "card-003" }, source: voice, at: 0,
    card: card("card-003", "Implement ICE Restart Handling"),
  });
  const filed = (revision: number): Change => ({
    revision, at: 0, source: voice, operation: { type: "suggest", edit: { type: "delete", cardId: "card-003" } },
    before: null, after: null, suggestion: suggestion(revision),
  });

  it("waits when filed and leaves when answered, the cards unchanged until accepted", () => {
    const board = seedBoard();
    const first = receive(board, filed(1));
    if (first.kind !== "applied") throw new Error(first.kind);
    expect(first.board.pending).toEqual([suggestion(1)]);
    expect(first.board.columns).toEqual(board.columns);
    const second = receive(first.board, filed(2));
    if (second.kind !== "applied") throw new Error(second.kind);
    const ice = second.board.columns[0].cards.find((c) => c.id === "card-003")!;
    const accepted: Change = {
      revision: 3, at: 0, source: { kind: "participant", name: "Ana" }, operation: { type: "accept", suggestion: 1 },
      before: { card: ice, position: 2 }, after: null, suggestion: suggestion(1),
    };
    const third = receive(second.board, accepted);
    if (third.kind !== "applied") throw new Error(third.kind);
    expect(third.board.pending!.map((s) => s.id)).toEqual([2]);
    expect(third.board.columns[0].cards.map((c) => c.id)).not.toContain("card-003");
    expect(describe(accepted)).toBe("Accepted the suggestion to delete “Implement ICE Restart Handling” from Backlog");
    expect(canUndo(accepted)).toBe(true);
    const rejected: Change = { ...accepted, revision: 4, operation: { type: "reject", suggestion: 2 }, before: null, suggestion: suggestion(2) };
    const fourth = receive(third.board, rejected);
    if (fourth.kind !== "applied") throw new Error(fourth.kind);
    expect(fourth.board.pending).toEqual([]);
    expect(canUndo(rejected)).toBe(false);
    expect(describe(filed(5))).toBe("Suggested: delete “Implement ICE Restart Handling” from Backlog");
  });

  it("says what each kind of suggestion would do", () => {
    const base = suggestion(1);
    expect(describeSuggestion({ ...base, edit: { type: "move", cardId: "card-003", status: "Done", position: null } })).toBe(
      "Move “Implement ICE Restart Handling” to Done",
    );
    const create: Edit = { type: "create", status: "Blocked", title: "Renew TURN certs", notes: "", tags: [], position: null };
    expect(describeSuggestion({ ...base, edit: create, card: null })).toBe("Create “Renew TURN certs” in Blocked");
  });
});

suite("describe", () => {
  it("says what a move did", () => {
    const board = seedBoard();
    expect(describe(moveChange(board, "card-003", "In Progress", 0))).toBe(
      "Moved “Implement ICE Restart Handling” from Backlog to In Progress",
    );
  });
});

it("parses comma separated tags", () => {
  expect(parseTags(" a, b ,, c ")).toEqual(["a", "b", "c"]);
});

suite("sendInTurn", () => {
  it("sends the first edit with the revision the editor saw, each next with the one before produced", async () => {
    const board = seedBoard();
    const sent: [Edit["type"], number][] = [];
    const edits: Edit[] = [
      { type: "update", cardId: "card-002", title: "Renamed", notes: null, tags: null },
      { type: "move", cardId: "card-002", status: "Done", position: null },
    ];
    const changes = await sendInTurn(edits, 3, async (edit, seen) => {
      sent.push([edit.type, seen]);
      return { ...moveChange(board, "card-002", "Done", 0), revision: 7 + sent.length };
    });
    expect(sent).toEqual([["update", 3], ["move", 8]]);
    expect(changes.map((c) => c.revision)).toEqual([8, 9]);
  });

  it("stops at the first edit that is refused", async () => {
    const sent: number[] = [];
    const edits: Edit[] = [
      { type: "delete", cardId: "card-001" },
      { type: "delete", cardId: "card-002" },
    ];
    const changes = await sendInTurn(edits, 0, async (_, seen) => {
      sent.push(seen);
      return null;
    });
    expect(sent).toEqual([0]);
    expect(changes).toEqual([]);
  });
});
