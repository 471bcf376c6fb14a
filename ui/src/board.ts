// The window's copy of the board and how it follows the backend: changes arrive in
// revision order and are applied here; a gap means we missed one and must re-fetch.
import type { Batch, Board, Card, Change, Edit, Source, Status, Suggestion } from "./bindings";

export const STATUSES: Status[] = ["Backlog", "In Progress", "Blocked", "Done"];
const ACTIVITY_LIMIT = 500;

export type Received = { kind: "applied"; board: Board } | { kind: "stale" } | { kind: "gap" };

/** Applies `change` if it is the next revision; reports stale (already seen) and gap (resync) otherwise. */
export function receive(board: Board, change: Change): Received {
  if (change.revision <= board.revision) return { kind: "stale" };
  if (change.revision !== board.revision + 1) return { kind: "gap" };
  if (change.batch) return { kind: "applied", board: placeBatch(board, change, change.batch) };
  const id = change.after?.card.id ?? change.before?.card.id;
  const columns = board.columns.map((column) => {
    const cards = column.cards.filter((card) => card.id !== id);
    if (change.after && change.after.card.status === column.status) {
      cards.splice(Math.min(change.after.position, cards.length), 0, change.after.card);
    }
    return { ...column, cards };
  });
  const activity = [...board.activity, change].slice(-ACTIVITY_LIMIT);
  return { kind: "applied", board: { ...board, revision: change.revision, columns, activity, pending: settle(board, change) } };
}

/** Applies an import or its undo: the removed cards off, then the added ones in order at their places. */
function placeBatch(board: Board, change: Change, batch: Batch): Board {
  const gone = new Set(batch.removed.map((placed) => placed.card.id));
  const columns = board.columns.map((column) => {
    const cards = column.cards.filter((card) => !gone.has(card.id));
    for (const placed of batch.added) {
      if (placed.card.status === column.status) cards.splice(Math.min(placed.position, cards.length), 0, placed.card);
    }
    return { ...column, cards };
  });
  const activity = [...board.activity, change].slice(-ACTIVITY_LIMIT);
  return { ...board, revision: change.revision, columns, activity, pending: settle(board, change) };
}

/** The suggestions waiting after `change`: one it filed joins them, one it answered leaves. */
function settle(board: Board, change: Change): Suggestion[] {
  const pending = board.pending ?? [];
  const suggestion = change.suggestion;
  if (!suggestion) return pending;
  const others = pending.filter((waiting) => waiting.id !== suggestion.id);
  return change.operation.type === "suggest" ? [...others, suggestion] : others;
}

/** What a suggestion asks for, as a sentence: “Delete “Fix login” from Done”. */
export function describeSuggestion({ edit, card }: Suggestion): string {
  const title = quote(card?.title ?? "a card");
  switch (edit.type) {
    case "create":
      return `Create ${quote(edit.title)} in ${edit.status}`;
    case "move":
      return `Move ${title} to ${edit.status}`;
    case "addTags":
      return `Tag ${title} with ${edit.tags.join(", ")}`;
    case "update":
      return `Edit ${title}`;
    case "delete":
      return card ? `Delete ${title} from ${card.status}` : `Delete ${title}`;
    default:
      return "Change the board";
  }
}

/** Accepts or rejects a waiting suggestion through `send`, the same way as any edit. */
export function answer(
  send: (edit: Edit) => Promise<Change | null>,
  suggestion: Suggestion,
  accept: boolean,
): Promise<Change | null> {
  return send(accept ? { type: "accept", suggestion: suggestion.id } : { type: "reject", suggestion: suggestion.id });
}

/** Whether undoing `change` would change a card: filing or dropping a suggestion changed none. */
export function canUndo(change: Change): boolean {
  return Boolean(change.before ?? change.after ?? change.batch);
}

export function findCard(board: Board, id: string): Card | undefined {
  for (const column of board.columns) {
    const card = column.cards.find((c) => c.id === id);
    if (card) return card;
  }
  return undefined;
}

