//! `dateline user add | list | set-password`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use dateline_auth::password;
use dateline_core::Role;
use dateline_core::user::{is_plausible_email, normalize_email};
use dateline_storage::repo::audit::{Actor, AuditAction, Entry};
use dateline_storage::repo::{sessions, users};
use dateline_storage::write_tx;

use crate::cli::UserCommand;
use crate::config::Config;

pub fn run(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
        } => add(config, &email, &name, role.into(), password_stdin),
        UserCommand::List => list(config),
        UserCommand::SetPassword {
            email,
            password_stdin,
        } => set_password(config, &email, password_stdin),
    }
}

/// Reads a password from standard input (one line) or, on a terminal, asks twice without echo.
pub fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal: pass --password-stdin to read the password from it"
        );
    }
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let second =
        rpassword::prompt_password("Repeat the password: ").context("cannot read the password")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn check_password(config: &Config, password: &str, email: &str, name: &str) -> anyhow::Result<()> {
    config
        .password_policy()
        .check(password, &[email, name])
        .map_err(|p| anyhow::anyhow!("password refused: {p}"))
}

fn add(
    config: &Config,
    email: &str,
    name: &str,
    role: Role,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let email = normalize_email(email);
    if !is_plausible_email(&email) {
        bail!("{email:?} does not look like an email address");
    }
    if name.trim().is_empty() || name.chars().count() > 100 {
        bail!("give a display name of 1 to 100 characters with --name");
    }
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    if users::find_by_email(&mut conn, &email)?.is_some() {
        bail!(
            "an account for {email} already exists; use `dateline user set-password` to change its password"
        );
    }
    let pw = read_password(password_stdin)?;
    check_password(config, &pw, &email, name)?;
    let hash = password::hash(&pw)?;
    let user = write_tx(&mut conn, |conn| {
        let user = users::create(
            conn,
            &users::NewUser {
                email: email.clone(),
                display_name: name.trim().to_owned(),
                role,
                password_hash: hash,
            },
        )?;
        Entry::new(
            &Actor::system("cli"),
            AuditAction::UserCreate,
            "user",
            user.id,
            chrono::Utc::now(),
        )
        .detail(format!("{} as {}", user.email, user.role))
        .record(conn)?;
        Ok::<_, dateline_storage::StorageError>(user)
    })?;
    println!(
        "Created {} ({}) as {}.",
        user.display_name, user.email, user.role
    );
    Ok(())
}

fn list(config: &Config) -> anyhow::Result<()> {
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    let all = users::all(&mut conn)?;
    if all.is_empty() {
        println!(
            "No accounts yet. Create one with `dateline user add`, or open the setup link `dateline serve` prints."
        );
        return Ok(());
    }
    let width = all.iter().map(|u| u.email.len()).max().unwrap_or(5).max(5);
    println!("{:<width$}  {:<11}  {:<8}  NAME", "EMAIL", "ROLE", "STATUS");
    for u in all {
        println!(
            "{:<width$}  {:<11}  {:<8}  {}",
            u.email,
            u.role.as_str(),
            if u.disabled { "disabled" } else { "active" },
            u.display_name
        );
    }
    Ok(())
}

fn set_password(config: &Config, email: &str, password_stdin: bool) -> anyhow::Result<()> {
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    let Some(user) = users::find_by_email(&mut conn, email)? else {
        bail!("no account for {}", normalize_email(email));
    };
    let pw = read_password(password_stdin)?;
    check_password(config, &pw, &user.email, &user.display_name)?;
    let hash = password::hash(&pw)?;
    let ended = write_tx(&mut conn, |conn| {
        users::set_password_hash(conn, user.id, &hash)?;
        let ended = sessions::delete_for_user(conn, user.id, None)?;
        Entry::new(
            &Actor::system("cli"),
            AuditAction::PasswordChange,
            "user",
            user.id,
            chrono::Utc::now(),
        )
        .detail(format!(
            "set from the command line; {ended} session(s) ended"
        ))
        .record(conn)?;
        Ok::<_, dateline_storage::StorageError>(ended)
    })?;
    println!(
        "Password changed for {}; {ended} session(s) ended.",
        user.email
    );
    Ok(())
}
