//! `dateline audit prune --before DATE`: the operator's retention policy for the audit log. The
//! default is to keep everything; this deletes only what it is told to, and says so in the log.

use anyhow::bail;
use chrono::{DateTime, NaiveDate, Utc};
use dateline_storage::repo::audit::{self, Actor, AuditAction, Entry};
use dateline_storage::write_tx;

use crate::cli::AuditCommand;
use crate::config::Config;
use crate::query::Day;

pub fn run(config: &Config, command: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Prune { before } = command;
    let now = Utc::now();
    let (day, cutoff) = cutoff(&before, now)?;
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    let removed = write_tx(&mut conn, |conn| {
        let removed = audit::prune_before(conn, cutoff)?;
        // Written after the delete, and dated now, so the prune's own row always stays.
        Entry::new(
            &Actor::system("cli"),
            AuditAction::AuditPrune,
            "audit_log",
            "",
            now,
        )
        .detail(format!("removed {removed} row(s) from before {day} (UTC)"))
        .record(conn)?;
        Ok::<_, dateline_storage::StorageError>(removed)
    })?;
    println!("Removed {removed} audit row(s) from before {day} (UTC).");
    Ok(())
}

/// The start of `before` (a calendar day, UTC). A later day than today is refused: it would
/// delete what happened moments ago, which is no retention policy.
fn cutoff(before: &str, now: DateTime<Utc>) -> anyhow::Result<(NaiveDate, DateTime<Utc>)> {
    let Ok(day) = Day::parse(before) else {
        bail!("--before {before:?} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-01");
    };
    if day.date() > now.date_naive() {
        bail!(
            "--before {} is in the future; give today ({}) or an earlier day",
            day.date(),
            now.date_naive()
        );
    }
    Ok((day.date(), day.start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_up_to_today() {
        let now = "2026-12-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let (_, at) = cutoff("2026-01-31", now).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-31T00:00:00+00:00");
        assert!(cutoff("2026-12-04", now).is_ok());
        for bad in ["2026-12-05", "2026-02-30", "31/01/2026", "yesterday", ""] {
            assert!(cutoff(bad, now).is_err(), "{bad}");
        }
    }
}
