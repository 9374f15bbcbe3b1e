//! The checked-in OpenAPI document must match what the code generates.
//! Regenerate with `UPDATE_OPENAPI=1 cargo test --test openapi_drift`.

#[test]
fn openapi_document_is_up_to_date() {
    let generated = parc::web::native::openapi().to_pretty_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "openapi/openapi.json is stale; run `UPDATE_OPENAPI=1 cargo test --test openapi_drift`"
    );
}

/// Routes outside `/api/v1` are documented too, and error answers are shared components.
#[test]
fn openapi_documents_health_cas_and_shared_errors() {
    let doc = serde_json::to_value(parc::web::native::openapi()).unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/ready", "get"),
        ("/auth/cas/login", "get"),
        ("/auth/cas/callback", "get"),
        ("/auth/cas/callback", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }
    let me = &doc["paths"]["/api/v1/me"]["get"]["responses"]["401"]["$ref"];
    assert_eq!(me, "#/components/responses/Unauthorized");
    assert!(doc["components"]["responses"]["Unauthorized"]["content"]["application/json"].is_object());
}
