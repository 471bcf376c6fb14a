//! A Trello board's JSON export (Menu → Print, export and share → Export as JSON): its open
//! lists in order, each open card with its description and labels. Everything else the
//! export carries (actions, members, checklists) is skipped.

use serde::Deserialize;

use super::{Draft, ImportError, ImportFormat, Incoming};

#[derive(Deserialize)]
struct Board {
    lists: Vec<List>,
    cards: Vec<Card>,
}

#[derive(Deserialize)]
struct List {
    id: String,
    name: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    pos: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Card {
    id_list: String,
    name: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    labels: Vec<Label>,
    #[serde(default)]
    pos: f64,
}

#[derive(Deserialize)]
struct Label {
    #[serde(default)]
    name: String,
    #[serde(default)]
    color: Option<String>,
}

pub(super) fn read(text: &str) -> Result<Incoming, ImportError> {
    let mut board: Board = serde_json::from_str(text)?;
    board.lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    board.cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let mut incoming = Incoming::new(ImportFormat::Trello);
    let mut left_out = 0;
    for list in &board.lists {
        let cards = board.cards.iter().filter(|card| card.id_list == list.id);
        if list.closed {
            left_out += cards.count() as u32;
            continue;
        }
        let index = incoming.list(&list.name);
        for card in cards {
            if card.closed {
                left_out += 1;
                continue;
            }
            // A label with no name is known by its colour.
            let tags = card
                .labels
                .iter()
                .filter_map(|label| Some(label.name.trim()).filter(|n| !n.is_empty()).or(label.color.as_deref()))
                .map(str::to_owned)
                .collect();
            let draft = Draft { id: None, title: card.name.clone(), notes: card.desc.clone(), tags };
            incoming.card(index, || format!("card \"{}\" in list \"{}\"", card.name, list.name), draft)?;
        }
    }
    // Cards of lists the export does not hold (deleted lists) are not on the board either.
    let known = |card: &Card| board.lists.iter().any(|list| list.id == card.id_list);
    left_out += board.cards.iter().filter(|card| !known(card)).count() as u32;
    incoming.left_out = left_out;
    Ok(incoming)
}
