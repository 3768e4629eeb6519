//! `GET /api/v1/openapi.json`: the API as an OpenAPI 3.1 document, built from the code. Paths,
//! methods and who may call them come from the route table (`dateline_auth::ROUTES`); the
//! bodies and query parameters are JSON Schemas derived (with schemars) from the very types the
//! handlers read and write. A route without an entry in [`OPERATIONS`] fails the build of the
//! document, and a test checks the document against the router, so it cannot drift.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use dateline_auth::permissions::{Method, Permission, ROUTES, RouteDef};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::dto::{ItemDto, List, PublicReleaseDto, ReleaseDto};
use super::media::MediaDto;
use super::previews::{CreatedLink, LinkBody};
use super::revisions::{RestoreBody, RevisionContentDto, RevisionDto};
use super::search::Results;
use super::taxa::{self, Item};
use super::workflow::{ApproveBody, CommentBody, CorrectionBody, Nothing, ReasonBody};
use crate::search::SearchParams;
use crate::usecases::input::ReleaseInput;

type Make = fn(&mut SchemaGenerator) -> Schema;

/// The fields of an upload, as `routes::uploads` reads them; described, never built.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The file itself; its type is decided from its bytes and must agree with its name.
    #[schemars(extend("format" = "binary"))]
    file: String,
    /// Required for images: what the picture shows, for those who cannot see it.
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    /// The public id of a release the caller may edit.
    release: Option<String>,
    /// The slug of an organization (editors only).
    organization: Option<String>,
}

/// `GET /api/v1/releases/{id}` answers one of two shapes, by who asks; described, never built.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum OneRelease {
    WorkingCopy(ReleaseDto),
    Public(PublicReleaseDto),
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// What the route table does not say about an API route.
struct Operation {
    name: &'static str,
    summary: &'static str,
    query: Option<Make>,
    body: Option<Make>,
    /// The body is a multipart form (an upload) rather than JSON.
    multipart: bool,
    /// The success status and its body (none for 204).
    ok: (u16, Option<Make>),
}

const fn op(name: &'static str, summary: &'static str, ok: (u16, Option<Make>)) -> Operation {
    Operation {
        name,
        summary,
        query: None,
        body: None,
        multipart: false,
        ok,
    }
}

const RELEASE: Option<Make> = Some(schema::<ReleaseDto>);

const OPERATIONS: &[Operation] = &[
    op(
        "api.openapi",
        "This document",
        (200, Some(schema::<serde_json::Map<String, Value>>)),
    ),
    Operation {
        query: Some(schema::<super::releases::ListQuery>),
        ..op(
            "api.releases",
            "List releases, newest first (what the caller may see)",
            (200, Some(schema::<List<ItemDto>>)),
        )
    },
    Operation {
        body: Some(schema::<ReleaseInput>),
        ..op("api.release_create", "Create a draft", (201, RELEASE))
    },
    Operation {
        body: Some(schema::<UploadForm>),
        multipart: true,
        ..op(
            "api.media_create",
            "Upload an image (JPEG, PNG, WebP, GIF) or a PDF, up to 10 MiB and 50 megapixels",
            (201, Some(schema::<MediaDto>)),
        )
    },
    op(
        "api.release",
        "One release: the working copy for those who may see it, else what the page shows",
        (200, Some(schema::<OneRelease>)),
    ),
    Operation {
        body: Some(schema::<ReleaseInput>),
        ..op(
            "api.release_update",
            "Save new content (If-Match: the revision it started from)",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<Nothing>),
        ..op(
            "api.release_submit",
            "Send a draft for review",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<ApproveBody>),
        ..op(
            "api.release_approve",
            "Approve, to publish at the embargo time",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<Nothing>),
        ..op("api.release_publish", "Publish now", (200, RELEASE))
    },
    Operation {
        body: Some(schema::<CommentBody>),
        ..op(
            "api.release_send_back",
            "Send back to the author with a comment",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<ReasonBody>),
        ..op(
            "api.release_withdraw",
            "Withdraw a published release, with a public reason",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<Nothing>),
        ..op(
            "api.release_reinstate",
            "Put a withdrawn release back",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<CorrectionBody>),
        ..op(
            "api.release_correct",
            "Publish a correction, with its public note",
            (200, RELEASE),
        )
    },
    op(
        "api.release_revisions",
        "Every revision of a release",
        (200, Some(schema::<List<RevisionDto>>)),
    ),
    op(
        "api.release_revision",
        "One revision, with its content",
        (200, Some(schema::<RevisionContentDto>)),
    ),
    Operation {
        body: Some(schema::<RestoreBody>),
        ..op(
            "api.release_restore",
            "Put an earlier revision back, as a new revision",
            (200, RELEASE),
        )
    },
    Operation {
        body: Some(schema::<LinkBody>),
        ..op(
            "api.preview_link_create",
            "Create a journalist preview link (its address is shown once)",
            (201, Some(schema::<CreatedLink>)),
        )
    },
    op(
        "api.preview_link_revoke",
        "Revoke a preview link",
        (204, None),
    ),
    Operation {
        query: Some(schema::<SearchParams>),
        ..op(
            "api.search",
            "Full-text search of what the caller may see",
            (200, Some(schema::<Results>)),
        )
    },
    Operation {
        query: Some(schema::<taxa::ListQuery>),
        ..op(
            "api.taxa",
            "List organizations, categories, regions or tags",
            (200, Some(schema::<List<Item>>)),
        )
    },
    Operation {
        body: Some(schema::<taxa::Input>),
        ..op(
            "api.taxon_create",
            "Create an organization, category, region or tag",
            (201, Some(schema::<Item>)),
        )
    },
    op(
        "api.taxon",
        "One organization, category, region or tag, by id or slug",
        (200, Some(schema::<Item>)),
    ),
    Operation {
        body: Some(schema::<taxa::Input>),
        ..op(
            "api.taxon_update",
            "Change one (If-Match: its revision)",
            (200, Some(schema::<Item>)),
        )
    },
    op(
        "api.taxon_delete",
        "Delete one that nothing refers to",
        (204, None),
    ),
];

