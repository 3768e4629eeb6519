//! The public newsroom: what readers see without signing in.

pub mod home;
pub mod listings;
pub mod preview;
pub mod release;
pub mod search;
pub mod sitemaps;

use crate::routes::Routes;

pub fn add(r: &mut Routes) {
    r.add("public.home", home::home);
    r.add("public.release", release::release);
    r.add("public.release_by_id", release::by_id);
    r.add("public.organizations", listings::organizations_index);
    r.add("public.organization", listings::organization_page);
    r.add("public.organization_feed", listings::organization_feed);
    r.add("public.categories", listings::categories_index);
    r.add("public.category", listings::category_page);
    r.add("public.category_feed", listings::category_feed);
    r.add("public.regions", listings::regions_index);
    r.add("public.region", listings::region_page);
    r.add("public.region_feed", listings::region_feed);
    r.add("public.tag", listings::tag_page);
    r.add("public.tag_feed", listings::tag_feed);
    r.add("public.archive", listings::archive_page);
    r.add("public.search", search::search_page);
    r.add("public.feed", listings::site_feed);
    r.add("public.sitemap", sitemaps::index);
    r.add("public.sitemap_page", sitemaps::page);
    r.add("public.news_sitemap", sitemaps::news);
    r.add("public.preview_link", preview::open);
}
