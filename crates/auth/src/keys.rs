//! The server's secret key, from which purpose-bound subkeys are derived. It never appears in
//! `Debug` output, logs or `dateline config`.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use crate::AuthError;

/// At least 256 bits.
pub const KEY_BYTES: usize = 32;

/// The prefix of values sealed by [`SecretKey::seal`]: a version, so the format can change
/// without guessing what a stored value is.
pub const SEALED_PREFIX: &str = "v1:";

const NONCE_BYTES: usize = 24;

pub struct SecretKey(SecretBox<[u8; KEY_BYTES]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(REDACTED)")
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        SecretKey(SecretBox::new(Box::new(*self.0.expose_secret())))
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        SecretKey(SecretBox::new(Box::new(bytes)))
    }

    /// Reads the key from its text form: 64 hex digits (what `generate` files contain).
    pub fn from_text(text: &str) -> Result<Self, AuthError> {
        let text = text.trim();
        let bytes = hex::decode(text).map_err(|_| {
            AuthError::Key("the secret key must be 64 hexadecimal characters".into())
        })?;
        let arr: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
            AuthError::Key(format!(
                "the secret key must be {KEY_BYTES} bytes (64 hexadecimal characters)"
            ))
        })?;
        Ok(SecretKey(SecretBox::new(Box::new(arr))))
    }

    /// The text form, for writing a fresh key file.
    pub fn to_text(&self) -> String {
        hex::encode(self.0.expose_secret())
    }

    /// HMAC-SHA-256 of `message` under a subkey for `purpose`. Different purposes never share
    /// a MAC, so a value made for one use cannot be replayed for another.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        let sub = self.subkey(purpose);
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&sub) {
            Ok(m) => m,
            // HMAC takes keys of any length; this arm cannot run.
            Err(_) => return [0u8; 32],
        };
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    pub fn mac_hex(&self, purpose: &str, message: &[u8]) -> String {
        hex::encode(self.mac(purpose, message))
    }

    /// Encrypts `plaintext` with XChaCha20-Poly1305 under a subkey for `purpose`, bound to
    /// `context` (the row it is stored in), so a sealed value copied to another row does not
    /// open. Random 192-bit nonces never repeat in practice.
    pub fn seal(
        &self,
        purpose: &str,
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<String, AuthError> {
        let cipher = self.cipher(purpose)?;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::Rng::fill(&mut rand::rng(), &mut nonce[..]);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| AuthError::Sealed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// The plaintext of a value made by [`seal`](Self::seal) with this key, purpose and context.
    pub fn open(&self, purpose: &str, context: &[u8], sealed: &str) -> Result<Vec<u8>, AuthError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(AuthError::Sealed)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| AuthError::Sealed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(AuthError::Sealed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        self.cipher(purpose)?
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| AuthError::Sealed)
    }

    fn cipher(&self, purpose: &str) -> Result<XChaCha20Poly1305, AuthError> {
        // A separate subkey name space: an encryption key is never also a MAC key.
        XChaCha20Poly1305::new_from_slice(&self.subkey(&format!("seal:{purpose}")))
            .map_err(|_| AuthError::Sealed)
    }

    fn subkey(&self, purpose: &str) -> [u8; 32] {
        match <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret()) {
            Ok(mut mac) => {
                mac.update(b"dateline subkey:");
                mac.update(purpose.as_bytes());
                mac.finalize().into_bytes().into()
            }
            Err(_) => [0u8; 32],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_redaction() {
        let k = SecretKey::generate();
        let text = k.to_text();
        assert_eq!(text.len(), 64);
        let back = SecretKey::from_text(&text).unwrap();
        assert_eq!(k.mac("x", b"m"), back.mac("x", b"m"));
        assert_eq!(format!("{k:?}"), "SecretKey(REDACTED)");
        assert!(SecretKey::from_text("abc").is_err());
        assert!(SecretKey::from_text(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn sealed_values_open_only_with_their_key_purpose_and_context() {
        let k = SecretKey::generate();
        let sealed = k.seal("totp", b"user:1", b"JBSWY3DPEHPK3PXP").unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            k.open("totp", b"user:1", &sealed).unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert_ne!(
            sealed,
            k.seal("totp", b"user:1", b"JBSWY3DPEHPK3PXP").unwrap()
        );
        assert!(k.open("totp", b"user:2", &sealed).is_err());
        assert!(k.open("other", b"user:1", &sealed).is_err());
        assert!(
            SecretKey::generate()
                .open("totp", b"user:1", &sealed)
                .is_err()
        );
        assert!(k.open("totp", b"user:1", "JBSWY3DPEHPK3PXP").is_err());
        assert!(k.open("totp", b"user:1", "v1:AAAA").is_err());
    }

    #[test]
    fn purposes_are_separate() {
        let k = SecretKey::generate();
        assert_ne!(k.mac("session", b"m"), k.mac("csrf", b"m"));
        assert_ne!(
            k.mac("session", b"m"),
            SecretKey::generate().mac("session", b"m")
        );
    }
}
