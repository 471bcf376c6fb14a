use super::*;
use crate::change::Source;
use crate::edit::Edit;
use crate::export::ExportFormat;
use crate::model::Board;
use crate::seed;

/// The seed board plus cards whose text is hard to write out: quotes, commas, line breaks,
/// tabs, non-ASCII, a tag with a comma, no tags, empty notes, in every column.
fn awkward_board() -> Board {
    let mut board = seed::board();
    let cards = [
        (Status::InProgress, "Say \"hello\", then goodbye", "line one\nline two\n\twith a tab", vec!["a, b"]),
        (Status::Blocked, "Café ☕ — naïve résumé", "", vec![]),
        (Status::Done, "=SUM(A1)", "a \"quoted\" note, with commas", vec!["ops", "on call", "x,y"]),
    ];
    for (status, title, notes, tags) in cards {
        let tags = tags.into_iter().map(str::to_owned).collect();
        let edit = Edit::Create { status, title: title.into(), notes: notes.into(), tags, position: None };
        board.apply(edit, Source::Hand, 0).unwrap();
    }
    board
}

/// Imports `file` in place of a fresh board's cards, with the columns its lists name.
fn imported(file: &str) -> Board {
    let incoming = Incoming::read(file.as_bytes()).unwrap();
    let cards = incoming.cards(&incoming.guessed_columns().unwrap()).unwrap();
    let mut board = Board::with_cards(vec![]);
    board.apply(Edit::Import { from: "f".into(), replace: true, cards }, Source::Hand, 0).unwrap();
    board
}

#[test]
fn json_and_csv_round_trip_exactly() {
    let board = awkward_board();
    for format in [ExportFormat::Json, ExportFormat::Csv] {
        let file = format.write(&board);
        let back = imported(&file);
        assert_eq!(back.columns(), board.columns(), "{format:?}:\n{file}");
        assert_eq!(format.write(&back), file, "{format:?} written again");
    }
}

#[test]
fn markdown_reads_section_by_section_as_obsidian_kanban_does() {
    let markdown = ExportFormat::Markdown.write(&awkward_board());
    let (front, rest) = markdown.split_once("\n## ").unwrap();
    assert_eq!(front, "---\n\nkanban-plugin: basic\n\n---\n");
    let (body, settings) = rest.split_once("%% kanban:settings").unwrap();
    assert_eq!(settings, "\n```\n{\"kanban-plugin\":\"basic\"}\n```\n%%\n");
    let sections: Vec<&str> = body.split("\n## ").map(str::trim_end).collect();
    assert_eq!(sections.len(), 4);
    assert!(sections[0].starts_with("Backlog\n\n- [ ] Finish RTP HEVC Packetizer #webrtc #rtp #hevc\n\tFragmentation"));
    assert_eq!(sections[0].matches("\n- [ ] ").count(), 5);
    assert_eq!(
        sections[1],
        "In Progress\n\n- [ ] Say \"hello\", then goodbye #a,-b\n\tline one\n\tline two\n\t\twith a tab"
    );
    assert_eq!(sections[2], "Blocked\n\n- [ ] Café ☕ — naïve résumé");
    assert_eq!(
        sections[3],
        "Done\n\n**Complete**\n- [x] =SUM(A1) #ops #on-call #x,y\n\ta \"quoted\" note, with commas"
    );
}

