//! Crash safety of the saved board: a child process makes edits in a tight loop, saving
//! each to the journal (and now and then compacting it into the snapshot, and opening the
//! store afresh at each start), says which it has saved, and is killed with SIGKILL at 200
//! random moments (after a random number of saves, and a random part into the next). Each
//! time, the saved board must load, hold every edit the child said was saved (at most one
//! more, saved but not yet said), and equal the state the child had at that revision (its
//! states are a pure function of the revision, so the parent can rebuild the one it finds).

use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use board::{seed, Board, BoardFile, Edit, LoadOutcome, Source, Status, Store};

const CHILD_DIR_VAR: &str = "BOARDROOM_CRASH_CHILD_DIR";
const KILLS: usize = 200;

/// Applies edit `n` of the deterministic sequence the child runs.
fn step(board: &mut Board, n: u64) -> board::Change {
    let edit = match n % 4 {
        0 => Edit::Create {
            status: Status::Backlog,
            title: format!("Card {n}"),
            notes: "n".repeat((n % 50) as usize * 40),
            tags: vec![format!("t{n}")],
            position: Some(0),
        },
        1 => Edit::Move {
            card_id: "card-001".into(),
            status: if n % 8 == 1 { Status::Done } else { Status::Backlog },
            position: None,
        },
        2 => Edit::AddTags { card_id: "card-002".into(), tags: vec![format!("tag{n}")] },
        _ => Edit::Update {
            card_id: "card-003".into(),
            title: Some(format!("ICE restart {n}")),
            notes: None,
            tags: Some(vec![]),
        },
    };
    // A fixed timestamp keeps states reproducible.
    board.apply(edit, Source::Hand, n as i64).expect("the sequence is valid")
}

fn state_at(revision: u64) -> Board {
    let mut board = seed::board();
    for n in 0..revision {
        step(&mut board, n);
    }
    board
}

/// Runs only as the child: saves forever until killed.
#[test]
fn child_saves_in_a_loop() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else { return };
    let file = BoardFile::in_dir(std::path::Path::new(&dir));
    let mut board = match file.load(0) {
        LoadOutcome::Loaded(board) => board,
        _ => seed::board(),
    };
    let mut store = Store::open(file, &BoardFile::encode(&board)).unwrap();
    loop {
        let n = board.revision();
        let change = step(&mut board, n);
        store.append(&change).unwrap();
        println!("saved {}", change.revision);
        // More often than the store asks for, so that kills land in compactions too.
        if store.wants_compaction() || n % 16 == 15 {
            store.compact(&BoardFile::encode(&board)).unwrap();
        }
        // Restart the sequence before the states get huge.
        if board.revision() >= 400 {
            std::process::exit(0);
        }
    }
}

/// The revision in the last "saved N" line of `output` (libtest prints the test's name
/// first, on the same line as the first one).
fn last_saved(output: &str) -> Option<u64> {
    output.lines().filter_map(|line| line.rsplit_once("saved ")?.1.trim().parse().ok()).next_back()
}

#[test]
fn sigkill_at_random_moments_never_loses_a_saved_edit_nor_tears_the_file() {
    if std::env::var_os(CHILD_DIR_VAR).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = BoardFile::in_dir(dir.path());
    let exe = std::env::current_exe().unwrap();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut seen_revisions = std::collections::BTreeSet::new();
    let started = Instant::now();
    for kill in 0..KILLS {
        // Start each child afresh half of the time, so early revisions are killed too.
        if kill % 2 == 0 {
            let _ = std::fs::remove_file(file.path());
            let _ = std::fs::remove_file(file.journal_path());
        }
        let mut child = Command::new(&exe)
            .args(["--exact", "child_saves_in_a_loop", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill after a random number of saves, then a random part of the next one: the
        // moments spread over the child's progress however fast or busy the machine is.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let saves = rng % 60;
        let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut said = String::new();
        let mut line = String::new();
        let mut seen_saves = 0;
        while seen_saves < saves && output.read_line(&mut line).is_ok_and(|n| n > 0) {
            seen_saves += u64::from(line.contains("saved "));
            said.push_str(&line);
            line.clear();
        }
        std::thread::sleep(Duration::from_micros((rng >> 8) % 2_000));
        // SIGKILL: no destructors, no flush, no chance to finish the write.
        child.kill().unwrap();
        child.wait().unwrap();
        // Everything it said before it died; the pipe ends with it.
        output.read_to_string(&mut said).unwrap();
        let acknowledged = last_saved(&said);

        match file.load(0) {
            LoadOutcome::New(_) => assert_eq!(acknowledged, None, "kill {kill}: saved edits are missing"),
            LoadOutcome::Loaded(saved) => {
                let revision = saved.revision();
                if let Some(acknowledged) = acknowledged {
                    assert!(
                        (acknowledged..=acknowledged + 1).contains(&revision),
                        "kill {kill}: edit {acknowledged} was saved but the board loads at revision {revision}"
                    );
                }
                assert_eq!(
                    saved,
                    state_at(revision),
                    "kill {kill}: the files hold exactly the state written at revision {revision}"
                );
                seen_revisions.insert(revision);
            }
            other => panic!("kill {kill}: the saved board was torn: {other:?}"),
        }
    }
    assert!(seen_revisions.len() > 20, "kills landed at too few distinct moments: {seen_revisions:?}");
    println!("{KILLS} kills in {:?}; {} distinct saved revisions", started.elapsed(), seen_revisions.len());
}
