use dateline_core::taxonomy::ParentRefusal;
use dateline_core::user::AccountRefusal;
use dateline_core::workflow::Refusal;
use dateline_core::{DomainError, ValidationErrors};

/// Everything storage can report. The web layer maps these to HTTP in one place.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{0}")]
    BadUrl(String),
    #[error("{0}")]
    Connect(String),
    #[error("the database is not reachable right now: {0}")]
    Unavailable(String),
    #[error("not found")]
    NotFound,
    /// A compare-and-swap update lost: someone saved first. Carries the revision now stored.
    #[error("conflict: this was changed by someone else (now at revision {current})")]
    Conflict { current: i64 },
    /// A unique constraint refused the write, e.g. a slug or email already in use.
    #[error("{field} {value:?} is already taken")]
    Duplicate { field: &'static str, value: String },
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// A rule of the domain refused the command; the reason is worded in `dateline-core`.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A delete refused because other rows still point here (a category with releases, …).
    #[error("{0} is still in use")]
    InUse(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// One revision's snapshot cannot be read back; the release's other revisions still can.
    #[error("revision {revision} of release {release_id} is damaged: {reason}")]
    DamagedRevision {
        release_id: i64,
        revision: i64,
        reason: String,
    },
}

impl From<r2d2::Error> for StorageError {
    fn from(e: r2d2::Error) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

impl From<ValidationErrors> for StorageError {
    fn from(e: ValidationErrors) -> Self {
        StorageError::Invalid(e)
    }
}

impl From<Refusal> for StorageError {
    fn from(e: Refusal) -> Self {
        StorageError::Domain(e.into())
    }
}

impl From<AccountRefusal> for StorageError {
    fn from(e: AccountRefusal) -> Self {
        StorageError::Domain(e.into())
    }
}

impl From<ParentRefusal> for StorageError {
    fn from(e: ParentRefusal) -> Self {
        StorageError::Domain(e.into())
    }
}

/// What the database says when it went away under a query (PostgreSQL restarted or stopped,
/// the network cut) or can take no more writes (SQLite's disk full or read-only), as opposed to
/// refusing the query itself. Matched on the message because libpq and SQLite report most of
/// these with an unspecific error kind.
const OUT_OF_SERVICE: &[&str] = &[
    "server closed the connection unexpectedly",
    "terminating connection due to administrator command",
    "no connection to the server",
    "could not send data to server",
    "could not receive data from server",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "database or disk is full",
    "attempt to write a readonly database",
    "disk I/O error",
    "unable to open database file",
];

impl StorageError {
    /// Whether the database is out of service rather than refusing this query: worth a 503 and
    /// a retry, not a bug report.
    pub fn is_out_of_service(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StorageError::Unavailable(_) | StorageError::Connect(_) => true,
            StorageError::Database(Error::DatabaseError(kind, info)) => {
                matches!(kind, DatabaseErrorKind::ClosedConnection)
                    || OUT_OF_SERVICE.iter().any(|m| info.message().contains(m))
            }
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            StorageError::NotFound | StorageError::Database(diesel::result::Error::NotFound)
        )
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Turns Diesel's "no rows" into our `NotFound`, leaving other errors alone.
pub(crate) fn not_found(e: diesel::result::Error) -> StorageError {
    match e {
        diesel::result::Error::NotFound => StorageError::NotFound,
        other => StorageError::Database(other),
    }
}

/// One row read back as its domain type: `NotFound` when there is none.
pub(crate) fn found<R, T: From<R>>(row: diesel::QueryResult<R>) -> Result<T> {
    row.map(T::from).map_err(not_found)
}

/// Maps a unique-constraint violation to a friendly `Duplicate` for `field`.
/// Maps a foreign-key violation on delete to `InUse`.
pub(crate) fn in_use(what: &str) -> impl Fn(diesel::result::Error) -> StorageError + '_ {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        ) => StorageError::InUse(what.to_owned()),
        // Diesel reports SQLite's foreign-key failures as `Unknown`; the message is stable.
        diesel::result::Error::DatabaseError(_, ref info)
            if info.message().contains("FOREIGN KEY constraint failed") =>
        {
            StorageError::InUse(what.to_owned())
        }
        other => not_found(other),
    }
}

pub(crate) fn unique_as<'a>(
    field: &'static str,
    value: &'a str,
) -> impl Fn(diesel::result::Error) -> StorageError + 'a {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => StorageError::Duplicate {
            field,
            value: value.to_owned(),
        },
        other => not_found(other),
    }
}
