use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

const FULL: &str = "\
Harbour Lights Opens Its Third Ferry Terminal
Electric crossings cut the trip across the estuary to twelve minutes

LISBON, Portugal, Sept. 2, 2022 /ExampleWire/ \u{2014} A news report from example.org: Harbour \
Lights today opened its third terminal on the south bank.

The terminal serves four routes.
Ferries leave every ten minutes at peak hours.

About Harbour Lights
Harbour Lights runs passenger ferries on the Tagus estuary.

It was founded in 1998.

Media contacts:
Ana Costa
Head of Communications
ana.costa@example.org
+351 21 000 0000
Rui Lopes
rui@example.org

SOURCE Harbour Lights
###
";

#[test]
fn a_complete_release_is_read_field_by_field() {
    let r = parse(FULL);
    assert_eq!(r.headline, "Harbour Lights Opens Its Third Ferry Terminal");
    assert!(!r.headline_provisional);
    assert_eq!(
        r.subheadline,
        "Electric crossings cut the trip across the estuary to twelve minutes"
    );
    assert_eq!(r.dateline.city, "Lisbon");
    assert_eq!(r.dateline.region, "Portugal");
    assert_eq!(r.dateline.date, date(2022, 9, 2));
    assert_eq!(r.dateline.distributor, "ExampleWire");
    assert_eq!(r.source.label, "A news report from example.org");
    assert_eq!(
        r.paragraphs,
        [
            "Harbour Lights today opened its third terminal on the south bank.",
            "The terminal serves four routes. Ferries leave every ten minutes at peak hours.",
        ]
    );
    assert_eq!(r.paragraph_lines, [4, 6]);
    let about = r.about.as_ref().unwrap();
    assert_eq!(about.organization, "Harbour Lights");
    assert_eq!(
        about.text,
        "Harbour Lights runs passenger ferries on the Tagus estuary.\n\nIt was founded in 1998."
    );
    let contacts: Vec<_> = r.contacts.iter().map(|c| c.contact.clone()).collect();
    assert_eq!(
        contacts,
        [
            Contact {
                name: "Ana Costa".into(),
                title: "Head of Communications".into(),
                email: "ana.costa@example.org".into(),
                phone: "+351 21 000 0000".into(),
            },
            Contact {
                name: "Rui Lopes".into(),
                title: String::new(),
                email: "rui@example.org".into(),
                phone: String::new(),
            },
        ]
    );
    assert_eq!(r.source_organization, "Harbour Lights");
    assert_eq!(r.issuer(), Some("Harbour Lights"));
    assert_eq!(r.trailer, ["###"]);
    assert!(r.flags.is_empty(), "{:?}", r.flags);
}

#[test]
fn dates_in_ap_style_full_names_and_iso_form() {
    let cases = [
        ("Jan. 5, 2024", date(2024, 1, 5)),
        ("Feb. 29, 2024", date(2024, 2, 29)),
        ("March 4, 2025", date(2025, 3, 4)),
        ("April 1, 2025", date(2025, 4, 1)),
        ("May 9, 2025", date(2025, 5, 9)),
        ("June 30, 2025", date(2025, 6, 30)),
        ("July 14, 2025", date(2025, 7, 14)),
        ("Aug. 8, 2025", date(2025, 8, 8)),
        ("Sept. 2, 2022", date(2022, 9, 2)),
        ("Oct. 31, 2025", date(2025, 10, 31)),
        ("Nov. 11, 2025", date(2025, 11, 11)),
        ("Dec. 24, 2025", date(2025, 12, 24)),
        ("September 2, 2022", date(2022, 9, 2)),
        ("December 1, 2021", date(2021, 12, 1)),
        ("2025-03-04", date(2025, 3, 4)),
        ("4 March 2025", date(2025, 3, 4)),
    ];
    for (text, expected) in cases {
        let r = parse(&format!(
            "Headline\n\nOSLO, Norway, {text} /Wire/ \u{2014} Text.\n"
        ));
        assert_eq!(r.dateline.date, expected, "{text}");
        assert_eq!(r.dateline.region, "Norway", "{text}");
        assert!(r.flags.is_empty(), "{text}: {:?}", r.flags);
    }
}

#[test]
fn every_dash_closes_a_dateline() {
    for dash in ["\u{2014}", "\u{2013}", "--", "-"] {
        let r = parse(&format!(
            "Headline\n\nSAN JOSE, Calif., March 4, 2025 /Wire/ {dash} The first paragraph.\n"
        ));
        assert_eq!(r.dateline.city, "San Jose", "{dash}");
        assert_eq!(r.dateline.region, "Calif.", "{dash}");
        assert_eq!(r.dateline.distributor, "Wire", "{dash}");
        assert_eq!(r.paragraphs, ["The first paragraph."], "{dash}");
    }
}

