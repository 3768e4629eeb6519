//! The real binary under the worst conditions: killed with `kill -9` while an embargo is due
//! (`docs/security.md` Z5), in the middle of a publish transaction (R2) and again and again
//! under a stream of saves (R3); its PostgreSQL stopped hard under load, and down for a while
//! (R4, R5).

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dateline_storage::repo::{audit, jobs, releases, search, settings};
use dateline_storage::testdb::TestDatabase;
use dateline_storage::{DatabaseUrl, Pool, PoolOptions, connection};
use serde_json::json;

use crate::support::Client;
use crate::support::private_postgres::PrivatePostgres;
use crate::support::process::{
    Server, editor_with_token, free_port, http_get, wait_for, wait_for_async, wait_for_ok,
};

/// A fixed key, so a restarted server is the same server.
const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => p.display().to_string(),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn start(dir: &Path, db: &str, port: u16, failpoint: Option<&str>) -> Server {
    let mut env = vec![
        ("DATABASE_URL", db),
        ("DATELINE_SECRET_KEY", KEY),
        ("DATELINE_SCHEDULER_INTERVAL_MS", "200"),
    ];
    if let Some(f) = failpoint {
        env.push(("DATELINE_FAILPOINT", f));
    }
    let server = Server::on_port(dir, port, &[], &env);
    wait_for_ok(port, "/healthz/ready");
    server
}

/// A client of the server on `port` that signs its requests with `token`.
fn api_on(port: u16, token: &str) -> Client {
    let api = Client::new(&format!("http://127.0.0.1:{port}"));
    api.with_header("Authorization", &format!("Bearer {token}"));
    api
}

fn pool(url: &DatabaseUrl) -> Pool {
    connection::connect(
        url,
        &PoolOptions {
            max_size: 2,
            ..Default::default()
        },
    )
    .unwrap()
}

async fn embargo_survives_kill_9(db: &TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&db.url);
    let token = editor_with_token(dir.path(), &url, "ed@example.com", "write");
    let port = free_port();
    let mut server = start(dir.path(), &url, port, None);
    let api = api_on(port, &token);
    let id = api.create_release(&json!({"headline": "Kill nine"})).await;
    let embargo = Utc::now() + chrono::Duration::seconds(3);
    api.json(
        "POST",
        &format!("/api/v1/releases/{id}/approve"),
        &json!({"embargo_at": embargo.to_rfc3339()}),
    )
    .await
    .assert_status(200);
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    // Down through the embargo time.
    while Utc::now() < embargo + chrono::Duration::seconds(2) {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let p = pool(&db.url);
    assert_eq!(
        releases::get_by_public_id(&mut p.get().unwrap(), &id.parse().unwrap())
            .unwrap()
            .status,
        dateline_core::ReleaseStatus::Scheduled
    );
    let port2 = free_port();
    let _back = start(dir.path(), &url, port2, None);
    wait_for("the overdue release to go out", || {
        http_get(port2, &format!("/api/v1/releases/{id}")).is_some_and(|(s, _)| s == 200)
    });
    let mut conn = p.get().unwrap();
    assert_eq!(
        audit::count_action(&mut conn, "lift_embargo", &id).unwrap(),
        1,
        "published exactly once"
    );
    assert!(jobs::pending(&mut conn).unwrap().is_empty());
}

