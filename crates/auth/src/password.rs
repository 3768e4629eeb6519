//! Passwords: argon2id with OWASP's parameters, a length-only policy (no composition rules), and
//! a small offline list of passwords attackers try first.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::AuthError;

/// OWASP's second row for argon2id: 19 MiB, two passes, one lane. Also RustCrypto's default.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

/// Longest password accepted. Far beyond any passphrase; it only stops absurd request bodies.
pub const MAX_LENGTH: usize = 1_024;

const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;

thread_local! {
    /// argon2's working memory, kept per thread and reused. Allocated afresh for every hash
    /// (64-byte aligned), glibc kept up to eight freed copies per thread: 19 MiB each, so a few
    /// sign-ins grew the server by 150 MiB and more. The web app runs hashes on a few threads of
    /// their own, so this holds at most 19 MiB per hashing thread.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 over `password` and `salt` into `out`, in this thread's reused memory.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), AuthError> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() != blocks {
            *memory = vec![Block::default(); blocks];
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, memory.as_mut_slice())
            .map_err(|e| AuthError::Hashing(e.to_string()))
    })
}

fn current_params() -> Result<Params, AuthError> {
    Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN))
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a random salt.
pub fn hash(password: &str) -> Result<String, AuthError> {
    let params = current_params()?;
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_LEN];
    compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password.as_bytes(),
        &salt,
        &mut out,
    )?;
    let bad = |e: &dyn std::fmt::Display| AuthError::Hashing(e.to_string());
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| bad(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| bad(&e))?),
        hash: Some(Output::new(&out).map_err(|e| bad(&e))?),
    };
    Ok(phc.to_string())
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The hash uses other (usually older, weaker) parameters: store a fresh one after a success.
    pub needs_rehash: bool,
}

/// Checks `password` against a stored PHC string, using the parameters written in it.
///
/// A stored value that is not a usable hash (an account imported without its password) still
/// costs a full verification, so that the time taken does not tell such accounts apart. A hash
/// whose parameters ask for more than a sign-in can afford is not usable either: verification
/// follows the parameters written in the hash.
pub fn verify(password: &str, stored: &str) -> Result<Verified, AuthError> {
    let result = verify_stored(password, stored);
    if matches!(result, Err(AuthError::BadHash)) {
        dummy_verify(password);
    }
    result
}

/// The most a stored hash may ask for: 256 MiB, 16 passes, 16 lanes.
const MAX_M_COST_KIB: u32 = 256 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 16;

fn verify_stored(password: &str, stored: &str) -> Result<Verified, AuthError> {
    let parsed = PasswordHash::new(stored).map_err(|_| AuthError::BadHash)?;
    let algorithm =
        Algorithm::try_from(parsed.algorithm.as_str()).map_err(|_| AuthError::BadHash)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|_| AuthError::BadHash)?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|_| AuthError::BadHash)?;
    if params.m_cost() > MAX_M_COST_KIB
        || params.t_cost() > MAX_T_COST
        || params.p_cost() > MAX_P_COST
    {
        return Err(AuthError::BadHash);
    }
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(AuthError::BadHash);
    };
    let mut out = vec![0u8; expected.len()];
    compute(
        algorithm,
        version,
        params,
        password.as_bytes(),
        salt,
        &mut out,
    )?;
    let ok = bool::from(out.as_slice().ct_eq(expected.as_bytes()));
    Ok(Verified {
        ok,
        needs_rehash: ok && !is_current(stored),
    })
}

/// Whether a stored hash already uses argon2id with today's parameters.
pub fn is_current(stored: &str) -> bool {
    stored.starts_with(&format!(
        "$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}$"
    ))
}

/// Spends the same work as a real verification, so that "no such user" and "wrong password"
/// take the same time.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash("dateline-dummy-password-for-timing").ok()) {
        let _ = verify(password, stored);
    }
}

/// Why a new password was refused. The messages are shown to the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error(
        "Use at least {0} characters. A few unrelated words make a strong, memorable password."
    )]
    TooShort(usize),
    #[error("Use at most {MAX_LENGTH} characters.")]
    TooLong,
    #[error("This password is on the list of passwords attackers try first. Choose another.")]
    Common,
    #[error("Don't use your email address or name as your password.")]
    Personal,
}

/// The length policy. Never below 8 whatever the configuration says; 12 by default.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub min_length: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { min_length: 12 }
    }
}

const COMMON: &str = include_str!("common_passwords.txt");

