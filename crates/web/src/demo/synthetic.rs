//! Synthetic but realistic press releases for the scale fixture (`dateline demo --releases N`).
//!
//! Everything comes from one seeded generator and the word lists below, so the same seed gives
//! the same newsroom on every machine and benchmark runs compare like with like. Bodies run
//! 300–1,500 words in several paragraphs, with quotes, a list now and then and a subheading, so
//! pages, snippets and the search index see text shaped like real wire copy.

use chrono::{DateTime, Duration, Utc};
use dateline_core::{Contact, Dateline, ReleaseContent, SourceLine};
pub use dateline_storage::repo::bulk::Fate;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

/// An organization releases may be issued by: its id, name and a domain for contacts.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub id: i64,
    pub name: String,
}

/// What the generated releases may point at; ids come from the database.
#[derive(Debug, Clone)]
pub struct Taxa {
    pub issuers: Vec<Issuer>,
    pub category_ids: Vec<i64>,
    pub region_ids: Vec<i64>,
}

/// One generated release: its content, publication time and an optional correction.
pub struct Generated {
    pub content: ReleaseContent,
    /// The texts saved before the published one, oldest first.
    pub drafts: Vec<ReleaseContent>,
    pub published_at: DateTime<Utc>,
    pub correction: Option<Correction>,
    pub fate: Fate,
}

const VERBS: &[&str] = &[
    "Launches",
    "Unveils",
    "Expands",
    "Announces",
    "Introduces",
    "Opens",
    "Completes",
    "Partners on",
    "Reports Record",
    "Selects",
    "Acquires",
    "Invests in",
];
const ADJECTIVES: &[&str] = &[
    "Modular",
    "Low-Carbon",
    "Open",
    "Regional",
    "Next-Generation",
    "Affordable",
    "Offshore",
    "Cloud-Native",
    "Community",
    "Autonomous",
    "Circular",
    "Secure",
    "High-Capacity",
    "Independent",
];
const NOUNS: &[&str] = &[
    "Battery Platform",
    "Solar Farm",
    "Water Network",
    "Data Centre",
    "Research Programme",
    "Logistics Hub",
    "Clinical Study",
    "Payment Service",
    "Wind Project",
    "Training Academy",
    "Hydrogen Plant",
    "Recycling Line",
    "Rail Corridor",
    "Energy Storage System",
    "Telehealth Service",
    "Chip Design Centre",
];
const TAILS: &[&str] = &[
    "for Regional Grids",
    "in Three New Markets",
    "With Local Partners",
    "to Cut Costs for Customers",
    "Ahead of Schedule",
    "for Small Businesses",
    "Across the Northern Corridor",
    "to Meet Rising Demand",
    "With Public Funding",
    "for Rural Communities",
];
const PLACES: &[(&str, &str)] = &[
    ("OSLO", "Norway"),
    ("LYON", "France"),
    ("AUSTIN, Texas", ""),
    ("NAIROBI", "Kenya"),
    ("SÃO PAULO", "Brazil"),
    ("XIAMEN", "China"),
    ("PUNE", "India"),
    ("ROTTERDAM", "Netherlands"),
    ("BRISBANE", "Australia"),
    ("TORONTO", "Canada"),
    ("GDAŃSK", "Poland"),
    ("SEATTLE, Wash.", ""),
    ("CAPE TOWN", "South Africa"),
    ("MUNICH", "Germany"),
];
const DISTRIBUTORS: &[&str] = &["PRNewswire", "Business Wire", "GlobeNewswire", ""];
const TAGS: &[&str] = &[
    "batteries",
    "solar",
    "wind",
    "hydrogen",
    "grid",
    "water",
    "recycling",
    "logistics",
    "rail",
    "shipping",
    "cloud",
    "security",
    "semiconductors",
    "ai",
    "payments",
    "fintech",
    "health",
    "clinical trials",
    "telehealth",
    "education",
    "training",
    "jobs",
    "investment",
    "funding",
    "acquisition",
    "partnership",
    "earnings",
    "sustainability",
    "climate",
    "emissions",
    "agriculture",
    "food",
    "housing",
    "construction",
    "mobility",
    "electric vehicles",
    "aviation",
    "space",
    "research",
    "open source",
];
const SUBJECTS: &[&str] = &[
    "The company",
    "The project",
    "The new facility",
    "The programme",
    "The partnership",
    "The first phase",
    "The platform",
    "The team",
    "Independent analysts",
    "Local authorities",
    "Customers in the pilot",
    "The board",
];
const PREDICATES: &[&str] = &[
    "is expected to reduce operating costs by",
    "will create",
    "has already delivered",
    "aims to serve",
    "brings total installed capacity to",
    "adds",
    "cuts average waiting times by",
    "raises annual output by",
    "lowers energy use by",
    "extends coverage to",
];
const QUANTITIES: &[&str] = &[
    "18 percent",
    "240 jobs",
    "1.2 gigawatts",
    "35,000 households",
    "a third",
    "nine regions",
    "12 million litres a day",
    "40 percent",
    "600 small businesses",
    "two years",
];
const CLAUSES: &[&str] = &[
    "according to figures published this week",
    "over the next five years",
    "compared with the same period last year",
    "once the second phase is complete",
    "subject to regulatory approval",
    "as energy prices remain volatile",
    "in line with the company's climate targets",
    "while keeping prices stable for customers",
    "with construction starting in the spring",
    "following an eighteen-month pilot",
];
const FILLER: &[&str] = &[
    "Engineers tested the design under winter conditions before the rollout began.",
    "The work was carried out with suppliers based within 200 kilometres of the site.",
    "Training for operators and maintenance staff starts next month.",
    "The results will be shared with universities and public research bodies.",
    "Procurement followed an open tender that attracted bids from eleven countries.",
    "Monitoring data will be published quarterly on the company's website.",
    "The design allows capacity to be doubled without new land.",
    "An independent audit confirmed the safety and environmental assessments.",
    "Financing combines a green bond with loans from two development banks.",
    "Customers can register their interest through a new online portal.",
    "Local schools will host open days to explain how the system works.",
    "The equipment is designed to be repaired and recycled at the end of its life.",
];
const PEOPLE: &[(&str, &str)] = &[
    ("Maria Lindqvist", "Chief Executive Officer"),
    ("Daniel Okafor", "Head of Operations"),
    ("Priya Raman", "Chief Technology Officer"),
    ("Tomás Herrera", "Managing Director"),
    ("Chen Wei", "Vice President, Engineering"),
    ("Amélie Durand", "Director of Sustainability"),
    ("Samuel Mensah", "Programme Lead"),
    ("Hannah Becker", "Chief Financial Officer"),
];
const QUOTES: &[&str] = &[
    "This is a practical step that our customers will notice in their bills and in the reliability of the service.",
    "We have shown that this can be done at scale, on time and with partners who know the region.",
    "The next decade will be decided by projects like this one, built in the open and measured honestly.",
    "Our teams spent two years listening to the communities we serve before a single contract was signed.",
    "We expect the lessons from this launch to shape every project we build from now on.",
];
const WITHDRAWALS: &[&str] = &[
    "Issued in error before the partners had signed.",
    "Withdrawn at the issuer's request pending a regulatory review.",
    "Replaced by a later release with corrected figures.",
];

