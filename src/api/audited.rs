//! The audit operation each route declares beside its method and path: the `x-audit`
//! extension of its `#[utoipa::path]`. Read from the assembled document once, when the router
//! is built, and taken out of it: the published document stays about the API, and the audit
//! layer gets one table that cannot disagree with the routes.

use utoipa::openapi::OpenApi;

use crate::domain::audit::operations::{Operation, Operations};

/// The extension that carries a route's audit operation.
const EXTENSION: &str = "x-audit";

/// Takes every route's declaration out of `spec` and returns them as a table. A declaration
/// that does not parse is a bug in a route attribute: it stops the build of the router, which
/// every test does.
pub fn take(spec: &mut OpenApi) -> Operations {
    let mut operations = Operations::default();
    for (route, item) in spec.paths.paths.iter_mut() {
        for (method, operation) in [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ] {
            let Some(operation) = operation else {
                continue;
            };
            let Some(extensions) = operation.extensions.as_mut() else {
                continue;
            };
            let Some(declaration) = extensions.remove(EXTENSION) else {
                continue;
            };
            if extensions.is_empty() {
                operation.extensions = None;
            }
            match Operation::from_declaration(&declaration) {
                Ok(audited) => operations.insert(method, route, audited),
                Err(problem) => panic!("{method} {route}: {EXTENSION}: {problem}"),
            }
        }
    }
    operations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_api_declares_exactly_one_operation_and_the_document_keeps_none() {
        let mut spec = crate::api::routes().split_for_parts().1;
        let operations = take(&mut spec);
        let mut seen = 0;
        for (route, item) in spec.paths.paths.iter() {
            if !route.starts_with("/v1/") {
                continue;
            }
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                let Some(operation) = operation else {
                    continue;
                };
                seen += 1;
                assert!(
                    operations.lookup(method, route).is_some(),
                    "declare the audit operation of `{method} {route}` (x-audit)"
                );
                assert!(operation.extensions.is_none(), "{method} {route}");
            }
        }
        assert_eq!(
            seen,
            operations.len(),
            "an operation names a route the API lacks"
        );
        let create = operations.lookup("POST", "/v1/proxy-users").unwrap();
        assert_eq!(create.name, "proxy_users.create");
    }
}
