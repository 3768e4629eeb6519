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

    /// For a test about PostgreSQL alone: a fresh database, or `None` (with a note that the
    /// test was skipped) when `DATELINE_TEST_POSTGRES` is not set.
    pub fn postgres_or_skip() -> Result<Option<Self>> {
        let db = Self::postgres()?;
        if db.is_none() {
            eprintln!("skipped: set {POSTGRES_ENV} to run this on PostgreSQL");
        }
        Ok(db)
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

/// How the database would run a statement, one line per plan step: SQLite's `EXPLAIN QUERY
/// PLAN` details, or PostgreSQL's `EXPLAIN` text.
///
/// `shown` is a statement as [`QueryCounter::recorded`](crate::QueryCounter::recorded) kept it:
/// the SQL with its placeholders, then ` -- binds: ` and the values. SQLite plans without looking
/// at values. PostgreSQL plans for the values, so it gets them back as literals and makes the
/// custom plan it would make for the real statement, with sequential scans priced out.
pub fn query_plan(conn: &mut crate::DbConnection, shown: &str) -> Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[diesel(column_name = "QUERY PLAN")]
        line: String,
    }
    let (sql, binds) = shown.split_once(" -- binds: ").unwrap_or((shown, "[]"));
    match conn {
        crate::DbConnection::Sqlite(c) => {
            Ok(diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<Step>(c)?
                .into_iter()
                .map(|s| s.detail)
                .collect())
        }
        crate::DbConnection::Pg(c) => {
            let values = bind_literals(binds)?;
            let execute = if values.is_empty() {
                "EXPLAIN EXECUTE dateline_plan".to_owned()
            } else {
                format!("EXPLAIN EXECUTE dateline_plan({})", values.join(", "))
            };
            c.transaction(|c| {
                // A table of a few thousand rows is cheapest read whole, so PostgreSQL rightly
                // does; priced out, a sequential scan stays only where no index can serve, which
                // is what a newsroom of 100,000 releases would run into.
                diesel::sql_query("SET LOCAL enable_seqscan = off").execute(c)?;
                diesel::sql_query(format!("PREPARE dateline_plan AS {sql}")).execute(c)?;
                let lines = diesel::sql_query(execute).load::<Line>(c);
                diesel::sql_query("DEALLOCATE dateline_plan").execute(c)?;
                Ok(lines?.into_iter().map(|l| l.line).collect())
            })
        }
    }
}

/// Diesel's debug list of bound values (`["published", 2026-12-05T11:43:48.7, None, [1, 2]]`)
/// as SQL literals, which PostgreSQL casts to each parameter's type.
fn bind_literals(binds: &str) -> Result<Vec<String>> {
    let bad = |why: &str| StorageError::Corrupt(format!("cannot read the binds {binds}: {why}"));
    let inner = binds
        .trim()
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .ok_or_else(|| bad("not a list"))?;
    split_top_level(inner)
        .into_iter()
        .map(|v| literal(v).ok_or_else(|| bad(v)))
        .collect()
}

/// One value of the debug list as an SQL literal.
fn literal(value: &str) -> Option<String> {
    let v = value.trim();
    if v == "None" {
        return Some("NULL".into());
    }
    if let Some(inner) = v.strip_prefix("Some(").and_then(|i| i.strip_suffix(')')) {
        return literal(inner);
    }
    if v.starts_with('"') {
        return Some(quote(&unescape(v)?));
    }
    if let Some(items) = v.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
        // An array, as PostgreSQL's text form: {1,2} or {"a","b"}.
        let elements: Option<Vec<String>> = split_top_level(items)
            .into_iter()
            .map(|item| {
                let item = item.trim();
                if item.starts_with('"') {
                    let text = unescape(item)?;
                    Some(format!(
                        "\"{}\"",
                        text.replace('\\', "\\\\").replace('"', "\\\"")
                    ))
                } else {
                    Some(item.to_owned())
                }
            })
            .collect();
        return Some(quote(&format!("{{{}}}", elements?.join(","))));
    }
    if v == "true" || v == "false" || v.parse::<f64>().is_ok() {
        return Some(v.to_owned());
    }
    // Times and anything else: a quoted literal the parameter's type parses.
    Some(quote(v))
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A Rust debug string (`"it's \"so\""`) as its text.
fn unescape(quoted: &str) -> Option<String> {
    let body = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'u' => {
                let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&code, 16).ok()?)?);
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// Splits a debug list's items at the commas outside strings, brackets and parentheses.
fn split_top_level(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0i32, false, false, 0);
    for (i, c) in list.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '[' | '(' if !in_string => depth += 1,
            ']' | ')' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                items.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !list[start..].trim().is_empty() {
        items.push(&list[start..]);
    }
    items
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
