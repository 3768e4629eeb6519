//! One module per subcommand. This is the binary's edge: errors become one line on stderr.

pub mod archive;
pub mod audit;
pub mod backup;
pub mod demo;
pub mod import;
pub mod key;
pub mod serve;
pub mod token;
pub mod user;

use std::io::BufRead;

use anyhow::Context;
use dateline_storage::repo::compaction;
use dateline_storage::{DbConnection, Pool, connection, maintenance, migrations};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Cli, Command};
use crate::config::Config;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let flags = cli.flags();
    let config = Config::load(&flags, &|k| std::env::var(k).ok())?;
    crate::logging::init(config.log_format);
    match cli.command {
        Command::Serve(_) => serve::run(config),
        Command::Migrate => migrate(&config),
        Command::Vacuum => vacuum(&config),
        Command::User(c) => user::run(&config, c),
        Command::Token(c) => token::run(&config, c),
        Command::Audit(c) => audit::run(&config, c),
        Command::Key(c) => key::run(&config, c),
        Command::Demo(args) => demo::run(&config, &args),
        Command::Backup(args) => backup::run(&config, &args.out),
        Command::Export(args) => archive::export(&config, &args),
        Command::Import(args) => match &args.archive {
            Some(path) => archive::import(&config, path),
            None => import::run(&config, &args),
        },
        Command::Config => {
            print_config(&config);
            Ok(())
        }
    }
}

/// Connects (failing fast with the real reason) and brings the schema up to date: one-shot
/// commands work on a fresh database without a separate `migrate`.
pub fn open(config: &Config) -> anyhow::Result<Pool> {
    let pool = connection::connect(&config.database_url, &crate::startup::pool_options(config))?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    migrations::run_pending(&mut conn)?;
    drop(conn);
    Ok(pool)
}

/// One line of standard input, as typed (with its line ending), for secrets piped in by scripts.
pub fn stdin_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    Ok(line)
}

fn migrate(config: &Config) -> anyhow::Result<()> {
    let pool = connection::connect(&config.database_url, &crate::startup::pool_options(config))?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let applied = migrations::run_pending(&mut conn)?;
    if applied.is_empty() {
        println!(
            "The database at {} is up to date.",
            config.database_url.redacted()
        );
    } else {
        println!(
            "Applied {} migration(s) to {}:",
            applied.len(),
            config.database_url.redacted()
        );
        for v in applied {
            println!("  {v}");
        }
    }
    pack_old_revisions(&mut conn)
}

fn vacuum(config: &Config) -> anyhow::Result<()> {
    let pool = open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let done = maintenance::vacuum(&mut conn)?;
    let mb = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "Vacuumed {}: {:.1} MB before, {:.1} MB after.",
        config.database_url.redacted(),
        mb(done.before),
        mb(done.after)
    );
    Ok(())
}

/// Releases packed per transaction by `migrate`: a failure or Ctrl-C loses at most this many, and
/// running `migrate` again goes on from there.
const PACK_RELEASES_PER_BATCH: i64 = 200;

/// Packs, with a progress bar, the bodies and revisions an older version stored as plain text.
fn pack_old_revisions(conn: &mut DbConnection) -> anyhow::Result<()> {
    let total = compaction::pending(conn)?;
    if total == 0 {
        return Ok(());
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} bodies and revisions packed, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut packed = 0u64;
    loop {
        let n = compaction::pack(conn, PACK_RELEASES_PER_BATCH)?;
        if n == 0 {
            break;
        }
        packed += n as u64;
        bar.set_position(packed);
    }
    bar.finish_and_clear();
    let left = compaction::pending(conn)?;
    println!("Packed {packed} bodies and revisions stored by an older version.");
    if left > 0 {
        println!("{left} could not be packed; the log names each damaged revision.");
    }
    Ok(())
}

fn print_config(config: &Config) {
    let rows = config.describe();
    let width = rows.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
    for (key, value, source) in rows {
        if source.is_empty() {
            println!("{key:width$}  {value}");
        } else {
            println!("{key:width$}  {value}  ({source})");
        }
    }
}
