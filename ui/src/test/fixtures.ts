import type { Board, Card, Change, Source, Status } from "../bindings";

export function card(id: string, title: string, status: Status = "Backlog", tags: string[] = []): Card {
  return { id, status, title, notes: "", tags };
}

export function seedBoard(): Board {
  return {
    revision: 0,
    nextCardNumber: 1,
    columns: [
      {
        status: "Backlog",
        cards: [
          card("card-001", "Finish RTP HEVC Packetizer", "Backlog", ["webrtc", "rtp", "hevc"]),
          card("card-002", "Add RTP Retransmission Buffer"),
          card("card-003", "Implement ICE Restart Handling"),
        ],
      },
      { status: "In Progress", cards: [] },
      { status: "Blocked", cards: [card("card-004", "Harden DTLS/SRTP Cleanup", "Blocked")] },
      { status: "Done", cards: [] },
    ],
    activity: [],
  };
}

export function moveChange(board: Board, id: string, to: Status, position: number, source: Source = { kind: "hand" }): Change {
  const from = board.columns.find((c) => c.cards.some((x) => x.id === id))!;
  const index = from.cards.findIndex((x) => x.id === id);
  const before = from.cards[index];
  return {
    revision: board.revision + 1,
    at: 1_700_000_000_000,
    source,
    operation: { type: "move", cardId: id, status: to, position },
    before: { card: before, position: index },
    after: { card: { ...before, status: to }, position },
  };
}
