//! The newsroom: the dashboard, releases, organizations and taxonomies, people, settings,
//! webhooks and the audit log.

pub mod audit;
pub mod dashboard;
pub mod media;
pub mod organization_logo;
pub mod organizations;
pub mod releases;
pub mod settings;
pub mod taxonomy;
pub mod users;
pub mod webhooks;
