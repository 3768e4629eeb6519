//! Dateline's storage: one code path over SQLite and PostgreSQL through Diesel's
//! `MultiConnection`. Callers get `dateline-core` types back; Diesel types stay in here.

pub mod archive;
pub mod backup;
pub mod connection;
pub mod error;
pub mod maintenance;
pub mod migrations;
mod packing;
pub mod pagination;
pub mod repo;
pub mod schema;
/// Throwaway databases for tests; not part of the shipped library.
#[cfg(any(test, feature = "test-support"))]
pub mod testdb;
pub mod time;
pub mod visibility;

pub use connection::{
    Backend, DatabaseUrl, DbConnection, Pool, PoolOptions, PooledConnection, QueryCounter, write_tx,
};
/// Diesel's error, so callers can use `write_tx` with their own error types without depending on Diesel.
pub use diesel::result::Error as DieselError;
pub use error::{Result, StorageError};
pub use pagination::{Cursor, InvalidCursor, Page, PageRequest};
