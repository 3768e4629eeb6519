//! Effective configuration: command-line flags, then the environment (`DATELINE_*`,
//! `DATABASE_URL`), then an optional `dateline.toml`, then defaults. Read once at start.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dateline_storage::DatabaseUrl;
use serde::Deserialize;

/// What `dateline.toml` may contain. Unknown keys are refused so typos do not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub bind: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<String>,
    pub session_idle_minutes: Option<u64>,
    pub session_lifetime_hours: Option<u64>,
    pub key_file: Option<PathBuf>,
    pub trusted_proxies: Option<Vec<String>>,
    pub scheduler_interval_ms: Option<u64>,
    pub pool_size: Option<u32>,
    pub min_password_length: Option<usize>,
    pub sqlite_synchronous: Option<String>,
}

/// Values given on the command line (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct FlagConfig {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub bind: Option<String>,
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(&'static str),
    File,
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("command line"),
            Source::Env(name) => write!(f, "environment ({name})"),
            Source::File => f.write_str("config file"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// Where the secret key comes from. The key itself is loaded separately (see `keyfile`).
#[derive(Debug, Clone)]
pub enum KeySource {
    Env,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    pub bind: String,
    pub public_url: url::Url,
    pub log_format: LogFormat,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    pub key_source: KeySource,
    pub trusted_proxies: Vec<IpAddr>,
    pub scheduler_interval: Duration,
    pub pool_size: u32,
    pub min_password_length: usize,
    pub sqlite_synchronous_full: bool,
    pub config_file: Option<PathBuf>,
    /// Where each value came from, for `dateline config`.
    pub sources: BTreeMap<&'static str, Source>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("config file {path} is not valid: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{setting} ({origin}): {reason}")]
    Invalid {
        setting: &'static str,
        origin: Source,
        reason: String,
    },
    #[error(transparent)]
    Database(#[from] dateline_storage::StorageError),
}

impl Config {
    /// The rule every new password is checked against, wherever it is set.
    pub fn password_policy(&self) -> dateline_auth::password::Policy {
        dateline_auth::password::Policy {
            min_length: self.min_password_length,
        }
    }

    /// Whether the public URL is https: cookies get `Secure` and the `__Host-` prefix, and HSTS is sent.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public origin (`scheme://host[:port]`), for Origin checks.
    pub fn origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// The public URL for a path, without a doubled slash.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.public_url.as_str().trim_end_matches('/'), path)
    }

    pub fn default_key_file(data_dir: &Path) -> PathBuf {
        data_dir.join("dateline.key")
    }

    /// Loads the configuration from flags, the given environment lookup and the config file.
    pub fn load(
        flags: &FlagConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut sources = BTreeMap::new();

        let (config_file, explicit) = match flags
            .config_file
            .clone()
            .or_else(|| env("DATELINE_CONFIG").map(PathBuf::from))
        {
            Some(p) => (Some(p), true),
            None => {
                let p = PathBuf::from("dateline.toml");
                (p.exists().then_some(p), false)
            }
        };
        let file = match &config_file {
            Some(path) => read_file(path, explicit)?,
            None => FileConfig::default(),
        };

        macro_rules! pick {
            ($key:literal, $flag:expr, $env:literal, $file:expr) => {{
                if let Some(v) = $flag {
                    sources.insert($key, Source::Flag);
                    Some(v)
                } else if let Some(v) = env($env) {
                    sources.insert($key, Source::Env($env));
                    Some(v)
                } else if let Some(v) = $file {
                    sources.insert($key, Source::File);
                    Some(v)
                } else {
                    sources.insert($key, Source::Default);
                    None
                }
            }};
        }

        let path_text = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let data_dir = pick!(
            "data_dir",
            path_text(&flags.data_dir),
            "DATELINE_DATA_DIR",
            path_text(&file.data_dir)
        )
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));

        let db_raw = if let Some(v) = flags.database_url.clone() {
            sources.insert("database_url", Source::Flag);
            Some(v)
        } else if let Some(v) = env("DATABASE_URL") {
            sources.insert("database_url", Source::Env("DATABASE_URL"));
            Some(v)
        } else if let Some(v) = env("DATELINE_DATABASE_URL") {
            sources.insert("database_url", Source::Env("DATELINE_DATABASE_URL"));
            Some(v)
        } else if let Some(v) = file.database_url.clone() {
            sources.insert("database_url", Source::File);
            Some(v)
        } else {
            sources.insert("database_url", Source::Default);
            None
        };
        let database_url = match db_raw {
            Some(raw) => DatabaseUrl::parse(&raw)?,
            None => DatabaseUrl::Sqlite(data_dir.join("dateline.db")),
        };

        let bind = pick!(
            "bind",
            flags.bind.clone(),
            "DATELINE_BIND",
            file.bind.clone()
        )
        .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind_addr: Option<SocketAddr> = bind.parse().ok();
        if bind_addr.is_none() && !bind.contains(':') {
            return Err(invalid(
                "bind",
                &sources,
                format!("{bind:?} is not an address:port such as 127.0.0.1:8080"),
            ));
        }

        let public_raw = pick!(
            "public_url",
            flags.public_url.clone(),
            "DATELINE_PUBLIC_URL",
            file.public_url.clone()
        );
        let public_url = match public_raw {
            Some(raw) => {
                let u = url::Url::parse(raw.trim()).map_err(|e| {
                    invalid("public_url", &sources, format!("{raw:?} is not a URL: {e}"))
                })?;
                if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                    return Err(invalid(
                        "public_url",
                        &sources,
                        format!("{raw:?} must be an http:// or https:// URL with a host"),
                    ));
                }
                u
            }
            None => {
                let host = match bind_addr {
                    Some(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
                    _ => bind.clone(),
                };
                url::Url::parse(&format!("http://{host}/")).map_err(|e| {
                    invalid(
                        "public_url",
                        &sources,
                        format!("cannot derive it from bind {bind:?}: {e}"),
                    )
                })?
            }
        };

        let log_format = match pick!(
            "log_format",
            flags.log_format.clone(),
            "DATELINE_LOG_FORMAT",
            file.log_format.clone()
        )
        .as_deref()
        {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "log_format",
                    &sources,
                    format!("{other:?}: use text or json"),
                ));
            }
        };

        let idle_minutes = number(
            pick!(
                "session_idle_minutes",
                None::<String>,
                "DATELINE_SESSION_IDLE_MINUTES",
                file.session_idle_minutes.map(|v| v.to_string())
            ),
            "session_idle_minutes",
            &sources,
        )?
        .unwrap_or(30);
        let lifetime_hours = number(
            pick!(
                "session_lifetime_hours",
                None::<String>,
                "DATELINE_SESSION_LIFETIME_HOURS",
                file.session_lifetime_hours.map(|v| v.to_string())
            ),
            "session_lifetime_hours",
            &sources,
        )?
        .unwrap_or(12);
        // OWASP's limits for a newsroom's risk: shorter is allowed, longer is not.
        if !(1..=30).contains(&idle_minutes) {
            return Err(invalid(
                "session_idle_minutes",
                &sources,
                format!("{idle_minutes}: use 1 to 30 minutes"),
            ));
        }
        if !(1..=12).contains(&lifetime_hours) {
            return Err(invalid(
                "session_lifetime_hours",
                &sources,
                format!("{lifetime_hours}: use 1 to 12 hours"),
            ));
        }
        // Seconds-level overrides exist for tests of the timeouts; they are not documented knobs.
        let session_idle = env("DATELINE_SESSION_IDLE_SECONDS")
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(idle_minutes * 60));
        let session_lifetime = env("DATELINE_SESSION_LIFETIME_SECONDS")
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(lifetime_hours * 3600));

        let key_source = if env("DATELINE_SECRET_KEY").is_some() {
            sources.insert("secret_key", Source::Env("DATELINE_SECRET_KEY"));
            KeySource::Env
        } else {
            let path = pick!(
                "key_file",
                None::<String>,
                "DATELINE_KEY_FILE",
                path_text(&file.key_file)
            )
            .map(PathBuf::from)
            .unwrap_or_else(|| Config::default_key_file(&data_dir));
            sources.insert("secret_key", Source::Default);
            KeySource::File(path)
        };

        let proxies_raw = pick!(
            "trusted_proxies",
            None::<String>,
            "DATELINE_TRUSTED_PROXIES",
            file.trusted_proxies.clone().map(|v| v.join(","))
        );
        let trusted_proxies = proxies_raw
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpAddr>().map_err(|_| {
                    invalid(
                        "trusted_proxies",
                        &sources,
                        format!("{s:?} is not an IP address"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let scheduler_ms = number(
            pick!(
                "scheduler_interval_ms",
                None::<String>,
                "DATELINE_SCHEDULER_INTERVAL_MS",
                file.scheduler_interval_ms.map(|v| v.to_string())
            ),
            "scheduler_interval_ms",
            &sources,
        )?
        .unwrap_or(1000);
        let pool_size = number(
            pick!(
                "pool_size",
                None::<String>,
                "DATELINE_POOL_SIZE",
                file.pool_size.map(|v| v.to_string())
            ),
            "pool_size",
            &sources,
        )?
        .unwrap_or(10);
        let min_password_length = number(
            pick!(
                "min_password_length",
                None::<String>,
                "DATELINE_MIN_PASSWORD_LENGTH",
                file.min_password_length.map(|v| v.to_string())
            ),
            "min_password_length",
            &sources,
        )?
        .unwrap_or(12);
        // OWASP's floor for accounts without a second factor; a newsroom may ask for more.
        if !(12..=128).contains(&min_password_length) {
            return Err(invalid(
                "min_password_length",
                &sources,
                format!("{min_password_length}: use 12 to 128 characters"),
            ));
        }
        let sqlite_synchronous_full = match pick!(
            "sqlite_synchronous",
            None::<String>,
            "DATELINE_SQLITE_SYNCHRONOUS",
            file.sqlite_synchronous.clone()
        )
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
        {
            None | Some("full") => true,
            Some("normal") => false,
            Some(other) => {
                return Err(invalid(
                    "sqlite_synchronous",
                    &sources,
                    format!("{other:?}: use full or normal"),
                ));
            }
        };

        Ok(Config {
            database_url,
            data_dir,
            bind,
            public_url,
            log_format,
            session_idle,
            session_lifetime,
            key_source,
            trusted_proxies,
            scheduler_interval: Duration::from_millis(scheduler_ms.clamp(50, 60_000)),
            pool_size: (pool_size as u32).clamp(1, 100),
            min_password_length: min_password_length as usize,
            sqlite_synchronous_full,
            config_file,
            sources,
        })
    }

    /// `key = value  (source)` lines with secrets redacted, for `dateline config`.
    pub fn describe(&self) -> Vec<(String, String, String)> {
        let src = |k: &str| {
            self.sources
                .get(k)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "default".into())
        };
        let key = match &self.key_source {
            KeySource::Env => "(set, redacted)".to_string(),
            KeySource::File(p) => format!("from key file {}", p.display()),
        };
        vec![
            (
                "config_file".into(),
                self.config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "(none)".into()),
                String::new(),
            ),
            (
                "database_url".into(),
                self.database_url.redacted(),
                src("database_url"),
            ),
            (
                "data_dir".into(),
                self.data_dir.display().to_string(),
                src("data_dir"),
            ),
            ("bind".into(), self.bind.clone(), src("bind")),
            (
                "public_url".into(),
                self.public_url.to_string(),
                src("public_url"),
            ),
            (
                "log_format".into(),
                format!("{:?}", self.log_format).to_lowercase(),
                src("log_format"),
            ),
            (
                "session_idle_minutes".into(),
                (self.session_idle.as_secs() / 60).to_string(),
                src("session_idle_minutes"),
            ),
            (
                "session_lifetime_hours".into(),
                (self.session_lifetime.as_secs() / 3600).to_string(),
                src("session_lifetime_hours"),
            ),
            ("secret_key".into(), key, src("secret_key")),
            (
                "trusted_proxies".into(),
                self.trusted_proxies
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                src("trusted_proxies"),
            ),
            (
                "scheduler_interval_ms".into(),
                self.scheduler_interval.as_millis().to_string(),
                src("scheduler_interval_ms"),
            ),
            (
                "pool_size".into(),
                self.pool_size.to_string(),
                src("pool_size"),
            ),
            (
                "min_password_length".into(),
                self.min_password_length.to_string(),
                src("min_password_length"),
            ),
            (
                "sqlite_synchronous".into(),
                if self.sqlite_synchronous_full {
                    "full"
                } else {
                    "normal"
                }
                .into(),
                src("sqlite_synchronous"),
            ),
        ]
    }
}

