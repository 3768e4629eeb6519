#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Media storage on both backends: content addressing, renditions, and all-or-nothing writes.

use chrono::Utc;
use dateline_core::media::MediaKind;
use dateline_core::{ReleaseContent, Role};
use dateline_storage::repo::media::{self, NewMedia, NewRendition};
use dateline_storage::repo::releases::{self, NewRelease};
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::{DbConnection, backend_tests};

fn uploader(conn: &mut DbConnection) -> i64 {
    users::create(
        conn,
        &NewUser {
            email: "ana@example.org".into(),
            display_name: "Ana".into(),
            role: Role::Editor,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        },
    )
    .unwrap()
    .id
}

fn upload<'a>(bytes: &'a [u8], by: i64, release_id: Option<i64>) -> NewMedia<'a> {
    NewMedia {
        bytes,
        kind: MediaKind::Png,
        original_name: "x.png",
        alt: " A chart ",
        caption: "",
        credit: "Acme",
        dimensions: Some((2000, 1000)),
        release_id,
        organization_id: None,
        uploaded_by: by,
        renditions: vec![
            NewRendition {
                width: 480,
                height: 240,
                format: MediaKind::Webp,
                bytes: b"small webp".to_vec(),
            },
            NewRendition {
                width: 480,
                height: 240,
                format: MediaKind::Png,
                bytes: b"small png".to_vec(),
            },
        ],
    }
}

backend_tests! {
    fn identical_bytes_are_stored_once(db) {
        let mut conn = db.pool.get().unwrap();
        let by = uploader(&mut conn);
        let release = releases::create(&mut conn, &NewRelease {
            content: ReleaseContent { headline: "Chart".into(), language: "en".into(), ..Default::default() },
            author_id: Some(by),
        }).unwrap();
        let first = media::create(&mut conn, &upload(b"the same bytes", by, None), Utc::now()).unwrap();
        let second = media::create(&mut conn, &upload(b"the same bytes", by, Some(release.id)), Utc::now()).unwrap();
        assert_ne!(first.id, second.id);
        assert_eq!(first.sha256, second.sha256);
        assert_eq!(first.sha256, media::hash(b"the same bytes"));
        assert_eq!(first.sha256.len(), 64);
        // One blob for the original, one per distinct rendition; two uploads, four renditions.
        assert_eq!(media::counts(&mut conn).unwrap(), (3, 2, 4));
        assert_eq!(media::blob(&mut conn, &first.sha256).unwrap().as_deref(), Some(&b"the same bytes"[..]));
        assert_eq!(first.alt, "A chart");
        assert_eq!(first.dimensions, Some((2000, 1000)));
        assert_eq!(first.byte_size, 14);
        assert_eq!(second.release_id, Some(release.id));
        assert_eq!(second.renditions.len(), 2);
        assert_eq!(second.renditions[0].format, MediaKind::Png);
        assert_eq!(second.renditions[1].format, MediaKind::Webp);
        assert_eq!(second.renditions[1].sha256, media::hash(b"small webp"));
        let owners = media::owners_of_blob(&mut conn, &media::hash(b"small webp")).unwrap();
        assert_eq!(owners, vec![(None, None), (Some(release.id), None)]);
        assert!(media::owners_of_blob(&mut conn, &media::hash(b"unknown")).unwrap().is_empty());
    }

    fn a_failed_upload_stores_nothing(db) {
        let mut conn = db.pool.get().unwrap();
        let by = uploader(&mut conn);
        // A release that does not exist: the media row fails its foreign key after the blob was
        // written, and the transaction takes the blob back with it.
        let refused = media::create(&mut conn, &upload(b"orphan", by, Some(9_999_999)), Utc::now());
        assert!(refused.is_err());
        assert_eq!(media::counts(&mut conn).unwrap(), (0, 0, 0));
    }
}
