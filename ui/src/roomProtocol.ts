// Generated from the room's protocol crate (src-tauri/crates/room-protocol). Do not edit.
import type { ErrorCode } from "./bindings";

/** Bumped when a message changes in a way an older page could not follow. */
export const PROTOCOL_VERSION = 2;

/** The largest message either side sends, in bytes. */
export const MAX_MESSAGE_BYTES = 65536;

/** The participant id of the person running the room. */
export const HOST_ID = "host";

/** How long a participant whose connection dropped keeps their place, in milliseconds. */
export const REJOIN_GRACE_MS = 30000;

/** The wait before each try to come back after a dropped connection, in milliseconds; the last one repeats. */
export const RETRY_MS = [1000,2000,4000,8000];

/** Errors after which the room closes the connection: the page does not try again. */
export const FINAL_ERRORS: ErrorCode[] = ["unsupportedVersion","badName","roomFull","removed","locked","declined","tooManyErrors"];

/** The longest name, in characters. */
export const MAX_NAME_CHARS = 40;
