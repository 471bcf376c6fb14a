//! Change records: what each applied edit did, who asked for it and when.
//! They feed the activity log, undo, the UI and (later) the model and remote participants.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::edit::Edit;
use crate::model::Card;
use crate::suggestion::Suggestion;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Source {
    /// Someone using this app's window.
    Hand,
    /// The voice operator, with the function call that carried it, what was said and who
    /// said it (most speech first; none known for changes saved before names were kept).
    #[serde(rename_all = "camelCase")]
    Voice {
        call_id: String,
        transcript: Option<String>,
        #[serde(default)]
        speakers: Vec<String>,
    },
    /// A meeting participant, by the name they joined with.
    Participant { name: String },
}

impl Source {
    /// The text it holds in UTF-8 bytes.
    pub fn text_bytes(&self) -> usize {
        match self {
            Source::Hand => 0,
            Source::Voice { call_id, transcript, speakers } => {
                call_id.len()
                    + transcript.as_ref().map_or(0, String::len)
                    + speakers.iter().map(String::len).sum::<usize>()
            }
            Source::Participant { name } => name.len(),
        }
    }
}

/// A card together with its place in its column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct PlacedCard {
    pub card: Card,
    /// Index in the column named by `card.status`.
    pub position: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Change {
    /// The board's revision after this change.
    #[specta(type = u32)]
    pub revision: u64,
    /// Unix time in milliseconds.
    #[specta(type = u32)]
    pub at: i64,
    pub source: Source,
    /// What was asked for.
    pub operation: Edit,
    /// The card before the change; absent when it was created.
    pub before: Option<PlacedCard>,
    /// The card after the change; absent when it was deleted.
    pub after: Option<PlacedCard>,
    /// The suggestion this change filed, accepted, rejected or let expire. Changes saved
    /// before suggestions existed have none.
    pub suggestion: Option<Suggestion>,
    /// The cards an import (or its undo) took off and put on, all in one change; then
    /// `before` and `after` are empty. Changes saved before imports existed have none.
    #[serde(default)]
    pub batch: Option<Batch>,
}

/// Many cards changed at once: `removed` as they were, in board order, then `added` placed
/// one after the other in board order, each at its final position (so inserting them in that
/// order, after taking the removed ones off, rebuilds the board).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Batch {
    pub removed: Vec<PlacedCard>,
    pub added: Vec<PlacedCard>,
}

impl Batch {
    pub fn text_bytes(&self) -> usize {
        self.removed.iter().chain(&self.added).map(|p| p.card.text_bytes()).sum()
    }

    /// What takes this batch back: the added cards off, the removed ones on again.
    pub(crate) fn inverse(&self) -> Batch {
        Batch { removed: self.added.clone(), added: self.removed.clone() }
    }
}

impl Change {
    /// The change's text in UTF-8 bytes (who, what was asked, the card before and after):
    /// what the activity log's size cap counts.
    pub fn text_bytes(&self) -> usize {
        let card = |placed: &Option<PlacedCard>| placed.as_ref().map_or(0, |p| p.card.text_bytes());
        let suggestion = self.suggestion.as_ref().map_or(0, Suggestion::text_bytes);
        let batch = self.batch.as_ref().map_or(0, Batch::text_bytes);
        self.source.text_bytes()
            + self.operation.text_bytes()
            + card(&self.before)
            + card(&self.after)
            + suggestion
            + batch
    }

    /// The id of the card this change touched; empty for a batch (see [`Change::touches`]).
    pub fn card_id(&self) -> &str {
        self.after.as_ref().or(self.before.as_ref()).map(|p| p.card.id.as_str()).unwrap_or_default()
    }

    /// Whether this change touched the card with this id.
    pub fn touches(&self, id: &str) -> bool {
        match &self.batch {
            Some(batch) => batch.removed.iter().chain(&batch.added).any(|p| p.card.id == id),
            None => self.card_id() == id,
        }
    }
}