export function cardIds(board: Board): Record<Status, string[]> {
  const ids = {} as Record<Status, string[]>;
  for (const column of board.columns) ids[column.status] = column.cards.map((c) => c.id);
  return ids;
}

/** Who spoke, as one phrase: "Ana", or "several people: Ana, Bo"; null when nobody could be named. */
export function whoSpoke(speakers: string[] | undefined): string | null {
  if (!speakers || speakers.length === 0) return null;
  return speakers.length === 1 ? speakers[0] : `several people: ${speakers.join(", ")}`;
}

export function sourceLabel(source: Source): string {
  switch (source.kind) {
    case "hand":
      return "You";
    case "voice": {
      const who = whoSpoke(source.speakers);
      return who ? `Voice, from ${who}` : "Voice";
    }
    case "participant":
      return source.name;
  }
}

function quote(title: string): string {
  return title.length > 48 ? `“${title.slice(0, 47)}…”` : `“${title}”`;
}

/** One line saying what a change did, for the activity panel and screen readers. */
export function describe(change: Change): string {
  const { before, after, operation, batch } = change;
  const title = quote((after ?? before)?.card.title ?? "a card");
  if (batch) return describeBatch(operation, batch);
  if (operation.type === "undo") {
    return `Undid change #${operation.revision} on ${title}`;
  }
  const asked = change.suggestion ? describeSuggestion(change.suggestion) : "Change the board";
  const lower = asked.charAt(0).toLowerCase() + asked.slice(1);
  switch (operation.type) {
    case "suggest":
      return `Suggested: ${lower}`;
    case "accept":
      return `Accepted the suggestion to ${lower}`;
    case "reject":
      return `Rejected the suggestion to ${lower}`;
    case "expire":
      return `Nobody answered the suggestion to ${lower}; it expired`;
  }
  if (!before && after) return `Created ${title} in ${after.card.status}`;
  if (before && !after) return `Deleted ${title} from ${before.card.status}`;
  if (before && after) {
    if (before.card.status !== after.card.status) {
      return `Moved ${title} from ${before.card.status} to ${after.card.status}`;
    }
    if (before.position !== after.position) return `Reordered ${title} in ${after.card.status}`;
    const parts: string[] = [];
    if (before.card.title !== after.card.title) parts.push("title");
    if (before.card.notes !== after.card.notes) parts.push("notes");
    if (before.card.tags.join("\u0000") !== after.card.tags.join("\u0000")) parts.push("tags");
    return `Edited the ${parts.join(", ") || "details"} of ${title}`;
  }
  return `Changed ${title}`;
}

function cards(count: number): string {
  return count === 1 ? "1 card" : `${count} cards`;
}

/** “Imported 12 cards from “trello.json” in place of 5 cards”; “Undid change #7: took off 12 cards”. */
function describeBatch(operation: Edit, { added, removed }: Batch): string {
  const replacing = removed.length > 0 ? ` in place of ${cards(removed.length)}` : "";
  if (operation.type === "import") return `Imported ${cards(added.length)} from ${quote(operation.from)}${replacing}`;
  const undid = operation.type === "undo" ? `Undid change #${operation.revision}: ` : "";
  if (added.length === 0) return `${undid}took off ${cards(removed.length)}`;
  return `${undid}put back ${cards(added.length)}${replacing}`;
}

/** Tags typed as "a, b, c". */
export function parseTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Sends the card editor's edits in order. The first carries the revision the editor was
 *  opened at, so a change someone made to the card meanwhile makes it refused rather than
 *  overwritten; each next one carries the revision our previous edit produced. */
export async function sendInTurn(
  edits: Edit[],
  seen: number,
  send: (edit: Edit, seen: number) => Promise<Change | null>,
): Promise<Change[]> {
  const changes: Change[] = [];
  for (const edit of edits) {
    const change = await send(edit, seen);
    if (!change) break;
    changes.push(change);
    seen = change.revision;
  }
  return changes;
}
