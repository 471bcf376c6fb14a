//! Exactly-once function calls. The server reports each call up to three times
//! (`response.output_item.done`, `response.function_call_arguments.done`, `response.done`);
//! the ledger lets the first usable report through and nothing after it, and holds back
//! calls of responses that were cancelled, failed or cut short. Plain Rust, no I/O.

use std::collections::{HashSet, VecDeque};

/// How many call and response ids are remembered; far more than can be in flight.
const MEMORY: usize = 4_096;

/// A function call as one of the three reports carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting<'a> {
    pub call_id: &'a str,
    pub name: Option<&'a str>,
    pub arguments: &'a str,
    pub response_id: Option<&'a str>,
    /// The report came from a `response.done` whose status was cancelled, failed or incomplete.
    pub abandoned: bool,
}

/// What to do with a sighting.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// First usable report: apply it (or refuse it) now, and answer once.
    Apply { call_id: String, name: String, arguments: String },
    /// Already handled, held back, or not usable yet.
    Ignore,
}

#[derive(Default)]
pub struct CallLedger {
    settled: Bounded,
    abandoned_responses: Bounded,
}

impl CallLedger {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sighting(&mut self, seen: Sighting<'_>) -> Verdict {
        if self.settled.contains(seen.call_id) {
            return Verdict::Ignore;
        }
        let response_abandoned = seen.response_id.is_some_and(|id| self.abandoned_responses.contains(id));
        if seen.abandoned || response_abandoned {
            log::info!("not applying call {}: its response did not complete", seen.call_id);
            self.settled.insert(seen.call_id);
            return Verdict::Ignore;
        }
        let Some(name) = seen.name else {
            // The arguments-done form may lack the tool name; another form will bring it.
            return Verdict::Ignore;
        };
        self.settled.insert(seen.call_id);
        Verdict::Apply { call_id: seen.call_id.to_owned(), name: name.to_owned(), arguments: seen.arguments.to_owned() }
    }

    /// A response ended without completing: calls it carried that are not settled yet never apply.
    pub fn response_abandoned(&mut self, response_id: &str) {
        self.abandoned_responses.insert(response_id);
    }
}

/// A set that forgets its oldest entries beyond [`MEMORY`].
#[derive(Default)]
struct Bounded {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl Bounded {
    fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    fn insert(&mut self, id: &str) {
        if self.set.insert(id.to_owned()) {
            self.order.push_back(id.to_owned());
            if self.order.len() > MEMORY {
                if let Some(oldest) = self.order.pop_front() {
                    self.set.remove(&oldest);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(call_id: &'a str, name: Option<&'a str>, abandoned: bool) -> Sighting<'a> {
        Sighting { call_id, name, arguments: "{}", response_id: Some("r1"), abandoned }
    }

    #[test]
    fn the_first_report_applies_and_the_rest_are_ignored() {
        let mut ledger = CallLedger::new();
        assert!(matches!(ledger.sighting(seen("c1", Some("do_nothing"), false)), Verdict::Apply { .. }));
        assert_eq!(ledger.sighting(seen("c1", Some("do_nothing"), false)), Verdict::Ignore);
        assert_eq!(ledger.sighting(seen("c1", Some("do_nothing"), true)), Verdict::Ignore);
    }

    #[test]
    fn a_report_without_a_name_waits_for_one_with_it() {
        let mut ledger = CallLedger::new();
        assert_eq!(ledger.sighting(seen("c1", None, false)), Verdict::Ignore);
        assert!(matches!(ledger.sighting(seen("c1", Some("add_tags"), false)), Verdict::Apply { .. }));
    }

    #[test]
    fn calls_of_abandoned_responses_never_apply() {
        let mut ledger = CallLedger::new();
        assert_eq!(ledger.sighting(seen("c1", Some("delete_ticket"), true)), Verdict::Ignore);
        assert_eq!(ledger.sighting(seen("c1", Some("delete_ticket"), false)), Verdict::Ignore);
        ledger.response_abandoned("r2");
        let late = Sighting { response_id: Some("r2"), ..seen("c2", Some("delete_ticket"), false) };
        assert_eq!(ledger.sighting(late), Verdict::Ignore);
    }

    #[test]
    fn memory_is_bounded() {
        let mut ledger = CallLedger::new();
        for i in 0..MEMORY * 2 {
            ledger.sighting(seen(&format!("c{i}"), Some("do_nothing"), false));
        }
        assert_eq!(ledger.settled.set.len(), MEMORY);
    }
}
