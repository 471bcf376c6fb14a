//! Crash safety of the saved board: a child process saves a board after every edit in a
//! tight loop and is killed with SIGKILL at 200 random moments (after a random number of
//! saves, and a random part into the next). Each time, the file must
//! parse and equal one of the states the child wrote (the child's states are a pure
//! function of the revision, so the parent can rebuild the one it finds).

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use board::{seed, Board, BoardFile, Edit, LoadOutcome, Source, Status};

const CHILD_DIR_VAR: &str = "BOARDROOM_CRASH_CHILD_DIR";
const KILLS: usize = 200;

/// The board after `n` edits of the deterministic sequence the child runs.
fn step(board: &mut Board, n: u64) {
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
    board.apply(edit, Source::Hand, n as i64).expect("the sequence is valid");
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
    loop {
        let n = board.revision();
        step(&mut board, n);
        file.save(&BoardFile::encode(&board)).unwrap();
        println!("saved");
        // The activity log is capped, so restart the sequence before the states get huge.
        if board.revision() >= 400 {
            std::process::exit(0);
        }
    }
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_torn_file() {
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
        let mut line = String::new();
        let mut seen_saves = 0;
        // libtest prints the test's name first, on the same line as the first "saved".
        while seen_saves < saves && output.read_line(&mut line).is_ok_and(|n| n > 0) {
            seen_saves += u64::from(line.trim_end().ends_with("saved"));
            line.clear();
        }
        std::thread::sleep(Duration::from_micros((rng >> 8) % 2_000));
        // SIGKILL: no destructors, no flush, no chance to finish the write.
        child.kill().unwrap();
        child.wait().unwrap();

        match file.load(0) {
            LoadOutcome::New(_) => {}
            LoadOutcome::Loaded(saved) => {
                let revision = saved.revision();
                assert_eq!(
                    saved,
                    state_at(revision),
                    "kill {kill}: the file holds exactly the state written at revision {revision}"
                );
                seen_revisions.insert(revision);
            }
            other => panic!("kill {kill}: the saved file was torn: {other:?}"),
        }
    }
    assert!(seen_revisions.len() > 20, "kills landed at too few distinct moments: {seen_revisions:?}");
    println!("{KILLS} kills in {:?}; {} distinct saved revisions", started.elapsed(), seen_revisions.len());
}