/// Why the document could not be built: a route the table serves has no description here.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the API route {0} has no entry in routes/api/openapi.rs")]
pub struct Undescribed(pub &'static str);

/// The document for every `/api/v1` route of the route table.
pub fn document() -> Result<Value, Undescribed> {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut g = settings.into_generator();
    let mut paths = Map::new();
    for route in ROUTES.iter().filter(|r| r.path.starts_with("/api/v1/")) {
        let Some(op) = OPERATIONS.iter().find(|o| o.name == route.name) else {
            return Err(Undescribed(route.name));
        };
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(method(route.method).into(), operation(route, op, &mut g));
        }
    }
    let mut schemas = Map::new();
    for (name, s) in g.take_definitions(true) {
        schemas.insert(name, s);
    }
    schemas.insert("Problem".into(), problem());
    Ok(json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Dateline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Press releases: read what is public, and, with a token, draft, review and publish. Errors are RFC 9457 problem+json. See docs/api.md."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer", "description": "An API token from the account page or `dateline token add`." }
            }
        }
    }))
}

fn method(m: Method) -> &'static str {
    match m {
        Method::Get => "get",
        Method::Post => "post",
        Method::Put => "put",
        Method::Delete => "delete",
    }
}

fn operation(route: &RouteDef, op: &Operation, g: &mut SchemaGenerator) -> Value {
    let mut parameters: Vec<Value> = path_parameters(route.path);
    if let Some(query) = op.query {
        parameters.extend(query_parameters(query(g), g));
    }
    let mut out = json!({
        "operationId": route.name.trim_start_matches("api."),
        "summary": op.summary,
        "parameters": parameters,
        "responses": responses(op, g),
    });
    if route.permission == Permission::Public {
        out["security"] = json!([{}, { "token": [] }]);
    } else {
        out["security"] = json!([{ "token": [] }]);
    }
    if let Some(body) = op.body {
        let body_type = if op.multipart {
            "multipart/form-data"
        } else {
            "application/json"
        };
        out["requestBody"] = json!({
            "required": !matches!(route.name, "api.release_submit" | "api.release_publish" | "api.release_reinstate" | "api.preview_link_create" | "api.release_restore"),
            "content": { body_type: { "schema": body(g) } }
        });
    }
    out
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let (schema, about) = match name {
                "kind" => (
                    json!({ "type": "string", "enum": ["organizations", "categories", "regions", "tags"] }),
                    "Which collection",
                ),
                "revision" => (json!({ "type": "integer", "minimum": 1 }), "The revision number"),
                "id" if path.starts_with("/api/v1/preview-links/") => {
                    (json!({ "type": "integer" }), "The preview link's number")
                }
                _ => (json!({ "type": "string" }), "A public id, a number or a slug"),
            };
            json!({ "name": name, "in": "path", "required": true, "description": about, "schema": schema })
        })
        .collect()
}

/// A query struct's properties as query parameters.
fn query_parameters(reference: Schema, g: &mut SchemaGenerator) -> Vec<Value> {
    let resolved = resolve(&reference, g);
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    resolved
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, schema)| {
                    json!({ "name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": schema })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The schema behind a `$ref` to the definitions.
fn resolve(reference: &Schema, g: &SchemaGenerator) -> Value {
    let value = reference.as_value().clone();
    let name = value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"));
    match name.and_then(|n| g.definitions().get(n)) {
        Some(found) => found.clone(),
        None => value,
    }
}

fn responses(op: &Operation, g: &mut SchemaGenerator) -> Value {
    let problem = json!({
        "description": "What was wrong, as problem+json",
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    });
    let mut out = Map::new();
    let (status, body) = op.ok;
    let ok = match body {
        Some(make) => json!({
            "description": "Done",
            "content": { "application/json": { "schema": make(g) } }
        }),
        None => json!({ "description": "Done; no body" }),
    };
    out.insert(status.to_string(), ok);
    out.insert("default".into(), problem);
    Value::Object(out)
}

/// RFC 9457 problem details as the API writes them.
fn problem() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status", "detail", "instance", "request_id"],
        "properties": {
            "type": { "type": "string" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "instance": { "type": "string", "description": "The path that was asked for" },
            "request_id": { "type": "string", "description": "The id the server logged this request under" },
            "errors": {
                "type": "array",
                "description": "For 422: each field that was refused and why",
                "items": {
                    "type": "object",
                    "properties": { "field": { "type": "string" }, "message": { "type": "string" } }
                }
            },
            "current_revision": { "type": "integer", "description": "For 409 and 412: the revision now stored" }
        }
    })
}

/// The handler. The document is the same for the life of the process, so it is built once.
pub async fn openapi() -> HttpResponse {
    static DOCUMENT: OnceLock<Result<Value, Undescribed>> = OnceLock::new();
    match DOCUMENT.get_or_init(document) {
        Ok(doc) => HttpResponse::Ok()
            .content_type("application/json")
            .json(doc),
        Err(e) => {
            tracing::error!(error = %e, "cannot describe the API");
            HttpResponse::InternalServerError().finish()
        }
    }
}
