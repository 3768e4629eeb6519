//! The server's secret key: from `DATELINE_SECRET_KEY`, or a key file readable only by its owner.
//! A missing key file is created once with a fresh random key.

use std::io::Write;
use std::path::Path;

use dateline_auth::SecretKey;

use crate::config::{Config, KeySource};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "DATELINE_SECRET_KEY is not a valid key: {0} (generate one with: openssl rand -hex 32)"
    )]
    BadEnv(String),
    #[error("key file {path} can be read by other users (mode {mode:o}); run: chmod 600 {path}")]
    TooOpen { path: String, mode: u32 },
    #[error("key file {path} is not valid: {reason}")]
    BadFile { path: String, reason: String },
    #[error("cannot create key file {path}: {reason}")]
    Create { path: String, reason: String },
}

pub fn load(config: &Config, env_key: Option<String>) -> Result<SecretKey, KeyError> {
    match &config.key_source {
        KeySource::Env => {
            let text = env_key.unwrap_or_default();
            SecretKey::from_text(&text).map_err(|e| KeyError::BadEnv(e.to_string()))
        }
        KeySource::File(path) => load_file(path),
    }
}

fn load_file(path: &Path) -> Result<SecretKey, KeyError> {
    let shown = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(meta) => {
            check_mode(&meta, &shown)?;
            let text = std::fs::read_to_string(path).map_err(|e| KeyError::BadFile {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
            SecretKey::from_text(&text).map_err(|e| KeyError::BadFile {
                path: shown,
                reason: e.to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(KeyError::BadFile {
            path: shown,
            reason: e.to_string(),
        }),
    }
}

#[cfg(unix)]
fn check_mode(meta: &std::fs::Metadata, path: &str) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_meta: &std::fs::Metadata, _path: &str) -> Result<(), KeyError> {
    Ok(())
}

/// Puts `key` in the key file at `path`, whole or not at all: written beside it, synced, then
/// renamed over it.
pub fn replace(path: &Path, key: &SecretKey) -> Result<(), KeyError> {
    let shown = path.display().to_string();
    let failed = |e: std::io::Error| KeyError::Create {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let mut staged = path.as_os_str().to_owned();
    staged.push(".new");
    let staged = std::path::PathBuf::from(staged);
    let _ = std::fs::remove_file(&staged);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&staged).map_err(failed)?;
    f.write_all(format!("{}\n", key.to_text()).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(failed)?;
    std::fs::rename(&staged, path).map_err(failed)
}

fn create(path: &Path) -> Result<SecretKey, KeyError> {
    let shown = path.display().to_string();
    let key = SecretKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(format!("{}\n", key.to_text()).as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| KeyError::Create {
                    path: shown.clone(),
                    reason: e.to_string(),
                })?;
            tracing::info!(path = %shown, "created a new secret key file");
            Ok(key)
        }
        // Another instance created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_file(path),
        Err(e) => Err(KeyError::Create {
            path: shown,
            reason: e.to_string(),
        }),
    }
}