#[test]
fn a_dateline_without_wire_or_region() {
    let r = parse("Headline\n\nLONDON, March 4, 2025 -- Text here.\n");
    assert_eq!(r.dateline.city, "London");
    assert_eq!(r.dateline.region, "");
    assert_eq!(r.dateline.distributor, "");
    assert_eq!(r.dateline.date, date(2025, 3, 4));
}

#[test]
fn a_dateline_alone_on_its_line() {
    let r = parse("Headline\n\nOSLO, Norway, May 9, 2025 /Wire/ \u{2014}\nFirst line\nwrapped.\n");
    assert_eq!(r.paragraphs, ["First line wrapped."]);
}

#[test]
fn a_source_line_of_either_kind() {
    let r = parse("Headline\n\nOSLO, Norway, May 9, 2025 /Wire/ -- Source: Fjord Labs\n\nText.\n");
    assert_eq!(r.source.label, "Source: Fjord Labs");
    assert_eq!(r.paragraphs, ["Text."]);
    let r = parse(
        "Headline\n\nOSLO, Norway, May 9, 2025 /Wire/ --\n\nA news report from fjord.example:\n\nText.\n",
    );
    assert_eq!(r.source.label, "A news report from fjord.example");
    assert_eq!(r.paragraphs, ["Text."]);
}

#[test]
fn a_missing_headline_is_taken_from_the_first_sentence_and_flagged() {
    let r = parse(
        "OSLO, Norway, May 9, 2025 /Wire/ -- Fjord Labs opened a lab in Bergen. It has 40 seats.\n",
    );
    assert_eq!(r.headline, "Fjord Labs opened a lab in Bergen");
    assert!(r.headline_provisional);
    assert_eq!(
        r.paragraphs,
        ["Fjord Labs opened a lab in Bergen. It has 40 seats."]
    );
    assert!(r.flags.iter().any(|f| f.field == "headline"));
}

#[test]
fn a_truncated_paragraph_is_kept_as_written_and_flagged() {
    let r = parse(
        "Headline\n\nOSLO, Norway, May 9, 2025 /Wire/ -- Whole one.\n\nThe lab will open in\n",
    );
    assert_eq!(r.paragraphs, ["Whole one.", "The lab will open in"]);
    let flag = r.flags.iter().find(|f| f.field == "body").unwrap();
    assert_eq!(flag.line, 5);
    assert!(flag.message.contains("Paragraph 2"), "{}", flag.message);
}

#[test]
fn unreadable_characters_are_kept_and_flagged() {
    let r = parse("Headline\n\nOSLO, Norway, May 9, 2025 /Wire/ -- Caf\u{fffd} opened.\n");
    assert_eq!(r.paragraphs, ["Caf\u{fffd} opened."]);
    assert!(
        r.flags
            .iter()
            .any(|f| f.message.contains("could not be read"))
    );
}

#[test]
fn an_unreadable_date_is_flagged_not_guessed() {
    let r = parse("Headline\n\nOSLO, Norway, Spring 2025 /Wire/ -- Text.\n");
    assert_eq!(r.dateline.date, None);
    assert_eq!(r.dateline.region, "Norway, Spring 2025");
    assert!(r.flags.iter().any(|f| f.field == "dateline" && f.line == 3));
}

#[test]
fn no_dateline_is_flagged_and_the_text_kept() {
    let r = parse("Short headline\n\nA paragraph.\n\nAnother.\n");
    assert_eq!(r.headline, "Short headline");
    assert_eq!(r.paragraphs, ["A paragraph.", "Another."]);
    assert!(r.flags.iter().any(|f| f.field == "dateline"));
}

#[test]
fn a_sentence_in_capitals_is_not_a_dateline() {
    let r = parse("Headline\n\nNOTE, this is not - a dateline.\n");
    assert_eq!(r.dateline, Dateline::default());
    assert_eq!(r.paragraphs, ["NOTE, this is not - a dateline."]);
}

#[test]
fn empty_text_is_flagged() {
    let r = parse(" \n\n");
    assert_eq!(r.flags.len(), 1);
    assert_eq!(
        r,
        WireRelease {
            flags: r.flags.clone(),
            ..WireRelease::default()
        }
    );
}

