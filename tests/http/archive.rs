//! `dateline export` and `dateline import --archive`, as an operator moving a newsroom runs
//! them: SQLite to PostgreSQL and back gives the same archive, and a bad archive is refused
//! with the line and the reason, leaving the newsroom as it was.

use std::path::Path;
use std::process::{Command, Output};

use dateline_storage::connection::DatabaseUrl;
use dateline_storage::testdb::TestDatabase;

use crate::support::process::BIN;

fn dateline(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .args(["--database-url", db])
        .args(args)
        .output()
        .expect("the binary runs")
}

#[track_caller]
fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[track_caller]
fn refused(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "should have failed");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err}");
}

/// The URL of a fresh PostgreSQL database when the tests have one, else a fresh SQLite file.
fn other_backend() -> (TestDatabase, String) {
    match TestDatabase::postgres().unwrap() {
        Some(db) => {
            let DatabaseUrl::Postgres(url) = db.url.clone() else {
                unreachable!()
            };
            (db, url)
        }
        None => {
            let db = TestDatabase::sqlite().unwrap();
            let DatabaseUrl::Sqlite(path) = db.url.clone() else {
                unreachable!()
            };
            (db, path.display().to_string())
        }
    }
}

#[test]
fn a_newsroom_moves_to_postgres_and_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    ok(dateline(dir.path(), "first.db", &["demo"]));
    ok(dateline(dir.path(), "first.db", &["export", "first.jsonl"]));
    let (_pg, there) = other_backend();
    let imported = ok(dateline(
        dir.path(),
        &there,
        &["import", "--archive", "first.jsonl"],
    ));
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(said.contains("36 releases"), "{said}");
    ok(dateline(dir.path(), &there, &["export", "second.jsonl"]));
    ok(dateline(
        dir.path(),
        "third.db",
        &["import", "--archive", "second.jsonl"],
    ));
    ok(dateline(dir.path(), "third.db", &["export", "third.jsonl"]));
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("first.jsonl"), read("second.jsonl"));
    assert_eq!(read("first.jsonl"), read("third.jsonl"));

    let again = ok(dateline(
        dir.path(),
        "third.db",
        &["import", "--archive", "first.jsonl"],
    ));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("added nothing"),
        "{again:?}"
    );
}

#[test]
fn bad_archives_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    ok(dateline(dir.path(), "news.db", &["demo"]));
    ok(dateline(dir.path(), "news.db", &["export", "good.jsonl"]));
    let good = std::fs::read_to_string(dir.path().join("good.jsonl")).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write("empty.jsonl", b"");
    write("garbage.jsonl", &[0xff, 0xfe, 0x00, 0x9c, 0x10, 0x80]);
    write(
        "future.jsonl",
        good.replacen("\"version\":1", "\"version\":99", 1)
            .as_bytes(),
    );
    let dangling: String = good
        .lines()
        .filter(|l| !l.contains("\"type\":\"organization\"") || l.contains("\"slug\":\"zz"))
        .map(|l| format!("{l}\n"))
        .collect();
    write("dangling.jsonl", dangling.as_bytes());

    let fresh = "fresh.db";
    ok(dateline(dir.path(), fresh, &["migrate"]));
    ok(dateline(dir.path(), fresh, &["export", "before.jsonl"]));
    for (file, needle) in [
        ("empty.jsonl", "is empty"),
        ("garbage.jsonl", "line 1"),
        ("future.jsonl", "version 99"),
        ("dangling.jsonl", "names the organization"),
        ("missing.jsonl", "cannot open"),
    ] {
        refused(
            &dateline(dir.path(), fresh, &["import", "--archive", file]),
            needle,
        );
    }
    ok(dateline(dir.path(), fresh, &["export", "after.jsonl"]));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("before.jsonl")).unwrap(),
        std::fs::read_to_string(dir.path().join("after.jsonl")).unwrap(),
        "a refused archive writes nothing"
    );
}
