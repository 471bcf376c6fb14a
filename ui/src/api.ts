// The typed backend calls, with failures turned into exceptions that carry the message to show.
import { commands, type Board, type Change, type CommandError, type Edit, type ErrorKind } from "./bindings";

/** A command the backend refused or could not carry out; `kind` says what the window should do. */
export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: CommandError };

function unwrap<T>(result: Result<T>): T {
  if (result.status === "error") throw new CommandFailed(result.error.message, result.error.kind);
  return result.data;
}

export async function fetchBoard(): Promise<Board> {
  return unwrap(await commands.getBoard());
}

/** Applies `edit`, made on the board as it was at revision `seen`. */
export async function editBoard(edit: Edit, seen: number): Promise<Change> {
  return unwrap(await commands.editBoard(edit, seen));
}