async fn publish_is_atomic(db: &TestDatabase) {
    // Each round starts and kills a real server, so the count stays small; PostgreSQL runs fewer.
    let rounds = match db.url {
        DatabaseUrl::Sqlite(_) => 5,
        DatabaseUrl::Postgres(_) => 3,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&db.url);
    let token = editor_with_token(dir.path(), &url, "ed@example.com", "write");
    let p = pool(&db.url);
    for round in 0..rounds {
        let port = free_port();
        let mut server = start(dir.path(), &url, port, Some("publish.before_commit"));
        let api = api_on(port, &token);
        let headline = format!("Atomic round {round}");
        let id = api
            .create_release(&json!({"headline": headline, "body": "Atomic body."}))
            .await;
        let before = settings::content_version(&mut p.get().unwrap())
            .unwrap()
            .version;
        let revision = releases::get_by_public_id(&mut p.get().unwrap(), &id.parse().unwrap())
            .unwrap()
            .revision;
        // The publish stops inside its transaction; kill the process there.
        let publisher = api.clone();
        let path = format!("/api/v1/releases/{id}/publish");
        let request =
            actix_web::rt::spawn(
                async move { publisher.request("POST", &path, None, "").await.status },
            );
        wait_for_async("the failpoint", || {
            server.log().contains("failpoint reached")
        })
        .await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        request.abort();
        let mut conn = p.get().unwrap();
        let r = releases::get_by_public_id(&mut conn, &id.parse().unwrap()).unwrap();
        assert_eq!(
            (r.status, r.published_at, r.revision),
            (dateline_core::ReleaseStatus::Draft, None, revision),
            "round {round}: half-published"
        );
        assert_eq!(
            settings::content_version(&mut conn).unwrap().version,
            before,
            "round {round}"
        );
        assert_eq!(
            audit::count_action(&mut conn, "publish", &id).unwrap(),
            0,
            "round {round}"
        );
        let q = search::SearchQuery {
            terms: search::parse_terms(&headline),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(
            search::search(&mut conn, Utc::now(), &q).unwrap().total,
            0,
            "round {round}: in the search index"
        );
        assert_eq!(connection::integrity_check(&mut conn).unwrap(), "ok");
    }
}

/// The saves the server acknowledged, as the client logged them: (headline, revision).
type Acknowledged = Rc<RefCell<Vec<(String, i64)>>>;

/// Saves release `id` over and over through the API until `stop` is set, numbering the saves
/// from `n`, and logs each one the server acknowledges. A save cut off by a crash is not
/// logged: it may or may not have committed, and the client then asks where the release stands.
/// Returns the last number used.
async fn keep_saving(
    api: Client,
    id: String,
    mut n: usize,
    stop: Rc<Cell<bool>>,
    acked: Acknowledged,
) -> usize {
    let path = format!("/api/v1/releases/{id}");
    let mut revision: Option<i64> = None;
    while !stop.get() {
        let Some(current) = revision else {
            match api.try_json("GET", &path, &[], None).await {
                Some(r) if r.status == 200 => revision = r.json()["revision"].as_i64(),
                _ => actix_web::rt::time::sleep(Duration::from_millis(50)).await,
            }
            continue;
        };
        n += 1;
        let headline = format!("Save number {n}");
        let body = json!({"headline": headline, "body": format!("The text of save {n}.")});
        let tag = format!("\"{current}\"");
        match api
            .try_json("PUT", &path, &[("If-Match", &tag)], Some(&body))
            .await
        {
            Some(r) if r.status == 200 => {
                let saved = r.json()["revision"].as_i64().expect("a revision");
                acked.borrow_mut().push((headline, saved));
                revision = Some(saved);
            }
            // A save cut off by the crash had committed after all.
            Some(r) if r.status == 412 => revision = r.json()["current_revision"].as_i64(),
            // The database is away: the server says so at once, and the client waits.
            Some(r) if r.status == 503 => {
                assert!(r.header("retry-after").is_some(), "{}", r.body);
                revision = None;
                actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            }
            Some(r) => panic!("save {n}: {} {}", r.status, r.body),
            None => {
                revision = None;
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    n
}

/// Waits until `more` saves beyond those logged so far are acknowledged.
async fn until_acknowledged(acked: &Acknowledged, more: usize) {
    let target = acked.borrow().len() + more;
    wait_for_async("saves to be acknowledged", || {
        acked.borrow().len() >= target
    })
    .await;
}

/// A stream of saves into one release, across faults.
struct Saves {
    api: Client,
    id: String,
    n: usize,
    acked: Acknowledged,
}

impl Saves {
    /// An editor made with the command line, a server on a free port, and a draft to save into.
    async fn begin(dir: &Path, url: &str) -> (Server, u16, Saves) {
        let token = editor_with_token(dir, url, "ed@example.com", "write");
        let port = free_port();
        let server = start(dir, url, port, None);
        let api = api_on(port, &token);
        let id = api
            .create_release(&json!({"headline": "Save number 0"}))
            .await;
        let saves = Saves {
            api,
            id,
            n: 0,
            acked: Acknowledged::default(),
        };
        (server, port, saves)
    }

    /// One save of `words` words, logged when acknowledged; the answer, whatever it is.
    async fn save(&mut self, words: usize) -> crate::support::client::Response {
        let path = format!("/api/v1/releases/{}", self.id);
        let current = self.api.get(&path).await.json()["revision"]
            .as_i64()
            .unwrap();
        self.n += 1;
        let headline = format!("Save number {}", self.n);
        let body = json!({"headline": headline, "body": "word ".repeat(words)});
        let tag = format!("\"{current}\"");
        let r = self
            .api
            .try_json("PUT", &path, &[("If-Match", &tag)], Some(&body))
            .await
            .expect("an answer");
        if r.status == 200 {
            let revision = r.json()["revision"].as_i64().unwrap();
            self.acked.borrow_mut().push((headline, revision));
        }
        r
    }

    /// Saves stream in; once `before` more are acknowledged, `fault` strikes while they go on;
    /// then the stream stops until the next call.
    async fn around(&mut self, before: usize, fault: impl AsyncFnOnce()) {
        let stop = Rc::new(Cell::new(false));
        let writer = actix_web::rt::spawn(keep_saving(
            self.api.clone(),
            self.id.clone(),
            self.n,
            stop.clone(),
            self.acked.clone(),
        ));
        until_acknowledged(&self.acked, before).await;
        fault().await;
        stop.set(true);
        self.n = writer.await.unwrap();
    }

    /// Every acknowledged save is in the release's history with the text the client sent.
    async fn all_kept(&self) {
        let (api, id) = (&self.api, &self.id);
        let acked = self.acked.borrow().clone();
        assert!(!acked.is_empty());
        for (headline, revision) in acked.iter() {
            let r = api
                .get(&format!("/api/v1/releases/{id}/revisions/{revision}"))
                .await;
            r.assert_status(200);
            assert!(
                r.body.contains(headline.as_str()),
                "revision {revision}: {}",
                r.body
            );
        }
        let last = api.get(&format!("/api/v1/releases/{id}")).await.json();
        let (newest_headline, newest_revision) = acked.last().unwrap();
        let revision = last["revision"].as_i64().unwrap();
        assert!(revision >= *newest_revision, "{last}");
        if revision == *newest_revision {
            assert_eq!(last["headline"], newest_headline.as_str());
        }
    }
}

/// R3: twenty times, the server is killed with `kill -9` while saves stream in and started
/// again on the same file. No acknowledged save is lost and the file stays sound.
#[actix_web::test]
async fn acknowledged_saves_survive_kill_9_sqlite() {
    let db = TestDatabase::sqlite().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&db.url);
    let (mut server, port, mut saves) = Saves::begin(dir.path(), &url).await;
    for cycle in 0..20 {
        // A different number of saves each time, so the kill lands at different moments.
        saves
            .around(2 + cycle % 5, async || {
                server.child.kill().unwrap();
                server.child.wait().unwrap();
            })
            .await;
        server = start(dir.path(), &url, port, None);
    }
    saves.all_kept().await;
    assert!(
        saves.acked.borrow().len() >= 80,
        "{} saves",
        saves.acked.borrow().len()
    );
    let mut conn = pool(&db.url).get().unwrap();
    assert_eq!(connection::integrity_check(&mut conn).unwrap(), "ok");
}

/// R4: the same stream of saves while the server is killed with `kill -9` and, in turns, its
/// PostgreSQL is stopped with `-m immediate` (no checkpoint, as at a power cut) and started
/// again under the running server. No acknowledged save is lost.
#[actix_web::test]
async fn acknowledged_saves_survive_kill_9_and_an_immediate_postgres_stop() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let url = pg.url();
    let (mut server, port, mut saves) = Saves::begin(pg.dir(), &url).await;
    let acked = saves.acked.clone();
    for cycle in 0..20 {
        saves
            .around(2 + cycle % 5, async || {
                if cycle % 2 == 0 {
                    // The database goes away under the server, which keeps running.
                    pg.stop_immediately();
                    pg.up();
                } else {
                    server.child.kill().unwrap();
                    server.child.wait().unwrap();
                    server = start(pg.dir(), &url, port, None);
                }
                until_acknowledged(&acked, 1).await;
            })
            .await;
    }
    saves.all_kept().await;
    assert!(
        pg.log().contains("database system was interrupted"),
        "{}",
        pg.log()
    );
    drop(server);
}

/// R5: PostgreSQL is down when the server starts, goes down under load and comes back. The
/// server answers a quick 503 with `Retry-After` meanwhile, reports not ready while staying
/// live, and serves again within ten seconds of the database's return, as the same process.
#[actix_web::test]
async fn a_database_outage_is_a_quick_503_and_heals_without_a_restart() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let url = pg.url();
    let token = editor_with_token(pg.dir(), &url, "ed@example.com", "write");
    pg.stop_immediately();
    // Started while the database is down: live, not ready, and pages say why.
    let port = free_port();
    let mut server = Server::on_port(
        pg.dir(),
        port,
        &[],
        &[("DATABASE_URL", &url), ("DATELINE_SECRET_KEY", KEY)],
    );
    wait_for_ok(port, "/healthz/live");
    assert_eq!(http_get(port, "/healthz/ready").unwrap().0, 503);
    assert_eq!(http_get(port, "/").unwrap().0, 503);
    pg.up();
    ready_within_ten_seconds(port);

    let api = api_on(port, &token);
    let id = api
        .publish_release(&json!({"headline": "Outage drill", "body": "Text."}))
        .await;
    let page = format!("/api/v1/releases/{id}");
    api.get(&page).await.assert_status(200);

    // Down in the middle of serving.
    pg.stop_immediately();
    for path in [
        page.as_str(),
        "/search?q=outage",
        "/api/v1/releases?status=draft",
    ] {
        let asked = Instant::now();
        let r = api
            .try_json("GET", path, &[], None)
            .await
            .expect("an answer");
        assert_eq!(r.status, 503, "{path}: {}", r.body);
        assert!(r.header("retry-after").is_some(), "{path}");
        // The pool gives up after about two seconds; nothing hangs.
        assert!(
            asked.elapsed() < Duration::from_secs(6),
            "{path}: {:?}",
            asked.elapsed()
        );
    }
    let saved = api
        .try_json(
            "PUT",
            &page,
            &[("If-Match", "\"2\"")],
            Some(&json!({"headline": "Lost?"})),
        )
        .await
        .expect("an answer");
    assert_eq!(saved.status, 503, "{}", saved.body);
    assert_eq!(http_get(port, "/healthz/ready").unwrap().0, 503);
    assert_eq!(http_get(port, "/healthz/live").unwrap().0, 200);

    pg.up();
    ready_within_ten_seconds(port);
    let back = api.get(&page).await;
    back.assert_status(200);
    assert_eq!(
        back.json()["headline"],
        "Outage drill",
        "the refused save changed nothing"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the same process serves"
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
    server.signal("-TERM");
    assert!(server.child.wait().unwrap().success());
}

/// A small filesystem of the test's own (tmpfs), to fill up. Mounting needs root; elsewhere the
/// test is skipped. (A read-only remount is refused while the server holds the file open for
/// writing, so the full disk stands for both.)
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let size = format!("size={megabytes}m");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: mounting a small filesystem needs root");
            return None;
        }
        Some(SmallDisk(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Fills the disk to the last byte with a file of its own; returns the file.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write as _;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        while file.write_all(&block[..512]).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.path())
            .status();
    }
}

