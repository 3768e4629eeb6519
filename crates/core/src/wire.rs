//! Reading a press release written as plain wire text, the shape newsrooms have kept for years:
//!
//! ```text
//! Headline
//! Subheadline
//!
//! LISBON, Portugal, March 4, 2025 /ExampleWire/ — A report from example.org: First paragraph …
//!
//! More paragraphs …
//!
//! About Example Org
//! Boilerplate …
//!
//! Media contact:
//! Name, title, email, phone
//!
//! SOURCE Example Org
//! ```
//!
//! The parser recognises what it can and keeps everything else as it was written: no line is
//! dropped and no paragraph is "fixed". What it is unsure of (a missing headline, a date it cannot
//! read, a paragraph that stops mid-sentence) becomes a [`Flag`] for the editor who reviews the
//! draft, never a silent guess. Every word of the input is kept somewhere in the result
//! ([`WireRelease::kept_text`]); the property tests check that on arbitrary input.

use chrono::{Datelike, NaiveDate};

use crate::dateline::{Dateline, SourceLine};
use crate::organization::Contact;
use crate::release::ReleaseContent;

/// Something the editor should look at before the draft goes anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The line of the input (1-based) the flag is about; 0 for the text as a whole.
    pub line: usize,
    /// The field it concerns, named as the editor's form names it ("headline", "dateline", …).
    pub field: &'static str,
    pub message: String,
}

/// The "About <Organization>" boilerplate block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    /// The heading as written ("About Example Org").
    pub heading: String,
    pub organization: String,
    /// The boilerplate paragraphs, separated by blank lines.
    pub text: String,
}

/// One media contact and the lines it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactBlock {
    pub contact: Contact,
    pub lines: Vec<String>,
}

/// What the parser found in one plain-text release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireRelease {
    pub headline: String,
    /// The headline was taken from the first sentence because the text had none.
    pub headline_provisional: bool,
    pub subheadline: String,
    pub dateline: Dateline,
    /// The dateline as written, with its dash.
    pub dateline_text: String,
    /// The input line of the headline and of the dateline (0 when there is none).
    pub headline_line: usize,
    pub dateline_line: usize,
    pub source: SourceLine,
    /// The source line as written, with its colon.
    pub source_text: String,
    pub paragraphs: Vec<String>,
    /// The input line each paragraph starts on, for messages that point at it.
    pub paragraph_lines: Vec<usize>,
    pub about: Option<About>,
    /// The "Media contacts:" heading as written.
    pub contacts_heading: String,
    pub contacts: Vec<ContactBlock>,
    /// The organization named on the closing "SOURCE <Organization>" line.
    pub source_organization: String,
    /// End markers (`###`, `-30-`) as written.
    pub trailer: Vec<String>,
    pub flags: Vec<Flag>,
}

impl WireRelease {
    /// The organization the text names as its issuer: the "SOURCE" line, or else the "About"
    /// heading.
    pub fn issuer(&self) -> Option<&str> {
        if !self.source_organization.is_empty() {
            return Some(&self.source_organization);
        }
        self.about
            .as_ref()
            .map(|a| a.organization.as_str())
            .filter(|o| !o.is_empty())
    }

    /// Every piece of text the parser kept, in one string: what the "nothing is lost" property
    /// compares with the input.
    pub fn kept_text(&self) -> String {
        let mut out: Vec<&str> = vec![
            &self.headline,
            &self.subheadline,
            &self.dateline_text,
            &self.source_text,
        ];
        out.extend(self.paragraphs.iter().map(String::as_str));
        if let Some(a) = &self.about {
            out.extend([a.heading.as_str(), a.text.as_str()]);
        }
        out.push(&self.contacts_heading);
        for c in &self.contacts {
            out.extend(c.lines.iter().map(String::as_str));
        }
        out.extend(self.trailer.iter().map(String::as_str));
        if !self.source_organization.is_empty() {
            out.extend(["SOURCE", self.source_organization.as_str()]);
        }
        out.join("\n")
    }