fn non_space_chars(text: &str) -> Vec<char> {
    let mut v: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .collect();
    v.sort_unstable();
    v
}

/// Whether every non-blank character of `input` is in `kept`, as many times.
fn keeps_all(input: &str, kept: &str) -> bool {
    let (need, mut have) = (non_space_chars(input), non_space_chars(kept));
    need.iter().all(|c| match have.binary_search(c) {
        Ok(i) => {
            have.remove(i);
            true
        }
        Err(_) => false,
    })
}

fn wire_like_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z ]{2,12}, [A-Za-z.]{0,8}, (Jan\\.|March|Sept\\.|2025-03-04) [0-9]{1,2}, 20[0-9]{2} /[A-Za-z]{0,6}/ (\u{2014}|--|-|\u{2013}) [a-z :.]{0,20}",
        "(About|SOURCE|Media contacts:|###|Source:) [A-Za-z .:@+0-9]{0,20}",
        "[ -~\u{a0}-\u{17f}\u{2013}\u{2014}\u{fffd}]{0,40}",
        "[A-Za-z0-9@.+() -]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_is_read_without_losing_a_character(input in any::<String>()) {
        let r = parse(&input);
        prop_assert!(keeps_all(&input, &r.kept_text()), "lost text of {input:?}: {r:?}");
    }

    #[test]
    fn wire_shaped_text_is_read_without_losing_a_character(
        lines in prop::collection::vec(prop_oneof![wire_like_line(), Just(String::new())], 0..14)
    ) {
        let input = lines.join("\n");
        let r = parse(&input);
        prop_assert!(keeps_all(&input, &r.kept_text()), "lost text of {input:?}: {r:?}");
        prop_assert_eq!(r.paragraphs.len(), r.paragraph_lines.len());
    }

    #[test]
    fn a_written_dateline_is_read_back(
        city in "[A-Z]{2,10}( [A-Z]{2,8})?",
        region in "[A-Z][a-z]{1,10}",
        (y, m, d) in (1990i32..2100, 1u32..=12, 1u32..=28),
        wire in "[A-Za-z]{0,10}",
        dash in prop::sample::select(vec!["\u{2014}", "\u{2013}", "--", "-"]),
        sentence in "[A-Z][a-z]{1,8}( [a-z]{1,8}){0,6}\\.",
    ) {
        let dateline = Dateline {
            city: title_case(&city),
            region: region.clone(),
            date: NaiveDate::from_ymd_opt(y, m, d),
            distributor: wire.clone(),
        };
        let written = format!("Headline\n\n{} {dash} {sentence}\n", dateline.body());
        let r = parse(&written);
        prop_assert_eq!(&r.dateline, &dateline);
        prop_assert_eq!(r.paragraphs, vec![sentence]);
        prop_assert!(r.flags.is_empty(), "{:?}", r.flags);
    }
}

#[test]
fn a_wrapped_headline_is_joined_and_a_capital_starts_the_subheadline() {
    let r = parse(
        "Fjord Labs opens a research lab\nin Bergen for marine batteries\nForty researchers start in May\n\nOSLO, Norway, May 9, 2025 /Wire/ -- Text.\n",
    );
    assert_eq!(
        r.headline,
        "Fjord Labs opens a research lab in Bergen for marine batteries"
    );
    assert_eq!(r.subheadline, "Forty researchers start in May");
}

#[test]
fn the_body_is_markdown_that_reads_as_the_wire_text() {
    let r = parse(
        "Headline\n\nOSLO, Norway, May 9, 2025 /Wire/ -- # of *units* [sold] rose 3 <b>fold</b>.\n\n1. Not a list.\n\n- one item\n- another\n",
    );
    let body = r.content().body;
    let html = crate::content::render_markdown(&body);
    assert!(
        html.as_str()
            .contains("# of *units* [sold] rose 3 &lt;b&gt;fold&lt;/b&gt;."),
        "{}",
        html.as_str()
    );
    assert!(
        html.as_str().contains("<p>1. Not a list.</p>"),
        "{}",
        html.as_str()
    );
    assert!(
        html.as_str().contains("<li>one item</li>"),
        "{}",
        html.as_str()
    );
}

proptest! {
    #[test]
    fn escaped_text_renders_as_itself(text in "[ -~\u{e9}\u{2014}]{1,60}") {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        prop_assume!(!text.is_empty() && !text.starts_with("- ") && !text.starts_with("* "));
        let plain = crate::content::plain_text(&escape_markdown(&text));
        prop_assert_eq!(plain, text);
    }
}
