//! `dateline user add | list | set-password`.

use std::io::IsTerminal;

use anyhow::{Context, bail};
use dateline_core::Role;
use dateline_core::user::normalize_email;
use dateline_storage::repo::users;

use crate::cli::UserCommand;
use crate::config::Config;
use crate::usecases::Caller;
use crate::usecases::users::{self as accounts, Origin, Typed};

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
        let line = super::stdin_line("the password")?;
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

fn add(
    config: &Config,
    email: &str,
    name: &str,
    role: Role,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let email = normalize_email(email);
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    // Refused before the password is asked for; checked again as the account is written.
    accounts::ensure_email_free(&mut conn, &email)?;
    let pw = read_password(password_stdin)?;
    let typed = Typed {
        email: &email,
        name,
        password: &pw,
        confirm: &pw,
    };
    let user = accounts::register_blocking(
        &mut conn,
        &Caller::system("cli"),
        config.password_policy(),
        typed,
        Origin::Chosen(role),
        chrono::Utc::now(),
    )?;
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
    let ended = accounts::set_password_blocking(
        &mut conn,
        &Caller::system("cli"),
        config.password_policy(),
        &user,
        &pw,
        chrono::Utc::now(),
    )?;
    println!(
        "Password changed for {}; {ended} session(s) ended.",
        user.email
    );
    Ok(())
}
