//! Feeds arbitrary text to the wire-text parser: it must never panic, and it must keep every
//! character it was given (what `dateline import` promises an editor).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = dateline_core::wire::parse(text);
    let mut kept: Vec<char> = parsed
        .kept_text()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    kept.sort_unstable();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '\u{feff}') {
        let at = kept
            .binary_search(&c)
            .unwrap_or_else(|_| panic!("lost {c:?} from {text:?}"));
        kept.remove(at);
    }
    let _ = parsed.content();
});
