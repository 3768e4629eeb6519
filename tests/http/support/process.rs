//! Running the real `dateline` binary: start, signal, kill and restart it, and talk to it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_dateline");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP GET, so these tests need no client library.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, buf))
}

/// The status code of a raw HTTP answer, or 0 when it has none.
pub fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Sends `request` as it is (any bytes, however malformed) on a new connection and returns
/// everything the server answers until it closes the connection.
pub fn exchange(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer and close before it has read everything; what it said counts.
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Runs a `dateline` command in `dir` (on its SQLite default) with `stdin` piped in.
pub fn run_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// An editor account with the tests' password, and an API token for it, made with the command
/// line as an operator would, on the database at `db`. Returns the token.
pub fn editor_with_token(dir: &Path, db: &str, email: &str, scope: &str) -> String {
    let add = run_with_stdin(
        dir,
        &[
            "--database-url",
            db,
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Ed",
            "--role",
            "editor",
            "--password-stdin",
        ],
        &format!("{}\n", super::PASSWORD),
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let token = run_with_stdin(
        dir,
        &[
            "--database-url",
            db,
            "token",
            "add",
            "--email",
            email,
            "--name",
            "wire",
            "--scope",
            scope,
        ],
        "",
    );
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    String::from_utf8_lossy(&token.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// Waits until `path` on the server at `port` answers 200 (`/healthz/ready`: it is serving).
pub fn wait_for_ok(port: u16, path: &str) {
    wait_for(path, || http_get(port, path).is_some_and(|(s, _)| s == 200));
}

pub struct Server {
    pub child: Child,
    pub log: std::path::PathBuf,
}

impl Server {
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let log = dir.join(format!("serve-{stamp}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .arg("serve")
            .args(args)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Server {
            child: cmd.spawn().unwrap(),
            log,
        }
    }

    /// `dateline serve` bound to 127.0.0.1:`port`, with `args` after the address.
    pub fn on_port(dir: &Path, port: u16, args: &[&str], env: &[(&str, &str)]) -> Server {
        let bind = format!("127.0.0.1:{port}");
        let all: Vec<&str> = ["--bind", bind.as_str()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        Server::start(dir, &all, env)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Like [`wait_for`], but yields to the async runtime between checks, so requests in flight on
/// it keep going.
pub async fn wait_for_async(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}
