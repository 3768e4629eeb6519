//! RSS 2.0, Atom 1.0 and JSON Feed 1.1 for any public listing. Entries carry the full sanitised
//! HTML, the issuing organization as author, the categories, and the time of the last correction
//! as their update.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use dateline_core::Release;
use dateline_core::release::Correction;
use serde::Serialize;

use crate::config::Config;
use crate::routes::public::media::url as media_url;
use crate::views::release::release_path;
use dateline_storage::repo::media::Media;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }
}

/// What a feed is about.
pub struct Channel {
    pub title: String,
    pub description: String,
    pub language: String,
    /// Absolute URL of the HTML page the feed follows.
    pub home: String,
    /// Absolute URL of this feed.
    pub feed: String,
}

/// One release, with what a feed entry prints.
pub struct Entry<'a> {
    pub release: &'a Release,
    pub corrections: &'a [Correction],
    /// The lead picture, sent as the entry's enclosure.
    pub lead: Option<&'a Media>,
}

/// The lead picture's absolute address, type and size, for an enclosure.
fn enclosure(config: &Config, e: &Entry<'_>) -> Option<(String, &'static str, i64)> {
    e.lead.map(|m| {
        (
            config.absolute(&media_url(&m.sha256, m.kind)),
            m.kind.mime(),
            m.byte_size,
        )
    })
}

fn updated(r: &Release) -> DateTime<Utc> {
    r.corrected_at.or(r.published_at).unwrap_or(r.updated_at)
}

/// The entry's HTML: the wire-style dateline and source line, the body, and any corrections.
fn content_html(e: &Entry<'_>) -> String {
    let c = &e.release.content;
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut html = String::new();
    let dateline = c.dateline.to_display();
    if !dateline.is_empty() || !c.source.label.is_empty() {
        html.push_str("<p><strong>");
        html.push_str(&esc(&dateline));
        html.push_str("</strong>");
        if !c.source.label.is_empty() {
            html.push(' ');
            if c.source.url.is_empty() {
                html.push_str(&esc(&c.source.label));
            } else {
                html.push_str(&format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                    esc(&c.source.url),
                    esc(&c.source.label)
                ));
            }
            html.push(':');
        }
        html.push_str("</p>");
    }
    html.push_str(e.release.body_html.as_str());
    for k in e.corrections {
        html.push_str(&format!(
            "<p><em>Corrected on {}: {}</em></p>",
            k.corrected_at.format("%Y-%m-%d"),
            esc(&k.note)
        ));
    }
    html
}

fn tag_uri(config: &Config, r: &Release) -> String {
    let host = config.public_url.host_str().unwrap_or("localhost");
    let year = r
        .published_at
        .map(|t| t.format("%Y").to_string())
        .unwrap_or_else(|| "2026".into());
    format!("tag:{host},{year}:release:{}", r.public_id)
}

