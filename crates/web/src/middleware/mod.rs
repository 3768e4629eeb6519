//! Request plumbing, outermost first: metrics, request ids and logs, security headers, error
//! rendering, compression, limits on headers and bodies, the page cache, path normalization, the
//! readiness gate, identity, authorization and the cross-origin check. `app::build` wires them in
//! that order.

pub mod authorize;
pub mod client_ip;
pub mod errors;
pub mod headers;
pub mod identity;
pub mod limits;
pub mod metrics;
pub mod origin;
pub mod page_cache;
pub mod paths;
pub mod ready;
pub mod request_id;
