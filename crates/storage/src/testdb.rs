//! Fresh, isolated databases for tests: a new SQLite file in a temporary directory, or a new
//! PostgreSQL database (named uniquely, dropped afterwards) on the server named by
//! `DATELINE_TEST_POSTGRES`. Tests never share state and can run in parallel.

use std::path::PathBuf;

use diesel::prelude::*;

use crate::connection::{DatabaseUrl, PoolOptions, QueryCounter, connect};
use crate::error::{Result, StorageError};
use crate::{Pool, migrations};

/// The environment variable naming the PostgreSQL server tests may create databases on.
pub const POSTGRES_ENV: &str = "DATELINE_TEST_POSTGRES";

/// A database that exists for the life of this value.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    pub pool: Pool,
    /// Every statement run through `pool`.
    pub queries: QueryCounter,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A migrated SQLite database in a fresh temporary directory.
    pub fn sqlite() -> Result<Self> {
        Self::fresh_sqlite(4)?.migrated()
    }

    /// A migrated PostgreSQL database, or `None` when `DATELINE_TEST_POSTGRES` is not set.
    pub fn postgres() -> Result<Option<Self>> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            return Ok(None);
        };
        let name = format!("dateline_test_{}", unique_suffix());
        let mut admin = crate::connection::establish_postgres(&admin_url)
            .map_err(|e| StorageError::Connect(format!("{POSTGRES_ENV}={admin_url}: {e}")))?;
        // The name is ours (letters, digits, underscores), not user input.
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        let url = DatabaseUrl::Postgres(replace_database(&admin_url, &name)?);
        let cleanup = Cleanup::Postgres { admin_url, name };
        Self::open(url, 4, cleanup)?.migrated().map(Some)
    }

    /// Another pool on an existing test database, which stays owned (and dropped) by its creator.
    pub fn attach(url: &DatabaseUrl) -> Result<Self> {
        Self::open(url.clone(), 4, Cleanup::None)
    }

    /// An empty (unmigrated) database of the same kind, for migration tests.
    pub fn unmigrated_sqlite() -> Result<Self> {
        Self::fresh_sqlite(2)
    }

    /// An empty SQLite database in a new temporary directory, removed on drop.
    fn fresh_sqlite(max_size: u32) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("dateline-test-{}", unique_suffix()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| StorageError::Connect(format!("temp dir: {e}")))?;
        let url = DatabaseUrl::Sqlite(dir.join("test.db"));
        Self::open(url, max_size, Cleanup::Sqlite(dir))
    }

    /// A pool on `url`, undone by `cleanup` when the value is dropped.
    fn open(url: DatabaseUrl, max_size: u32, cleanup: Cleanup) -> Result<Self> {
        let queries = QueryCounter::default();
        let options = PoolOptions {
            max_size,
            query_counter: Some(queries.clone()),
            ..PoolOptions::default()
        };
        let pool = connect(&url, &options)?;
        Ok(TestDatabase {
            url,
            pool,
            queries,
            cleanup,
        })
    }

    fn migrated(self) -> Result<Self> {
        let mut conn = self.pool.get()?;
        migrations::run_pending(&mut conn)?;
        drop(conn);
        Ok(self)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::None => {}
            Cleanup::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut admin) = crate::connection::establish_postgres(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
        }
    }
}

fn unique_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{}_{:016x}", std::process::id(), n)
}

fn replace_database(url: &str, name: &str) -> Result<String> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| StorageError::BadUrl(format!("{POSTGRES_ENV}: {e}")))?;
    parsed.set_path(&format!("/{name}"));
    Ok(parsed.to_string())
}

/// Writes each test twice: `name::sqlite` on a fresh SQLite file, and `name::postgres` on a fresh
/// PostgreSQL database when `DATELINE_TEST_POSTGRES` is set (CI always sets it; without it the
/// PostgreSQL half says it was skipped).
///
/// ```ignore
/// backend_tests! {
///     fn creates_users(db) { let mut conn = db.pool.get().unwrap(); … }
/// }
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($(fn $name:ident($db:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                fn run($db: &$crate::testdb::TestDatabase) $body

                #[test]
                fn sqlite() {
                    let db = $crate::testdb::TestDatabase::sqlite().expect("a fresh SQLite database");
                    run(&db);
                }

                #[test]
                fn postgres() {
                    match $crate::testdb::TestDatabase::postgres().expect("a fresh PostgreSQL database") {
                        Some(db) => run(&db),
                        None => eprintln!("skipped: set {} to run this on PostgreSQL", $crate::testdb::POSTGRES_ENV),
                    }
                }
            }
        )*
    };
}
