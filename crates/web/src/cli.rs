//! The `dateline` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::FlagConfig;

#[derive(Debug, Parser)]
#[command(
    name = "dateline",
    version,
    about = "Dateline: an open-source newsroom for press releases.",
    long_about = "Dateline: an open-source newsroom for press releases.\n\n\
        With no configuration it keeps everything in a SQLite file, dateline.db, in the current \
        directory (or in --data-dir). Set DATABASE_URL=postgres://… to use PostgreSQL instead.\n\n\
        Start with `dateline serve`, then open the setup link it prints to create the first admin.\n\
        Settings come from flags, then DATELINE_* environment variables, then dateline.toml; \
        `dateline config` shows what is in effect.",
    after_help = "Examples:\n  dateline serve\n  dateline demo && dateline serve --bind 127.0.0.1:3000\n  DATABASE_URL=postgres://dateline@db/news dateline migrate\n  dateline user add --email ana@example.com --name 'Ana Ribeiro' --role editor"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read settings from this TOML file [default: ./dateline.toml, if it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and the secret key file [default: current directory].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database to use: postgres://…, sqlite://path or a plain file path [env: DATABASE_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Log as human-readable text or as JSON lines [env: DATELINE_LOG_FORMAT].
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (newsroom, public site, API and scheduler).
    Serve(ServeArgs),
    /// Create or update the database schema, pack revisions stored by older versions, then exit.
    Migrate,
    /// Give free space back: compact the search index and rebuild the database file (SQLite),
    /// or VACUUM (PostgreSQL). Writers wait while it runs.
    Vacuum,
    /// Manage newsroom accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Look after the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the server's secret key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Load demonstration content: organizations, categories, regions and 36 releases; with
    /// --releases N, also N synthetic releases (the scale fixture for benchmarks).
    Demo(DemoArgs),
    /// Print the effective configuration, with secrets redacted.
    Config,
    /// Copy the SQLite database to a new file while servers keep running, and check the copy.
    /// (For PostgreSQL, use pg_dump; this explains how.)
    Backup(BackupArgs),
    /// Write the whole newsroom to an archive (JSON Lines, documented in docs/archive.md).
    Export(ExportArgs),
    /// Import plain-text wire releases as drafts, or a newsroom archive (--archive).
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also seed this many synthetic releases (1 to 10,000,000) through the bulk path, 300–1,500
    /// words each, spread over the demo organizations, categories and regions: each with four
    /// revisions, a few corrected, one in a hundred under embargo and one in a hundred withdrawn.
    /// Checked before anything is loaded.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=crate::usecases::seed::MAX_RELEASES))]
    pub releases: Option<u64>,
    /// Seed for the generator: the same seed writes the same texts.
    #[arg(long, value_name = "SEED", default_value_t = 1)]
    pub seed: u64,
    /// Load into a database that already holds releases other than the demo's. Without it
    /// that is refused, so a real newsroom is never filled with demonstration content by a
    /// mistyped DATABASE_URL.
    #[arg(long)]
    pub into_existing: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write; an existing file is never overwritten.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The new file to write, or - for standard output. An existing file is never overwritten.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Include password hashes, so accounts can sign in on the new instance. Keep such an
    /// archive as safe as the database itself.
    #[arg(long)]
    pub with_secrets: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["files", "archive"])))]
pub struct ImportArgs {
    /// Plain-text wire releases (UTF-8), one release per file. Each becomes a draft for an
    /// editor to review; a file imported before is recognised and not imported twice.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A newsroom archive written by `dateline export`, instead of wire texts. Records the
    /// newsroom already has (same slug, e-mail address or public id) are left as they are.
    #[arg(long, value_name = "IN", conflicts_with_all = ["files", "organization", "publish", "author"])]
    pub archive: Option<PathBuf>,
    /// The issuing organization (its slug) for texts that name none or one the newsroom lacks.
    #[arg(long, value_name = "SLUG")]
    pub organization: Option<String>,
    /// Publish the releases instead of leaving drafts (dated by their dateline when it is
    /// past). Needs an --author who is an editor or admin.
    #[arg(long, requires = "author")]
    pub publish: bool,
    /// The account the releases are written as (its e-mail address); without it they have no
    /// author and the audit log records the command line.
    #[arg(long, value_name = "EMAIL")]
    pub author: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on [env: DATELINE_BIND] [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<String>,
    /// The address readers use, e.g. https://news.example.org [env: DATELINE_PUBLIC_URL].
    /// With https, cookies are marked Secure and HSTS is sent.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Editor,
    Contributor,
}

impl From<RoleArg> for dateline_core::Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => dateline_core::Role::Admin,
            RoleArg::Editor => dateline_core::Role::Editor,
            RoleArg::Contributor => dateline_core::Role::Contributor,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Asks for the password, or reads it from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// The name shown in the newsroom.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from standard input instead of asking on the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Set a new password for an account and end its sessions.
    SetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of asking on the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    Read,
    Write,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an account. The token is printed once, alone on the last line.
    Add {
        #[arg(long)]
        email: String,
        /// A label to recognise the token by, e.g. "wire import".
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        scope: ScopeArg,
        /// Stop the token working after this many days (1 to 3650). Without it the token works
        /// until it is revoked.
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u16).range(1..=3650))]
        expires_in_days: Option<u16>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Delete audit rows from before a date, for a retention policy. Nothing is ever deleted
    /// unless you run this; the prune itself is recorded in the log.
    Prune {
        /// Delete rows from before this day (YYYY-MM-DD, midnight UTC). Today at the latest.
        #[arg(long, value_name = "DATE")]
        before: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Replace the secret key. Every stored two-factor secret is re-encrypted under the new key
    /// in the same transaction, and every session ends. Stop the servers first; start them
    /// again with the new key afterwards.
    Rotate {
        /// Read the new key (64 hexadecimal characters) from standard input instead of
        /// generating one. Needed when the key comes from DATELINE_SECRET_KEY.
        #[arg(long)]
        new_key_stdin: bool,
    },
}

impl Cli {
    pub fn flags(&self) -> FlagConfig {
        let (bind, public_url) = match &self.command {
            Command::Serve(s) => (s.bind.clone(), s.public_url.clone()),
            _ => (None, None),
        };
        FlagConfig {
            config_file: self.global.config.clone(),
            data_dir: self.global.data_dir.clone(),
            database_url: self.global.database_url.clone(),
            log_format: self.global.log_format.map(|f| match f {
                LogFormatArg::Text => "text".into(),
                LogFormatArg::Json => "json".into(),
            }),
            bind,
            public_url,
        }
    }
}
