//! Field-level validation errors, named by field so forms and the API can point at the culprit.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field as the form and the JSON API name it, e.g. `headline` or `dateline.date`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(())` when nothing was added, so checks can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks a required text field's presence and length (in characters).
    pub fn text(&mut self, field: &str, value: &str, required: bool, max_chars: usize) {
        let trimmed = value.trim();
        if required && trimmed.is_empty() {
            self.add(field, "This field is required.");
        } else if value.chars().count() > max_chars {
            self.add(
                field,
                format!(
                    "Keep this under {max_chars} characters (it has {}).",
                    value.chars().count()
                ),
            );
        } else if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.add(field, "This field contains control characters.");
        }
    }

    /// Checks a single-line field: like [`Self::text`], but line breaks are refused too.
    pub fn line(&mut self, field: &str, value: &str, required: bool, max_chars: usize) {
        if value.contains(['\n', '\r']) {
            self.add(field, "This field must be a single line.");
        } else {
            self.text(field, value, required, max_chars);
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Whether `url` is an absolute http(s) URL with a host. Deliberately simple: browsers and the
/// sanitizer do the rest.
pub fn is_http_url(url: &str) -> bool {
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        r
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

/// A BCP 47 language tag in the simple form we accept: `en`, `pt-BR`, `zh-Hant`.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(primary) = parts.next() else {
        return false;
    };
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && tag.len() <= 35
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_languages() {
        assert!(is_http_url("https://example.com/news/1"));
        assert!(is_http_url("http://example.com"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://exa mple.com"));
        assert!(is_language_tag("en") && is_language_tag("pt-BR") && is_language_tag("zh-Hant"));
        assert!(
            !is_language_tag("EN")
                && !is_language_tag("e")
                && !is_language_tag("en_US")
                && !is_language_tag("")
        );
    }

    #[test]
    fn collects_named_errors() {
        let mut e = ValidationErrors::new();
        e.text("headline", "  ", true, 10);
        e.line("city", "a\nb", false, 10);
        e.text("summary", "abcdefghijk", false, 10);
        assert_eq!(e.errors.len(), 3);
        assert_eq!(e.for_field("headline"), Some("This field is required."));
        assert!(e.for_field("summary").is_some_and(|m| m.contains("10")));
        assert!(e.into_result().is_err());
    }
}
