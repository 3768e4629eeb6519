//! Endpoint signing secrets at rest: sealed under a subkey of the server key, so a copy of the
//! database or a backup is not enough to forge deliveries. Admins can still read a secret on the
//! endpoint's page, since receivers need it.

use dateline_auth::SecretKey;
use dateline_storage::DbConnection;
use dateline_storage::repo::webhooks;

const PURPOSE: &str = "webhook secret";
const CONTEXT: &[u8] = b"webhook";

/// The stored form of `secret`.
pub fn seal(key: &SecretKey, secret: &str) -> Result<String, dateline_auth::AuthError> {
    key.seal(PURPOSE, CONTEXT, secret.as_bytes())
}

/// The secret from its stored form; `None` if it does not open with this key (the key was
/// replaced without `dateline key rotate`).
pub fn open(key: &SecretKey, stored: &str) -> Option<String> {
    key.open(PURPOSE, CONTEXT, stored)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Re-seals every endpoint secret from `old` to `new`, inside the key rotation's transaction.
/// A secret that does not open with the old key stops the rotation.
pub fn reseal_all(
    conn: &mut DbConnection,
    old: &SecretKey,
    new: &SecretKey,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let mut moved = 0;
    for (id, stored) in webhooks::secrets(conn)? {
        let Some(secret) = open(old, &stored) else {
            return Err(format!(
                "the secret of webhook {id} does not open with the current key; nothing was changed"
            )
            .into());
        };
        webhooks::replace_secret(conn, id, &seal(new, &secret)?, chrono::Utc::now())?;
        moved += 1;
    }
    Ok(moved)
}
