//! Release bodies: Markdown written by contributors, turned into HTML we are willing to serve.
//!
//! Contributors are not trusted (see `docs/security.md`, X1), so the HTML is sanitised on the server with
//! an allowlist every time it is produced, and [`SanitizedHtml`] is the only type templates may
//! print unescaped. The HTML is never stored: it is rendered from the Markdown whenever a release
//! is read, so a change to the allowlist applies to every release at once.

use std::collections::HashSet;

use pulldown_cmark::{Options, Parser, html};
use serde::{Deserialize, Serialize};

/// HTML that has been through [`sanitize`]. It can only be built here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SanitizedHtml(String);

impl SanitizedHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SanitizedHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Renders Markdown (CommonMark plus tables, strikethrough and footnotes) and sanitises the result.
/// Raw HTML inside the Markdown goes through the same allowlist.
pub fn render_markdown(markdown: &str) -> SanitizedHtml {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_FOOTNOTES);
    let parser = Parser::new_ext(markdown, options);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    sanitize(&out)
}

/// The words of a Markdown body without its markup, for the search index and feed summaries.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_owned()
}

const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "del",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "section",
];

fn allowed_attribute(tag: &str, attr: &str) -> bool {
    matches!(
        (tag, attr),
        ("a", "href" | "title")
            | ("abbr", "title")
            | ("td" | "th", "colspan" | "rowspan")
            | ("th", "scope")
            | ("ol", "start")
    )
}

fn allowed_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        Some((scheme, _))
            if !scheme.contains('/') && !scheme.contains('?') && !scheme.contains('#') =>
        {
            matches!(scheme, "http" | "https" | "mailto")
        }
        // No scheme: a relative link, which published pages cannot resolve.
        _ => false,
    }
}

/// What in a Markdown body the sanitizer would silently drop: disallowed tags and attributes in
/// raw HTML, and links with other schemes than http, https and mailto. Editors are told instead
/// of finding their text changed after saving.
pub fn unsafe_markup(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Tag};
    let mut found: Vec<String> = Vec::new();
    let mut note = |what: String| {
        if !found.contains(&what) {
            found.push(what);
        }
    };
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES,
    ) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                for (tag, attrs) in html_tags(&html) {
                    if !ALLOWED_TAGS.contains(&tag.as_str()) {
                        note(format!("<{tag}>"));
                        continue;
                    }
                    for (name, value) in attrs {
                        if !allowed_attribute(&tag, &name) {
                            note(format!("the {name} attribute on <{tag}>"));
                        } else if name == "href" && !allowed_url(&value) {
                            note(format!(
                                "the link {:?}",
                                value.chars().take(40).collect::<String>()
                            ));
                        }
                    }
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) if !allowed_url(&dest_url) => {
                note(format!(
                    "the link {:?}",
                    dest_url.chars().take(40).collect::<String>()
                ));
            }
            Event::Start(Tag::Image { .. }) => note("an image (upload images separately)".into()),
            _ => {}
        }
    }
    found
}

/// Opening tags in an HTML fragment, with their attributes, lower-cased. A small scanner, not a
/// parser: it only has to find what the sanitizer would remove, and errs towards reporting.
fn html_tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with('/') || rest.starts_with('!') || rest.starts_with('?') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
            .collect();
        if name.is_empty() {
            continue;
        }
        let end = rest.find('>').unwrap_or(rest.len());
        let inside = &rest[name.len()..end];
        out.push((name.to_ascii_lowercase(), attributes(inside)));
        rest = &rest[end..];
    }
    out
}

fn attributes(inside: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let chars: Vec<char> = inside.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let name_start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' && chars[i] != '/' {
            i += 1;
        }
        let name: String = chars[name_start..i]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let quote = chars[i];
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    value.push(chars[i]);
                    i += 1;
                }
                i += 1;
            } else {
                while i < chars.len() && !chars[i].is_whitespace() {
                    value.push(chars[i]);
                    i += 1;
                }
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
    attrs
}

