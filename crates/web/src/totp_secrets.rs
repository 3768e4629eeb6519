//! TOTP secrets at rest. Each is sealed (XChaCha20-Poly1305) under a subkey of the server key
//! and bound to its account, so a copy of the database alone gives no one the second factor.
//!
//! Values stored before sealing existed are plain base32. They still work when read, and each
//! server start seals every one it finds (`seal_plaintext`). Rotating the server key re-seals
//! every secret under the new key in the same transaction (`reseal_all`).

use dateline_auth::SecretKey;
use dateline_auth::keys::SEALED_PREFIX;
use dateline_storage::DbConnection;
use dateline_storage::repo::users;

const PURPOSE: &str = "totp secret";

fn context(user_id: i64) -> Vec<u8> {
    format!("user:{user_id}").into_bytes()
}

/// The stored form of `secret_base32` for account `user_id`.
pub fn seal(
    key: &SecretKey,
    user_id: i64,
    secret_base32: &str,
) -> Result<String, dateline_auth::AuthError> {
    key.seal(PURPOSE, &context(user_id), secret_base32.as_bytes())
}

/// The base32 secret from its stored form; `None` if it does not open with this key (the key
/// was replaced without `dateline key rotate`), which is logged.
pub fn open(key: &SecretKey, user_id: i64, stored: &str) -> Option<String> {
    if !stored.starts_with(SEALED_PREFIX) {
        return Some(stored.to_owned());
    }
    match key
        .open(PURPOSE, &context(user_id), stored)
        .map(String::from_utf8)
    {
        Ok(Ok(secret)) => Some(secret),
        _ => {
            tracing::error!(
                user_id,
                "a TOTP secret does not open with the server key; was the key replaced without `dateline key rotate`? The account can still sign in with a recovery code"
            );
            None
        }
    }
}

/// Seals every secret still stored as plaintext. Returns how many were sealed.
pub fn seal_plaintext(
    conn: &mut DbConnection,
    key: &SecretKey,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let mut sealed = 0;
    for (id, stored) in users::totp_secrets(conn)? {
        if stored.starts_with(SEALED_PREFIX) {
            continue;
        }
        let new = seal(key, id, &stored)?;
        if users::replace_totp_secret(conn, id, &stored, &new)? {
            sealed += 1;
        }
    }
    Ok(sealed)
}

/// Re-seals every secret from `old` to `new`; run inside the rotation's transaction, so either
/// every secret moves to the new key or none does. A secret that does not open with the old key
/// stops the rotation: going on would make it unreadable for good.
pub fn reseal_all(
    conn: &mut DbConnection,
    old: &SecretKey,
    new: &SecretKey,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    users::lock_for_key_rotation(conn)?;
    let mut moved = 0;
    for (id, stored) in users::totp_secrets(conn)? {
        let Some(secret) = open(old, id, &stored) else {
            return Err(format!(
                "the TOTP secret of account {id} does not open with the current key; nothing was changed"
            )
            .into());
        };
        let sealed = seal(new, id, &secret)?;
        if !users::replace_totp_secret(conn, id, &stored, &sealed)? {
            // Left behind, it would be sealed under a key that is about to go.
            return Err(format!(
                "the TOTP secret of account {id} changed during the rotation; nothing was changed, run it again"
            )
            .into());
        }
        moved += 1;
    }
    Ok(moved)
}
