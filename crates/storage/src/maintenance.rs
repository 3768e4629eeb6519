//! Giving space back: after packing old revisions, deleting releases or a large import, the
//! database holds free pages that SQLite keeps inside its file until it is rebuilt.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::connection::{DbConnection, checkpoint};
use crate::error::Result;

/// The database's size before and after [`vacuum`], in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reclaimed {
    pub before: u64,
    pub after: u64,
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

const SQLITE_SIZE: &str =
    "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()";
const PG_SIZE: &str = "SELECT pg_database_size(current_database()) AS bytes";

/// The database's size on disk: SQLite's main file (after a checkpoint), or PostgreSQL's database.
pub fn size(conn: &mut DbConnection) -> Result<u64> {
    let size: Size = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(SQLITE_SIZE).get_result(c)?,
        DbConnection::Pg(c) => diesel::sql_query(PG_SIZE).get_result(c)?,
    };
    Ok(size.bytes.max(0) as u64)
}

/// Compacts the search index and rebuilds the database without its free pages. On SQLite the
/// file shrinks (the rebuild needs about the database's size again in free disk for a moment,
/// and writers wait while it runs); PostgreSQL's `VACUUM` makes the space reusable in place and
/// refreshes the planner's statistics.
pub fn vacuum(conn: &mut DbConnection) -> Result<Reclaimed> {
    checkpoint(conn)?;
    let before = size(conn)?;
    match conn {
        DbConnection::Sqlite(c) => {
            // Merges the index's segments and drops the entries of deleted rows for good.
            c.batch_execute(
                "INSERT INTO release_search (release_search) VALUES ('optimize'); VACUUM;",
            )?;
        }
        DbConnection::Pg(c) => c.batch_execute("VACUUM (ANALYZE)")?,
    }
    checkpoint(conn)?;
    Ok(Reclaimed {
        before,
        after: size(conn)?,
    })
}
