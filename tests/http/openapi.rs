//! `GET /api/v1/openapi.json`: a valid OpenAPI 3.1 document that describes every API route the
//! router serves, with every schema it refers to.

use std::collections::BTreeSet;

use dateline_auth::permissions::Method;
use serde_json::Value;

use crate::http_tests;

fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.insert(r.clone());
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

http_tests! {
    async fn the_api_describes_itself(app) {
        let res = app.client().get("/api/v1/openapi.json").await;
        res.assert_status(200);
        let doc: Value = serde_json::from_str(&res.body).unwrap();
        let parsed = oas3::from_json(&res.body).expect("a valid OpenAPI 3.1 document");
        assert!(parsed.openapi.starts_with("3.1"), "{}", parsed.openapi);

        let (served, _) = dateline_web::routes::all().inventory();
        let api: Vec<(Method, &str)> = served.into_iter().filter(|(_, p)| p.starts_with("/api/v1/")).collect();
        assert!(api.len() > 20);
        for (method, path) in api {
            let op = &doc["paths"][path][method.as_str().to_lowercase()];
            assert!(op.is_object(), "{} {path} is not in the document", method.as_str());
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{path}");
            assert!(op["responses"].is_object(), "{path}");
        }

        let mut found = BTreeSet::new();
        refs(&doc, &mut found);
        assert!(found.contains("#/components/schemas/ReleaseDto"), "{found:?}");
        for r in found {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r} points outside the components"));
            assert!(doc["components"]["schemas"][name].is_object(), "{r} points nowhere");
        }
        let create = &doc["paths"]["/api/v1/releases"]["post"];
        assert_eq!(create["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ReleaseInput");
        assert_eq!(create["security"], serde_json::json!([{ "token": [] }]));
    }
}