/// A Trello export as Trello writes it, trimmed to what matters plus some of what it also holds.
const TRELLO: &str = r##"{
  "id": "5f1", "name": "Team board", "desc": "", "closed": false,
  "actions": [{"id": "a1", "type": "createCard", "data": {}}],
  "labels": [{"id": "l1", "name": "backend", "color": "green"}],
  "lists": [
    {"id": "L3", "name": "Done", "closed": false, "pos": 49152},
    {"id": "L1", "name": "To Do", "closed": false, "pos": 16384},
    {"id": "L2", "name": "QA", "closed": false, "pos": 32768},
    {"id": "L4", "name": "Old ideas", "closed": true, "pos": 65536}
  ],
  "cards": [
    {"id": "c2", "idList": "L1", "name": "Second", "desc": "", "closed": false, "pos": 2000, "labels": []},
    {"id": "c1", "idList": "L1", "name": "First", "desc": "Why:\n- because", "closed": false, "pos": 1000,
     "labels": [{"id": "l1", "name": "backend", "color": "green"}, {"id": "l2", "name": "", "color": "red"}]},
    {"id": "c3", "idList": "L2", "name": "Check it", "desc": "", "closed": false, "pos": 1, "labels": []},
    {"id": "c4", "idList": "L3", "name": "Shipped thing", "desc": "", "closed": false, "pos": 1, "labels": []},
    {"id": "c5", "idList": "L3", "name": "Archived card", "desc": "", "closed": true, "pos": 2, "labels": []},
    {"id": "c6", "idList": "L4", "name": "In an archived list", "desc": "", "closed": false, "pos": 1, "labels": []}
  ],
  "checklists": [], "members": []
}"##;

#[test]
fn a_trello_export_maps_lists_to_columns_and_leaves_archived_cards_out() {
    let incoming = Incoming::read(TRELLO.as_bytes()).unwrap();
    assert_eq!(incoming.format, ImportFormat::Trello);
    let lists: Vec<(&str, Option<Status>, u32)> =
        incoming.lists.iter().map(|l| (l.name.as_str(), l.column, l.cards)).collect();
    assert_eq!(
        lists,
        [("To Do", Some(Status::Backlog), 2), ("QA", None, 1), ("Done", Some(Status::Done), 1)],
        "in Trello's order, archived lists left out"
    );
    assert_eq!(incoming.left_out, 2);
    assert_eq!(incoming.guessed_columns().unwrap_err().to_string(), "say which column the cards of \"QA\" go in");
    // The person puts QA in In Progress.
    let cards = incoming.cards(&[Status::Backlog, Status::InProgress, Status::Done]).unwrap();
    let got: Vec<(Status, &str, &str, Vec<&str>)> = cards
        .iter()
        .map(|c| (c.status, c.title.as_str(), c.notes.as_str(), c.tags.iter().map(|t| t.as_str()).collect()))
        .collect();
    assert_eq!(
        got,
        [
            (Status::Backlog, "First", "Why:\n- because", vec!["backend", "red"]),
            (Status::Backlog, "Second", "", vec![]),
            (Status::InProgress, "Check it", "", vec![]),
            (Status::Done, "Shipped thing", "", vec![]),
        ]
    );
    assert_eq!(incoming.cards(&[Status::Done]), Err(ImportError::WrongMapping { given: 1, lists: 3 }));
}

const JIRA: &str = "Summary,Issue key,Issue id,Issue Type,Status,Priority,Labels,Labels,Labels,Description\n\
Fix login,OPS-12,10012,Bug,In Progress,High,auth,urgent,,\"Users see a 500.\nSteps: log in\"\n\
Write runbook,OPS-13,10013,Task,To Do,Low,docs,,,\n\
Rotate keys,OPS-9,10009,Task,Done,Medium,,,,Done last week\n\
Vendor reply,OPS-14,10014,Task,Waiting for customer,Medium,,,,\n";

#[test]
fn a_jira_export_takes_summary_description_status_and_every_labels_column() {
    let incoming = Incoming::read(JIRA.as_bytes()).unwrap();
    assert_eq!(incoming.format, ImportFormat::Jira);
    let lists: Vec<(&str, Option<Status>)> = incoming.lists.iter().map(|l| (l.name.as_str(), l.column)).collect();
    assert_eq!(
        lists,
        [
            ("In Progress", Some(Status::InProgress)),
            ("To Do", Some(Status::Backlog)),
            ("Done", Some(Status::Done)),
            ("Waiting for customer", None)
        ]
    );
    let cards = incoming.cards(&[Status::InProgress, Status::Backlog, Status::Done, Status::Blocked]).unwrap();
    let first = cards.iter().find(|c| c.title == "Fix login").unwrap();
    assert_eq!((first.status, first.notes.as_str()), (Status::InProgress, "Users see a 500.\nSteps: log in"));
    assert_eq!(first.tags, ["auth", "urgent"]);
    let order: Vec<&str> = cards.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(order, ["Write runbook", "Fix login", "Vendor reply", "Rotate keys"], "board order");
}

