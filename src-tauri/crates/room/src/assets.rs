//! The participant page: the `participant.html` entry of the UI build (`ui/dist`), built into
//! release binaries and read from disk in debug builds.

use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../../../ui/dist"]
#[include = "participant.html"]
#[include = "assets/*"]
// A backend-only build (`cargo test` before `npm run ui:build`) still compiles; the page then says what is missing.
#[allow_missing = true]
struct Dist;

pub const PAGE: &str = "participant.html";

/// A file of the page and its MIME type.
pub fn get(path: &str) -> Option<(Vec<u8>, String)> {
    let file = Dist::get(path)?;
    Some((file.data.into_owned(), file.metadata.mimetype().to_owned()))
}
