//! Media, end to end over HTTP on both databases: uploads through `POST /api/v1/media`, the
//! stored renditions, the serving headers, the embargo on a release's files, and the upload
//! attack list, each of which must be refused with a clear 4xx and leave nothing stored.

use std::io::Cursor;

use chrono::Duration;
use dateline_core::ReleaseStatus;
use dateline_core::Role;
use dateline_storage::repo::{media, releases};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use serde_json::{Value, json};

use crate::http_tests;
use crate::support::client::Response;
use crate::support::{Client, TestApp};

const BOUNDARY: &str = "dateline-test-boundary-7d1f";

/// A picture that is really a photograph's size and shape, encoded as `format`.
pub(crate) fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let img = ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A JPEG whose EXIF block records where it was taken.
fn photo_with_gps(width: u32, height: u32) -> Vec<u8> {
    let jpeg = picture(width, height, ImageFormat::Jpeg);
    let payload = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 59.3293 N GPSLongitude 18.0686 E";
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A multipart body with `fields`, and `file` (name, bytes) when given.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(
    client: &Client,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Response {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    client
        .send_bytes(
            "POST",
            "/api/v1/media",
            &content_type,
            multipart(fields, file),
        )
        .await
}

async fn draft(editor: &Client, headline: &str) -> String {
    editor
        .create_release(&json!({"headline": headline, "body": "Body."}))
        .await
}

fn stored(app: &TestApp) -> (i64, i64, i64) {
    media::counts(&mut app.conn()).unwrap()
}

fn rendition_urls(answer: &Value) -> Vec<String> {
    answer["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect()
}

http_tests! {
    async fn an_uploaded_photo_is_stored_once_with_renditions_and_no_gps(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = draft(&editor, "Harbour bridge opens").await;
        let photo = photo_with_gps(2400, 1600);
        let fields = [("alt", "The new bridge at dusk"), ("caption", "Opening night"), ("credit", "Ana Lind"), ("release", id.as_str())];
        let version = || dateline_storage::repo::settings::content_version(&mut app.conn()).unwrap().version;
        let before = version();
        let made = upload(&editor, &fields, Some(("Bridge.JPG", &photo))).await;
        made.assert_status(201);
        assert!(version() > before, "cached pages are rendered again after an upload");
        let answer = made.json();
        assert_eq!(answer["kind"], "jpeg");
        assert_eq!(answer["name"], "Bridge.JPG");
        assert_eq!((answer["width"].as_u64(), answer["height"].as_u64()), (Some(2400), Some(1600)));
        let widths: Vec<(u64, &str)> = answer["renditions"].as_array().unwrap().iter()
            .map(|r| (r["width"].as_u64().unwrap(), r["format"].as_str().unwrap())).collect();
        assert_eq!(widths, vec![(480, "jpeg"), (480, "webp"), (960, "jpeg"), (960, "webp"), (1600, "jpeg"), (1600, "webp")]);

        // The original and every rendition come back without the GPS position, as what they are,
        // to the newsroom (signed in: the API's tokens are for the API alone).
        let (newsroom, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let mut urls = rendition_urls(&answer);
        urls.push(answer["url"].as_str().unwrap().to_owned());
        for url in &urls {
            let got = newsroom.get(url).await;
            got.assert_status(200);
            assert!(!contains(&got.bytes, b"GPSLatitude"), "{url} still says where it was taken");
            let format = if url.ends_with(".webp") { ImageFormat::WebP } else { ImageFormat::Jpeg };
            let decoded = image::load_from_memory_with_format(&got.bytes, format).unwrap();
            assert!(decoded.width() <= 2400);
            assert_eq!(got.header("x-content-type-options").as_deref(), Some("nosniff"));
            assert!(got.header("content-security-policy").unwrap().starts_with("default-src 'none'"));
        }

        // The same bytes again, for another release: a second upload, no second copy.
        let other = draft(&editor, "Ferry timetable").await;
        let before = stored(&app);
        let again = upload(&editor, &[("alt", "The bridge"), ("release", other.as_str())], Some(("bridge.jpg", &photo))).await;
        again.assert_status(201);
        let after = stored(&app);
        assert_eq!(after.0, before.0, "identical bytes are stored once");
        assert_eq!(after.1, before.1 + 1, "but each upload has its own row and alt text");
        assert_eq!(again.json()["url"], answer["url"]);
    }

    async fn a_release_s_files_follow_its_embargo(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = draft(&editor, "Quarterly results").await;
        let made = upload(&editor, &[("alt", "Chart of revenue"), ("release", id.as_str())], Some(("chart.png", &picture(800, 600, ImageFormat::Png)))).await;
        made.assert_status(201);
        let answer = made.json();
        let url = answer["url"].as_str().unwrap().to_owned();
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let sheet = upload(&editor, &[("release", id.as_str())], Some(("Fact sheet.pdf", pdf))).await;
        sheet.assert_status(201);
        let sheet_url = sheet.json()["url"].as_str().unwrap().to_owned();

        // A draft's files are the newsroom's alone, and not kept by shared caches.
        let reader = app.client();
        reader.get(&url).await.assert_status(404);
        reader.get(&sheet_url).await.assert_status(404);
        for u in rendition_urls(&answer) {
            reader.get(&u).await.assert_status(404);
        }
        let (newsroom, _) = app.signed_in("desk@example.com", Role::Editor).await;
        reader.get(&format!("/press-kit/{id}")).await.assert_status(404);
        newsroom.get(&format!("/press-kit/{id}")).await.assert_status(200);
        let own = newsroom.get(&url).await;
        own.assert_status(200);
        let kept = own.header("cache-control").unwrap();
        assert!(kept.contains("no-store") && !kept.contains("public"), "{kept}");

        // Approved under embargo: still hidden from readers until the scheduler publishes.
        let embargo = app.state.clock.now() + Duration::hours(2);
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        reader.get(&url).await.assert_status(404);

        // A journalist's preview link shows the pictures through the link, and only there.
        let link = editor.json("POST", &format!("/api/v1/releases/{id}/preview-links"), &json!({"label": "Ana at the Herald"})).await;
        link.assert_status(201);
        let link = link.json();
        let preview_path = link["url"].as_str().unwrap().trim_start_matches(&app.base).to_owned();
        let journalist = app.client();
        let preview = journalist.get(&preview_path).await;
        preview.assert_status(200);
        let through = format!("{preview_path}/media/");
        assert!(preview.body.contains(&format!("src=\"{through}")), "{}", preview.body);
        assert!(!preview.body.contains("/press-kit/"), "no press kit before publication");
        let file = url.trim_start_matches("/media/");
        let got = journalist.get(&format!("{through}{file}")).await;
        got.assert_status(200);
        assert!(got.header("cache-control").unwrap().contains("no-store"));
        journalist.get(&format!("{through}{}", sheet_url.trim_start_matches("/media/"))).await.assert_status(200);
        journalist.get(&url).await.assert_status(404);
        // Another release's file is not reachable through this link, nor anything once revoked.
        let other = draft(&editor, "Unrelated draft").await;
        let theirs = upload(&editor, &[("alt", "x"), ("release", other.as_str())], Some(("x.png", &picture(40, 40, ImageFormat::Png)))).await.json();
        journalist.get(&format!("{through}{}", theirs["url"].as_str().unwrap().trim_start_matches("/media/"))).await.assert_status(404);
        editor.request("DELETE", &format!("/api/v1/preview-links/{}", link["id"]), None, "").await.assert_status(204);
        journalist.get(&format!("{through}{file}")).await.assert_status(404);
        app.state.clock.advance(Duration::hours(2) + Duration::seconds(1));
        let public_id: dateline_core::PublicId = id.parse().unwrap();
        app.eventually("the release is published", |a| {
            releases::get_by_public_id(&mut a.conn(), &public_id).unwrap().status == ReleaseStatus::Published
        }).await;

        // Public now: served to anyone, cached for a year, and revalidated by its hash.
        let public = reader.get(&url).await;
        public.assert_status(200);
        assert_eq!(public.header("content-type").as_deref(), Some("image/png"));
        assert_eq!(public.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
        let etag = public.header("etag").unwrap();
        let again = reader.with_header("If-None-Match", &etag).get(&url).await;
        again.assert_status(304);
        let doc = app.client().get(&sheet_url).await;
        doc.assert_status(200);
        assert_eq!(doc.header("content-type").as_deref(), Some("application/pdf"));
        assert_eq!(
            doc.header("content-disposition").as_deref(),
            Some("attachment; filename=\"Fact sheet.pdf\"; filename*=UTF-8''Fact%20sheet.pdf")
        );

        // Withdrawn: its files go with it.
        editor.json("POST", &format!("/api/v1/releases/{id}/withdraw"), &json!({"reason": "Issued in error."})).await.assert_status(200);
        app.client().get(&url).await.assert_status(404);
        app.client().get(&format!("/press-kit/{id}")).await.assert_status(410);
        // A wrong extension or a made-up hash is nothing.
        app.client().get(&url.replace(".png", ".jpg")).await.assert_status(404);
        app.client().get(&format!("/media/{}.png", "0".repeat(64))).await.assert_status(404);
    }

    async fn a_release_page_shows_its_pictures_and_documents(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = draft(&editor, "Harbour bridge opens").await;
        let release = id.as_str();
        upload(&editor, &[("alt", "The bridge at dusk"), ("caption", "Opening night"), ("credit", "Ana Lind"), ("release", release)], Some(("lead.jpg", &picture(2000, 1200, ImageFormat::Jpeg)))).await.assert_status(201);
        upload(&editor, &[("alt", "The mayor cuts the ribbon"), ("release", release)], Some(("ribbon.png", &picture(800, 600, ImageFormat::Png)))).await.assert_status(201);
        upload(&editor, &[("release", release)], Some(("Fact sheet.pdf", b"%PDF-1.4\n%%EOF\n"))).await.assert_status(201);
        editor.json("POST", &format!("/api/v1/releases/{id}/publish"), &json!({})).await.assert_status(200);

        let page = app.client().get(&app.page_of(&id)).await;
        page.assert_status(200);
        let html = &page.body;
        // The lead: WebP and JPEG at each width, with its size reserved and its words.
        let lead = html.split("<figure class=\"lead-image\">").nth(1).unwrap().split("</figure>").next().unwrap();
        assert!(lead.contains("<source type=\"image/webp\""), "{lead}");
        for w in ["480w", "960w", "1600w"] {
            assert_eq!(lead.matches(w).count(), 2, "{w} in both formats: {lead}");
        }
        assert!(lead.contains("width=\"1600\" height=\"960\""), "{lead}");
        assert!(lead.contains("alt=\"The bridge at dusk\""));
        assert!(lead.contains("Opening night") && lead.contains("Photo: Ana Lind") && lead.contains("Full size"));
        assert!(!lead.contains("loading=\"lazy\""), "the lead is not deferred");
        // Every address in the page is served to readers.
        for src in lead.split(['"', ' ', ',']).filter(|t| t.starts_with("/media/")) {
            app.client().get(src).await.assert_status(200);
        }
        // The rest as a gallery, the PDF as a download with its size.
        let gallery = html.split("<section class=\"gallery\"").nth(1).unwrap();
        assert!(gallery.contains("alt=\"The mayor cuts the ribbon\"") && gallery.contains("loading=\"lazy\""));
        assert!(html.contains("Fact sheet.pdf</a> <span class=\"hint\">(PDF, 15 bytes)</span>"), "{html}");
        // Lists show it small beside the headline.
        let home = app.client().get("/").await;
        let card = home.body.split("<li class=\"card has-thumb\"").nth(1).expect("a card with a picture");
        assert!(card.contains("class=\"card-thumb\"") && card.contains("480w"), "{card}");
        // Link previews get the picture.
        let og = html.split("property=\"og:image\" content=\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(og.starts_with(&app.base) && og.ends_with(".jpg"), "{og}");
        let shared = app.client().get(og.trim_start_matches(&app.base)).await;
        shared.assert_status(200);
        assert_eq!(shared.header("content-type").as_deref(), Some("image/jpeg"));
        assert!(html.contains("name=\"twitter:card\" content=\"summary_large_image\""));
        assert!(html.contains("\"image\":"), "the JSON-LD names the image");

        // Feeds carry the lead picture as an enclosure, with its type and size.
        let rss = app.client().get("/feed.rss").await;
        let enclosure = rss.body.split("<enclosure ").nth(1).unwrap().split("/>").next().unwrap();
        assert!(enclosure.contains("type=\"image/jpeg\"") && enclosure.contains(&app.base), "{enclosure}");
        let atom = app.client().get("/feed.atom").await;
        assert!(atom.body.contains("rel=\"enclosure\""), "{}", atom.body);
        let feed = app.client().get("/feed.json").await.json();
        let item = &feed["items"][0];
        assert_eq!(item["attachments"][0]["mime_type"], "image/jpeg");
        assert_eq!(item["image"], item["attachments"][0]["url"]);
        let length = item["attachments"][0]["size_in_bytes"].as_u64().unwrap();
        let served = app.client().get(item["image"].as_str().unwrap().trim_start_matches(&app.base)).await;
        assert_eq!(served.bytes.len() as u64, length, "the size given is the size served");

        // The press kit: the text twice and every file at full size, in one zip.
        assert!(html.contains(&format!("href=\"/press-kit/{id}\" download>Download press kit")));
        // Kits are built two at a time; more wait briefly, then get a quick 503.
        let crowd = app.state.bulkheads.press_kits.fill().await.unwrap();
        let busy = app.client().get(&format!("/press-kit/{id}")).await;
        busy.assert_status(503);
        assert_eq!(busy.header("retry-after").as_deref(), Some("1"));
        drop(crowd);
        let kit = app.client().get(&format!("/press-kit/{id}")).await;
        kit.assert_status(200);
        assert_eq!(kit.header("content-type").as_deref(), Some("application/zip"));
        assert_eq!(kit.header("content-disposition").as_deref(), Some("attachment; filename=\"harbour-bridge-opens-press-kit.zip\""));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(kit.bytes.clone())).unwrap();
        let mut names: Vec<String> = zip.file_names().map(str::to_owned).collect();
        names.sort();
        assert_eq!(names, ["files/Fact sheet.pdf", "files/lead.jpg", "files/ribbon.png", "release.html", "release.txt"]);
        let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
            out
        };
        let text = String::from_utf8(read(&mut zip, "release.txt")).unwrap();
        assert!(text.starts_with("Harbour bridge opens\n\n"), "{text}");
        assert!(text.contains("files/lead.jpg: Opening night"), "{text}");
        let page_html = String::from_utf8(read(&mut zip, "release.html")).unwrap();
        assert!(page_html.contains("<h1>Harbour bridge opens</h1>"), "{page_html}");
        assert_eq!(read(&mut zip, "files/Fact sheet.pdf"), b"%PDF-1.4\n%%EOF\n");
        let lead_url = html.split("class=\"full-size\" href=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(read(&mut zip, "files/lead.jpg"), app.client().get(lead_url).await.bytes, "the kit holds the full-size original");
    }

    async fn editors_add_and_remove_files_on_the_release_page(app) {
        let (api, _) = app.api_user("api@example.com", Role::Editor);
        let id = draft(&api, "Harbour bridge opens").await;
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let edit = format!("/admin/releases/{id}");
        let page = desk.get(&edit).await;
        page.assert_status(200);
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        let csrf = page.csrf();
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let photo = picture(1200, 800, ImageFormat::Jpeg);

        // Without the form's token nothing is stored.
        let forged = multipart(&[("csrf_token", "forged"), ("alt", "A bridge")], Some(("bridge.jpg", &photo)));
        desk.send_bytes("POST", &format!("{edit}/media"), &content_type, forged).await.assert_status(403);
        assert_eq!(stored(&app), (0, 0, 0));

        let body = multipart(&[("csrf_token", &csrf), ("alt", "A bridge"), ("caption", "At dusk")], Some(("bridge.jpg", &photo)));
        let sent = desk.send_bytes("POST", &format!("{edit}/media"), &content_type, body).await;
        sent.assert_status(303);
        assert_eq!(sent.location(), format!("{edit}?notice=file-added#files"));
        let page = desk.get(&sent.location()).await;
        assert!(page.body.contains("The file was added."));
        assert!(page.body.contains("bridge.jpg") && page.body.contains("JPEG, 1200×800") && page.body.contains("Alt: A bridge"), "{}", page.body);

        // A refused upload says why, on a 4xx page.
        let body = multipart(&[("csrf_token", &csrf)], Some(("bridge.jpg", &photo)));
        let refused = desk.send_bytes("POST", &format!("{edit}/media"), &content_type, body).await;
        refused.assert_status(422);
        assert!(refused.text().contains("alt"), "{}", refused.body);

        // Removing it takes its bytes too, since nothing else uses them.
        let media_id = page.body.split(&format!("/admin/releases/{id}/media/")).nth(1).unwrap().split('/').next().unwrap().to_owned();
        let gone = desk.post_form(&format!("{edit}/media/{media_id}/delete"), &[("csrf_token", &csrf)]).await;
        gone.assert_status(303);
        assert_eq!(stored(&app), (0, 0, 0));
        let page = desk.get(&edit).await;
        assert!(!page.body.contains("bridge.jpg"));
    }

    async fn an_organization_s_logo_shows_once_it_is_public(app) {
        let (api, _) = app.api_user("api@example.com", Role::Editor);
        let made = api.json("POST", "/api/v1/organizations", &json!({"name": "Acme Shipping", "slug": "acme", "boilerplate": "Acme moves boxes."})).await;
        made.assert_status(201);
        let org_id = made.json()["id"].as_i64().unwrap();
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let edit = format!("/admin/organizations/{org_id}");
        let csrf = desk.get(&edit).await.csrf();
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let target = format!("{edit}/logo");
        let send = |alt: &'static str, name: &'static str, bytes: Vec<u8>| {
            let body = multipart(&[("csrf_token", csrf.as_str()), ("alt", alt)], Some((name, &bytes)));
            desk.send_bytes("POST", &target, &content_type, body)
        };
        let sent = send("Acme logo", "acme.png", picture(400, 200, ImageFormat::Png)).await;
        sent.assert_status(303);
        let page = desk.get(&sent.location()).await;
        assert!(page.body.contains("The logo was saved.") && page.body.contains("alt=\"Acme logo\""));
        let logo = page.body.split("class=\"org-logo\" src=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

        // Until a public release names the organization, neither it nor its logo exists for readers.
        app.client().get("/organizations/acme").await.assert_status(404);
        app.client().get(&logo).await.assert_status(404);
        let id = api.publish_release(&json!({"headline": "Acme opens a depot", "body": "Body.", "organization": "acme"})).await;
        let org_page = app.client().get("/organizations/acme").await;
        org_page.assert_status(200);
        assert!(org_page.body.contains("alt=\"Acme logo\""), "{}", org_page.body);
        app.client().get(&logo).await.assert_status(200);
        let release = app.client().get(&app.page_of(&id)).await;
        let about = release.body.split("id=\"about-title\"").nth(1).unwrap();
        assert!(about.contains("class=\"org-logo\"") && about.contains("alt=\"Acme logo\""));

        // A new logo replaces the old one, bytes and all; a PDF is no logo.
        send("Acme logo, 2027", "acme-2027.png", picture(300, 300, ImageFormat::Png)).await.assert_status(303);
        assert_eq!(stored(&app).1, 1, "one logo at a time");
        app.client().get(&logo).await.assert_status(404);
        let org_page = app.client().get("/organizations/acme").await;
        assert!(!org_page.body.contains(&logo) && org_page.body.contains("alt=\"Acme logo, 2027\""), "readers see the new logo at once");
        let refused = send("Brochure", "brochure.pdf", b"%PDF-1.4\n%%EOF\n".to_vec()).await;
        refused.assert_status(422);
        assert!(refused.text().contains("A logo must be a picture"));
        assert_eq!(stored(&app).1, 1);
    }

    async fn the_media_library_finds_replaces_and_deletes_files(app) {
        let (api, _) = app.api_user("api@example.com", Role::Editor);
        let id = draft(&api, "Harbour bridge opens").await;
        let used = upload(&api, &[("alt", "The bridge"), ("release", id.as_str())], Some(("bridge.jpg", &picture(900, 600, ImageFormat::Jpeg)))).await.json();
        let loose = upload(&api, &[], Some(("price-list.pdf", b"%PDF-1.4\n%%EOF\n"))).await.json();
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;

        let all = desk.get("/admin/media").await;
        all.assert_status(200);
        assert!(all.body.contains("bridge.jpg") && all.body.contains("price-list.pdf"));
        assert!(all.body.contains("Release: Harbour bridge opens") && all.body.contains("Not used"));
        let found = desk.get("/admin/media?q=bridge").await;
        assert!(found.body.contains("bridge.jpg") && !found.body.contains("price-list.pdf"));
        let pdfs = desk.get("/admin/media?kind=pdf").await;
        assert!(!pdfs.body.contains("bridge.jpg") && pdfs.body.contains("price-list.pdf"));
        let on_release = desk.get(&format!("/admin/media?release={id}")).await;
        assert!(on_release.body.contains("bridge.jpg") && !on_release.body.contains("price-list.pdf"));
        desk.get("/admin/media?kind=svg").await.assert_status(400);
        let (writer, _) = app.signed_in("writer@example.com", Role::Contributor).await;
        writer.get("/admin/media").await.assert_status(403);

        // Replacing puts new bytes under the same file; the old bytes go.
        let csrf = all.csrf();
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let used_id = used["id"].as_i64().unwrap();
        let old_url = used["url"].as_str().unwrap().to_owned();
        let body = multipart(&[("csrf_token", &csrf)], Some(("bridge-2027.png", &picture(640, 480, ImageFormat::Png))));
        desk.send_bytes("POST", &format!("/admin/media/{used_id}/replace"), &content_type, body).await.assert_status(303);
        desk.get(&old_url).await.assert_status(404);
        let now = media::get(&mut app.conn(), used_id).unwrap();
        assert_eq!((now.original_name.as_str(), now.alt.as_str(), now.dimensions), ("bridge-2027.png", "The bridge", Some((640, 480))));
        let body = multipart(&[("csrf_token", &csrf)], Some(("sheet.pdf", b"%PDF-1.4\n%%EOF\n")));
        let refused = desk.send_bytes("POST", &format!("/admin/media/{used_id}/replace"), &content_type, body).await;
        refused.assert_status(422);
        assert!(refused.text().contains("replace it with a picture"));

        // A file in use goes only when the editor says so; an unused one at once.
        let in_use = desk.post_form(&format!("/admin/media/{used_id}/delete"), &[("csrf_token", &csrf)]).await;
        in_use.assert_status(409);
        assert!(in_use.text().contains("bridge-2027.png is in use"));
        desk.post_form(&format!("/admin/media/{used_id}/delete"), &[("csrf_token", &csrf), ("confirm", "yes")]).await.assert_status(303);
        let loose_id = loose["id"].as_i64().unwrap();
        desk.post_form(&format!("/admin/media/{loose_id}/delete"), &[("csrf_token", &csrf)]).await.assert_status(303);
        assert_eq!(stored(&app), (0, 0, 0), "every byte is gone with its files");
    }

    async fn hostile_uploads_are_refused_and_leave_nothing(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let png = picture(64, 64, ImageFormat::Png);
        let jpeg = picture(640, 480, ImageFormat::Jpeg);
        let mut huge = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        huge.extend_from_slice(&20_000u32.to_be_bytes());
        huge.extend_from_slice(&20_000u32.to_be_bytes());
        huge.extend_from_slice(&[8, 2, 0, 0, 0]);
        huge.extend_from_slice(&crc32fast::hash(&huge[12..]).to_be_bytes());
        huge.extend_from_slice(&[0, 0, 0, 2]);
        huge.extend_from_slice(b"IDAT\x78\x9c");
        let crc = crc32fast::hash(&huge[huge.len() - 6..]);
        huge.extend_from_slice(&crc.to_be_bytes());
        let eleven_mib = {
            let mut b = png.clone();
            b.resize(11 * 1024 * 1024, 0);
            b
        };
        let html_as_jpg = b"<!doctype html><html><script>alert(document.cookie)</script></html>".to_vec();
        let gif_with_script = [&b"GIF89a\x01\x00\x01\x00\x00\x00\x00"[..], b"<script>alert(1)</script>"].concat();
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
        let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
            ("a .jpg that is really HTML", "photo.jpg", html_as_jpg, 415, "Only JPEG, PNG, WebP, GIF and PDF"),
            ("a GIF header followed by script", "anim.gif", gif_with_script, 415, "HTML or script"),
            ("an SVG", "logo.svg", svg, 415, "Only JPEG, PNG, WebP, GIF and PDF"),
            ("a zero-byte file", "empty.png", Vec::new(), 422, "The file is empty"),
            ("an 11 MiB file", "big.png", eleven_mib, 413, "larger than 10 MiB"),
            ("a 20000×20000 PNG", "huge.png", huge, 422, "20000×20000"),
            ("a file name that climbs out", "../../x.png", png.clone(), 422, "climbs out of its folder"),
            ("a truncated JPEG", "cut.jpg", jpeg[..jpeg.len() / 2].to_vec(), 422, "damaged or truncated"),
            ("a PNG named .jpg", "photo.jpg", png.clone(), 422, "but its name ends in .jpg"),
        ];
        for (what, name, bytes, status, says) in cases {
            let got = upload(&editor, &[("alt", "A picture")], Some((name, &bytes))).await;
            assert_eq!(got.status, status, "{what}: {}", got.body);
            assert!(got.body.contains(says), "{what} should say {says:?}: {}", got.body);
            assert_eq!(stored(&app), (0, 0, 0), "{what} stored something");
        }

        // Words are checked too: a picture needs alt text.
        let got = upload(&editor, &[], Some(("photo.png", &png))).await;
        got.assert_status(422);
        assert_eq!(got.json()["errors"][0]["field"], "alt");
        // No file at all, an unknown field, or a body that is not multipart.
        upload(&editor, &[("alt", "x")], None).await.assert_status(422);
        upload(&editor, &[("alt", "x"), ("path", "/etc")], Some(("a.png", &png))).await.assert_status(400);
        editor.json("POST", "/api/v1/media", &json!({"file": "x"})).await.assert_status(415);
        // An endless body with no declared length is cut off as it passes the limit.
        let mut chunks = vec![format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n").into_bytes()];
        chunks.push(png.clone());
        chunks.extend(std::iter::repeat_n(vec![0u8; 256 * 1024], 48));
        match editor.send_chunked("/api/v1/media", &format!("multipart/form-data; boundary={BOUNDARY}"), chunks).await {
            Ok(res) => {
                res.assert_status(413);
                assert!(res.body.contains("larger than 10 MiB"));
            }
            // The server may close the connection before the client has finished sending;
            // what matters is that nothing was kept.
            Err(e) => assert!(e.contains("connection") || e.contains("pipe") || e.contains("reset") || e.contains("closed"), "{e}"),
        }
        assert_eq!(stored(&app), (0, 0, 0));
    }

    async fn only_those_who_may_edit_a_release_attach_files_to_it(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let (writer, _) = app.api_user("writer@example.com", Role::Contributor);
        let png = picture(64, 64, ImageFormat::Png);
        // Someone else's draft is not there for a contributor.
        let theirs = draft(&editor, "Editor's draft").await;
        upload(&writer, &[("alt", "x"), ("release", theirs.as_str())], Some(("a.png", &png))).await.assert_status(404);
        // A live release changes only through a correction.
        let live = editor.publish_release(&json!({"headline": "Live", "body": "Body."})).await;
        let refused = upload(&editor, &[("alt", "x"), ("release", live.as_str())], Some(("a.png", &png))).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        // Organization files are the editors'.
        upload(&writer, &[("alt", "x"), ("organization", "acme")], Some(("a.png", &png))).await.assert_status(403);
        upload(&editor, &[("alt", "x"), ("organization", "no-such-org")], Some(("a.png", &png))).await.assert_status(422);
        // Anonymous callers cannot upload at all.
        app.client().send_bytes("POST", "/api/v1/media", &format!("multipart/form-data; boundary={BOUNDARY}"), multipart(&[("alt", "x")], Some(("a.png", &png)))).await.assert_status(401);
        assert_eq!(stored(&app), (0, 0, 0));
        // The writer's own draft takes it.
        let mine = draft(&writer, "My draft").await;
        upload(&writer, &[("alt", "x"), ("release", mine.as_str())], Some(("a.png", &png))).await.assert_status(201);
    }
}
