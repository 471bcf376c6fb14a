//! A Jira CSV export (Filters → Export → CSV): each issue's Summary, Description and Status,
//! and its labels, which Jira writes as one "Labels" column per label.

use super::{csv_reader, Draft, ImportError, ImportFormat, Incoming};

pub(super) fn read(text: &str) -> Result<Incoming, ImportError> {
    let mut reader = csv_reader(text);
    let header = reader.headers()?.clone();
    let named = |name: &str| header.iter().position(|field| field.trim().eq_ignore_ascii_case(name));
    let (summary, status) = named("summary").zip(named("status")).expect("the caller found both columns");
    let description = named("description");
    let labels: Vec<usize> =
        header.iter().enumerate().filter(|(_, f)| f.trim().eq_ignore_ascii_case("labels")).map(|(i, _)| i).collect();
    let mut incoming = Incoming::new(ImportFormat::Jira);
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |index: usize| record.get(index).unwrap_or_default();
        let state = cell(status);
        if state.trim().is_empty() {
            return Err(ImportError::Csv { line, message: "the issue has no Status".into() });
        }
        let list = incoming.list(state);
        let tags = labels.iter().map(|&i| cell(i).trim()).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let notes = description.map(cell).unwrap_or_default().to_owned();
        let draft = Draft { id: None, title: cell(summary).to_owned(), notes, tags };
        incoming.card(list, || format!("line {line}"), draft)?;
    }
    Ok(incoming)
}
