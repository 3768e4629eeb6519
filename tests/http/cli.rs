//! The `dateline` binary as an operator meets it: commands, configuration, and one clear line
//! for each thing that can go wrong.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::process::{
    BIN, Server, editor_with_token, free_port, http_get, run_with_stdin, wait_for, wait_for_ok,
};

fn dateline(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// `dateline serve` on `address`, for the start-up refusals (each test expects it to exit).
fn serve_on(dir: &Path, address: &str) -> Output {
    dateline(dir, &["serve", "--bind", address], &[])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Fails unless the command failed with exactly one line on stderr that contains `needle`.
#[track_caller]
fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "should have failed; stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "a panic instead of an error: {err}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err}");
    assert_eq!(lines[0].matches(needle).count(), 1, "said twice: {err}");
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let v = dateline(dir.path(), &["--version"], &[]);
    assert!(v.status.success());
    assert_eq!(
        stdout(&v).trim(),
        format!("dateline {}", env!("CARGO_PKG_VERSION"))
    );
    let help = stdout(&dateline(dir.path(), &["--help"], &[]));
    for word in [
        "serve",
        "migrate",
        "user",
        "token",
        "demo",
        "config",
        "DATABASE_URL",
    ] {
        assert!(help.contains(word), "--help should mention {word}:\n{help}");
    }
}

#[test]
fn bad_setups_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    assert_one_line_error(
        &dateline(p, &["--database-url", "mysql://db/news", "migrate"], &[]),
        "\"mysql\"",
    );
    // Passwords may be required longer than 12 characters, never shorter.
    assert_one_line_error(
        &dateline(p, &["config"], &[("DATELINE_MIN_PASSWORD_LENGTH", "8")]),
        "use 12 to 128 characters",
    );
    // Sessions may be shorter than OWASP's limits, never longer.
    assert_one_line_error(
        &dateline(p, &["config"], &[("DATELINE_SESSION_IDLE_MINUTES", "120")]),
        "1 to 30 minutes",
    );
    assert_one_line_error(
        &dateline(p, &["config"], &[("DATELINE_SESSION_LIFETIME_HOURS", "72")]),
        "1 to 12 hours",
    );
    assert_one_line_error(
        &dateline(
            p,
            &["migrate"],
            &[("DATABASE_URL", "postgresql+x://db/news")],
        ),
        "scheme",
    );
    assert_one_line_error(
        &dateline(
            p,
            &[
                "--database-url",
                "postgres://nobody@127.0.0.1:1/news",
                "migrate",
            ],
            &[],
        ),
        "cannot connect to PostgreSQL",
    );
    assert_one_line_error(
        &dateline(
            p,
            &[
                "--database-url",
                "postgres://nobody@127.0.0.1:1/news",
                "user",
                "list",
            ],
            &[],
        ),
        "cannot connect to PostgreSQL",
    );
    assert_one_line_error(
        &dateline(p, &["--data-dir", "/nonexistent/dateline", "migrate"], &[]),
        "does not exist",
    );
    // /proc refuses new files even to root.
    assert_one_line_error(
        &dateline(
            p,
            &["--database-url", "/proc/dateline-test.db", "migrate"],
            &[],
        ),
        "cannot open SQLite database /proc/dateline-test.db",
    );
    std::fs::write(
        p.join("dateline.toml"),
        "bind = \"127.0.0.1:1\"\npool_size = = 2\n",
    )
    .unwrap();
    assert_one_line_error(&dateline(p, &["config"], &[]), "dateline.toml is not valid");
    std::fs::write(p.join("dateline.toml"), "bindd = \"127.0.0.1:1\"\n").unwrap();
    assert_one_line_error(&dateline(p, &["config"], &[]), "bindd");
    std::fs::remove_file(p.join("dateline.toml")).unwrap();
    assert_one_line_error(
        &dateline(p, &["--config", "missing.toml", "config"], &[]),
        "missing.toml",
    );
}

