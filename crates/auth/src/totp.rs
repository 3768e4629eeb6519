//! Time-based one-time passwords (RFC 6238) for the second sign-in step, and recovery codes.

use base64::Engine;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::AuthError;

/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret_base32: &str, account: &str, issuer: &str) -> Result<Totp, AuthError> {
    let secret =
        Secret::try_from_base32(secret_base32).map_err(|e| AuthError::Totp(e.to_string()))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account.replace(':', " "))
        .with_issuer(Some(issuer.replace(':', " ")))
        .build()
        .map_err(|e| AuthError::Totp(e.to_string()))
}

/// What an authenticator app needs: the `otpauth://` URL and the same as a QR code in SVG.
pub struct Enrolment {
    pub url: String,
    pub qr_svg: String,
    /// The SVG as a `data:` URL, for an `<img>` that a strict CSP allows.
    pub qr_data_url: String,
}

pub fn enrolment(secret_base32: &str, account: &str, issuer: &str) -> Result<Enrolment, AuthError> {
    let url = totp(secret_base32, account, issuer)?
        .to_url()
        .map_err(|e| AuthError::Totp(e.to_string()))?;
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| AuthError::Totp(e.to_string()))?;
    let qr_svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let qr_data_url = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&qr_svg)
    );
    Ok(Enrolment {
        url,
        qr_svg,
        qr_data_url,
    })
}

/// Checks a code at `unix_time`, allowing one step of clock drift either way. Returns the
/// matched time step: the caller must record it and refuse it (or any earlier one) next time.
pub fn check(secret_base32: &str, code: &str, unix_time: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret_base32, "x", "x").ok()?.check(&code, unix_time)
}

/// The code for a time, for tests and the enrolment check.
pub fn code_at(secret_base32: &str, unix_time: u64) -> Option<String> {
    Some(
        totp(secret_base32, "x", "x")
            .ok()?
            .generate(unix_time)
            .to_string(),
    )
}

/// Ten one-time recovery codes like `k3fq-8wzm-2hxa`, for when the phone is lost.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| char::from(ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())]))
                .collect();
            format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
        })
        .collect()
}

/// Recovery codes are compared without dashes, spaces or case.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_once_per_step_window() {
        let secret = new_secret();
        let t = 1_790_000_000u64;
        let code = code_at(&secret, t).unwrap();
        let step = check(&secret, &code, t).unwrap();
        assert_eq!(step, t / 30);
        // One step of drift is tolerated, three are not.
        assert!(check(&secret, &code, t + 30).is_some());
        assert!(check(&secret, &code, t + 90).is_none());
        assert!(check(&secret, "000000x", t).is_none());
        assert!(check(&secret, &format!("{} {}", &code[..3], &code[3..]), t).is_some());
    }

    #[test]
    fn enrolment_gives_an_svg_qr_code() {
        let e = enrolment(&new_secret(), "ana@example.com", "Dateline: Calder Bay").unwrap();
        assert!(e.url.starts_with("otpauth://totp/"));
        assert!(e.qr_svg.contains("<svg"));
        assert!(e.qr_data_url.starts_with("data:image/svg+xml;base64,"));
    }

    #[test]
    fn recovery_codes_are_distinct() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        assert_eq!(normalize_recovery_code(" K3FQ-8wzm 2hxa "), "k3fq8wzm2hxa");
    }
}
