//! `dateline import FILE…`: plain-text wire releases in, one transaction each, through the same
//! use case as every other way in. Each file's result gets its own line; a file that cannot be
//! imported says why (with the line, where there is one) and the others still go in. A progress
//! bar shows on a terminal; logs and pipes get the plain lines only.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::Utc;
use dateline_storage::DbConnection;
use dateline_storage::repo::audit::Actor;
use dateline_storage::repo::{organizations, users};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::ImportArgs;
use crate::config::Config;
use crate::newsroom::Newsroom;
use crate::usecases::Caller;
use crate::usecases::import::{self, Imported, Options};

pub fn run(config: &Config, args: &ImportArgs) -> anyhow::Result<()> {
    let pool = super::open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let caller = caller(&mut conn, args.author.as_deref())?;
    let options = Options {
        organization_id: match &args.organization {
            Some(slug) => Some(
                organizations::get_by_slug(&mut conn, slug)
                    .with_context(|| format!("no organization has the slug {slug:?}"))?
                    .id,
            ),
            None => None,
        },
        publish: args.publish,
        language: Newsroom::load(&mut conn)?.language,
    };
    let bar = ProgressBar::new(args.files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut failed = 0usize;
    for path in &args.files {
        bar.set_message(path.display().to_string());
        let line = match one(&mut conn, &caller, path, &options) {
            Ok(imported) => report(path, &imported),
            Err(e) => {
                failed += 1;
                format!("{}: not imported: {e:#}", path.display())
            }
        };
        if bar.is_hidden() {
            println!("{line}");
        } else {
            bar.println(line);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    // A batch of files can change the newsroom's size a lot; plan the next queries for it.
    dateline_storage::repo::bulk::refresh_statistics(&mut conn)?;
    if failed > 0 {
        bail!(
            "{failed} of {} file(s) could not be imported",
            args.files.len()
        );
    }
    Ok(())
}

/// The account named by `--author`, or the command line itself.
fn caller(conn: &mut DbConnection, author: Option<&str>) -> anyhow::Result<Caller> {
    let Some(email) = author else {
        return Ok(Caller::system("cli"));
    };
    let Some(user) = users::find_by_email(conn, email)? else {
        bail!("no account has the e-mail address {email:?}");
    };
    if user.disabled {
        bail!("the account {email} is disabled");
    }
    Ok(Caller {
        user_id: Some(user.id),
        role: user.role,
        actor: Actor {
            user_id: Some(user.id),
            label: format!("{} (cli)", user.email),
            ..Actor::default()
        },
    })
}

fn one(
    conn: &mut DbConnection,
    caller: &Caller,
    path: &Path,
    options: &Options,
) -> anyhow::Result<Imported> {
    // Read at most one byte past the limit, so a huge file (or /dev/zero) is refused, not loaded.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(import::MAX_BYTES as u64 + 1).read_to_end(&mut bytes))
        .context("cannot read it")?;
    let text = import::read_text(&bytes)?;
    Ok(import::import(conn, caller, text, options, Utc::now())?)
}

fn report(path: &Path, imported: &Imported) -> String {
    let what = match (imported.created, imported.published) {
        (false, _) => "already imported as",
        (true, true) => "published as",
        (true, false) => "draft",
    };
    let mut line = format!("{}: {what} {}", path.display(), imported.public_id);
    for flag in &imported.flags {
        let at = if flag.line > 0 {
            format!("line {}: ", flag.line)
        } else {
            String::new()
        };
        line.push_str(&format!("\n  check {}: {at}{}", flag.field, flag.message));
    }
    line
}
