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
    pub metrics_allow: Option<Vec<String>>,
    pub shutdown_timeout_secs: Option<u64>,
    pub body_idle_timeout_secs: Option<u64>,
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
    /// Who may read `/metrics`: client addresses (as vetted through `trusted_proxies`).
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// How long a stopping server lets requests in flight finish.
    pub shutdown_timeout: Duration,
    /// How long a request body may pause between chunks before the request is cut off (408).
    pub body_idle_timeout: Duration,
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
        let (config_file, file) = read_config_file(flags, env)?;
        let mut layers = Layers {
            env,
            file,
            sources: BTreeMap::new(),
        };
        let data_dir = layers.data_dir(flags);
        let database_url = layers.database_url(flags, &data_dir)?;
        let (bind, bind_addr) = layers.bind(flags)?;
        let public_url = layers.public_url(flags, &bind, bind_addr)?;
        let log_format = layers.log_format(flags)?;
        let (session_idle, session_lifetime) = layers.session_limits()?;
        let key_source = layers.key_source(&data_dir);
        let trusted_proxies = layers.trusted_proxies()?;
        let metrics_allow = layers.metrics_allow()?;
        let (shutdown_timeout, body_idle_timeout) = layers.timeouts()?;
        let scheduler_ms: Option<u64> = layers.number(
            "scheduler_interval_ms",
            "DATELINE_SCHEDULER_INTERVAL_MS",
            layers.file.scheduler_interval_ms,
        )?;
        let pool_size: Option<i32> =
            layers.number("pool_size", "DATELINE_POOL_SIZE", layers.file.pool_size)?;
        let min_password_length = layers.min_password_length()?;
        let sqlite_synchronous_full = layers.sqlite_synchronous()?;
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
            metrics_allow,
            shutdown_timeout,
            body_idle_timeout,
            scheduler_interval: Duration::from_millis(
                scheduler_ms.unwrap_or(1000).clamp(50, 60_000),
            ),
            pool_size: (pool_size.unwrap_or(10) as u32).clamp(1, 100),
            min_password_length,
            sqlite_synchronous_full,
            config_file,
            sources: layers.sources,
        })
    }

    /// `key = value  (source)` lines with secrets redacted, for `dateline config`.
    pub fn describe(&self) -> Vec<(String, String, String)> {
        let config_file = self
            .config_file
            .as_ref()
            .map_or_else(|| "(none)".into(), |p| p.display().to_string());
        let source = |key: &str| {
            self.sources
                .get(key)
                .map_or_else(|| "default".into(), |s| s.to_string())
        };
        std::iter::once(("config_file".into(), config_file, String::new()))
            .chain(
                self.shown_values()
                    .into_iter()
                    .map(|(key, value)| (key.into(), value, source(key))),
            )
            .collect()
    }

    /// Each setting as `dateline config` shows it, in the order it is shown.
    fn shown_values(&self) -> [(&'static str, String); 16] {
        let secret_key = match &self.key_source {
            KeySource::Env => "(set, redacted)".to_string(),
            KeySource::File(p) => format!("from key file {}", p.display()),
        };
        let proxies: Vec<String> = self.trusted_proxies.iter().map(|p| p.to_string()).collect();
        let metrics: Vec<String> = self.metrics_allow.iter().map(|n| n.to_string()).collect();
        let synchronous = if self.sqlite_synchronous_full {
            "full"
        } else {
            "normal"
        };
        [
            ("database_url", self.database_url.redacted()),
            ("data_dir", self.data_dir.display().to_string()),
            ("bind", self.bind.clone()),
            ("public_url", self.public_url.to_string()),
            (
                "log_format",
                format!("{:?}", self.log_format).to_lowercase(),
            ),
            (
                "session_idle_minutes",
                (self.session_idle.as_secs() / 60).to_string(),
            ),
            (
                "session_lifetime_hours",
                (self.session_lifetime.as_secs() / 3600).to_string(),
            ),
            ("secret_key", secret_key),
            ("trusted_proxies", proxies.join(", ")),
            ("metrics_allow", metrics.join(", ")),
            (
                "shutdown_timeout_secs",
                self.shutdown_timeout.as_secs().to_string(),
            ),
            (
                "body_idle_timeout_secs",
                self.body_idle_timeout.as_secs().to_string(),
            ),
            (
                "scheduler_interval_ms",
                self.scheduler_interval.as_millis().to_string(),
            ),
            ("pool_size", self.pool_size.to_string()),
            ("min_password_length", self.min_password_length.to_string()),
            ("sqlite_synchronous", synchronous.into()),
        ]
    }
}

