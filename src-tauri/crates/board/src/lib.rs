//! The Kanban board: the pure model and its validated operations (`model`, `edit`,
//! `limits`), the change log with undo (`change`), the seed cards (`seed`),
//! voice edits that wait for a person (`suggestion`),
//! crash-safe persistence (`file` reads and writes the whole board, `journal` is the format
//! of the changes saved since, `store` appends them), the single actor every edit goes
//! through (`actor`), following a board kept elsewhere from its change records (`follow`), and
//! boards in other tools' files: `export` writes them, `import` reads them, `batch` places an
//! import as one change.

pub mod actor;
mod batch;
pub mod change;
pub mod edit;
pub mod export;
pub mod file;
pub mod follow;
pub mod import;
mod journal;
pub mod limits;
pub mod model;
pub mod seed;
pub mod store;
pub mod suggestion;

pub use actor::{BoardActor, BoardHandle, EditFailed};
pub use change::{Batch, Change, PlacedCard, Source};
pub use edit::{BoardError, Edit, NewCard};
pub use file::{BoardFile, LoadOutcome};
pub use follow::Followed;
pub use model::{Board, Card, Column, Status};
pub use store::Store;
pub use suggestion::Suggestion;
