//! Seeding many synthetic published releases at once: the scale fixture behind
//! `dateline demo --releases N` and the benchmark.
//!
//! Each release's text is normalised and validated by the same core rules as an editor's save,
//! so a seeded release differs from a published one only in how many statements it took to
//! write.

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use dateline_storage::repo::bulk::{self, Fate, Prepared, SeedRelease};
use dateline_storage::repo::{organizations, settings, taxonomy};
use dateline_storage::visibility::Scope;
use dateline_storage::{DbConnection, Pool, PooledConnection, StorageError};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::demo::synthetic::{self, Issuer, Taxa};

/// The most releases one call may seed.
pub const MAX_RELEASES: u64 = 10_000_000;
/// Releases per transaction: large enough that commits are a small part of the time, small
/// enough that progress moves and a failure loses little.
const BATCH: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the number of releases must be between 1 and {MAX_RELEASES}")]
    Count,
    #[error(
        "there are no organizations, categories or regions to seed releases under; load the demo newsroom first"
    )]
    NoTaxonomy,
    #[error("a generated release is not valid: {0}")]
    Invalid(String),
    #[error("the thread making the releases stopped unexpectedly")]
    Maker,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What [`seed_releases`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub releases: u64,
    /// Of those, waiting under an embargo (the scheduler publishes them) and withdrawn.
    pub scheduled: u64,
    pub withdrawn: u64,
    /// The bytes of text the releases hold as published (headline, subheadline, summary, body,
    /// dateline and source), for measuring what the database spends on them.
    pub text_bytes: u64,
}

/// Seeds `count` published releases generated from `seed`, calling `progress` with the number
/// written so far after each batch.
pub fn seed_releases(
    pool: &Pool,
    count: u64,
    seed: u64,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(u64),
) -> Result<Seeded, SeedError> {
    if count == 0 || count > MAX_RELEASES {
        return Err(SeedError::Count);
    }
    let mut conn = connection(pool)?;
    let taxa = taxa(&mut conn)?;
    // One thread makes and packs releases; writers take its batches as they come. PostgreSQL
    // works on each writer's statements in a process of its own, so two writers keep two cores
    // busy; SQLite lets one writer in at a time, so a second would only wait.
    let writers = match &*conn {
        DbConnection::Sqlite(_) => 1,
        DbConnection::Pg(_) => 2,
    };
    let written = AtomicU64::new(0);
    let (reports, reported) = mpsc::channel();
    let tally = std::thread::scope(|scope| {
        let (batches, received) = mpsc::sync_channel(writers);
        let taxa = &taxa;
        let maker = scope.spawn(move || make_batches(count, seed, now, taxa, &batches));
        // The writers share the receiving end; when the last one stops, so does the maker.
        let shared = Arc::new(Writing {
            batches: Mutex::new(received),
            written: &written,
            failed: AtomicBool::new(false),
        });
        let mut connections = vec![conn];
        while connections.len() < writers {
            connections.push(connection(pool)?);
        }
        let handles: Vec<_> = connections
            .into_iter()
            .map(|conn| {
                let (shared, reports) = (Arc::clone(&shared), reports.clone());
                scope.spawn(move || write_batches(conn, &shared, &reports))
            })
            .collect();
        drop((shared, reports));
        for n in reported {
            progress(n);
        }
        for handle in handles {
            handle.join().map_err(|_| SeedError::Maker)??;
        }
        maker.join().map_err(|_| SeedError::Maker)
    })?;
    let mut conn = connection(pool)?;
    // Readers' caches key on the content version, as after any publication.
    settings::bump_content_version(&mut conn, now)?;
    bulk::settle_after_load(&mut conn)?;
    Ok(Seeded {
        releases: written.into_inner(),
        scheduled: tally.scheduled,
        withdrawn: tally.withdrawn,
        text_bytes: tally.text_bytes,
    })
}

fn connection(pool: &Pool) -> Result<PooledConnection, SeedError> {
    pool.get().map_err(|e| SeedError::Storage(e.into()))
}

/// Where the generated releases may point: the organizations, categories and regions there are.
fn taxa(conn: &mut DbConnection) -> Result<Taxa, SeedError> {
    let taxa = Taxa {
        issuers: organizations::all(conn, Scope::All)?
            .into_iter()
            .map(|o| Issuer {
                id: o.id,
                name: o.name,
            })
            .collect(),
        category_ids: taxonomy::all_categories(conn, Scope::All)?
            .into_iter()
            .map(|c| c.id)
            .collect(),
        region_ids: taxonomy::all_regions(conn, Scope::All)?
            .into_iter()
            .map(|r| r.id)
            .collect(),
    };
    if taxa.issuers.is_empty() || taxa.category_ids.is_empty() || taxa.region_ids.is_empty() {
        return Err(SeedError::NoTaxonomy);
    }
    Ok(taxa)
}

