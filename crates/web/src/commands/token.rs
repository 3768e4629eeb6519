//! `dateline token add`: prints the new token alone on the last line, for scripts.

use anyhow::bail;
use dateline_auth::tokens::Scope;
use dateline_storage::repo::users;

use crate::cli::{ScopeArg, TokenCommand};
use crate::config::Config;
use crate::usecases::Caller;
use crate::usecases::tokens::{Request, issue};

pub fn run(config: &Config, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Add {
        email,
        name,
        scope,
        expires_in_days,
    } = command;
    let scope = match scope {
        ScopeArg::Read => Scope::Read,
        ScopeArg::Write => Scope::Write,
    };
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    let Some(user) = users::find_by_email(&mut conn, &email)? else {
        bail!("no account for {email}");
    };
    let request = Request {
        name: &name,
        scope,
        days: expires_in_days,
    };
    let issued = issue(
        &mut conn,
        &Caller::system("cli"),
        &user,
        &request,
        chrono::Utc::now(),
    )?;
    let token = issued.token;
    let until = token.expires_at.map_or_else(
        || "until it is revoked".to_owned(),
        |t| format!("until {}", t.format("%Y-%m-%d %H:%M UTC")),
    );
    eprintln!(
        "Created {} token {:?} for {}, working {until}. It is shown only once:",
        token.scope, token.name, user.email
    );
    println!("{}", issued.secret);
    Ok(())
}
