//! The public newsroom: what readers see without signing in.

pub mod home;
pub mod preview;
pub mod release;

use crate::routes::Routes;

pub fn add(r: &mut Routes) {
    r.add("public.home", home::home);
    r.add("public.release", release::release);
    r.add("public.release_by_id", release::by_id);
    r.add("public.preview_link", preview::open);
}
