//! The test harness: a real server on a free loopback port, over a fresh database (SQLite file,
//! or a PostgreSQL database of its own when DATELINE_TEST_POSTGRES is set), driven over real
//! HTTP with a cookie-keeping client.

pub mod client;
pub mod private_postgres;
pub mod process;

use std::collections::HashMap;
use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use dateline_auth::SecretKey;
use dateline_core::{Role, User};
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::testdb::TestDatabase;
use dateline_web::clock::Clock;
use dateline_web::config::{Config, FlagConfig};
use dateline_web::state::AppState;

pub use client::Client;

/// A password every test account uses: long enough, not on the common list.
pub const PASSWORD: &str = "violet harbor lantern 42";

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub db: TestDatabase,
    handle: ServerHandle,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::start(TestDatabase::sqlite().expect("a SQLite test database"), &[]).await
    }

    pub async fn postgres() -> Option<TestApp> {
        let db = TestDatabase::postgres().expect("a PostgreSQL test database")?;
        Some(Self::start(db, &[]).await)
    }

    /// Starts an app on `db` with extra `DATELINE_*` settings.
    pub async fn start(db: TestDatabase, env: &[(&str, &str)]) -> TestApp {
        Self::launch(db, env, true).await
    }

    /// An app without its scheduler and webhook sender, so the only queries on its pool are
    /// the ones requests make.
    pub async fn quiet(db: TestDatabase) -> TestApp {
        Self::launch(db, &[], false).await
    }

    async fn launch(db: TestDatabase, env: &[(&str, &str)], scheduler: bool) -> TestApp {
        let url = match &db.url {
            dateline_storage::DatabaseUrl::Sqlite(p) => p.display().to_string(),
            dateline_storage::DatabaseUrl::Postgres(u) => u.clone(),
        };
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), url),
            ("DATELINE_BIND".into(), "127.0.0.1:0".into()),
            ("DATELINE_SCHEDULER_INTERVAL_MS".into(), "100".into()),
        ]);
        for (k, v) in env {
            vars.insert((*k).into(), (*v).into());
        }
        let mut config = Config::load(&FlagConfig::default(), &|k| vars.get(k).cloned())
            .expect("test configuration");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("local address").port();
        if !vars.contains_key("DATELINE_PUBLIC_URL") {
            config.public_url = url::Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
        }
        config.bind = format!("127.0.0.1:{port}");
        let state = AppState::new(
            db.pool.clone(),
            config,
            SecretKey::generate(),
            Clock::default(),
        )
        .expect("application state");
        state
            .ready
            .store(true, std::sync::atomic::Ordering::Release);
        let server = dateline_web::app::http_server(state.clone(), listener, 1).expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        if scheduler {
            actix_web::rt::spawn(dateline_web::scheduler::run(state.clone()));
        }
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            state,
            db,
            handle,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    pub fn conn(&self) -> dateline_storage::PooledConnection {
        self.db.pool.get().expect("a connection")
    }

    /// Creates an account directly in the database.
    pub fn user(&self, email: &str, role: Role) -> User {
        let hash = dateline_auth::password::hash(PASSWORD).expect("hash");
        users::create(
            &mut self.conn(),
            &NewUser {
                email: email.into(),
                display_name: email.split('@').next().unwrap_or(email).to_owned(),
                role,
                password_hash: hash,
            },
        )
        .expect("user")
    }

    /// A client signed in as a new account with this role.
    pub async fn signed_in(&self, email: &str, role: Role) -> (Client, User) {
        let user = self.user(email, role);
        let client = self.client();
        client.login(email, PASSWORD).await.assert_status(303);
        (client, user)
    }

    /// Turns on two-factor sign-in for the account `c` is signed in as, through the enrolment
    /// page as a person would, and returns the secret their authenticator holds.
    pub async fn enable_two_factor(&self, c: &Client) -> String {
        let page = c.get("/account/two-factor").await;
        let field = |name| client::field_value(&page.body, name).expect(name);
        let secret = field("secret");
        let t = self.state.clock.now().timestamp() as u64;
        let code = dateline_auth::totp::code_at(&secret, t).expect("a code");
        let fields = [
            ("code", code.as_str()),
            ("secret", &secret),
            ("issued", &field("issued")),
            ("secret_mac", &field("secret_mac")),
            ("password", PASSWORD),
        ];
        c.submit("/account/two-factor", "/account/two-factor", &fields)
            .await
            .assert_status(200);
        secret
    }

    /// An API token for `user` with this scope ("read" or "write").
    pub fn token(&self, user: &User, scope: &str) -> String {
        let t = dateline_auth::tokens::new_api_token();
        dateline_storage::repo::tokens::create_api_token(
            &mut self.conn(),
            &dateline_storage::repo::tokens::NewApiToken {
                user_id: user.id,
                name: "test",
                scope,
                hash: &t.hash,
                prefix: &t.prefix,
                expires_at: None,
            },
            chrono::Utc::now(),
        )
        .expect("token");
        t.secret
    }

    /// A client that speaks to the API with `token`.
    pub fn api(&self, token: &str) -> Client {
        let c = self.client();
        c.with_header("Authorization", &format!("Bearer {token}"));
        c
    }

    /// A new account with this role and a write token for it.
    pub fn api_user(&self, email: &str, role: Role) -> (Client, User) {
        let user = self.user(email, role);
        let token = self.token(&user, "write");
        (self.api(&token), user)
    }

    /// A second app instance on the same database, as a load balancer would run it.
    pub async fn second_instance(&self) -> TestApp {
        let db = TestDatabase::attach(&self.db.url).expect("a second pool");
        Self::start(db, &[]).await
    }

    /// The public address of release `id`, with its current slug.
    pub fn page_of(&self, id: &str) -> String {
        let public_id = id.parse().expect("a public id");
        let r = dateline_storage::repo::releases::get_by_public_id(&mut self.conn(), &public_id)
            .expect("the release");
        format!("/releases/{id}/{}", r.slug)
    }

    /// Waits (up to 15 s) until `check` holds, polling; for effects of the background scheduler.
    pub async fn eventually(&self, what: &str, mut check: impl FnMut(&TestApp) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if check(self) {
                return;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// Tests that start the real binary on a bare database rather than an app in the test process:
/// `$run(&TestDatabase)` runs as `$sqlite`, and as `$postgres` when DATELINE_TEST_POSTGRES is set.
#[macro_export]
macro_rules! database_tests {
    ($($sqlite:ident, $postgres:ident => $run:path;)*) => {
        $(
            #[actix_web::test]
            async fn $sqlite() {
                $run(&dateline_storage::testdb::TestDatabase::sqlite().unwrap()).await;
            }

            #[actix_web::test]
            async fn $postgres() {
                match dateline_storage::testdb::TestDatabase::postgres().unwrap() {
                    Some(db) => $run(&db).await,
                    None => eprintln!("skipped: set DATELINE_TEST_POSTGRES to run this on PostgreSQL"),
                }
            }
        )*
    };
}

/// Each test runs twice: on SQLite, and on PostgreSQL when DATELINE_TEST_POSTGRES is set.
#[macro_export]
macro_rules! http_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::support::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    run($crate::support::TestApp::sqlite().await).await;
                }

                #[actix_web::test]
                async fn postgres() {
                    match $crate::support::TestApp::postgres().await {
                        Some(app) => run(app).await,
                        None => eprintln!("skipped: set DATELINE_TEST_POSTGRES to run this on PostgreSQL"),
                    }
                }
            }
        )*
    };
}