#[test]
fn a_port_in_use_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = serve_on(dir.path(), &format!("127.0.0.1:{port}"));
    assert_one_line_error(&out, &format!("cannot listen on 127.0.0.1:{port}"));
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve_on(dir.path(), &format!("0.0.0.0:{}", free_port()));
    assert_one_line_error(&out, "refusing to serve plain HTTP");
}

#[test]
fn a_readable_key_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("dateline.key");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = serve_on(dir.path(), &format!("127.0.0.1:{}", free_port()));
    assert_one_line_error(&out, "chmod 600");
}

#[test]
fn config_shows_sources_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let key = "cd".repeat(32);
    let out = dateline(
        dir.path(),
        &["config"],
        &[
            (
                "DATABASE_URL",
                "postgres://news:hunter2secret@db.example.org/news",
            ),
            ("DATELINE_SECRET_KEY", &key),
            ("DATELINE_BIND", "127.0.0.1:9999"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains("hunter2secret") && !text.contains(&key),
        "{text}"
    );
    assert!(text.contains("db.example.org"));
    assert!(
        text.contains("127.0.0.1:9999") && text.contains("DATELINE_BIND"),
        "{text}"
    );
    let defaults = stdout(&dateline(dir.path(), &["config"], &[]));
    assert!(defaults.contains("sqlite://./dateline.db"), "{defaults}");
}

#[test]
fn accounts_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let add = |email: &str, pw: &str| {
        let args = [
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Ana Ribeiro",
            "--role",
            "editor",
            "--password-stdin",
        ];
        run_with_stdin(p, &args, &format!("{pw}\n"))
    };
    assert_one_line_error(&add("ana@example.com", "short"), "at least 12");
    let ok = add("Ana@Example.com", "violet harbor lantern 42");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_one_line_error(
        &add("ana@example.com", "violet harbor lantern 42"),
        "already exists",
    );
    let list = stdout(&dateline(p, &["user", "list"], &[]));
    assert!(
        list.contains("ana@example.com") && list.contains("editor") && list.contains("active"),
        "{list}"
    );
    let no_tty = dateline(
        p,
        &["user", "set-password", "--email", "ana@example.com"],
        &[],
    );
    assert_one_line_error(&no_tty, "--password-stdin");

    let token = dateline(
        p,
        &[
            "token",
            "add",
            "--email",
            "ana@example.com",
            "--name",
            "wire import",
            "--scope",
            "write",
        ],
        &[],
    );
    assert!(token.status.success(), "{}", stderr(&token));
    let last = stdout(&token).lines().last().unwrap().to_owned();
    assert!(
        dateline_auth::tokens::looks_like_api_token(&last),
        "{last:?}"
    );
    assert_one_line_error(
        &dateline(
            p,
            &[
                "token",
                "add",
                "--email",
                "nobody@example.com",
                "--name",
                "x",
                "--scope",
                "read",
            ],
            &[],
        ),
        "no account",
    );
    // A token can be given an end; the summary on standard error says when.
    let before = chrono::Utc::now();
    let dated = dateline(
        p,
        &[
            "token",
            "add",
            "--email",
            "ana@example.com",
            "--name",
            "season",
            "--scope",
            "read",
            "--expires-in-days",
            "30",
        ],
        &[],
    );
    assert!(dated.status.success(), "{}", stderr(&dated));
    // Either side of midnight, should the command straddle it.
    let ends: Vec<String> = [before, chrono::Utc::now()]
        .iter()
        .map(|t| {
            (*t + chrono::Duration::days(30))
                .format("working until %Y-%m-%d")
                .to_string()
        })
        .collect();
    assert!(
        ends.iter().any(|e| stderr(&dated).contains(e)),
        "{}",
        stderr(&dated)
    );
    assert!(
        stderr(&token).contains("until it is revoked"),
        "{}",
        stderr(&token)
    );
    let never = dateline(
        p,
        &[
            "token",
            "add",
            "--email",
            "ana@example.com",
            "--name",
            "x",
            "--scope",
            "read",
            "--expires-in-days",
            "0",
        ],
        &[],
    );
    assert!(
        !never.status.success() && stderr(&never).contains("--expires-in-days"),
        "{}",
        stderr(&never)
    );
}

