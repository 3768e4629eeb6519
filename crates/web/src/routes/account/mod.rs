//! A person's own account: profile, password, sessions, two-factor sign-in and API tokens.

pub mod profile;
pub mod tokens;
pub mod two_factor;

use crate::routes::Routes;

pub fn add(r: &mut Routes) {
    r.add("account.show", profile::show);
    r.add("account.profile", profile::save_profile);
    r.add("account.password", profile::change_password);
    r.add("account.sessions_revoke", profile::revoke_other_sessions);
    r.add("account.two_factor_form", two_factor::form);
    r.add("account.two_factor_enable", two_factor::enable);
    r.add("account.two_factor_disable", two_factor::disable);
    r.add("account.tokens", tokens::list);
    r.add("account.token_create", tokens::create);
    r.add("account.token_revoke", tokens::revoke);
}
