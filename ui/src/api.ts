// The typed backend calls, with failures turned into exceptions that carry the message to show.
import { commands, type Board, type Change, type Edit } from "./bindings";

export class CommandFailed extends Error {}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: { message: string } };

function unwrap<T>(result: Result<T>): T {
  if (result.status === "error") throw new CommandFailed(result.error.message);
  return result.data;
}

export async function fetchBoard(): Promise<Board> {
  return unwrap(await commands.getBoard());
}

/** Applies `edit`, made on the board as it was at revision `seen`. */
export async function editBoard(edit: Edit, seen: number): Promise<Change> {
  return unwrap(await commands.editBoard(edit, seen));
}
