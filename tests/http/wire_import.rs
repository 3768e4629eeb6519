//! `dateline import FILE…` as a newsroom moving its old releases in runs it: each file reported,
//! drafts by default, what is unsure flagged with its line, bad files named and skipped, and the
//! same file never imported twice.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::process::{BIN, editor_with_token, run_with_stdin};

fn dateline(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const CALDER: &str = "\
Calder Bay Opens Its Harbour Cycle Path
The route links the ferry to the old town

CALDER BAY, Norway, Sept. 2, 2022 /ExampleWire/ \u{2014} A news report from calderbay.example.org: \
The city opened a four-kilometre cycle path along the harbour today.

The path is lit at night.

About City of Calder Bay
The city runs the harbour and its ferries.

Media contact:
Ingrid Dahl
press@calderbay.example.org

SOURCE City of Calder Bay
";

const NO_HEADLINE: &str = "\
OSLO, Norway, March 4, 2025 -- Fjord Labs opened a lab in Bergen. It has forty seats and a

The second paragraph.
";

/// The releases in the newsroom as the archive shows them, one JSON line each.
fn releases(dir: &Path) -> Vec<serde_json::Value> {
    let o = dateline(dir, &["export", "-"]);
    assert!(o.status.success());
    out(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "release")
        .collect()
}

#[test]
fn wire_texts_become_drafts_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dateline(dir.path(), &["demo"]).status.success());
    let before = releases(dir.path()).len();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write("calder.txt", CALDER.as_bytes());
    write("no-headline.txt", NO_HEADLINE.as_bytes());
    write("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    write(
        "legacy.txt",
        b"Headline\n\nOSLO, Norway, May 9, 2025 -- Caf\xe9 opens.\n",
    );
    write("empty.txt", b"\n\n");
    write("huge.txt", &vec![b'a'; 50 * 1024 * 1024]);

    let o = dateline(
        dir.path(),
        &[
            "import",
            "calder.txt",
            "no-headline.txt",
            "binary.txt",
            "legacy.txt",
            "empty.txt",
            "huge.txt",
        ],
    );
    assert!(!o.status.success(), "some files failed");
    let said = out(&o);
    assert!(said.contains("calder.txt: draft "), "{said}");
    assert!(said.contains("no-headline.txt: draft "), "{said}");
    assert!(said.contains("check headline"), "{said}");
    assert!(
        said.contains("line 1: Paragraph 1 seems to stop mid-sentence"),
        "{said}"
    );
    assert!(
        said.contains("binary.txt: not imported: the file holds binary data"),
        "{said}"
    );
    assert!(
        said.contains("legacy.txt: not imported: line 3 is not UTF-8"),
        "{said}"
    );
    assert!(
        said.contains("empty.txt: not imported: the file is empty"),
        "{said}"
    );
    assert!(
        said.contains("huge.txt: not imported: the file is larger than 1048576 bytes"),
        "{said}"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("4 of 6 file(s) could not be imported"),
        "{o:?}"
    );

    let all = releases(dir.path());
    assert_eq!(all.len(), before + 2);
    let calder = all
        .iter()
        .find(|r| r["content"]["headline"] == "Calder Bay Opens Its Harbour Cycle Path")
        .unwrap();
    let c = &calder["content"];
    assert_eq!(calder["status"], "draft");
    assert_eq!(
        c["subheadline"],
        "The route links the ferry to the old town"
    );
    assert_eq!(c["dateline"]["city"], "Calder Bay");
    assert_eq!(c["dateline"]["date"], "2022-09-02");
    assert_eq!(c["dateline"]["distributor"], "ExampleWire");
    assert_eq!(
        c["source"]["label"],
        "A news report from calderbay.example.org"
    );
    assert_eq!(c["organization"], "calder-bay");
    assert_eq!(c["contacts"][0]["email"], "press@calderbay.example.org");
    assert_eq!(
        c["body"],
        "The city opened a four-kilometre cycle path along the harbour today.\n\nThe path is lit at night."
    );

    let again = dateline(dir.path(), &["import", "calder.txt"]);
    assert!(again.status.success());
    assert!(out(&again).contains(&format!(
        "calder.txt: already imported as {}",
        calder["public_id"].as_str().unwrap()
    )));
    assert_eq!(releases(dir.path()).len(), before + 2);
}

