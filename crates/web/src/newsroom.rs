//! Newsroom settings: name, description, time zone, default language and security switches,
//! stored as key/value rows and typed here.

use std::collections::HashMap;

use chrono_tz::Tz;
use dateline_core::ValidationErrors;
use dateline_core::validation::is_language_tag;
use dateline_storage::DbConnection;
use dateline_storage::repo::settings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newsroom {
    pub name: String,
    pub description: String,
    pub time_zone: Tz,
    pub language: String,
    /// Editors and admins must enrol a second factor before doing anything else.
    pub require_two_factor: bool,
}

impl Default for Newsroom {
    fn default() -> Self {
        Newsroom {
            name: "Dateline Newsroom".into(),
            description: "Press releases, as they are issued.".into(),
            time_zone: Tz::UTC,
            language: "en".into(),
            require_two_factor: false,
        }
    }
}

impl Newsroom {
    fn from_map(map: &HashMap<String, String>) -> Self {
        let d = Newsroom::default();
        Newsroom {
            name: map
                .get("newsroom.name")
                .cloned()
                .filter(|v| !v.is_empty())
                .unwrap_or(d.name),
            description: map
                .get("newsroom.description")
                .cloned()
                .unwrap_or(d.description),
            time_zone: map
                .get("newsroom.time_zone")
                .and_then(|z| z.parse().ok())
                .unwrap_or(d.time_zone),
            language: map
                .get("newsroom.language")
                .cloned()
                .filter(|l| is_language_tag(l))
                .unwrap_or(d.language),
            require_two_factor: map
                .get("security.require_two_factor")
                .is_some_and(|v| v == "true"),
        }
    }

    pub fn load(conn: &mut DbConnection) -> dateline_storage::Result<Newsroom> {
        Ok(Newsroom::from_map(&settings::all(conn)?))
    }

    pub fn validate(
        name: &str,
        description: &str,
        zone: &str,
        language: &str,
    ) -> Result<Tz, ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.line("name", name, true, 120);
        e.text("description", description, false, 500);
        if !is_language_tag(language) {
            e.add("language", "Use a language code such as en, de or pt-BR.");
        }
        let tz = zone.parse::<Tz>();
        if tz.is_err() {
            e.add("time_zone", "Choose a time zone from the list.");
        }
        e.into_result()?;
        tz.map_err(|_| ValidationErrors::single("time_zone", "Choose a time zone from the list."))
    }

    pub fn save(&self, conn: &mut DbConnection) -> dateline_storage::Result<()> {
        settings::set(conn, "newsroom.name", self.name.trim())?;
        settings::set(conn, "newsroom.description", self.description.trim())?;
        settings::set(conn, "newsroom.time_zone", self.time_zone.name())?;
        settings::set(conn, "newsroom.language", &self.language)?;
        settings::set(
            conn,
            "security.require_two_factor",
            if self.require_two_factor {
                "true"
            } else {
                "false"
            },
        )?;
        Ok(())
    }
}