    fn push_paragraph(&mut self, line: usize, text: String) {
        self.paragraphs.push(text);
        self.paragraph_lines.push(line);
    }

    fn flag(&mut self, line: usize, field: &'static str, message: impl Into<String>) {
        self.flags.push(Flag {
            line,
            field,
            message: message.into(),
        });
    }
}

impl WireRelease {
    /// The release's content as the editor's form holds it. The body is Markdown, so the
    /// paragraphs are escaped: a wire text that opens a line with `#` or holds `*stars*` reads
    /// the same on the page as in the original. The organization, categories and language are
    /// the caller's to set; the text names its issuer only by name ([`WireRelease::issuer`]).
    pub fn content(&self) -> ReleaseContent {
        ReleaseContent {
            headline: self.headline.clone(),
            subheadline: self.subheadline.clone(),
            dateline: self.dateline.clone(),
            source: self.source.clone(),
            body: self
                .paragraphs
                .iter()
                .map(|p| escape_markdown(p))
                .collect::<Vec<_>>()
                .join("\n\n"),
            contacts: self.contacts.iter().map(|c| c.contact.clone()).collect(),
            ..ReleaseContent::default()
        }
    }
}

/// Plain text as Markdown that renders to the same text. List items (`- `, `* `) keep their
/// marker, since a wire text's dashes list things too.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (n, line) in text.split(['\n', '\r']).enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut rest = line;
        for marker in ["- ", "* "] {
            if let Some(item) = line.strip_prefix(marker) {
                out.push_str("- ");
                rest = item;
            }
        }
        escape_line(rest, &mut out);
    }
    out
}

/// One pass over the line: what came before each character is tracked as it goes, so a long
/// line costs no more than its length.
fn escape_line(line: &str, out: &mut String) {
    let (mut only_blank, mut only_digits) = (true, true);
    let mut chars = line.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let special = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => true,
            '&' => next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#'),
            '#' | '-' | '+' | '=' => only_blank,
            '.' | ')' => only_digits && !first,
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
        only_blank &= c.is_whitespace();
        only_digits &= c.is_ascii_digit() || c == ' ';
        first = false;
    }
}

/// A run of non-blank lines.
#[derive(Debug)]
struct Block<'a> {
    /// The first line's number, 1-based.
    line: usize,
    lines: Vec<&'a str>,
}

impl Block<'_> {
    /// The block as one paragraph: wire text wraps lines, so they join with a space, except
    /// list items, which keep their own lines.
    fn text(&self) -> String {
        join_lines(&self.lines)
    }
}

fn join_lines(lines: &[&str]) -> String {
    if lines.iter().skip(1).any(|l| is_list_item(l)) {
        lines.join("\n")
    } else {
        lines.join(" ")
    }
}

fn is_list_item(line: &str) -> bool {
    ["- ", "* ", "• ", "· "].iter().any(|m| line.starts_with(m))
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::new();
    let mut current: Option<Block<'_>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            out.extend(current.take());
        } else {
            current
                .get_or_insert_with(|| Block {
                    line: i + 1,
                    lines: Vec::new(),
                })
                .lines
                .push(line);
        }
    }
    out.extend(current);
    out
}

/// Reads one plain-text release. Never fails: what it cannot place is kept as a paragraph and
/// flagged.
pub fn parse(text: &str) -> WireRelease {
    let text = text.trim_start_matches('\u{feff}');
    let mut out = WireRelease::default();
    let blocks = blocks(text);
    if blocks.is_empty() {
        out.flag(0, "body", "The text is empty.");
        return out;
    }
    let tail_at = trailing_start(&blocks);
    let (body, tail) = blocks.split_at(tail_at);
    let found = body
        .iter()
        .take(4)
        .enumerate()
        .find_map(|(i, b)| split_dateline(b.lines[0]).map(|d| (i, d)));
    let first_paragraph = match found {
        Some((at, found)) => {
            read_header(&mut out, &body[..at]);
            read_dateline(&mut out, &body[at], found);
            at + 1
        }
        None => read_without_dateline(&mut out, body),
    };
    for b in &body[first_paragraph.min(body.len())..] {
        out.push_paragraph(b.line, b.text());
    }
    read_source_in_first_paragraph(&mut out);
    read_tail(&mut out, tail);
    check_paragraphs(&mut out);
    if out.headline.is_empty() {
        provisional_headline(&mut out);
    }
    out
}