type Batches = mpsc::Receiver<Result<Vec<Prepared>, SeedError>>;

/// What the writers share: where batches come from, the running total, and whether one of
/// them has failed (the others then stop too).
struct Writing<'a> {
    batches: Mutex<Batches>,
    written: &'a AtomicU64,
    failed: AtomicBool,
}

/// Writes batches until there are none left or one fails, sending the running total after each.
fn write_batches(
    mut conn: PooledConnection,
    shared: &Writing<'_>,
    reports: &mpsc::Sender<u64>,
) -> Result<(), SeedError> {
    let result = write_until_done(&mut conn, shared, reports);
    if result.is_err() {
        shared.failed.store(true, Ordering::Relaxed);
    }
    result
}

fn write_until_done(
    conn: &mut DbConnection,
    Writing {
        batches,
        written,
        failed,
    }: &Writing<'_>,
    reports: &mpsc::Sender<u64>,
) -> Result<(), SeedError> {
    let mut lexicon = bulk::Lexicon::default();
    while !failed.load(Ordering::Relaxed) {
        // Taken while holding the lock, written without it.
        let next = match batches.lock() {
            Ok(batches) => batches.recv(),
            Err(_) => return Err(SeedError::Maker),
        };
        let Ok(batch) = next else {
            return Ok(());
        };
        let n = bulk::insert_published(conn, &batch?, None, &mut lexicon)? as u64;
        let total = written.fetch_add(n, Ordering::Relaxed) + n;
        // Each time the load has doubled, so the statistics never lag far behind.
        if total.is_multiple_of(BATCH as u64) && (total / BATCH as u64).is_power_of_two() {
            bulk::refresh_growing_statistics(conn)?;
        }
        // The caller only stops listening once every writer has finished.
        let _ = reports.send(total);
    }
    Ok(())
}

/// What the making thread counted of what it made.
#[derive(Default)]
struct Tally {
    scheduled: u64,
    withdrawn: u64,
    text_bytes: u64,
}

/// Generates, checks and packs `count` releases and sends them in batches; stops at the first
/// error (sent on) or when the writer has stopped listening.
fn make_batches(
    count: u64,
    seed: u64,
    now: DateTime<Utc>,
    taxa: &Taxa,
    batches: &mpsc::SyncSender<Result<Vec<Prepared>, SeedError>>,
) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    let mut made = 0u64;
    while made < count {
        let n = (count - made).min(BATCH as u64);
        let batch = (0..n)
            .map(|_| make_one(&mut rng, taxa, now, &mut tally))
            .collect::<Result<Vec<_>, _>>();
        let failed = batch.is_err();
        if batches.send(batch).is_err() || failed {
            break;
        }
        made += n;
    }
    tally
}

fn make_one(
    rng: &mut StdRng,
    taxa: &Taxa,
    now: DateTime<Utc>,
    tally: &mut Tally,
) -> Result<Prepared, SeedError> {
    let generated = synthetic::release(rng, taxa, now);
    let mut content = generated.content;
    content.normalize();
    content
        .validate()
        .map_err(|e| SeedError::Invalid(format!("{e:?}")))?;
    tally.text_bytes += text_size(&content);
    match generated.fate {
        Fate::Scheduled(_) => tally.scheduled += 1,
        Fate::Withdrawn(..) => tally.withdrawn += 1,
        Fate::Published => {}
    }
    let mut drafts = generated.drafts;
    drafts
        .iter_mut()
        .for_each(dateline_core::ReleaseContent::normalize);
    Ok(bulk::prepare(SeedRelease {
        content,
        drafts,
        published_at: generated.published_at,
        correction: generated.correction,
        fate: generated.fate,
    })?)
}

fn text_size(c: &dateline_core::ReleaseContent) -> u64 {
    [
        &c.headline,
        &c.subheadline,
        &c.summary,
        &c.body,
        &c.dateline.city,
        &c.dateline.region,
        &c.source.label,
        &c.source.url,
    ]
    .iter()
    .map(|s| s.len() as u64)
    .sum()
}
