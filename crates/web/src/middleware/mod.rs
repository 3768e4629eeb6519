//! Request plumbing, outermost first: the page cache's early answer for kept pages (which does
//! itself what the layers below would add to them), path normalization, metrics, request ids
//! and logs, security headers, closing connections whose body went unread, error rendering,
//! compression, limits on headers and bodies, the page cache, ambiguous-path refusal, the
//! readiness gate, identity, authorization and the cross-origin check. `app::build` wires them
//! in that order.

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
