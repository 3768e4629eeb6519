//! Abusive clients against the real binary (`docs/security.md` R7, R8): heads too large or
//! too many, request smuggling, an endless body, bodies that stop half-way and a crowd of slow
//! connections. Each is refused with a clear answer, and readers are still served meanwhile.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::process::{
    Server, editor_with_token, exchange, free_port, http_get, status_of, wait_for_ok,
};

fn serve(dir: &std::path::Path, env: &[(&str, &str)]) -> (Server, u16) {
    let port = free_port();
    let server = Server::on_port(dir, port, &[], env);
    wait_for_ok(port, "/healthz/ready");
    (server, port)
}

#[test]
fn heads_too_large_and_smuggling_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(dir.path(), &[]);

    // Ten thousand headers: refused before any of Dateline's code runs.
    let many: String = (0..10_000)
        .map(|i| format!("X-Filler-{i}: v\r\n"))
        .collect();
    let answer = exchange(
        port,
        format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes(),
    );
    assert_eq!(status_of(&answer), 431, "{answer}");

    // Few headers but large ones, as a bloated cookie: a page that says what to do.
    let cookie = "c".repeat(40 * 1024);
    let answer = exchange(
        port,
        format!("GET / HTTP/1.1\r\nHost: x\r\nCookie: big={cookie}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(
        status_of(&answer),
        431,
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(answer.contains("Clearing this site"), "{answer}");

    // Content-Length and Transfer-Encoding together, with a second request hidden in the body:
    // one 400 and a closed connection; the hidden request is never answered.
    let smuggled = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    let answer = exchange(port, smuggled.as_bytes());
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");

    // The server is none the worse.
    assert_eq!(http_get(port, "/healthz/ready").unwrap().0, 200);
}

/// Sends a chunked body that never ends, until the server hangs up (or thirty seconds pass);
/// returns what it answered, and whether it hung up.
fn endless_body(port: u16, token: &str) -> (String, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /api/v1/releases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    s.set_nonblocking(true).unwrap();
    let chunk = format!("1000\r\n{}\r\n", "a".repeat(4096)).into_bytes();
    let (mut sent, mut answer) = (0, Vec::new());
    let started = Instant::now();
    let mut hung_up = false;
    while !hung_up && started.elapsed() < Duration::from_secs(30) {
        // Chunk after chunk, resuming where a partial write stopped.
        let at = sent % chunk.len();
        match s.write(&chunk[at..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(_) => hung_up = true,
        }
        let mut buf = [0u8; 8192];
        match s.read(&mut buf) {
            Ok(0) => hung_up = true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => hung_up = true,
        }
    }
    (String::from_utf8_lossy(&answer).into_owned(), hung_up)
}

#[test]
fn an_endless_body_is_cut_off_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dateline.db").display().to_string();
    let token = editor_with_token(dir.path(), &db, "ed@example.com", "write");
    let (_server, port) = serve(dir.path(), &[]);
    let (answer, hung_up) = endless_body(port, &token);
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(answer.contains("larger than this page accepts"), "{answer}");
    assert!(
        hung_up,
        "the server kept reading the body after refusing it"
    );
    assert_eq!(http_get(port, "/healthz/ready").unwrap().0, 200);
}

/// A connection that sends the start of a request head and then one byte at a time.
fn slow_head(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    s.set_nonblocking(true).unwrap();
    s
}

/// A connection that sends a form's head and part of its body, then nothing.
fn stalled_body(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a").unwrap();
    s
}

/// Whether the server has hung up on `s` (after answering or not).
fn hung_up(mut s: &TcpStream) -> bool {
    let _ = s.set_nonblocking(true);
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_clients_cannot_crowd_out_readers() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(dir.path(), &[("DATELINE_BODY_IDLE_TIMEOUT_SECS", "1")]);
    let mut heads: Vec<TcpStream> = (0..500).map(|_| slow_head(port)).collect();
    let mut bodies: Vec<TcpStream> = (0..50).map(|_| stalled_body(port)).collect();

    // For seven seconds the slow heads trickle a byte each tenth of a second, and a reader
    // asks for the home page each time: every answer comes within a second.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    while started.elapsed() < Duration::from_secs(7) {
        for s in heads.iter_mut() {
            let _ = s.write(b"a");
        }
        let asked = Instant::now();
        let (code, _) = http_get(port, "/").expect("an answer");
        assert_eq!(code, 200);
        slowest = slowest.max(asked.elapsed());
        answered += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answered >= 20, "{answered}");
    assert!(
        slowest < Duration::from_secs(1),
        "a reader waited {slowest:?}"
    );

    // The server hung up on every slow head (its head deadline is five seconds)…
    let open = heads.iter().filter(|s| !hung_up(s)).count();
    assert_eq!(open, 0, "{open} slow heads still held");
    // …and answered every stalled body with a 408 that says why.
    for s in bodies.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert_eq!(status_of(&answer), 408, "{answer}");
        assert!(answer.contains("stopped arriving"), "{answer}");
    }
}
