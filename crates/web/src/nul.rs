//! NUL characters are refused where text enters: query strings, form bodies and JSON bodies.
//! No field means anything with one, and the backends disagree about them: PostgreSQL cannot
//! store or compare text that holds NUL (any lookup is a database error), while SQLite stores it.
//! Refusing it at the edge keeps both backends giving the same clear 400.

use serde_json::Value;

use crate::error::WebError;

/// The first field of a urlencoded body or query string whose name or value holds NUL, named
/// without it.
pub fn urlencoded_field(encoded: &[u8]) -> Option<String> {
    if !encoded.windows(3).any(|w| w == b"%00") && !encoded.contains(&0) {
        return None;
    }
    url::form_urlencoded::parse(encoded)
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| shown(&k))
}

/// The first field of a JSON body (as a dotted path, `body` for the whole) whose name or text
/// holds NUL.
pub fn json_field(value: &Value) -> Option<String> {
    json_path(value, "").map(|p| if p.is_empty() { "body".to_owned() } else { p })
}

fn json_path(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(|| path.to_owned()),
        Value::Array(items) => items.iter().find_map(|v| json_path(v, path)),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                shown(k)
            } else {
                format!("{path}.{}", shown(k))
            };
            if k.contains('\0') {
                Some(here)
            } else {
                json_path(v, &here)
            }
        }),
        _ => None,
    }
}

/// The refusal for a body field holding NUL.
pub fn refused(field: &str) -> WebError {
    WebError::BadRequest(format!(
        "The field {field:?} holds a NUL character, which no field accepts."
    ))
}

fn shown(name: &str) -> String {
    name.replace('\0', "").chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nul_in_forms_and_names_the_field() {
        assert_eq!(
            urlencoded_field(b"email=a%00b&password=x"),
            Some("email".into())
        );
        assert_eq!(urlencoded_field(b"na%00me=x"), Some("name".into()));
        assert_eq!(
            urlencoded_field(b"email=a%2500b"),
            None,
            "an encoded percent sign is text"
        );
        assert_eq!(urlencoded_field(b"email=a@example.com"), None);
    }

    #[test]
    fn finds_nul_anywhere_in_json() {
        let v: Value = serde_json::from_str(r#"{"headline":"ok","dateline":{"city":"a\u0000b"}}"#)
            .unwrap_or_default();
        assert_eq!(json_field(&v), Some("dateline.city".into()));
        let v: Value = serde_json::from_str(r#"{"tags":["x","y\u0000"]}"#).unwrap_or_default();
        assert_eq!(json_field(&v), Some("tags".into()));
        let v: Value =
            serde_json::from_str(r#"{"body":"a literal \\u0000 is text"}"#).unwrap_or_default();
        assert_eq!(json_field(&v), None);
    }
}
