//! Routes, grouped by area. Handlers are registered only through [`Routes::add`] (all of them in
//! `table.rs`), by the name they have in `dateline_auth::ROUTES`, so each one gets its method,
//! path and permission from that one table. A test checks that the table and the registered handlers match exactly.

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod forms;
pub mod health;
pub mod media_type;
pub mod public;
pub mod statics;
mod table;
pub mod uploads;

pub use table::all;

use actix_web::dev::Handler;
use actix_web::{FromRequest, Responder, Route, guard, web};
use dateline_auth::permissions::{self, Method, RouteDef};

#[derive(Default)]
pub struct Routes {
    entries: Vec<(&'static RouteDef, Route)>,
    unknown: Vec<&'static str>,
}

impl Routes {
    pub fn add<F, Args>(&mut self, name: &'static str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let Some(def) = permissions::route(name) else {
            tracing::error!(
                route = name,
                "a handler names a route missing from the permission table; it is not served"
            );
            self.unknown.push(name);
            return;
        };
        let route = match def.method {
            // HEAD is answered like GET, with the same checks.
            Method::Get => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
            Method::Post => web::post(),
            Method::Put => web::put(),
            Method::Delete => web::delete(),
        };
        self.entries.push((def, route.to(handler)));
    }

    /// (method, path) of every registered handler, and names that matched no table entry.
    pub fn inventory(&self) -> (Vec<(Method, &'static str)>, Vec<&'static str>) {
        (
            self.entries
                .iter()
                .map(|(d, _)| (d.method, d.path))
                .collect(),
            self.unknown.clone(),
        )
    }

    /// Registers one resource per path, in the table's order, so fixed paths such as
    /// `/admin/releases/new` are tried before `/admin/releases/{id}`.
    pub fn register(self, cfg: &mut web::ServiceConfig) {
        let mut entries: Vec<Option<(&'static RouteDef, Route)>> =
            self.entries.into_iter().map(Some).collect();
        let mut seen: Vec<&'static str> = Vec::new();
        for def in permissions::ROUTES {
            if seen.contains(&def.path) {
                continue;
            }
            seen.push(def.path);
            let mut resource = web::resource(def.path);
            let mut any = false;
            for slot in entries.iter_mut() {
                if slot.as_ref().is_some_and(|(d, _)| d.path == def.path)
                    && let Some((_, route)) = slot.take()
                {
                    resource = resource.route(route);
                    any = true;
                }
            }
            if any {
                cfg.service(resource);
            }
        }
    }
}
