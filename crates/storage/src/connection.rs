//! Connections to either backend, chosen from the database URL's scheme, and the pool.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

use crate::error::StorageError;

/// One connection type over both backends; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Pg(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A database location, parsed once. Diesel's derived `establish` would try each backend in turn
/// and turn a mistyped PostgreSQL URL into a new SQLite file; choosing by scheme avoids that.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// Accepts `postgres://…`, `postgresql://…`, `sqlite://path`, `sqlite:path` or a plain path.
    pub fn parse(raw: &str) -> Result<Self, StorageError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(StorageError::BadUrl("the database URL is empty".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StorageError::BadUrl(
                    "the sqlite:// URL has no file path".into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        // Anything that looks like `scheme://` or `scheme:` (but not a Windows drive or a path)
        // is a typo or an unsupported database, and must not silently become a file name.
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(StorageError::BadUrl(format!(
                "unsupported database URL scheme {scheme:?}: use postgres://…, sqlite://path or a plain file path"
            )));
        }
        let looks_like_scheme = |scheme: &str| {
            scheme.len() > 1
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
        };
        if let Some((scheme, _)) = raw
            .split_once(':')
            .filter(|(scheme, _)| looks_like_scheme(scheme))
        {
            return Err(StorageError::BadUrl(format!(
                "unsupported database URL scheme {scheme:?}: use postgres://…, sqlite://path or a plain file path"
            )));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(raw)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password replaced, safe for logs and `dateline config`.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => redact_password(u),
        }
    }
}

fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("REDACTED")).is_err() {
                return "postgres://(unprintable URL)".into();
            }
            // Query parameters may carry a password too (`?password=`).
            if parsed
                .query_pairs()
                .any(|(k, _)| k.eq_ignore_ascii_case("password"))
            {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(k, v)| {
                        if k.eq_ignore_ascii_case("password") {
                            (k.into_owned(), "REDACTED".into())
                        } else {
                            (k.into_owned(), v.into_owned())
                        }
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => "postgres://(unparsable URL)".into(),
    }
}

/// How SQLite connections behave. FULL is the durable default: a commit acknowledged to an editor
/// survives power loss, not just a crash of the process.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOptions {
    pub busy_timeout: Duration,
    pub synchronous_full: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(10),
            synchronous_full: true,
        }
    }
}