fn read_header(out: &mut WireRelease, header: &[Block<'_>]) {
    let Some((first, rest)) = header.split_first() else {
        return;
    };
    // Lines that go on in lower case continue a wrapped headline; a capital starts the
    // subheadline.
    let wrapped = 1 + first.lines[1..]
        .iter()
        .take_while(|l| l.chars().next().is_some_and(char::is_lowercase))
        .count();
    out.headline = first.lines[..wrapped].join(" ");
    out.headline_line = first.line;
    let mut sub: Vec<String> = Vec::new();
    if first.lines.len() > wrapped {
        sub.push(join_lines(&first.lines[wrapped..]));
    }
    sub.extend(rest.iter().map(Block::text));
    out.subheadline = sub.join(" ");
}

/// Reads the block that opens with the dateline; what follows the dash is the first paragraph.
fn read_dateline(out: &mut WireRelease, block: &Block<'_>, found: FoundDateline) {
    let line = block.lines[0];
    out.dateline_text = line[..found.rest_at].trim().to_owned();
    out.dateline_line = block.line;
    out.dateline = found.dateline;
    if out.dateline.date.is_none() {
        out.flag(
            block.line,
            "dateline",
            format!(
                "The date in \"{}\" was not recognised; expected e.g. \"March 4, 2025\", \
                 \"Sept. 2, 2022\" or \"2025-03-04\".",
                out.dateline_text
            ),
        );
    }
    let mut first: Vec<&str> = Vec::new();
    let rest = line[found.rest_at..].trim();
    if !rest.is_empty() {
        first.push(rest);
    }
    first.extend(&block.lines[1..]);
    if !first.is_empty() {
        out.push_paragraph(block.line, join_lines(&first));
    }
}

/// Without a dateline, a short first block is taken as the headline (flagged either way).
fn read_without_dateline(out: &mut WireRelease, body: &[Block<'_>]) -> usize {
    out.flag(
        0,
        "dateline",
        "No dateline was found; expected a line such as \
         \"LISBON, Portugal, March 4, 2025 /ExampleWire/ —\".",
    );
    match body.first() {
        Some(b) if body.len() > 1 && b.lines.len() == 1 && looks_like_headline(b.lines[0]) => {
            out.headline = b.lines[0].to_owned();
            out.headline_line = b.line;
            1
        }
        _ => 0,
    }
}

fn looks_like_headline(line: &str) -> bool {
    line.chars().count() <= 200 && !line.ends_with('.')
}

/// Moves a source line at the head of the first paragraph into its own field.
fn read_source_in_first_paragraph(out: &mut WireRelease) {
    let Some(first) = out.paragraphs.first() else {
        return;
    };
    let Some((label, consumed)) = source_line(first) else {
        return;
    };
    out.source_text = first[..consumed].trim().to_owned();
    out.source = SourceLine {
        label,
        url: String::new(),
    };
    let rest = first[consumed..].trim().to_owned();
    if rest.is_empty() {
        out.paragraphs.remove(0);
        out.paragraph_lines.remove(0);
    } else {
        out.paragraphs[0] = rest;
    }
}

/// "A news report from example.com:" or "Source: Example Org" at the start of `text`: the
/// label to print and how many bytes of `text` the source line takes.
fn source_line(text: &str) -> Option<(String, usize)> {
    if let Some(rest) = strip_prefix_ci(text, "source:") {
        let end = rest.find(['\n', '.']).unwrap_or(rest.len());
        let name = rest[..end].trim();
        if name.is_empty() || name.chars().count() > 100 {
            return None;
        }
        let consumed = text.len() - rest.len() + end + usize::from(rest[end..].starts_with('.'));
        return Some((format!("Source: {name}"), consumed));
    }
    let colon = text.find(':')?;
    let label = text[..colon].trim();
    let short = label.chars().count() <= 100 && !label.contains(['.', '\n']) || has_domain(label);
    let from = label.to_lowercase().contains(" from ");
    (short && from && !label.contains('\n')).then(|| (label.to_owned(), colon + 1))
}

fn has_domain(label: &str) -> bool {
    label
        .split_whitespace()
        .last()
        .is_some_and(|w| w.contains('.') && !w.ends_with('.') && w.len() <= 100)
        && !label.contains('\n')
        && label.chars().count() <= 140
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A dateline found at the start of a line: its fields and where the text after its dash
/// begins.
#[derive(Debug)]
struct FoundDateline {
    dateline: Dateline,
    rest_at: usize,
}

const DASHES: [&str; 4] = ["\u{2014}", "\u{2013}", "--", " - "];

/// `CITY, Region, Date /Wire/ —` at the start of `line`. The city must be in capitals and the
/// line must have a dash after it; the date and distributor are read when present.
fn split_dateline(line: &str) -> Option<FoundDateline> {
    let comma = line.find(',')?;
    let city = line[..comma].trim();
    if !is_capital_city(city) {
        return None;
    }
    let (dash_at, dash) = DASHES
        .iter()
        .filter_map(|d| line[comma..].find(d).map(|i| (comma + i, *d)))
        .min_by_key(|(i, _)| *i)?;
    let mut prefix = line[comma + 1..dash_at].trim();
    let mut distributor = String::new();
    if let Some(stripped) = prefix.strip_suffix('/')
        && let Some(open) = stripped.rfind('/')
    {
        distributor = stripped[open + 1..].trim().to_owned();
        prefix = stripped[..open].trim();
    }
    let parts: Vec<&str> = prefix
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (region, date) = region_and_date(&parts);
    if date.is_none() && distributor.is_empty() {
        // Without a date or a wire it is too easy to mistake a sentence for a dateline.
        return None;
    }
    Some(FoundDateline {
        dateline: Dateline {
            city: title_case(city),
            region,
            date,
            distributor,
        },
        rest_at: dash_at + dash.len(),
    })
}

fn is_capital_city(city: &str) -> bool {
    let letters = city.chars().filter(|c| c.is_alphabetic()).count();
    (2..=60).contains(&city.chars().count())
        && letters >= 2
        && city.chars().all(|c| {
            c.is_uppercase() || c.is_whitespace() || ".-'’".contains(c) || !c.is_alphabetic()
        })
        && !city.chars().any(|c| c.is_ascii_digit())
}

/// The city is stored as a name ("São Paulo") and printed in capitals; its capitals here are
/// wire style, not the name.
fn title_case(city: &str) -> String {
    city.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_string() + &chars.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn region_and_date(parts: &[&str]) -> (String, Option<NaiveDate>) {
    let n = parts.len();
    if n >= 2
        && let Some(d) = parse_date(&format!("{}, {}", parts[n - 2], parts[n - 1]))
    {
        return (parts[..n - 2].join(", "), Some(d));
    }
    if n >= 1
        && let Some(d) = parse_date(parts[n - 1])
    {
        return (parts[..n - 1].join(", "), Some(d));
    }
    (parts.join(", "), None)
}

/// A month name as wire desks write it: AP style ("Sept.", "March"), the full name, or the
/// common three-letter abbreviation.
fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if w == "sept" {
        return Some(9);
    }
    NAMES
        .iter()
        .position(|n| *n == w || (w.len() == 3 && n.starts_with(&w)))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// "March 4, 2025", "Sept. 2, 2022", "4 March 2025" or "2025-03-04", in a four-digit year.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    any_date(text).filter(|d| (1000..=9999).contains(&d.year()))
}

fn any_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(d);
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let [a, b, c] = words.as_slice() else {
        return None;
    };
    let (m, d) = match (month(a), month(b)) {
        (Some(m), None) => (m, b),
        (None, Some(m)) => (m, a),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(c.parse().ok()?, m, d.parse().ok()?)
}

/// Where the closing blocks ("About …", "Media contacts:", "SOURCE …", "###") begin.
fn trailing_start(blocks: &[Block<'_>]) -> usize {
    blocks
        .iter()
        .position(|b| tail_kind(b.lines[0]).is_some())
        .filter(|&i| i > 0)
        .unwrap_or(blocks.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    About,
    Contacts,
    Source,
    Marker,
}

fn tail_kind(line: &str) -> Option<Tail> {
    let lower = line.to_lowercase();
    let heading = lower.trim_end_matches(':').trim();
    if ["###", "# # #", "-30-", "- 30 -"].contains(&line) {
        Some(Tail::Marker)
    } else if line.starts_with("SOURCE ") && line.chars().count() <= 120 {
        Some(Tail::Source)
    } else if [
        "media contact",
        "media contacts",
        "press contact",
        "press contacts",
        "contact",
        "contacts",
        "media inquiries",
        "for more information",
        "for further information",
    ]
    .contains(&heading)
    {
        Some(Tail::Contacts)
    } else if let Some(rest) = line.strip_prefix("About ") {
        let rest = rest.trim_end_matches(':');
        (rest.chars().next().is_some_and(char::is_uppercase)
            && rest.chars().count() <= 100
            && !rest.ends_with('.'))
        .then_some(Tail::About)
    } else {
        None
    }
}

/// Reads the closing blocks line by line: a heading switches the section, other lines belong
/// to the section they follow, and a blank line ends a boilerplate paragraph or a contact.
fn read_tail(out: &mut WireRelease, tail: &[Block<'_>]) {
    let mut section: Option<Tail> = None;
    for block in tail {
        let mut pending: Vec<&str> = Vec::new();
        for (n, &line) in block.lines.iter().enumerate() {
            // A second "About" heading is read as boilerplate text: one release, one issuer.
            let kind = tail_kind(line).filter(|k| *k != Tail::About || out.about.is_none());
            let Some(kind) = kind else {
                pending.push(line);
                continue;
            };
            flush_tail(out, section, block.line, &pending);
            pending.clear();
            section = Some(kind);
            match kind {
                Tail::About => {
                    out.about = Some(About {
                        heading: line.to_owned(),
                        organization: line["About ".len()..].trim_end_matches(':').to_owned(),
                        text: String::new(),
                    });
                }
                Tail::Contacts => {
                    if !out.contacts_heading.is_empty() {
                        out.contacts_heading.push('\n');
                    }
                    out.contacts_heading.push_str(line);
                }
                Tail::Source => set_source_organization(out, block.line + n, line),
                Tail::Marker => out.trailer.push(line.to_owned()),
            }
        }
        flush_tail(out, section, block.line, &pending);
    }
}

fn flush_tail(out: &mut WireRelease, section: Option<Tail>, line: usize, lines: &[&str]) {
    if lines.is_empty() {
        return;
    }
    match section {
        Some(Tail::About) => {
            if let Some(about) = out.about.as_mut() {
                if !about.text.is_empty() {
                    about.text.push_str("\n\n");
                }
                about.text.push_str(&join_lines(lines));
            }
        }
        Some(Tail::Contacts) => read_contacts(out, lines),
        _ => {
            out.flag(
                line,
                "body",
                "Text after the closing lines was kept as a paragraph; move it if it belongs \
                 elsewhere.",
            );
            out.push_paragraph(line, join_lines(lines));
        }
    }
}

fn set_source_organization(out: &mut WireRelease, line: usize, text: &str) {
    let name = text["SOURCE ".len()..].trim();
    if !out.source_organization.is_empty() {
        out.flag(
            line,
            "organization",
            "The text has more than one SOURCE line.",
        );
        out.trailer
            .push(format!("SOURCE {}", out.source_organization));
    }
    out.source_organization = name.to_owned();
}

/// Contact lines: a name, then a title, an email address and a telephone number in any order;
/// a new name after an address or number starts the next contact.
fn read_contacts(out: &mut WireRelease, lines: &[&str]) {
    let mut current = ContactBlock::default();
    for &line in lines {
        let value = strip_label(line);
        let c = &mut current.contact;
        if value.contains('@') && !value.contains(' ') {
            c.email = value.to_owned();
        } else if is_phone(value) {
            c.phone = value.to_owned();
        } else if c.name.is_empty() {
            c.name = value.to_owned();
        } else if c.email.is_empty() && c.phone.is_empty() && c.title.is_empty() {
            c.title = value.to_owned();
        } else if c.email.is_empty() && c.phone.is_empty() {
            c.title.push_str(", ");
            c.title.push_str(value);
        } else {
            out.contacts.push(std::mem::take(&mut current));
            current.contact.name = value.to_owned();
        }
        current.lines.push(line.to_owned());
    }
    if !current.lines.is_empty() {
        out.contacts.push(current);
    }
}

fn strip_label(line: &str) -> &str {
    for label in [
        "e-mail:", "email:", "tel:", "tel.:", "phone:", "t:", "mobile:",
    ] {
        if let Some(rest) = strip_prefix_ci(line, label) {
            return rest.trim();
        }
    }
    line.trim()
}

fn is_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits >= 6
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().ext/".contains(c))
}

/// Flags paragraphs that stop mid-sentence or hold characters that were not read correctly;
/// they stay exactly as they are.
fn check_paragraphs(out: &mut WireRelease) {
    let mut flags = Vec::new();
    for (i, (p, &line)) in out.paragraphs.iter().zip(&out.paragraph_lines).enumerate() {
        if p.contains('\u{fffd}') || p.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            flags.push((
                line,
                "Paragraph {n} holds characters that could not be read; it was kept as it is.",
                i,
            ));
        } else if !ends_a_sentence(p) && !p.lines().all(is_list_item) {
            flags.push((
                line,
                "Paragraph {n} seems to stop mid-sentence; it was kept as it is. Check it \
                 against the original.",
                i,
            ));
        }
    }
    for (line, message, i) in flags {
        out.flag(line, "body", message.replace("{n}", &(i + 1).to_string()));
    }
}

fn ends_a_sentence(p: &str) -> bool {
    p.trim_end()
        .chars()
        .last()
        .is_some_and(|c| ".!?:;\"”’')…]".contains(c))
}

fn provisional_headline(out: &mut WireRelease) {
    let Some(first) = out.paragraphs.first() else {
        out.flag(
            0,
            "headline",
            "The text has no headline and no paragraph to take one from.",
        );
        return;
    };
    let sentence_end = first
        .match_indices(['.', '!', '?'])
        .map(|(i, _)| i + 1)
        .find(|&i| first[i..].starts_with(' ') || i == first.len())
        .unwrap_or(first.len());
    let mut headline = String::new();
    for word in first[..sentence_end].split_whitespace() {
        if headline.chars().count() + word.chars().count() > 150 {
            break;
        }
        if !headline.is_empty() {
            headline.push(' ');
        }
        headline.push_str(word);
    }
    out.headline = headline.trim_end_matches('.').to_owned();
    out.headline_provisional = true;
    out.flag(
        0,
        "headline",
        "The text has no headline; this one was taken from the first sentence. Confirm or \
         rewrite it.",
    );
}

#[cfg(test)]
mod tests;