/// A public correction: when, and the note.
type Correction = (DateTime<Utc>, String);

/// One in a hundred releases waits under an embargo of up to two weeks, one in a hundred was
/// withdrawn within ten days of publication, the rest are published (one in twenty of those
/// corrected). Returns the fate, the publication (or approval) time and any correction; an
/// embargoed release is dated the day its embargo lifts.
fn fate(
    rng: &mut StdRng,
    now: DateTime<Utc>,
    published_at: DateTime<Utc>,
    content: &mut ReleaseContent,
) -> (Fate, DateTime<Utc>, Option<Correction>) {
    let roll = rng.random_range(0..100);
    if roll == 0 {
        let embargo = now + Duration::hours(rng.random_range(1..14 * 24));
        content.dateline.date = Some(embargo.date_naive());
        return (Fate::Scheduled(embargo), now - Duration::hours(1), None);
    }
    if roll == 1 {
        let at = (published_at + Duration::hours(rng.random_range(1..240))).min(now);
        let why = pick(rng, WITHDRAWALS).to_owned();
        return (Fate::Withdrawn(at, why), published_at, None);
    }
    let correction = rng.random_bool(0.05).then(|| {
        let at = (published_at + Duration::hours(rng.random_range(1..72))).min(now);
        (at, pick(rng, CORRECTIONS).to_owned())
    });
    (Fate::Published, published_at, correction)
}

const CORRECTIONS: &[&str] = &[
    "Corrected the capacity figure in the third paragraph.",
    "Corrected the spelling of a spokesperson's name.",
    "Corrected the date of the opening event.",
    "Corrected the number of jobs created.",
];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

fn sentence(rng: &mut StdRng) -> String {
    if rng.random_bool(0.3) {
        return pick(rng, FILLER).to_owned();
    }
    format!(
        "{} {} {} {}.",
        pick(rng, SUBJECTS),
        pick(rng, PREDICATES),
        pick(rng, QUANTITIES),
        pick(rng, CLAUSES)
    )
}

