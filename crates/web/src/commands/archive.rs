//! `dateline export OUT` and `dateline import --archive IN`: the whole newsroom as a versioned
//! JSON Lines archive (`docs/archive.md`), out and back in. Reading checks every line before
//! anything is written, and the import itself is one transaction, so a bad archive leaves the
//! newsroom as it was.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, bail};
use chrono::Utc;
use dateline_core::archive::{Header, Record};
use dateline_storage::archive;

use crate::cli::ExportArgs;
use crate::config::Config;

pub fn export(config: &Config, args: &ExportArgs) -> anyhow::Result<()> {
    let pool = super::open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let records = archive::export(&mut conn, args.with_secrets)?;
    let to_stdout = args.out.as_os_str() == "-";
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        // Readable by its owner only: an archive holds unpublished and embargoed releases.
        let file = dateline_storage::backup::create_private(&args.out)?;
        Box::new(file)
    };
    let mut out = BufWriter::new(sink);
    writeln!(out, "{}", serde_json::to_string(&Header::current())?)?;
    for record in &records {
        writeln!(out, "{}", serde_json::to_string(record)?)?;
    }
    out.flush()?;
    if !to_stdout {
        eprintln!(
            "Wrote {} record(s) to {}{}.",
            records.len(),
            args.out.display(),
            if args.with_secrets {
                ", with password hashes: keep it as safe as the database"
            } else {
                ""
            }
        );
    }
    Ok(())
}

pub fn import(config: &Config, path: &Path) -> anyhow::Result<()> {
    let records = read(path)?;
    let pool = super::open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let report = archive::import(&mut conn, &records, Utc::now())
        .with_context(|| format!("{}: nothing was imported", path.display()))?;
    let added: Vec<String> = report
        .added
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    println!(
        "Imported {}: added {}; {} record(s) were already here and were left as they are.",
        path.display(),
        if added.is_empty() {
            "nothing".to_owned()
        } else {
            added.join(", ")
        },
        report.already_present
    );
    Ok(())
}

/// Reads and checks a whole archive: the header first (an unknown format or version is refused
/// before anything else is read), then one record per line. Errors name the line.
fn read(path: &Path) -> anyhow::Result<Vec<Record>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let Some((_, first)) = lines.next() else {
        bail!(
            "{} is empty; an archive starts with its header line",
            path.display()
        );
    };
    let first = first.with_context(|| format!("{}: line 1 is not text", path.display()))?;
    let header: Header = serde_json::from_str(&first).map_err(|_| {
        anyhow::anyhow!(
            "{}: line 1 is not an archive header; is this a file written by `dateline export`?",
            path.display()
        )
    })?;
    header
        .check()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut records = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let line =
            line.with_context(|| format!("{}: line {n} is not UTF-8 text", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}: line {n} is not a record this version knows",
                path.display()
            )
        })?;
        records.push(record);
    }
    Ok(records)
}