pub fn render(format: Format, config: &Config, channel: &Channel, entries: &[Entry<'_>]) -> String {
    match format {
        Format::Rss => rss_feed(config, channel, entries),
        Format::Atom => atom_feed(config, channel, entries),
        Format::Json => json_feed(config, channel, entries),
    }
}

fn rss_feed(config: &Config, channel: &Channel, entries: &[Entry<'_>]) -> String {
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|e| {
            let r = e.release;
            let url = config.absolute(&release_path(r.public_id.as_str(), &r.slug));
            let mut item = rss::Item::default();
            item.set_title(r.content.headline.clone());
            item.set_link(url.clone());
            let mut guid = rss::Guid::default();
            guid.set_value(url);
            guid.set_permalink(true);
            item.set_guid(guid);
            item.set_pub_date(r.published_at.map(|t| t.to_rfc2822()));
            item.set_description(r.content.description().to_owned());
            item.set_content(content_html(e));
            item.set_categories(
                r.categories
                    .iter()
                    .map(|c| {
                        let mut cat = rss::Category::default();
                        cat.set_name(c.name.clone());
                        cat
                    })
                    .collect::<Vec<_>>(),
            );
            let mut dc = rss::extension::dublincore::DublinCoreExtension::default();
            if let Some(org) = &r.organization {
                dc.set_creators(vec![org.name.clone()]);
            }
            // RSS has no "updated": Dublin Core's date carries the last correction.
            dc.set_dates(vec![updated(r).to_rfc3339_opts(SecondsFormat::Secs, true)]);
            item.set_dublin_core_ext(dc);
            if let Some((url, mime, length)) = enclosure(config, e) {
                let mut enc = rss::Enclosure::default();
                enc.set_url(url);
                enc.set_mime_type(mime.to_owned());
                enc.set_length(length.to_string());
                item.set_enclosure(enc);
            }
            item
        })
        .collect();
    let mut ch = rss::Channel::default();
    ch.set_title(channel.title.clone());
    ch.set_link(channel.home.clone());
    ch.set_description(channel.description.clone());
    ch.set_language(channel.language.clone());
    ch.set_generator("Dateline".to_owned());
    ch.set_last_build_date(
        entries
            .iter()
            .map(|e| updated(e.release))
            .max()
            .map(|t| t.to_rfc2822()),
    );
    ch.set_namespaces(
        [
            (
                "dc".to_owned(),
                rss::extension::dublincore::NAMESPACE.to_owned(),
            ),
            (
                "content".to_owned(),
                "http://purl.org/rss/1.0/modules/content/".to_owned(),
            ),
        ]
        .into_iter()
        .collect::<std::collections::BTreeMap<String, String>>(),
    );
    ch.set_items(items);
    ch.to_string()
}

fn atom_feed(config: &Config, channel: &Channel, entries: &[Entry<'_>]) -> String {
    use atom_syndication::{Category, Content, Entry as AtomEntry, Feed, Link, Person, Text};
    let link = |href: &str, rel: &str, mime: Option<&str>| {
        let mut l = Link::default();
        l.set_href(href);
        l.set_rel(rel);
        l.set_mime_type(mime.map(str::to_owned));
        l
    };
    let atom_entries: Vec<AtomEntry> = entries
        .iter()
        .map(|e| {
            let r = e.release;
            let url = config.absolute(&release_path(r.public_id.as_str(), &r.slug));
            let mut entry = AtomEntry::default();
            entry.set_id(tag_uri(config, r));
            entry.set_title(Text::plain(r.content.headline.clone()));
            let mut links = vec![link(&url, "alternate", Some("text/html"))];
            if let Some((href, mime, length)) = enclosure(config, e) {
                let mut l = link(&href, "enclosure", Some(mime));
                l.set_length(Some(length.to_string()));
                links.push(l);
            }
            entry.set_links(links);
            entry.set_published(r.published_at.map(|t| t.fixed_offset()));
            entry.set_updated(updated(r).fixed_offset());
            let mut content = Content::default();
            content.set_content_type("html".to_owned());
            content.set_value(content_html(e));
            entry.set_content(content);
            if !r.content.summary.is_empty() {
                entry.set_summary(Text::plain(r.content.summary.clone()));
            }
            if let Some(org) = &r.organization {
                let mut p = Person::default();
                p.set_name(org.name.clone());
                p.set_uri(config.absolute(&format!("/organizations/{}", org.slug)));
                entry.set_authors(vec![p]);
            }
            entry.set_categories(
                r.categories
                    .iter()
                    .map(|c| {
                        let mut cat = Category::default();
                        cat.set_term(c.slug.clone());
                        cat.set_label(c.name.clone());
                        cat
                    })
                    .collect::<Vec<_>>(),
            );
            entry
        })
        .collect();
    let mut feed = Feed::default();
    feed.set_id(channel.feed.clone());
    feed.set_title(Text::plain(channel.title.clone()));
    feed.set_subtitle(Text::plain(channel.description.clone()));
    feed.set_lang(channel.language.clone());
    feed.set_updated(
        entries
            .iter()
            .map(|e| updated(e.release))
            .max()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
            .fixed_offset(),
    );
    feed.set_links(vec![
        link(&channel.feed, "self", Some("application/atom+xml")),
        link(&channel.home, "alternate", Some("text/html")),
    ]);
    let mut author = Person::default();
    author.set_name(channel.title.clone());
    feed.set_authors(vec![author]);
    feed.set_entries(atom_entries);
    feed.to_string()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
    url: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: Option<String>,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    tags: Vec<String>,
    language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment>,
}

#[derive(Serialize)]
struct JsonAttachment {
    url: String,
    mime_type: &'static str,
    size_in_bytes: i64,
}

fn json_feed(config: &Config, channel: &Channel, entries: &[Entry<'_>]) -> String {
    let items = entries
        .iter()
        .map(|e| {
            let r = e.release;
            JsonItem {
                id: tag_uri(config, r),
                url: config.absolute(&release_path(r.public_id.as_str(), &r.slug)),
                title: r.content.headline.clone(),
                content_html: content_html(e),
                summary: (!r.content.summary.is_empty()).then(|| r.content.summary.clone()),
                date_published: r
                    .published_at
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
                date_modified: updated(r).to_rfc3339_opts(SecondsFormat::Secs, true),
                authors: r
                    .organization
                    .iter()
                    .map(|o| JsonAuthor {
                        name: o.name.clone(),
                        url: config.absolute(&format!("/organizations/{}", o.slug)),
                    })
                    .collect(),
                tags: r
                    .categories
                    .iter()
                    .chain(&r.tags)
                    .map(|t| t.name.clone())
                    .collect(),
                language: r.content.language.clone(),
                image: enclosure(config, e).map(|(url, _, _)| url),
                attachments: enclosure(config, e)
                    .map(|(url, mime_type, size_in_bytes)| JsonAttachment {
                        url,
                        mime_type,
                        size_in_bytes,
                    })
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &channel.title,
        home_page_url: &channel.home,
        feed_url: &channel.feed,
        description: &channel.description,
        language: &channel.language,
        items,
    };
    serde_json::to_string(&feed).unwrap_or_else(|_| "{}".into())
}

/// Pairs releases with their corrections for [`render`].
pub fn entries<'a>(
    releases: &'a [Release],
    corrections: &'a HashMap<i64, Vec<Correction>>,
    media: &'a HashMap<i64, Vec<Media>>,
) -> Vec<Entry<'a>> {
    releases
        .iter()
        .map(|r| Entry {
            release: r,
            corrections: corrections.get(&r.id).map(Vec::as_slice).unwrap_or(&[]),
            lead: media
                .get(&r.id)
                .and_then(|files| files.iter().find(|m| m.kind.is_image())),
        })
        .collect()
}
