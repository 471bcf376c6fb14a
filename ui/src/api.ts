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

/** What a command that can fail gives back; a failure throws `CommandFailed`. */
export async function call<T>(command: Promise<Result<T>>): Promise<T> {
  const result = await command;
  if (result.status === "error") throw new CommandFailed(result.error.message, result.error.kind);
  return result.data;
}

export function fetchBoard(): Promise<Board> {
  return call(commands.getBoard());
}

/** Applies `edit`, made on the board as it was at revision `seen`. */
export function editBoard(edit: Edit, seen: number): Promise<Change> {
  return call(commands.editBoard(edit, seen));
}

/** Runs a command whose failure is only to be reported: `report` gets it (a toast, say). */
export async function attempt(command: Promise<Result<unknown>>, report: (error: unknown) => void): Promise<void> {
  try {
    await call(command);
  } catch (error) {
    report(error);
  }
}