#[test]
fn the_binary_alone_in_an_empty_directory_serves_its_stylesheet() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("dateline");
    std::fs::copy(BIN, &bin).unwrap();
    let port = free_port();
    let log = dir.path().join("out.log");
    let mut child = Command::new(&bin)
        .current_dir(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env_remove("DATABASE_URL")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    wait_for_ok(port, "/healthz/ready");
    let (_, home) = http_get(port, "/").unwrap();
    let css = home
        .split("href=\"/static/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a stylesheet link")
        .to_owned();
    let (status, body) = http_get(port, &format!("/static/{css}")).unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(".release-body"));
    assert!(
        dir.path().join("dateline.db").exists(),
        "the database is created next to it"
    );
    let key_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("dateline.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(key_mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("/setup/"),
        "the setup link is logged:\n{text}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_waits_for_an_unreachable_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::on_port(
        dir.path(),
        port,
        &[],
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/news")],
    );
    wait_for_ok(port, "/healthz/live");
    let (status, body) = http_get(port, "/healthz/ready").unwrap();
    assert_eq!(status, 503);
    assert!(
        !body.contains("nobody"),
        "no connection details to the public: {body}"
    );
    assert_eq!(http_get(port, "/").unwrap().0, 503);
    wait_for("two retry lines", || {
        server.log().matches("database not reachable").count() >= 2
    });
    let log = server.log();
    for line in log.lines().filter(|l| l.contains("database not reachable")) {
        assert!(
            line.contains("cannot connect to PostgreSQL") && line.contains("retrying"),
            "{line}"
        );
    }
    assert!(!log.contains("panicked"));
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Server::on_port(dir.path(), port, &[], &[]);
    wait_for_ok(port, "/healthz/ready");
    // A request whose body is still arriving when the signal comes.
    let body = "email=a%40example.com&password=x";
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.len(), &body[..10]).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("-TERM");
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "the in-flight request got its answer (a CSRF refusal): {answer}"
    );
    // New connections are refused once it has stopped listening, and it exits cleanly.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        server.log()
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(
        server.log().contains("scheduler stopped between jobs"),
        "{}",
        server.log()
    );
    assert!(
        !dir.path().join("dateline.db-wal").exists()
            || std::fs::metadata(dir.path().join("dateline.db-wal"))
                .unwrap()
                .len()
                == 0,
        "the log was checkpointed"
    );
}

#[test]
fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::on_port(dir.path(), port, &["--log-format", "json"], &[]);
    wait_for_ok(port, "/healthz/ready");
    let (_, response) = http_get(port, "/no-such-page").unwrap();
    let id = response
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("a request id header")
        .trim()
        .to_owned();
    wait_for("the access line", || server.log().contains(&id));
    let log = server.log();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    let line = log.lines().find(|l| l.contains(&id)).unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["span"]["request_id"], id.as_str(), "{line}");
    assert_eq!(v["status"], 404, "{line}");
}

/// `docs/security.md` L4: a new server key signs everyone out (session ids are keyed hashes) and
/// loses nothing else: accounts, content and API tokens (plain hashes) keep working.
#[actix_web::test]
async fn rotating_the_key_ends_sessions_and_keeps_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let (old_key, new_key) = ("11".repeat(32), "22".repeat(32));
    // The server below runs on the default database in `p`.
    let token = editor_with_token(p, "dateline.db", "ana@example.com", "read");
    let serve = |key: &str| {
        let port = free_port();
        let server = Server::on_port(p, port, &[], &[("DATELINE_SECRET_KEY", key)]);
        wait_for_ok(port, "/healthz/ready");
        (server, format!("http://127.0.0.1:{port}"))
    };

    // Ana signs in to the server at `base`, and the newsroom opens.
    let sign_in = |base: String| async move {
        let c = crate::support::Client::new(&base);
        c.login("ana@example.com", crate::support::PASSWORD)
            .await
            .assert_status(303);
        c.get("/admin").await.assert_status(200);
        c
    };

    let (server, base) = serve(&old_key);
    let browser = sign_in(base).await;
    drop(server);

    let (_server, base) = serve(&new_key);
    let moved = crate::support::Client::new(&base);
    moved.set_cookie(
        "dateline_session",
        &browser.cookie("dateline_session").unwrap(),
    );
    assert!(
        moved.get("/admin").await.location().starts_with("/login"),
        "the old session ended"
    );
    let api = crate::support::Client::new(&base);
    api.with_header("Authorization", &format!("Bearer {token}"));
    api.get("/api/v1/releases?status=draft")
        .await
        .assert_status(200);
    sign_in(base).await;
}

