//! Signing in and out, the second factor, first-run setup, invitations and password resets.

pub mod account_form;
pub mod attempts;
pub mod links;
pub mod login;
pub mod reauth;
pub mod session;
pub mod setup;
pub mod two_factor;

/// Only local paths are followed after sign-in, so a crafted link cannot bounce a fresh session
/// to another site. Browsers drop tabs and newlines inside URLs and read `\` as `/`, so any of
/// those anywhere could turn `/x/evil.test` into `//evil.test`: such values are refused whole.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() < 500
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_local() {
        assert_eq!(
            super::safe_next(Some("/admin/releases?x=1")),
            "/admin/releases?x=1"
        );
        for bad in [
            "//evil.test",
            "https://evil.test",
            "/\\evil.test",
            "/\t/evil.test",
            "/\n/evil.test",
            "/x\\..\\\\evil.test",
            "/ /evil.test",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/admin");
        }
        assert_eq!(super::safe_next(None), "/admin");
    }
}