/// Cleans HTML with a fixed allowlist: text structure, links and tables. No images (uploads are
/// served separately), no SVG or MathML, no inline styles, no scripts or event handlers.
/// Links may only use http, https or mailto, and always get `rel="noopener noreferrer"`.
pub fn sanitize(html: &str) -> SanitizedHtml {
    // The same list `unsafe_markup` warns against, so the editor and the sanitiser agree.
    let tags: HashSet<&str> = ALLOWED_TAGS.iter().copied().collect();
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    let cleaned = ammonia::Builder::empty()
        .tags(tags)
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("abbr", ["title"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(schemes)
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .clean_content_tags(["script", "style"].into_iter().collect())
        .clean(html)
        .to_string();
    SanitizedHtml(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_becomes_html() {
        let html = render_markdown("Hello *world*\n\n- one\n- two\n\n[site](https://example.com)");
        assert!(html.as_str().contains("<em>world</em>"));
        assert!(html.as_str().contains("<li>one</li>"));
        assert!(
            html.as_str()
                .contains(r#"<a href="https://example.com" rel="noopener noreferrer">site</a>"#),
            "{html}"
        );
    }

    #[test]
    fn hostile_markup_is_removed() {
        let corpus = [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<img src=x onerror=alert(1)>",
            "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
            "<math><annotation-xml encoding=\"text/html\"><script>alert(1)</script>",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<p style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">x</p>",
            "\"><script>alert(1)</script>",
            "<iframe src=https://example.com></iframe>",
        ];
        for input in corpus {
            let out = render_markdown(input);
            let lower = out.as_str().to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "onerror",
                "onclick",
                "onbegin",
                "<svg",
                "<math",
                "data:",
                "<iframe",
                "style=",
            ] {
                assert!(!lower.contains(bad), "{input:?} gave {out}");
            }
        }
    }

    #[test]
    fn editors_comments_never_reach_the_html() {
        for body in [
            "Revenue rose 12%.\n\n<!-- figures unconfirmed -->\n\nMore.",
            "Revenue rose 12% <!-- figures unconfirmed --> this year.",
            "<!--\nfigures unconfirmed\n-->",
            "<div><!-- figures unconfirmed --></div>",
        ] {
            let html = render_markdown(body);
            assert!(
                !html.as_str().contains("figures unconfirmed"),
                "{body:?} gave {html}"
            );
            assert!(!html.as_str().contains("<!--"), "{body:?} gave {html}");
            assert!(
                unsafe_markup(body).is_empty(),
                "a comment is not refused: {body:?}"
            );
            // Feeds and the search index use the plain text.
            assert!(
                !plain_text(body).contains("figures unconfirmed"),
                "{body:?}"
            );
        }
    }

    #[test]
    fn plain_text_drops_markup() {
        let text = plain_text(
            "## Key figures\n\nRevenue rose **12%** to [EUR 4m](https://example.com).\n\n- one\n- two <b>x</b>",
        );
        assert_eq!(text, "Key figures\nRevenue rose 12% to EUR 4m.\none\ntwo x");
    }

    #[test]
    fn unsafe_markup_is_named() {
        assert!(
            unsafe_markup("Plain **Markdown** with [a link](https://example.com) and <b>bold</b>.")
                .is_empty()
        );
        let found = unsafe_markup(
            "<script>alert(1)</script>\n\n<p onclick=\"x()\">a</p>\n\nSee [x](javascript:alert(1)) and <a href='/admin'>y</a>.\n\n![i](https://example.com/i.png)",
        );
        assert!(found.contains(&"<script>".to_owned()), "{found:?}");
        assert!(found.iter().any(|f| f.contains("onclick")), "{found:?}");
        assert!(
            found.iter().any(|f| f.contains("javascript:alert")),
            "{found:?}"
        );
        assert!(found.iter().any(|f| f.contains("/admin")), "{found:?}");
        assert!(found.iter().any(|f| f.contains("image")), "{found:?}");
        // What the check accepts, the sanitizer keeps whole.
        let ok = "A <abbr title=\"x\">B</abbr> <a href=\"https://e.com\">c</a>";
        assert!(unsafe_markup(ok).is_empty());
    }

    #[test]
    fn relative_links_are_dropped() {
        let out = sanitize(r#"<a href="/admin/users">x</a>"#);
        assert!(!out.as_str().contains("href"), "{out}");
    }

    proptest! {
        #[test]
        fn sanitize_is_idempotent(input in "\\PC{0,300}") {
            let once = sanitize(&input);
            let twice = sanitize(once.as_str());
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn no_script_survives(prefix in "\\PC{0,40}", suffix in "\\PC{0,40}") {
            let input = format!("{prefix}<script>x</script><a href='javascript:y'>{suffix}</a>");
            let out = render_markdown(&input).as_str().to_lowercase();
            // Escaped text may mention "javascript:"; what must never appear is a live tag or link.
            prop_assert!(!out.contains("<script"));
            // Text never holds a raw `<`, so every `<` starts a real tag: inspect just the tags.
            let tags: Vec<&str> = out.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")).collect();
            prop_assert!(tags.iter().all(|t| !t.contains("javascript:")), "{}", out);
        }
    }
}
