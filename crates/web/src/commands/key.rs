//! `dateline key rotate`.

use anyhow::{Context, bail};
use dateline_auth::SecretKey;
use dateline_storage::repo::audit::{Actor, AuditAction, Entry};
use dateline_storage::write_tx;

use crate::cli::KeyCommand;
use crate::config::{Config, KeySource};
use crate::{keyfile, totp_secrets};

pub fn run(config: &Config, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Rotate { new_key_stdin } => rotate(config, new_key_stdin),
    }
}

fn new_key(config: &Config, from_stdin: bool) -> anyhow::Result<SecretKey> {
    if from_stdin {
        let line = super::stdin_line("the new key")?;
        return SecretKey::from_text(&line).map_err(|e| anyhow::anyhow!("the new key: {e}"));
    }
    match config.key_source {
        KeySource::Env => bail!(
            "the key comes from DATELINE_SECRET_KEY: give the new key on standard input with --new-key-stdin (make one with: openssl rand -hex 32)"
        ),
        KeySource::File(_) => Ok(SecretKey::generate()),
    }
}

/// Re-seals every TOTP secret and, for a key file, replaces the file, all before the
/// transaction commits: if the file cannot be written nothing changes. If the commit itself
/// fails after the file was replaced, the old key is put back.
fn rotate(config: &Config, new_key_stdin: bool) -> anyhow::Result<()> {
    let old = keyfile::load(config, std::env::var("DATELINE_SECRET_KEY").ok())?;
    let new = new_key(config, new_key_stdin)?;
    if new.to_text() == old.to_text() {
        bail!("the new key is the same as the current one; nothing was changed");
    }
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    let file = match &config.key_source {
        KeySource::File(path) => Some(path.clone()),
        KeySource::Env => None,
    };
    let mut replaced = false;
    let result = write_tx(&mut conn, |conn| -> anyhow::Result<(usize, usize)> {
        let moved = totp_secrets::reseal_all(conn, &old, &new).map_err(|e| anyhow::anyhow!(e))?;
        let hooks = crate::webhooks::secrets::reseal_all(conn, &old, &new)
            .map_err(|e| anyhow::anyhow!(e))?;
        Entry::new(
            &Actor::system("cli"),
            AuditAction::KeyRotate,
            "server",
            "",
            chrono::Utc::now(),
        )
        .detail(format!(
            "{moved} two-factor secret(s) and {hooks} webhook secret(s) re-encrypted"
        ))
        .record(conn)?;
        if let Some(path) = &file {
            keyfile::replace(path, &new)?;
            replaced = true;
        }
        Ok((moved, hooks))
    });
    let (moved, hooks) = match result {
        Ok(counts) => counts,
        Err(e) => {
            if let (true, Some(path)) = (replaced, &file) {
                keyfile::replace(path, &old).context(
                    "the database kept the old key, and the old key file could not be put back",
                )?;
            }
            return Err(e);
        }
    };
    match &file {
        Some(path) => println!(
            "Re-encrypted {moved} two-factor secret(s) and {hooks} webhook secret(s), and wrote the new key to {}. Every session has ended; start the servers again.",
            path.display()
        ),
        None => println!(
            "Re-encrypted {moved} two-factor secret(s) and {hooks} webhook secret(s). Set DATELINE_SECRET_KEY to the new key and start the servers again; every session has ended."
        ),
    }
    Ok(())
}