#[test]
fn a_bad_file_gets_an_error_naming_the_line_or_field() {
    let error = |file: &str| Incoming::read(file.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        error("{\n  \"boardroom\": 1,\n  \"columns\": [ {\"column\": \"Done\", \"cards\": [}]\n}"),
        "line 3, column 45: expected value"
    );
    assert_eq!(
        error("{\"boardroom\": 1, \"columns\": [{\"column\": \"Doing\", \"cards\": []}]}"),
        "column 1 (\"Doing\"): \"Doing\" is not a column; use Backlog, In Progress, Blocked or Done"
    );
    let wrong_type = error("{\"boardroom\": 1, \"columns\": [{\"column\": \"Done\", \"cards\": [{\"title\": 3}]}]}");
    assert_eq!(wrong_type, "line 1, column 69: invalid type: integer `3`, expected a string");
    assert_eq!(
        error("{\"boardroom\": 2, \"columns\": []}"),
        "\"boardroom\": this file is version 2 of Boardroom's format; this Boardroom reads version 1"
    );
    assert_eq!(
        error("id,column,title\n1,Done,ok\n2,Later,no\n"),
        "line 3: \"Later\" is not a column; use Backlog, In Progress, Blocked or Done"
    );
    assert_eq!(error("id,column,title\n1,Done,ok\n2,Done\n"), "line 3: this row has 2 fields where the header has 3");
    let long = format!("column,title\nDone,{}\n", "x".repeat(201));
    assert_eq!(error(&long), "line 2: the title is 201 characters long; the limit is 200");
    assert_eq!(error("column,title,notes\nDone,,n\n"), "line 2: a card needs a title");
    assert_eq!(
        error("id,column,title\nbad id,Done,t\n"),
        "line 2: \"bad id\" cannot be a card id: use 1 to 64 letters, digits, dashes, underscores or dots"
    );
    assert!(
        error("name,when\nx,y\n").starts_with("this is not a board Boardroom can import"),
        "{}",
        error("name,when\nx,y\n")
    );
    assert!(error("{\"name\": \"x\"}").starts_with("this is not a board Boardroom can import"));
    let latin1 = Incoming::read(b"column,title\nDone,caf\xe9\n").unwrap_err();
    assert_eq!(latin1.to_string(), "line 2: the file is not UTF-8 text");
}

#[test]
fn an_import_is_one_change_a_bad_one_changes_nothing() {
    let mut board = seed::board();
    let incoming = Incoming::read(JIRA.as_bytes()).unwrap();
    let columns = [Status::InProgress, Status::Backlog, Status::Done, Status::Blocked];
    let cards = incoming.cards(&columns).unwrap();
    let revision = board.revision();
    let change = board.apply(Edit::Import { from: "jira.csv".into(), replace: false, cards }, Source::Hand, 0).unwrap();
    assert_eq!(change.revision, revision + 1);
    assert_eq!(board.card_count(), 9);
    board.apply(Edit::Undo { revision: change.revision }, Source::Hand, 0).unwrap();
    assert_eq!(board.columns(), seed::board().columns());
    // More cards than a board holds: refused before anything moves.
    let many: String = std::iter::once("column,title\n".to_owned())
        .chain((0..=limits::MAX_CARDS).map(|n| format!("Done,card {n}\n")))
        .collect();
    assert_eq!(Incoming::read(many.as_bytes()), Err(ImportError::TooManyCards { count: limits::MAX_CARDS + 1 }));
}
