//! `dateline token add`: prints the new token alone on the last line, for scripts.

use anyhow::bail;
use dateline_auth::tokens::{Scope, new_api_token};
use dateline_storage::repo::audit::{Actor, AuditAction, Entry};
use dateline_storage::repo::{tokens, users};
use dateline_storage::write_tx;

use crate::cli::{ScopeArg, TokenCommand};
use crate::config::Config;

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
    if name.trim().is_empty() || name.chars().count() > 100 {
        bail!("give the token a name of 1 to 100 characters with --name");
    }
    let pool = super::open(config)?;
    let mut conn = pool.get()?;
    let Some(user) = users::find_by_email(&mut conn, &email)? else {
        bail!("no account for {email}");
    };
    if user.disabled {
        bail!(
            "{} is disabled; enable the account before giving it a token",
            user.email
        );
    }
    let new = new_api_token();
    let now = chrono::Utc::now();
    let expires_at = expires_in_days.map(|d| now + chrono::Duration::days(i64::from(d)));
    let token = write_tx(&mut conn, |conn| {
        let token = tokens::create_api_token(
            conn,
            &tokens::NewApiToken {
                user_id: user.id,
                name: &name,
                scope: scope.as_str(),
                hash: &new.hash,
                prefix: &new.prefix,
                expires_at,
            },
            now,
        )?;
        Entry::new(
            &Actor::system("cli"),
            AuditAction::TokenCreate,
            "api_token",
            token.id,
            now,
        )
        .detail(match token.expires_at {
            Some(end) => format!(
                "{} ({}) for {} until {}",
                token.name,
                token.scope,
                user.email,
                end.to_rfc3339()
            ),
            None => format!(
                "{} ({}) for {} until revoked",
                token.name, token.scope, user.email
            ),
        })
        .record(conn)?;
        Ok::<_, dateline_storage::StorageError>(token)
    })?;
    let until = token.expires_at.map_or_else(
        || "until it is revoked".to_owned(),
        |t| format!("until {}", t.format("%Y-%m-%d %H:%M UTC")),
    );
    eprintln!(
        "Created {} token {:?} for {}, working {until}. It is shown only once:",
        token.scope, token.name, user.email
    );
    println!("{}", new.secret);
    Ok(())
}