/// R3 and R5 on SQLite: the disk fills up under a running server. Saves are refused with a 503
/// meanwhile, reads go on, nothing acknowledged is lost, and saves work again once there is
/// room, without a restart.
#[actix_web::test]
async fn a_full_disk_is_a_503_and_heals() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };
    let logs = tempfile::tempdir().unwrap();
    let db = disk.path().join("dateline.db").display().to_string();
    let (server, _port, mut saves) = Saves::begin(logs.path(), &db).await;
    saves.save(100).await.assert_status(200);
    let page = format!("/api/v1/releases/{}", saves.id);

    let filler = disk.fill();
    let mut refusal = None;
    for _ in 0..200 {
        let r = saves.save(20_000).await;
        if r.status != 200 {
            refusal = Some(r);
            break;
        }
    }
    let refusal = refusal.expect("the full disk refused a save");
    assert_eq!(refusal.status, 503, "{}", refusal.body);
    assert!(refusal.header("retry-after").is_some());
    saves.api.get(&page).await.assert_status(200);
    std::fs::remove_file(filler).unwrap();
    saves.save(100).await.assert_status(200);

    saves.all_kept().await;
    let mut conn = pool(&DatabaseUrl::Sqlite(db.into())).get().unwrap();
    assert_eq!(connection::integrity_check(&mut conn).unwrap(), "ok");
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// Polls readiness for at most ten seconds, the bound the operations checklist sets.
fn ready_within_ten_seconds(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if http_get(port, "/healthz/ready").is_some_and(|(s, _)| s == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not ready ten seconds after the database came back");
}

crate::database_tests! {
    embargo_survives_kill_9_sqlite, embargo_survives_kill_9_postgres => embargo_survives_kill_9;
    publish_is_atomic_sqlite, publish_is_atomic_postgres => publish_is_atomic;
}