/// r2d2's manager: opens the right backend and sets per-connection SQLite pragmas.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    sqlite: SqliteOptions,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, sqlite: SqliteOptions) -> Self {
        ConnectionManager { url, sqlite }
    }

    pub fn establish(&self) -> Result<DbConnection, StorageError> {
        match &self.url {
            DatabaseUrl::Postgres(u) => {
                let mut conn = establish_postgres(u)
                    .map_err(|e| StorageError::Connect(describe_pg_error(&e.to_string())))?;
                // Diesel prepares each statement once per connection, and after five runs
                // PostgreSQL may switch to a generic plan made without the values. For the
                // visibility checks that plan reads every public release (150 ms at 100,000
                // releases, against 5 ms planned for the values), so every run is planned for
                // its values; planning costs well under a millisecond here. JIT compilation is
                // off: it starts above a plan cost that a scan of 100,000 releases reaches, and
                // then spends 100-200 ms compiling to save a few on queries that take tens.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan; SET jit = off")
                    .map_err(|e| StorageError::Connect(describe_pg_error(&e.to_string())))?;
                Ok(DbConnection::Pg(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = open_sqlite(path)?;
                let pragmas = format!(
                    // Temporary tables (search snippets) stay in memory, not in files beside the database.
                    // No memory map: it made searches faster but counted the database in the
                    // server's resident memory (docs/decisions.md).
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA temp_store = MEMORY;",
                    self.sqlite.busy_timeout.as_millis(),
                    if self.sqlite.synchronous_full {
                        "FULL"
                    } else {
                        "NORMAL"
                    }
                );
                conn.batch_execute(&pragmas)
                    .map_err(|e| sqlite_open_error(path, &e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

fn describe_pg_error(raw: &str) -> String {
    // libpq's messages are multi-line; one line reads better in a log and in a CLI error.
    let one_line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("cannot connect to PostgreSQL: {one_line}")
}

fn open_sqlite(path: &Path) -> Result<SqliteConnection, StorageError> {
    if path.as_os_str() != ":memory:" {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(StorageError::Connect(format!(
                "cannot open SQLite database {}: the directory {} does not exist (create it, or choose another path with --data-dir or DATABASE_URL)",
                path.display(),
                dir.display()
            )));
        }
    }
    let url = path.to_string_lossy();
    SqliteConnection::establish(&url).map_err(|e| sqlite_open_error(path, &e.to_string()))
}

fn sqlite_open_error(path: &Path, raw: &str) -> StorageError {
    let hint = if raw.contains("readonly")
        || raw.contains("unable to open")
        || raw.contains("read-only")
    {
        " (is the file or its directory writable by this user? choose another place with --data-dir or DATABASE_URL)"
    } else {
        ""
    };
    StorageError::Connect(format!(
        "cannot open SQLite database {}: {raw}{hint}",
        path.display()
    ))
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StorageError;

    fn connect(&self) -> Result<DbConnection, StorageError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StorageError> {
        conn.ping().map_err(StorageError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        R2D2Connection::is_broken(conn)
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before failing with 503. Short on purpose: an
    /// outage should be a quick, honest error, not a hung page.
    pub checkout_timeout: Duration,
    pub sqlite: SqliteOptions,
    /// Counts every statement the pool's connections run. Tests use it to prove that a page's
    /// query count does not grow with the number of items on it.
    pub query_counter: Option<QueryCounter>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            checkout_timeout: Duration::from_secs(2),
            sqlite: SqliteOptions::default(),
            query_counter: None,
        }
    }
}

/// A shared count of statements run and, while asked, their text.
#[derive(Debug, Clone, Default)]
pub struct QueryCounter(std::sync::Arc<Counted>);

#[derive(Debug, Default)]
struct Counted {
    count: std::sync::atomic::AtomicU64,
    /// `Some` between [`QueryCounter::record`] and [`QueryCounter::recorded`].
    kept: std::sync::Mutex<Option<Vec<String>>>,
}

impl QueryCounter {
    pub fn get(&self) -> u64 {
        self.0.count.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Starts keeping every statement run from now on, as Diesel shows it (its SQL, then
    /// ` -- binds: ` and the values), so a test can ask the database how it plans each one.
    pub fn record(&self) {
        if let Ok(mut kept) = self.0.kept.lock() {
            *kept = Some(Vec::new());
        }
    }

    /// The statements run since [`record`](Self::record), in order; keeping stops.
    pub fn recorded(&self) -> Vec<String> {
        self.0
            .kept
            .lock()
            .ok()
            .and_then(|mut kept| kept.take())
            .unwrap_or_default()
    }

    fn saw(&self, query: &dyn diesel::connection::DebugQuery) {
        self.0
            .count
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut kept) = self.0.kept.lock()
            && let Some(kept) = kept.as_mut()
        {
            kept.push(query.to_string());
        }
    }
}

/// Installs the counter on each connection the pool opens.
#[derive(Debug)]
struct Counting(QueryCounter);

impl r2d2::CustomizeConnection<DbConnection, StorageError> for Counting {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), StorageError> {
        let count = self.0.clone();
        conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
                count.saw(query);
            }
        });
        Ok(())
    }
}

fn builder(url: &DatabaseUrl, options: &PoolOptions) -> r2d2::Builder<ConnectionManager> {
    let builder = r2d2::Pool::builder()
        .max_size(pool_size(url, options))
        .min_idle(Some(0))
        .connection_timeout(options.checkout_timeout)
        .test_on_check_out(true)
        .error_handler(Box::new(QuietErrors));
    match &options.query_counter {
        Some(counter) => builder.connection_customizer(Box::new(Counting(counter.clone()))),
        None => builder,
    }
}

/// Opens a libpq connection, after initialising OpenSSL without its exit-time cleanup.
///
/// libpq uses OpenSSL, which by default frees its tables from an `atexit` handler. A pool thread
/// still opening a connection while the process exits (r2d2 replaces connections in the
/// background) then reads freed memory and the process dies with SIGSEGV after its work is done.
/// Initialising first with `OPENSSL_INIT_NO_ATEXIT`, which `openssl_sys::init` does once per
/// process, leaves the cleanup to the operating system.
pub(crate) fn establish_postgres(url: &str) -> diesel::ConnectionResult<PgConnection> {
    openssl_sys::init();
    PgConnection::establish(url)
}

/// Prepares the database file (WAL mode) once, before any pool exists. WAL is persistent, and
/// switching it from many fresh connections at once is what makes SQLite say "database is locked".
fn prepare_sqlite(manager: &ConnectionManager) -> Result<(), StorageError> {
    if let DatabaseUrl::Sqlite(path) = &manager.url {
        let mut conn = manager.establish()?;
        if path.as_os_str() != ":memory:" {
            conn.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| sqlite_open_error(path, &e.to_string()))?;
        }
    }
    Ok(())
}

/// Builds a pool and checks that one connection works, failing fast with a clear error.
/// For one-shot commands.
pub fn connect(url: &DatabaseUrl, options: &PoolOptions) -> Result<Pool, StorageError> {
    let manager = ConnectionManager::new(url.clone(), options.sqlite);
    prepare_sqlite(&manager)?;
    // One direct connection first: r2d2 would only report "timed out" and hide libpq's reason.
    drop(manager.establish()?);
    build_pool(manager, options)
}

/// Builds a pool without touching the database, for a server that must start (and report
/// not-ready) while the database is still down.
pub fn connect_lazy(url: &DatabaseUrl, options: &PoolOptions) -> Pool {
    let manager = ConnectionManager::new(url.clone(), options.sqlite);
    builder(url, options).build_unchecked(manager)
}

/// For a lazily built pool: run the SQLite one-time preparation once the file can be opened.
pub fn prepare(url: &DatabaseUrl, options: &PoolOptions) -> Result<(), StorageError> {
    prepare_sqlite(&ConnectionManager::new(url.clone(), options.sqlite))
}

fn pool_size(url: &DatabaseUrl, options: &PoolOptions) -> u32 {
    match url {
        // `:memory:` gives each connection its own database: keep exactly one.
        DatabaseUrl::Sqlite(p) if p.as_os_str() == ":memory:" => 1,
        _ => options.max_size.max(1),
    }
}

fn build_pool(manager: ConnectionManager, options: &PoolOptions) -> Result<Pool, StorageError> {
    builder(&manager.url.clone(), options)
        .build(manager)
        .map_err(|e| StorageError::Connect(e.to_string()))
}

/// r2d2 logs every failed connection attempt at error level through `log`; the server reports
/// outages itself (one line per retry, and 503s), so these are dropped to debug.
#[derive(Debug)]
struct QuietErrors;

impl r2d2::HandleError<StorageError> for QuietErrors {
    fn handle_error(&self, error: StorageError) {
        tracing::debug!(%error, "database connection attempt failed");
    }
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking the write
/// lock up front so a transaction that reads and then writes cannot fail with SQLITE_BUSY halfway.
/// Nested calls become savepoints.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let in_tx =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .map_err(E::from)?
            .is_some();
    if in_tx {
        return conn.transaction(f);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(_) => {
            <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?
        }
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback; a broken connection is
            // discarded by the pool either way.
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// A round trip to the database, for readiness checks.
pub fn ping(conn: &mut DbConnection) -> Result<(), StorageError> {
    conn.batch_execute("SELECT 1").map_err(StorageError::from)
}

/// SQLite's own consistency check ("ok" when sound). PostgreSQL checks itself; it answers "ok".
pub fn integrity_check(conn: &mut DbConnection) -> Result<String, StorageError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    match conn {
        DbConnection::Sqlite(c) => {
            let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check").load(c)?;
            Ok(rows
                .into_iter()
                .map(|r| r.integrity_check)
                .collect::<Vec<_>>()
                .join("; "))
        }
        DbConnection::Pg(_) => Ok("ok".into()),
    }
}

/// On SQLite, moves the write-ahead log into the main file and truncates it. A no-op on
/// PostgreSQL.
pub fn checkpoint(conn: &mut DbConnection) -> Result<(), StorageError> {
    match conn {
        DbConnection::Sqlite(c) => c
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(StorageError::from),
        DbConnection::Pg(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_by_scheme() {
        for url in ["postgres://u:p@h/db", "postgresql://h/db"] {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap().backend(),
                Backend::Postgres
            );
        }
        for (url, path) in [
            ("sqlite://data/x.db", "data/x.db"),
            ("sqlite:///var/x.db", "/var/x.db"),
            ("dateline.db", "dateline.db"),
            ("/srv/dateline.db", "/srv/dateline.db"),
        ] {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap(),
                DatabaseUrl::Sqlite(path.into())
            );
        }
        let err = DatabaseUrl::parse("mysql://h/db").unwrap_err().to_string();
        assert!(err.contains("\"mysql\""), "{err}");
        let err = DatabaseUrl::parse("postgress://h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"postgress\""), "{err}");
        assert!(DatabaseUrl::parse("redis:localhost").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn redaction() {
        let url =
            DatabaseUrl::parse("postgres://dateline:s3cret@db.example.com:5432/news?password=x2")
                .unwrap();
        let shown = url.redacted();
        assert!(
            !shown.contains("s3cret") && !shown.contains("x2"),
            "{shown}"
        );
        assert!(shown.contains("db.example.com"));
        assert_eq!(format!("{url:?}"), shown);
    }

    /// What a pooled SQLite connection runs with: the durability and safety settings the
    /// operations notes promise (WAL, synchronous FULL, foreign keys, a busy timeout).
    #[test]
    fn sqlite_connections_carry_their_pragmas() {
        #[derive(diesel::QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("p.db"));
        let read = |conn: &mut DbConnection, pragma: &'static str| -> String {
            let DbConnection::Sqlite(c) = conn else {
                panic!("expected SQLite")
            };
            let rows: Vec<Text> = diesel::sql_query(pragma).load(c).unwrap();
            rows.into_iter().map(|r| r.value).collect()
        };
        let full = connect(&url, &PoolOptions::default()).unwrap();
        let mut conn = full.get().unwrap();
        for (pragma, expected) in [
            (
                "SELECT journal_mode AS value FROM pragma_journal_mode",
                "wal",
            ),
            (
                "SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous",
                "2",
            ),
            (
                "SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys",
                "1",
            ),
            (
                "SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout",
                "10000",
            ),
        ] {
            assert_eq!(read(&mut conn, pragma), expected, "{pragma}");
        }
        // `sqlite_synchronous = normal` is the one knob, and it takes.
        let options = PoolOptions {
            sqlite: SqliteOptions {
                synchronous_full: false,
                ..SqliteOptions::default()
            },
            ..PoolOptions::default()
        };
        let normal = connect(&url, &options).unwrap();
        let mut conn = normal.get().unwrap();
        assert_eq!(
            read(
                &mut conn,
                "SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous"
            ),
            "1"
        );
    }
}