fn invalid(
    setting: &'static str,
    sources: &BTreeMap<&'static str, Source>,
    reason: String,
) -> ConfigError {
    ConfigError::Invalid {
        setting,
        origin: sources.get(setting).copied().unwrap_or(Source::Default),
        reason,
    }
}

fn number<T: std::str::FromStr>(
    raw: Option<String>,
    key: &'static str,
    sources: &BTreeMap<&'static str, Source>,
) -> Result<Option<T>, ConfigError> {
    raw.map(|v| {
        v.trim()
            .parse::<T>()
            .map_err(|_| invalid(key, sources, format!("{v:?} is not a whole number")))
    })
    .transpose()
}

fn read_file(path: &Path, explicit: bool) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileConfig::default());
        }
        Err(e) => {
            return Err(ConfigError::Unreadable {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    toml::from_str(&text).map_err(|e| ConfigError::Malformed {
        path: path.to_owned(),
        // toml's Display spans several lines with a caret diagram; its message alone is one line.
        reason: e
            .message()
            .lines()
            .next()
            .unwrap_or("syntax error")
            .trim()
            .to_owned()
            + &location(&text, e.span()),
    })
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(flags: FlagConfig, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(&flags, &|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_an_embedded_sqlite_on_loopback() {
        let c = load(FlagConfig::default(), &[]).unwrap();
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("./dateline.db"))
        );
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.session_idle, Duration::from_secs(1800));
        assert_eq!(c.session_lifetime, Duration::from_secs(12 * 3600));
        assert!(!c.is_https());
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("d.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:7000\"\ndatabase_url = \"file.db\"\npool_size = 3\n",
        )
        .unwrap();
        let flags = FlagConfig {
            config_file: Some(file.clone()),
            bind: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        let c = load(
            flags,
            &[
                ("DATELINE_BIND", "127.0.0.1:8000"),
                ("DATABASE_URL", "postgres://u:pw@h/db"),
            ],
        )
        .unwrap();
        assert_eq!(c.bind, "127.0.0.1:9000");
        assert_eq!(c.sources["bind"], Source::Flag);
        assert_eq!(
            c.database_url.backend(),
            dateline_storage::Backend::Postgres
        );
        assert_eq!(c.sources["database_url"], Source::Env("DATABASE_URL"));
        assert_eq!(c.pool_size, 3);
        assert_eq!(c.sources["pool_size"], Source::File);
        let shown: String = c
            .describe()
            .iter()
            .map(|(k, v, s)| format!("{k}={v} {s}\n"))
            .collect();
        assert!(!shown.contains("pw@"), "{shown}");
    }

    #[test]
    fn data_dir_moves_the_database_and_key() {
        let c = load(
            FlagConfig {
                data_dir: Some("/srv/news".into()),
                ..Default::default()
            },
            &[],
        )
        .unwrap();
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("/srv/news/dateline.db"))
        );
        assert!(
            matches!(c.key_source, KeySource::File(ref p) if p == Path::new("/srv/news/dateline.key"))
        );
    }

    #[test]
    fn bad_values_say_what_and_where() {
        let err = load(
            FlagConfig {
                database_url: Some("mysql://x/y".into()),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"mysql\""), "{err}");
        let err = load(FlagConfig::default(), &[("DATELINE_LOG_FORMAT", "xml")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("log_format") && err.contains("DATELINE_LOG_FORMAT"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "bind = \"x\"\nnonsense = = 3\n").unwrap();
        let err = load(
            FlagConfig {
                config_file: Some(file.clone()),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        std::fs::write(&file, "bnid = \"127.0.0.1:1\"\n").unwrap();
        let err = load(
            FlagConfig {
                config_file: Some(file),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bnid"), "{err}");
        let err = load(
            FlagConfig {
                config_file: Some(dir.path().join("missing.toml")),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("missing.toml"), "{err}");
        let err = load(
            FlagConfig {
                public_url: Some("ftp://x".into()),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("public_url"), "{err}");
    }
}
