//! The voice operator, in the order a call flows: the calls API over HTTP (`api`), the
//! WebRTC peer with the room-mix track and the `oai-events` channel (`peer`), the events on
//! that channel (`protocol`), the session config with the board in its instructions
//! (`session`), the tools and their parsing (`tools`), exactly-once function calls
//! (`calls`), which words led to a call (`transcripts`), faults and the retry schedule
//! (`fault`, `backoff`), when the call is renewed, updated and retried (`call_plan`), and
//! the operator task that runs it all (`operator`), encoding the room mix onto the current
//! call's track (`meeting::opus`) and reporting its state (`meeting::status`). Everything but
//! `api`, `peer` and `operator` is plain Rust without I/O.

pub mod api;
pub mod backoff;
pub mod call_plan;
pub mod calls;
pub mod fault;
pub mod operator;
pub mod peer;
pub mod protocol;
pub mod session;
pub mod tools;
pub mod transcripts;

pub use api::{CallsApi, Endpoint};
pub use fault::Fault;
pub use operator::{Notify, Operator, OperatorConfig, OperatorEvent};
