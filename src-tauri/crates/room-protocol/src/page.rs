//! The participant page's copy of the rules, as TypeScript: generated from the constants here
//! beside the page's message types (`ui/src/bindings.ts`), and checked for drift the same way.

use std::fmt::Write as _;

use crate::messages::ErrorCode;
use crate::names::MAX_NAME_CHARS;
use crate::rules::{COMEBACK_RETRY, HOST_ID, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, REJOIN_GRACE};

/// The TypeScript module the page imports the rules from.
pub fn typescript() -> String {
    let retry: Vec<u128> = COMEBACK_RETRY.iter().map(|wait| wait.as_millis()).collect();
    let closing: Vec<ErrorCode> = ErrorCode::ALL.into_iter().filter(|code| code.is_final()).collect();
    let mut out = String::from(
        "// Generated from the room's protocol crate (src-tauri/crates/room-protocol). Do not edit.\n\
         import type { ErrorCode } from \"./bindings\";\n",
    );
    let mut constant = |doc: &str, declaration: String| {
        let _ = write!(out, "\n/** {doc} */\nexport const {declaration};\n");
    };
    constant(
        "Bumped when a message changes in a way an older page could not follow.",
        format!("PROTOCOL_VERSION = {PROTOCOL_VERSION}"),
    );
    constant("The largest message either side sends, in bytes.", format!("MAX_MESSAGE_BYTES = {MAX_MESSAGE_BYTES}"));
    constant("The participant id of the person running the room.", format!("HOST_ID = {}", json(HOST_ID)));
    constant(
        "How long a participant whose connection dropped keeps their place, in milliseconds.",
        format!("REJOIN_GRACE_MS = {}", REJOIN_GRACE.as_millis()),
    );
    constant(
        "The wait before each try to come back after a dropped connection, in milliseconds; the last one repeats.",
        format!("RETRY_MS = {}", json(&retry)),
    );
    constant(
        "Errors after which the room closes the connection: the page does not try again.",
        format!("FINAL_ERRORS: ErrorCode[] = {}", json(&closing)),
    );
    constant("The longest name, in characters.", format!("MAX_NAME_CHARS = {MAX_NAME_CHARS}"));
    out
}

/// A value written as JSON, which is also TypeScript.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("constants serialise")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_gets_every_rule() {
        let page = super::typescript();
        for expected in [
            "export const PROTOCOL_VERSION = 2;",
            "export const HOST_ID = \"host\";",
            "export const REJOIN_GRACE_MS = 30000;",
            "export const RETRY_MS = [1000,2000,4000,8000];",
            "export const FINAL_ERRORS: ErrorCode[] = [\"unsupportedVersion\",\"badName\",\"roomFull\",\"removed\",\"locked\",\"declined\",\"tooManyErrors\"];",
        ] {
            assert!(page.contains(expected), "{expected} in\n{page}");
        }
    }
}
