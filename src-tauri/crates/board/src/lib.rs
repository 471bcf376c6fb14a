//! The Kanban board: the pure model and its validated operations (`model`, `edit`,
//! `limits`), the change log with undo (`change`), the seed cards (`seed`),
//! crash-safe persistence (`file`) and the single actor every edit goes through (`actor`).

pub mod actor;
pub mod change;
pub mod edit;
pub mod file;
pub mod limits;
pub mod model;
pub mod seed;

pub use actor::{BoardActor, BoardHandle, EditFailed};
pub use change::{Change, PlacedCard, Source};
pub use edit::{BoardError, Edit};
pub use file::{BoardFile, LoadOutcome};
pub use model::{Board, Card, Column, Status};
