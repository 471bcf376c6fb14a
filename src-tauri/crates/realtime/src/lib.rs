//! The voice operator, in the order a call flows: the calls API over HTTP (`api`), the
//! WebRTC peer with the room-mix track and the `oai-events` channel (`peer`), the events on
//! that channel (`protocol`), the session config whose instructions and tools change during
//! a call only with the meeting's language (`session`, `language`), the board told to the model as conversation items and its
//! words as transcription hints (`board_items`), what the current call has been told of it
//! (`briefing`), the tools and their parsing (`tools`),
//! looking cards up (`find`), exactly-once function calls (`calls`), which words led to a
//! call (`transcripts`) and who said them (`speakers`), faults and the retry schedule (`fault`, `backoff`), when the call is
//! renewed, its hints refreshed and a fault retried (`call_plan`), what the meeting costs
//! (`cost`), and
//! the operator task that runs it all (`operator`), encoding the room mix onto the current
//! call's track (`meeting::opus`) and reporting its state (`meeting::status`). Everything but
//! `api`, `peer` and `operator` is plain Rust without I/O.

pub mod api;
pub mod backoff;
pub mod board_items;
pub mod briefing;
pub mod call_plan;
pub mod calls;
pub mod cost;
pub mod fault;
pub mod find;
pub mod language;
pub mod operator;
pub mod peer;
pub mod protocol;
pub mod session;
pub mod speakers;
pub mod tools;
pub mod transcripts;

pub use api::{CallsApi, Endpoint};
pub use fault::Fault;
pub use language::Language;
pub use operator::{Notify, Operator, OperatorConfig, OperatorEvent, Preferences};
pub use speakers::SpeakerNames;
