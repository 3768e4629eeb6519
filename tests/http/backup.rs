//! `dateline backup`: a copy an operator can restore from, taken while the server runs.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::process::{BIN, Server, editor_with_token, free_port, http_get, wait_for};

fn dateline(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args).env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_backup_is_a_checked_copy_taken_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    editor_with_token(dir.path(), "dateline.db", "ana@example.com", "write");
    let port = free_port();
    let _server = Server::start(dir.path(), &["--bind", &format!("127.0.0.1:{port}")], &[]);
    wait_for("readiness", || {
        http_get(port, "/healthz/ready").is_some_and(|(s, _)| s == 200)
    });

    // A `?` or `#` in the name must not cut the path short when the copy is checked.
    let out = dateline(dir.path(), &["backup", "copy?1#.db"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("integrity check: ok"),
        "{}",
        text(&out.stdout)
    );
    let copy = dir.path().join("copy?1#.db");
    assert!(!dir.path().join("copy").exists(), "no stray file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
    }
    assert_eq!(
        dateline_storage::backup::integrity_check(&copy).unwrap(),
        "ok"
    );
    std::fs::copy(&copy, dir.path().join("restored.db")).unwrap();
    let listed = dateline(
        dir.path(),
        &["--database-url", "restored.db", "user", "list"],
        &[],
    );
    assert!(
        text(&listed.stdout).contains("ana@example.com"),
        "{listed:?}"
    );
    assert_eq!(
        http_get(port, "/healthz/ready").map(|(s, _)| s),
        Some(200),
        "the server kept running"
    );
}

#[test]
fn a_backup_never_overwrites_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("copy.db"), "keep me").unwrap();
    let out = dateline(dir.path(), &["backup", "copy.db"], &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("copy.db")).unwrap(),
        "keep me"
    );
}

#[test]
fn postgres_is_refused_with_the_tool_that_backs_it_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dateline(
        dir.path(),
        &["backup", "copy.db"],
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/news")],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!dir.path().join("copy.db").exists());
}