fn common_set() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Reduces a password to its guessable core: lower-cased, without the digits and symbols people
/// bolt on at either end ("Password2026!" → "password").
fn core_of(password: &str) -> String {
    password
        .to_lowercase()
        .trim_matches(|c: char| !c.is_alphabetic())
        .to_owned()
}

impl Policy {
    pub fn effective_min(&self) -> usize {
        self.min_length.max(8)
    }

    /// Checks a new password. `personal` holds the email, name and similar: none may be the password.
    /// Length is counted in characters, so every script is treated alike.
    pub fn check(&self, password: &str, personal: &[&str]) -> Result<(), PasswordProblem> {
        let len = password.chars().count();
        if len < self.effective_min() {
            return Err(PasswordProblem::TooShort(self.effective_min()));
        }
        if len > MAX_LENGTH {
            return Err(PasswordProblem::TooLong);
        }
        let lower = password.to_lowercase();
        let set = common_set();
        if set.contains(lower.as_str())
            || set.contains(core_of(password).as_str())
            || is_trivial(&lower)
        {
            return Err(PasswordProblem::Common);
        }
        for p in personal
            .iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| p.len() >= 4)
        {
            let local = p.split('@').next().unwrap_or(&p).to_owned();
            if lower == p || core_of(password) == local || core_of(password) == core_of(&p) {
                return Err(PasswordProblem::Personal);
            }
        }
        Ok(())
    }
}

/// One repeated character, or a run along the keyboard or the digits.
fn is_trivial(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    if chars.windows(2).all(|w| w[0] == w[1]) {
        return true;
    }
    const RUNS: [&str; 4] = [
        "01234567890123456789",
        "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiopasdfghjklzxcvbnm",
        "98765432109876543210",
    ];
    RUNS.iter()
        .any(|run| run.contains(lower) || run.repeat(3).contains(lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_are_standard_phc_that_argon2_itself_accepts() {
        let ours = hash("a passphrase to check").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"a passphrase to check", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"another passphrase", &parsed)
                .is_err()
        );
    }

    #[test]
    fn hashes_are_argon2id_phc_with_owasp_parameters() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(is_current(&h));
        assert_eq!(
            verify("correct horse battery staple", &h).unwrap(),
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        assert!(!verify("correct horse battery stapl", &h).unwrap().ok);
        // Same password, different salt.
        assert_ne!(h, hash("correct horse battery staple").unwrap());
    }

    #[test]
    fn weak_hashes_verify_and_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"an old password here")
        .unwrap()
        .to_string();
        assert_eq!(
            verify("an old password here", &weak).unwrap(),
            Verified {
                ok: true,
                needs_rehash: true
            }
        );
        assert_eq!(
            verify("wrong", &weak).unwrap(),
            Verified {
                ok: false,
                needs_rehash: false
            }
        );
        assert!(verify("x", "not a hash").is_err());
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let long: String = "ab".repeat(64);
        let h = hash(&long).unwrap();
        assert!(verify(&long, &h).unwrap().ok);
        assert!(!verify(&long[..127], &h).unwrap().ok);
        assert!(Policy::default().check(&long, &[]).is_ok());
    }

    #[test]
    fn policy() {
        let p = Policy::default();
        assert_eq!(
            p.check("aaaaaaaaaaa", &[]),
            Err(PasswordProblem::TooShort(12))
        );
        assert_eq!(p.check("password1234", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("Password2026!", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("qwertyuiopasdf", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("zzzzzzzzzzzzzz", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("1234567890123", &[]), Err(PasswordProblem::Common));
        assert_eq!(
            p.check("ana.ribeiro@example.com", &["ana.ribeiro@example.com"]),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(
            p.check("anaribeiro2026", &["anaribeiro@example.com"]),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(
            p.check(&"x".repeat(MAX_LENGTH + 1), &[]),
            Err(PasswordProblem::TooLong)
        );
        assert!(
            p.check("harbor lantern violet", &["ana@example.com"])
                .is_ok()
        );
        assert!(p.check("Ünïcødé pässwörd", &[]).is_ok());
        assert_eq!(Policy { min_length: 4 }.effective_min(), 8);
    }

    #[test]
    fn a_hash_asking_for_too_much_is_not_used() {
        // 4 TB of memory would be allocated if the parameters in the hash were followed.
        let planted = "$argon2id$v=19$m=4000000000,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
        assert!(matches!(
            verify("anything", planted),
            Err(AuthError::BadHash)
        ));
        assert!(matches!(
            verify("anything", "!imported-without-password"),
            Err(AuthError::BadHash)
        ));
    }
}