#[test]
fn publishing_an_import_needs_an_editor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calder.txt"), CALDER).unwrap();
    assert!(dateline(dir.path(), &["migrate"]).status.success());
    let add = run_with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "c@example.com",
            "--name",
            "C",
            "--role",
            "contributor",
            "--password-stdin",
        ],
        &format!("{}\n", crate::support::PASSWORD),
    );
    assert!(add.status.success());
    let refused = dateline(
        dir.path(),
        &[
            "import",
            "--publish",
            "--author",
            "c@example.com",
            "calder.txt",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        out(&refused).contains("only editors and admins may publish"),
        "{refused:?}"
    );
    assert!(releases(dir.path()).is_empty());

    editor_with_token(dir.path(), "dateline.db", "e@example.com", "read");
    let o = dateline(
        dir.path(),
        &[
            "import",
            "--publish",
            "--author",
            "e@example.com",
            "calder.txt",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    assert!(out(&o).contains("calder.txt: published as "), "{}", out(&o));
    let all = releases(dir.path());
    assert_eq!(all[0]["status"], "published");
    assert_eq!(all[0]["author"], "e@example.com");
    assert_eq!(all[0]["published_at"], "2022-09-02T00:00:00Z");
}

mod paste {
    use dateline_core::Role;

    use crate::http_tests;

    http_tests! {
        // Pasting a wire text opens the editor with its fields filled and what to check listed;
        // nothing is stored until the editor saves, and then it is an ordinary draft.
        async fn a_pasted_release_fills_the_editor(app) {
            let (page, _) = app.signed_in("ed@example.com", Role::Editor).await;
            let form = page.get("/admin/releases/paste").await;
            form.assert_status(200);
            assert!(form.body.contains("Paste a release"));

            let empty = page.submit("/admin/releases/paste", "/admin/releases/paste", &[("text", "  ")]).await;
            empty.assert_status(422);
            assert!(empty.text().contains("the file is empty") || empty.text().contains("cannot be read"), "{}", empty.text());

            let filled = page.submit("/admin/releases/paste", "/admin/releases/paste", &[("text", crate::wire_import::CALDER)]).await;
            filled.assert_status(200);
            let html = &filled.body;
            assert!(html.contains("value=\"Calder Bay Opens Its Harbour Cycle Path\""), "{html}");
            assert!(html.contains("value=\"ExampleWire\""), "{html}");
            assert!(html.contains("press@calderbay.example.org"), "{html}");
            assert!(filled.text().contains("check before saving"), "{}", filled.text());
            assert!(filled.text().contains("not an organization in this newsroom"), "{}", filled.text());
            let list = page.get("/admin/releases").await;
            assert!(!list.body.contains("Calder Bay Opens"), "nothing stored yet");
        }
    }
}

#[test]
fn the_demo_is_not_mixed_into_a_newsroom_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calder.txt"), CALDER.as_bytes()).unwrap();
    assert!(
        dateline(dir.path(), &["import", "calder.txt"])
            .status
            .success()
    );
    let before = releases(dir.path()).len();
    // A count out of range is refused before anything is loaded.
    for bad in ["0", "-3", "10000001", "ten"] {
        let out = dateline(dir.path(), &["demo", "--into-existing", "--releases", bad]);
        assert!(!out.status.success(), "{bad}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("--releases"), "{bad}: {said}");
        assert_eq!(
            releases(dir.path()).len(),
            before,
            "{bad}: nothing was added"
        );
    }
    let refused = dateline(dir.path(), &["demo", "--releases", "10"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("--into-existing") && said.lines().count() == 1,
        "{said}"
    );
    assert_eq!(releases(dir.path()).len(), before, "nothing was added");
    let told = dateline(dir.path(), &["demo", "--into-existing", "--releases", "10"]);
    assert!(
        told.status.success(),
        "{}",
        String::from_utf8_lossy(&told.stderr)
    );
    assert!(releases(dir.path()).len() > before + 10);
    // A demo database takes more seeded releases without being told.
    assert!(
        dateline(dir.path(), &["demo", "--releases", "5"])
            .status
            .success()
    );
}