/// Paragraphs of generated prose, `words` long give or take one sentence.
fn body(rng: &mut StdRng, issuer: &str, product: &str, words: usize) -> String {
    let mut out = Vec::new();
    let mut count = 0;
    let mut paragraph = Vec::new();
    let opening = format!(
        "{issuer} today announced its {} {}, {}.",
        product.to_lowercase(),
        pick(rng, CLAUSES),
        pick(rng, CLAUSES)
    );
    count += opening.split_whitespace().count();
    out.push(opening);
    let mut quoted = false;
    let mut subheading = false;
    while count < words {
        let s = sentence(rng);
        count += s.split_whitespace().count();
        paragraph.push(s);
        if paragraph.len() >= rng.random_range(3..6) {
            out.push(paragraph.join(" "));
            paragraph.clear();
            if !quoted && count > words / 3 {
                let (name, title) = *PEOPLE.choose(rng).unwrap_or(&("", ""));
                let quote = format!(
                    "\u{201c}{}\u{201d} said {name}, {title} at {issuer}.",
                    pick(rng, QUOTES)
                );
                count += quote.split_whitespace().count();
                out.push(quote);
                quoted = true;
            } else if !subheading && count > words / 2 {
                out.push("## Key facts".to_owned());
                let items: Vec<String> = (0..rng.random_range(3..6))
                    .map(|_| {
                        format!(
                            "- {} {}",
                            pick(rng, PREDICATES)
                                .split_whitespace()
                                .last()
                                .map(|w| {
                                    let mut c = w.chars();
                                    c.next()
                                        .map(|f| f.to_uppercase().chain(c).collect::<String>())
                                        .unwrap_or_default()
                                })
                                .unwrap_or_default(),
                            pick(rng, QUANTITIES)
                        )
                    })
                    .collect();
                count += items.len() * 3;
                out.push(items.join("\n"));
                subheading = true;
            }
        }
    }
    if !paragraph.is_empty() {
        out.push(paragraph.join(" "));
    }
    out.join("\n\n")
}

/// The texts saved before publication, as an editor's passes leave them: the first without its
/// subheadline and closing paragraph, the second with one paragraph written differently, the
/// third as it goes out. With the publication that makes four revisions, as a real release has.
fn drafts(
    rng: &mut StdRng,
    content: &ReleaseContent,
    issuer: &str,
    product: &str,
) -> Vec<ReleaseContent> {
    let mut paragraphs: Vec<String> = content.body.split("\n\n").map(str::to_owned).collect();
    if paragraphs.len() > 2 {
        paragraphs[1] = body(rng, issuer, product, 60);
    }
    let second = ReleaseContent {
        body: paragraphs.join("\n\n"),
        ..content.clone()
    };
    paragraphs.pop();
    let first = ReleaseContent {
        subheadline: String::new(),
        body: paragraphs.join("\n\n"),
        ..second.clone()
    };
    vec![first, second, content.clone()]
}

/// Generates one release published some time in the three years before `now`.
pub fn release(rng: &mut StdRng, taxa: &Taxa, now: DateTime<Utc>) -> Generated {
    let issuer = taxa.issuers.choose(rng).cloned();
    let issuer_name = issuer
        .as_ref()
        .map(|i| i.name.clone())
        .unwrap_or_else(|| "The company".to_owned());
    let product = format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS));
    let headline = format!(
        "{issuer_name} {} {product} {}",
        pick(rng, VERBS),
        pick(rng, TAILS)
    );
    let published_at = now - Duration::seconds(rng.random_range(3_600..3 * 365 * 86_400));
    let (city, region) = *PLACES.choose(rng).unwrap_or(&("", ""));
    let words = rng.random_range(300..=1500);
    let text = body(rng, &issuer_name, &product, words);
    let mut tags: Vec<String> = (0..rng.random_range(2..5))
        .map(|_| pick(rng, TAGS).to_owned())
        .collect();
    tags.dedup();
    let categories = rng.random_range(1..3);
    let category_ids = taxa
        .category_ids
        .choose_multiple(rng, categories)
        .copied()
        .collect();
    let region_ids = taxa.region_ids.choose(rng).copied().into_iter().collect();
    let (contact_name, _) = *PEOPLE.choose(rng).unwrap_or(&("", ""));
    let mut content = ReleaseContent {
        subheadline: format!(
            "The {} {}",
            product.to_lowercase(),
            pick(rng, PREDICATES)
                .replace("has already ", "")
                .replace("will ", "")
                + " "
                + pick(rng, QUANTITIES)
        ),
        summary: format!(
            "{issuer_name} {} its {}, which {} {}.",
            pick(rng, VERBS).to_lowercase(),
            product.to_lowercase(),
            pick(rng, PREDICATES),
            pick(rng, QUANTITIES)
        ),
        headline,
        dateline: Dateline {
            city: city.to_owned(),
            region: region.to_owned(),
            date: Some(published_at.date_naive()),
            distributor: pick(rng, DISTRIBUTORS).to_owned(),
        },
        source: SourceLine {
            label: issuer_name.clone(),
            url: String::new(),
        },
        body: text,
        language: "en".to_owned(),
        organization_id: issuer.map(|i| i.id),
        contacts: vec![Contact {
            name: contact_name.to_owned(),
            title: "Media Relations".to_owned(),
            email: "press@example.org".to_owned(),
            phone: "+1 555 0100".to_owned(),
        }],
        category_ids,
        region_ids,
        tags,
    };
    let (fate, published_at, correction) = fate(rng, now, published_at, &mut content);
    Generated {
        drafts: drafts(rng, &content, &issuer_name, &product),
        content,
        published_at,
        correction,
        fate,
    }
}
