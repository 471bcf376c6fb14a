//! The board written out for other tools: Markdown (one section per column, as the Obsidian
//! Kanban plugin reads it), JSON (our own format, which [`crate::import`] reads back exactly)
//! and CSV (one row per card, for spreadsheets; also read back exactly).

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::model::{Board, Card, Status};

/// The formats a board can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    Markdown,
    Json,
    Csv,
}

impl ExportFormat {
    /// The format a file name asks for by its extension.
    pub fn for_file(name: &str) -> Option<ExportFormat> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "md" | "markdown" => Some(ExportFormat::Markdown),
            "json" => Some(ExportFormat::Json),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }

    pub fn write(self, board: &Board) -> String {
        match self {
            ExportFormat::Markdown => markdown(board),
            ExportFormat::Json => json(board),
            ExportFormat::Csv => csv(board),
        }
    }
}

/// Our JSON file: the columns in order, each with its cards in order.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardJson {
    /// The format's version, so a later one can be told apart.
    pub boardroom: u32,
    pub columns: Vec<ColumnJson>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ColumnJson {
    pub column: String,
    pub cards: Vec<CardJson>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardJson {
    pub id: Option<String>,
    pub title: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

pub(crate) const JSON_VERSION: u32 = 1;

/// The CSV file's columns, in order.
pub(crate) const CSV_HEADER: [&str; 5] = ["id", "column", "title", "notes", "tags"];

fn json(board: &Board) -> String {
    let columns = board
        .columns()
        .iter()
        .map(|column| ColumnJson {
            column: column.status.as_str().to_owned(),
            cards: column
                .cards
                .iter()
                .map(|card| CardJson {
                    id: Some(card.id.clone()),
                    title: card.title.clone(),
                    notes: card.notes.clone(),
                    tags: card.tags.clone(),
                })
                .collect(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&BoardJson { boardroom: JSON_VERSION, columns })
        .expect("a board always serialises");
    text.push('\n');
    text
}

fn csv(board: &Board) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER).expect("writing to memory");
    for card in board.cards() {
        let record = [card.id.as_str(), card.status.as_str(), &card.title, &card.notes, &csv_tags(&card.tags)];
        writer.write_record(record).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("the cards are UTF-8")
}

/// Tags one a line in their cell: a tag never holds a line break, while commas are allowed.
/// A single tag with a comma gets a line break after it, so reading it back (which splits on
/// commas only when a cell has no line break) keeps it whole.
fn csv_tags(tags: &[String]) -> String {
    let mut cell = tags.join("\n");
    if let [only] = tags {
        if only.contains(',') {
            cell.push('\n');
        }
    }
    cell
}

/// Obsidian Kanban's format: front matter, a `##` section per column with `- [ ]` items
/// (`- [x]` and the "Complete" mark in Done), tags as `#tags` and notes as the item's
/// indented lines, then the plugin's settings block.
fn markdown(board: &Board) -> String {
    let mut text = String::from("---\n\nkanban-plugin: basic\n\n---\n\n");
    for column in board.columns() {
        text.push_str(&format!("## {}\n\n", column.status));
        let done = column.status == Status::Done;
        if done {
            text.push_str("**Complete**\n");
        }
        for card in &column.cards {
            text.push_str(&markdown_item(card, done));
        }
        text.push_str("\n\n");
    }
    text.push_str("\n\n%% kanban:settings\n```\n{\"kanban-plugin\":\"basic\"}\n```\n%%\n");
    text
}

fn markdown_item(card: &Card, done: bool) -> String {
    let mark = if done { "x" } else { " " };
    // A tag is one word there: spaces become dashes.
    let tags: String = card.tags.iter().map(|tag| format!(" #{}", tag.replace(char::is_whitespace, "-"))).collect();
    let mut item = format!("- [{mark}] {}{tags}\n", card.title);
    for line in card.notes.lines() {
        item.push_str(&format!("\t{line}\n"));
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed;

    #[test]
    fn the_format_comes_from_the_file_name() {
        assert_eq!(ExportFormat::for_file("standup.MD"), Some(ExportFormat::Markdown));
        assert_eq!(ExportFormat::for_file("/tmp/a.b/board.csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::for_file("board.json"), Some(ExportFormat::Json));
        assert_eq!(ExportFormat::for_file("board"), None);
        assert_eq!(ExportFormat::for_file("board.txt"), None);
    }

    #[test]
    fn csv_tags_read_back_whole() {
        assert_eq!(csv_tags(&["a".into(), "b c".into()]), "a\nb c");
        assert_eq!(csv_tags(&["x, y".into()]), "x, y\n");
        assert_eq!(csv_tags(&["solo".into()]), "solo");
        assert_eq!(csv_tags(&[]), "");
    }

    #[test]
    fn markdown_has_a_section_per_column() {
        let markdown = ExportFormat::Markdown.write(&seed::board());
        let sections: Vec<&str> = markdown.lines().filter(|line| line.starts_with("## ")).collect();
        assert_eq!(sections, ["## Backlog", "## In Progress", "## Blocked", "## Done"]);
    }
}