/// Two-factor secrets are sealed under the server key. A plaintext one left by an older version
/// is sealed at start-up; `dateline key rotate` re-seals every one under a new key in the same
/// step as it replaces the key file, and two-factor sign-in keeps working.
#[actix_web::test]
async fn rotating_the_key_keeps_two_factor_sign_in() {
    use dateline_storage::repo::users;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let key_path = p.join("dateline.key");
    let old_key = "33".repeat(32);
    std::fs::write(&key_path, format!("{old_key}\n")).unwrap();
    std::fs::set_permissions(
        &key_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    editor_with_token(p, "dateline.db", "ana@example.com", "read");
    let pool = dateline_storage::connection::connect(
        &dateline_storage::DatabaseUrl::Sqlite(p.join("dateline.db")),
        &dateline_storage::PoolOptions::default(),
    )
    .unwrap();
    let stored = || {
        let creds = users::credentials_by_email(&mut pool.get().unwrap(), "ana@example.com")
            .unwrap()
            .unwrap();
        (creds.user.id, creds.totp_secret.unwrap())
    };
    let secret = dateline_auth::totp::new_secret();
    let id = stored_id(&pool);
    users::set_totp(&mut pool.get().unwrap(), id, Some(&secret), true, None).unwrap();
    let serve = || {
        let port = free_port();
        let server = Server::on_port(p, port, &[], &[]);
        wait_for_ok(port, "/healthz/ready");
        (server, format!("http://127.0.0.1:{port}"))
    };

    let (server, _) = serve();
    drop(server);
    let old = dateline_auth::SecretKey::from_text(&old_key).unwrap();
    let (_, sealed) = stored();
    assert!(
        sealed.starts_with("v1:") && !sealed.contains(&secret),
        "{sealed}"
    );
    assert_eq!(
        dateline_web::totp_secrets::open(&old, id, &sealed).as_deref(),
        Some(secret.as_str())
    );

    let rotated = dateline(p, &["key", "rotate"], &[]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(stdout(&rotated).contains("Re-encrypted 1 two-factor secret"));
    let new_text = std::fs::read_to_string(&key_path).unwrap();
    assert_ne!(new_text.trim(), old_key);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let new = dateline_auth::SecretKey::from_text(&new_text).unwrap();
    let (_, resealed) = stored();
    assert!(resealed.starts_with("v1:") && !resealed.contains(&secret) && resealed != sealed);
    assert_eq!(
        dateline_web::totp_secrets::open(&new, id, &resealed).as_deref(),
        Some(secret.as_str())
    );
    assert_eq!(dateline_web::totp_secrets::open(&old, id, &resealed), None);

    let (_server, base) = serve();
    let browser = crate::support::Client::new(&base);
    let step1 = browser
        .login("ana@example.com", crate::support::PASSWORD)
        .await;
    step1.assert_status(303);
    assert!(step1.location().starts_with("/login/two-factor"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = dateline_auth::totp::code_at(&secret, now).unwrap();
    browser
        .submit("/login/two-factor", "/login/two-factor", &[("code", &code)])
        .await
        .assert_status(303);
    browser.get("/admin").await.assert_status(200);

    // With the key in the environment, the new one must be given: nothing is made up and lost.
    assert_one_line_error(
        &dateline(p, &["key", "rotate"], &[("DATELINE_SECRET_KEY", &old_key)]),
        "--new-key-stdin",
    );
}

fn stored_id(pool: &dateline_storage::Pool) -> i64 {
    dateline_storage::repo::users::find_by_email(&mut pool.get().unwrap(), "ana@example.com")
        .unwrap()
        .unwrap()
        .id
}
