//! Boardroom's own JSON and CSV, as [`crate::export`] writes them.

use super::{csv_reader, split_tags, Draft, ImportError, ImportFormat, Incoming};
use crate::export::{BoardJson, JSON_VERSION};
use crate::model::Status;

pub(super) fn json(text: &str) -> Result<Incoming, ImportError> {
    let file: BoardJson = serde_json::from_str(text)?;
    if file.boardroom != JSON_VERSION {
        let message = format!(
            "this file is version {} of Boardroom's format; this Boardroom reads version {JSON_VERSION}",
            file.boardroom
        );
        return Err(ImportError::Field { at: "\"boardroom\"".into(), message });
    }
    let mut incoming = Incoming::new(ImportFormat::Json);
    for (c, column) in file.columns.into_iter().enumerate() {
        let at_column = format!("column {} (\"{}\")", c + 1, column.column);
        let status: Status =
            column.column.parse().map_err(|err: crate::model::UnknownStatus| field(&at_column, err.to_string()))?;
        let list = incoming.list(status.as_str());
        for (n, card) in column.cards.into_iter().enumerate() {
            let draft = Draft { id: card.id, title: card.title, notes: card.notes, tags: card.tags };
            incoming.card(list, || format!("{at_column}, card {}", n + 1), draft)?;
        }
    }
    Ok(incoming)
}

pub(super) fn csv(text: &str) -> Result<Incoming, ImportError> {
    let mut reader = csv_reader(text);
    let header = reader.headers()?.clone();
    let find =
        |names: &[&str]| header.iter().position(|field| names.iter().any(|n| field.trim().eq_ignore_ascii_case(n)));
    let (id, column, title) = (find(&["id"]), find(&["column", "status"]), find(&["title"]));
    let (column, title) = column.zip(title).expect("the caller found both columns");
    let (notes, tags) = (find(&["notes"]), find(&["tags"]));
    let mut incoming = Incoming::new(ImportFormat::Csv);
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |index: Option<usize>| index.and_then(|i| record.get(i)).unwrap_or_default();
        let status: Status = cell(Some(column))
            .parse()
            .map_err(|err: crate::model::UnknownStatus| ImportError::Csv { line, message: err.to_string() })?;
        let list = incoming.list(status.as_str());
        let id = Some(cell(id)).filter(|id| !id.trim().is_empty()).map(str::to_owned);
        let draft =
            Draft { id, title: cell(Some(title)).into(), notes: cell(notes).into(), tags: split_tags(cell(tags)) };
        incoming.card(list, || format!("line {line}"), draft)?;
    }
    Ok(incoming)
}

fn field(at: &str, message: String) -> ImportError {
    ImportError::Field { at: at.to_owned(), message }
}