/// Finds the config file: `--config`, then `DATELINE_CONFIG`, then `dateline.toml` in the
/// working directory if there is one. Only a file asked for by name must exist.
fn read_config_file(
    flags: &FlagConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<PathBuf>, FileConfig), ConfigError> {
    let named = flags
        .config_file
        .clone()
        .or_else(|| non_empty(env, "DATELINE_CONFIG").map(PathBuf::from));
    let (path, explicit) = match named {
        Some(p) => (p, true),
        None => {
            let p = PathBuf::from("dateline.toml");
            if !p.exists() {
                return Ok((None, FileConfig::default()));
            }
            (p, false)
        }
    };
    let file = read_file(&path, explicit)?;
    Ok((Some(path), file))
}

/// An environment variable set to blanks counts as unset, so `FOO= dateline` falls through.
fn non_empty(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

fn path_text(path: &Option<PathBuf>) -> Option<String> {
    path.as_ref().map(|p| p.display().to_string())
}

/// The layers below the command line, and a record of which layer gave each value.
struct Layers<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: FileConfig,
    sources: BTreeMap<&'static str, Source>,
}

impl Layers<'_> {
    fn env(&self, name: &str) -> Option<String> {
        non_empty(self.env, name)
    }

    /// The first layer that sets `key`: the flag, then each variable in `env_names` in turn,
    /// then the file. `None` means the default applies.
    fn pick(
        &mut self,
        key: &'static str,
        flag: Option<String>,
        env_names: &[&'static str],
        file: Option<String>,
    ) -> Option<String> {
        let from_env = || {
            env_names
                .iter()
                .find_map(|&name| self.env(name).map(|v| (Source::Env(name), v)))
        };
        let (source, value) = match flag.map(|v| (Source::Flag, v)).or_else(from_env) {
            Some((source, v)) => (source, Some(v)),
            None => match file {
                Some(v) => (Source::File, Some(v)),
                None => (Source::Default, None),
            },
        };
        self.sources.insert(key, source);
        value
    }

    fn invalid(&self, setting: &'static str, reason: String) -> ConfigError {
        ConfigError::Invalid {
            setting,
            origin: self
                .sources
                .get(setting)
                .copied()
                .unwrap_or(Source::Default),
            reason,
        }
    }

    /// A whole number that only the environment or the file may set.
    fn number<T: std::str::FromStr>(
        &mut self,
        key: &'static str,
        env_name: &'static str,
        file: Option<impl ToString>,
    ) -> Result<Option<T>, ConfigError> {
        let raw = self.pick(key, None, &[env_name], file.map(|v| v.to_string()));
        raw.map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| self.invalid(key, format!("{v:?} is not a whole number")))
        })
        .transpose()
    }

    fn data_dir(&mut self, flags: &FlagConfig) -> PathBuf {
        let file = path_text(&self.file.data_dir);
        self.pick(
            "data_dir",
            path_text(&flags.data_dir),
            &["DATELINE_DATA_DIR"],
            file,
        )
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
    }

    /// `DATABASE_URL` is the name most hosts set; `DATELINE_DATABASE_URL` matches our others.
    fn database_url(
        &mut self,
        flags: &FlagConfig,
        data_dir: &Path,
    ) -> Result<DatabaseUrl, ConfigError> {
        let file = self.file.database_url.clone();
        let envs = ["DATABASE_URL", "DATELINE_DATABASE_URL"];
        match self.pick("database_url", flags.database_url.clone(), &envs, file) {
            Some(raw) => Ok(DatabaseUrl::parse(&raw)?),
            None => Ok(DatabaseUrl::Sqlite(data_dir.join("dateline.db"))),
        }
    }

    /// The address to listen on, and its parsed form when it is an IP address (a host name
    /// such as `localhost:8080` is also accepted and resolved when binding).
    fn bind(&mut self, flags: &FlagConfig) -> Result<(String, Option<SocketAddr>), ConfigError> {
        let file = self.file.bind.clone();
        let bind = self
            .pick("bind", flags.bind.clone(), &["DATELINE_BIND"], file)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr: Option<SocketAddr> = bind.parse().ok();
        if addr.is_none() && !bind.contains(':') {
            let reason = format!("{bind:?} is not an address:port such as 127.0.0.1:8080");
            return Err(self.invalid("bind", reason));
        }
        Ok((bind, addr))
    }

    fn public_url(
        &mut self,
        flags: &FlagConfig,
        bind: &str,
        bind_addr: Option<SocketAddr>,
    ) -> Result<url::Url, ConfigError> {
        let file = self.file.public_url.clone();
        let envs = ["DATELINE_PUBLIC_URL"];
        match self.pick("public_url", flags.public_url.clone(), &envs, file) {
            Some(raw) => self.given_public_url(&raw),
            None => self.public_url_from_bind(bind, bind_addr),
        }
    }

    fn given_public_url(&self, raw: &str) -> Result<url::Url, ConfigError> {
        let u = url::Url::parse(raw.trim())
            .map_err(|e| self.invalid("public_url", format!("{raw:?} is not a URL: {e}")))?;
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            let reason = format!("{raw:?} must be an http:// or https:// URL with a host");
            return Err(self.invalid("public_url", reason));
        }
        Ok(u)
    }

    /// Without a public URL, links point at the listening address; a wildcard bind is
    /// reachable on loopback, so that is what links use.
    fn public_url_from_bind(
        &self,
        bind: &str,
        bind_addr: Option<SocketAddr>,
    ) -> Result<url::Url, ConfigError> {
        let host = match bind_addr {
            Some(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
            _ => bind.to_owned(),
        };
        url::Url::parse(&format!("http://{host}/")).map_err(|e| {
            let reason = format!("cannot derive it from bind {bind:?}: {e}");
            self.invalid("public_url", reason)
        })
    }

    fn log_format(&mut self, flags: &FlagConfig) -> Result<LogFormat, ConfigError> {
        let file = self.file.log_format.clone();
        let envs = ["DATELINE_LOG_FORMAT"];
        match self
            .pick("log_format", flags.log_format.clone(), &envs, file)
            .as_deref()
        {
            None | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(self.invalid("log_format", format!("{other:?}: use text or json"))),
        }
    }

    /// A whole number with a default, refused outside `range`; `unit` names it in the message.
    fn number_within<T>(
        &mut self,
        key: &'static str,
        env_name: &'static str,
        file: Option<impl ToString>,
        default: T,
        range: std::ops::RangeInclusive<T>,
        unit: &str,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display,
    {
        let n = self.number(key, env_name, file)?.unwrap_or(default);
        if !range.contains(&n) {
            let (low, high) = range.into_inner();
            return Err(self.invalid(key, format!("{n}: use {low} to {high} {unit}")));
        }
        Ok(n)
    }

    /// The idle timeout and the absolute lifetime of a session. OWASP's limits for a
    /// newsroom's risk: shorter is allowed, longer is not.
    fn session_limits(&mut self) -> Result<(Duration, Duration), ConfigError> {
        let file = self.file.session_idle_minutes;
        let env = "DATELINE_SESSION_IDLE_MINUTES";
        let idle_minutes =
            self.number_within("session_idle_minutes", env, file, 30, 1..=30, "minutes")?;
        let file = self.file.session_lifetime_hours;
        let env = "DATELINE_SESSION_LIFETIME_HOURS";
        let lifetime_hours =
            self.number_within("session_lifetime_hours", env, file, 12, 1..=12, "hours")?;
        Ok((
            self.seconds_override("DATELINE_SESSION_IDLE_SECONDS", idle_minutes * 60),
            self.seconds_override("DATELINE_SESSION_LIFETIME_SECONDS", lifetime_hours * 3600),
        ))
    }

    /// Seconds-level overrides exist for tests of the timeouts; they are not documented knobs.
    fn seconds_override(&self, env_name: &str, otherwise: u64) -> Duration {
        let seconds = self.env(env_name).and_then(|v| v.parse().ok());
        Duration::from_secs(seconds.unwrap_or(otherwise))
    }

    fn key_source(&mut self, data_dir: &Path) -> KeySource {
        if self.env("DATELINE_SECRET_KEY").is_some() {
            self.sources
                .insert("secret_key", Source::Env("DATELINE_SECRET_KEY"));
            return KeySource::Env;
        }
        let file = path_text(&self.file.key_file);
        let path = self
            .pick("key_file", None, &["DATELINE_KEY_FILE"], file)
            .map_or_else(|| Config::default_key_file(data_dir), PathBuf::from);
        self.sources.insert("secret_key", Source::Default);
        KeySource::File(path)
    }

    fn trusted_proxies(&mut self) -> Result<Vec<IpAddr>, ConfigError> {
        let file = self.file.trusted_proxies.as_ref().map(|v| v.join(","));
        let raw = self.pick("trusted_proxies", None, &["DATELINE_TRUSTED_PROXIES"], file);
        raw.unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpAddr>().map_err(|_| {
                    self.invalid("trusted_proxies", format!("{s:?} is not an IP address"))
                })
            })
            .collect()
    }

    /// How long a stopping server lets requests in flight finish, and how long a request body
    /// may pause before it is cut off: whole seconds, from one to the most each allows.
    fn timeouts(&mut self) -> Result<(Duration, Duration), ConfigError> {
        let file = (
            self.file.shutdown_timeout_secs,
            self.file.body_idle_timeout_secs,
        );
        let [shutdown, idle] = [
            (
                "shutdown_timeout_secs",
                "DATELINE_SHUTDOWN_TIMEOUT_SECS",
                file.0,
                30,
                600,
            ),
            (
                "body_idle_timeout_secs",
                "DATELINE_BODY_IDLE_TIMEOUT_SECS",
                file.1,
                10,
                300,
            ),
        ]
        .map(|(key, env, file, default, most)| {
            self.number_within(key, env, file, default, 1..=most, "seconds")
        });
        Ok((Duration::from_secs(shutdown?), Duration::from_secs(idle?)))
    }

    /// Networks (`10.0.0.0/8`) or single addresses that may read `/metrics`; loopback unless
    /// set. `none` (or an empty list in the file) serves it to nobody.
    fn metrics_allow(&mut self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        let file = self.file.metrics_allow.as_ref().map(|v| v.join(","));
        let raw = self.pick("metrics_allow", None, &["DATELINE_METRICS_ALLOW"], file);
        let raw = raw.unwrap_or_else(|| "127.0.0.0/8, ::1/128".into());
        if raw.trim().eq_ignore_ascii_case("none") {
            return Ok(Vec::new());
        }
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        let reason = format!("{s:?} is not an IP address or network");
                        self.invalid("metrics_allow", reason)
                    })
            })
            .collect()
    }

    /// OWASP's floor for accounts without a second factor; a newsroom may ask for more.
    fn min_password_length(&mut self) -> Result<usize, ConfigError> {
        let file = self.file.min_password_length;
        let env = "DATELINE_MIN_PASSWORD_LENGTH";
        let length: i32 =
            self.number_within("min_password_length", env, file, 12, 12..=128, "characters")?;
        Ok(length as usize)
    }

    /// Whether SQLite waits for the disk on every commit (`full`) or only at checkpoints.
    fn sqlite_synchronous(&mut self) -> Result<bool, ConfigError> {
        let file = self.file.sqlite_synchronous.clone();
        let raw = self.pick(
            "sqlite_synchronous",
            None,
            &["DATELINE_SQLITE_SYNCHRONOUS"],
            file,
        );
        match raw.map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("full") => Ok(true),
            Some("normal") => Ok(false),
            Some(other) => {
                let reason = format!("{other:?}: use full or normal");
                Err(self.invalid("sqlite_synchronous", reason))
            }
        }
    }
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
        let dir = tempfile::tempdir().unwrap();
        let garbled = dir.path().join("bad.toml");
        std::fs::write(&garbled, "bind = \"x\"\nnonsense = = 3\n").unwrap();
        let misspelt = dir.path().join("misspelt.toml");
        std::fs::write(&misspelt, "bnid = \"127.0.0.1:1\"\n").unwrap();
        let file = |path: &Path| FlagConfig {
            config_file: Some(path.to_owned()),
            ..Default::default()
        };
        // Each bad setting (flags and environment), and what its one-line error must name.
        type Case<'a> = (FlagConfig, &'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: [Case; 6] = [
            (
                FlagConfig {
                    database_url: Some("mysql://x/y".into()),
                    ..Default::default()
                },
                &[],
                &["\"mysql\""],
            ),
            (
                FlagConfig::default(),
                &[("DATELINE_LOG_FORMAT", "xml")],
                &["log_format", "DATELINE_LOG_FORMAT"],
            ),
            (file(&garbled), &[], &["bad.toml", "line 2"]),
            (file(&misspelt), &[], &["bnid"]),
            (
                file(&dir.path().join("missing.toml")),
                &[],
                &["missing.toml"],
            ),
            (
                FlagConfig {
                    public_url: Some("ftp://x".into()),
                    ..Default::default()
                },
                &[],
                &["public_url"],
            ),
        ];
        for (flags, env, named) in cases {
            let err = load(flags, env).unwrap_err().to_string();
            assert!(named.iter().all(|n| err.contains(n)), "{named:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
