#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Two writers that add the same new tag at once (two editors, or two seeding writers) both end
//! up with the one tag, instead of the second failing on the unique slug.

use dateline_storage::repo::taxonomy;
use dateline_storage::testdb::TestDatabase;
use dateline_storage::{DbConnection, write_tx};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

#[derive(QueryableByName)]
struct Waiting {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether some other session of this database is waiting for a lock.
fn someone_waits(conn: &mut DbConnection) -> bool {
    let DbConnection::Pg(pg) = conn else {
        return false;
    };
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .get_result::<Waiting>(pg)
    .unwrap()
    .n > 0
}

#[test]
fn the_same_new_tag_added_by_two_writers_at_once_is_one_tag() {
    let Some(db) = TestDatabase::postgres_or_skip().unwrap() else {
        return;
    };
    let mut first = db.pool.get().unwrap();
    let mut watcher = db.pool.get().unwrap();
    let pool = db.pool.clone();
    let id = write_tx(&mut first, |conn| {
        let tag = taxonomy::ensure_tag(conn, "Grid Storage")?;
        // The second writer starts while this transaction still holds the new row, and has
        // to wait for it.
        let second = std::thread::spawn(move || {
            let mut conn = pool.get().unwrap();
            write_tx(&mut conn, |conn| taxonomy::ensure_tag(conn, "Grid Storage"))
        });
        while !someone_waits(&mut watcher) {
            std::thread::yield_now();
        }
        Ok::<_, dateline_storage::StorageError>((tag.id, second))
    })
    .unwrap();
    let (first_id, second) = id;
    let second = second
        .join()
        .unwrap()
        .expect("the second writer gets the tag too");
    assert_eq!(second.id, first_id);
    let tags: i64 = dateline_storage::schema::tags::table
        .count()
        .get_result(&mut *first)
        .unwrap();
    assert_eq!(tags, 1);
}
