//! What an audited request is about, by its route template: the operation's name, the resource
//! type, where the provider account and the resource ids are found. One table, so that a new
//! route is one line here (a test fails for a write route without its line).

use serde_json::Value;

/// Where an operation's provider account is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountFrom {
    /// Nowhere (gateway-only operations such as API keys).
    None,
    /// The JSON body's `account`.
    Body,
    /// The path's `{id}`, an `<account>:<upstream id>` proxy-user id.
    PathIdPrefix,
    /// The path's `{name}`.
    PathName,
    /// The query's `account`, when exactly one is given.
    Query,
}

/// Where an operation's resource ids are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdsFrom {
    /// Nowhere (lists).
    None,
    /// The path's `{id}`.
    PathId,
    /// The success response body's `id` (a created resource).
    ResponseId,
    /// The success response body's `data[].id` (a created batch).
    ResponseDataIds,
}

/// One audited operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// HTTP method.
    pub method: &'static str,
    /// Route template as the router matches it.
    pub route: &'static str,
    /// `resource.verb`.
    pub name: &'static str,
    /// The resource type.
    pub resource_type: Option<&'static str>,
    /// Where the account is.
    pub account: AccountFrom,
    /// Where the ids are.
    pub ids: IdsFrom,
}

const fn op(
    method: &'static str,
    route: &'static str,
    name: &'static str,
    resource_type: Option<&'static str>,
    account: AccountFrom,
    ids: IdsFrom,
) -> Operation {
    Operation {
        method,
        route,
        name,
        resource_type,
        account,
        ids,
    }
}

const API_KEY: Option<&str> = Some("api_key");
const PROXY_USER: Option<&str> = Some("proxy_user");
const AUDIT_EVENT: Option<&str> = Some("audit_event");

/// Every route of the API with its operation.
#[rustfmt::skip]
pub const OPERATIONS: &[Operation] = &[
    op("GET", "/v1/api-keys", "api_keys.list", API_KEY, AccountFrom::None, IdsFrom::None),
    op("POST", "/v1/api-keys", "api_keys.create", API_KEY, AccountFrom::None, IdsFrom::ResponseId),
    op("GET", "/v1/api-keys/{id}", "api_keys.get", API_KEY, AccountFrom::None, IdsFrom::PathId),
    op("DELETE", "/v1/api-keys/{id}", "api_keys.revoke", API_KEY, AccountFrom::None, IdsFrom::PathId),
    op("GET", "/v1/providers", "providers.list", None, AccountFrom::None, IdsFrom::None),
    op("GET", "/v1/providers/{name}/health", "providers.health", None, AccountFrom::PathName, IdsFrom::None),
    op("GET", "/v1/proxy-users", "proxy_users.list", PROXY_USER, AccountFrom::Query, IdsFrom::None),
    op("POST", "/v1/proxy-users", "proxy_users.create", PROXY_USER, AccountFrom::Body, IdsFrom::ResponseId),
    op("POST", "/v1/proxy-users/batch", "proxy_users.create_batch", PROXY_USER, AccountFrom::Body, IdsFrom::ResponseDataIds),
    op("GET", "/v1/proxy-users/{id}", "proxy_users.get", PROXY_USER, AccountFrom::PathIdPrefix, IdsFrom::PathId),
    op("PATCH", "/v1/proxy-users/{id}", "proxy_users.update", PROXY_USER, AccountFrom::PathIdPrefix, IdsFrom::PathId),
    op("DELETE", "/v1/proxy-users/{id}", "proxy_users.delete", PROXY_USER, AccountFrom::PathIdPrefix, IdsFrom::PathId),
    op("POST", "/v1/proxy-users/{id}/rotate-password", "proxy_users.rotate_password", PROXY_USER, AccountFrom::PathIdPrefix, IdsFrom::PathId),
    op("GET", "/v1/usage", "usage.get", None, AccountFrom::Query, IdsFrom::None),
    op("GET", "/v1/account", "account.get", None, AccountFrom::Query, IdsFrom::None),
    op("GET", "/v1/packages", "packages.list", None, AccountFrom::Query, IdsFrom::None),
    op("GET", "/v1/packages/summary", "packages.summary", None, AccountFrom::Query, IdsFrom::None),
    op("GET", "/v1/audit-events", "audit_events.list", AUDIT_EVENT, AccountFrom::None, IdsFrom::None),
    op("GET", "/v1/audit-events/verify", "audit_events.verify", AUDIT_EVENT, AccountFrom::None, IdsFrom::None),
    op("GET", "/v1/audit-events/{id}", "audit_events.get", AUDIT_EVENT, AccountFrom::None, IdsFrom::PathId),
];

/// The operation of a route, if the table knows it.
pub fn lookup(method: &str, route: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.method == method && op.route == route)
}

/// The name recorded for a route the table does not know (still audited, never silently
/// skipped): `METHOD route`.
pub fn fallback_name(method: &str, route: &str) -> String {
    format!("{method} {route}")
}

impl Operation {
    /// The provider account this request names, from the place the table says.
    pub fn account(
        &self,
        path: &[(String, String)],
        body: Option<&Value>,
        query: Option<&str>,
    ) -> Option<String> {
        let param = |name: &str| {
            path.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        match self.account {
            AccountFrom::None => None,
            AccountFrom::Body => body
                .and_then(|b| b.get("account"))
                .and_then(Value::as_str)
                .map(str::to_string),
            AccountFrom::PathIdPrefix => param("id")
                .and_then(|id| id.split_once(':').map(|(account, _)| account.to_string())),
            AccountFrom::PathName => param("name"),
            AccountFrom::Query => {
                let accounts: Vec<String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
                    .filter(|(name, _)| name == "account")
                    .map(|(_, value)| value.into_owned())
                    .collect();
                match accounts.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                }
            }
        }
    }

    /// The resource ids known before the handler runs.
    pub fn request_ids(&self, path: &[(String, String)]) -> Vec<String> {
        match self.ids {
            IdsFrom::PathId => path
                .iter()
                .filter(|(key, _)| key == "id")
                .map(|(_, value)| value.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the ids are in the success response's body.
    pub fn ids_in_response(&self) -> bool {
        matches!(self.ids, IdsFrom::ResponseId | IdsFrom::ResponseDataIds)
    }

    /// The resource ids in a success response's body.
    pub fn response_ids(&self, body: &Value) -> Vec<String> {
        let id = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_string);
        match self.ids {
            IdsFrom::ResponseId => id(body).into_iter().collect(),
            IdsFrom::ResponseDataIds => body
                .get("data")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(id).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_route_of_the_api_has_exactly_one_operation() {
        let spec = crate::api::openapi::spec();
        let mut seen = 0;
        for (template, item) in spec.paths.paths.iter() {
            let route = template.to_string();
            if !route.starts_with("/v1/") {
                continue;
            }
            for (method, present) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ] {
                if present {
                    seen += 1;
                    assert!(
                        lookup(method, &route).is_some(),
                        "add `{method} {route}` to the audit operations table"
                    );
                }
            }
        }
        assert_eq!(
            seen,
            OPERATIONS.len(),
            "the table names a route the API lacks"
        );
    }

    #[test]
    fn the_account_comes_from_the_place_the_table_names() {
        let create = lookup("POST", "/v1/proxy-users").unwrap();
        assert_eq!(
            create.account(&[], Some(&json!({"account": "911proxy"})), None),
            Some("911proxy".into())
        );
        let update = lookup("PATCH", "/v1/proxy-users/{id}").unwrap();
        let id = path(&[("id", "helodata:sub_01")]);
        assert_eq!(update.account(&id, None, None), Some("helodata".into()));
        assert_eq!(update.request_ids(&id), vec!["helodata:sub_01".to_string()]);
        let list = lookup("GET", "/v1/proxy-users").unwrap();
        assert_eq!(list.account(&[], None, Some("account=a")), Some("a".into()));
        assert_eq!(list.account(&[], None, Some("account=a&account=b")), None);
        let revoke = lookup("DELETE", "/v1/api-keys/{id}").unwrap();
        assert_eq!(revoke.account(&path(&[("id", "key_1")]), None, None), None);
    }

    #[test]
    fn created_ids_come_from_the_response() {
        let batch = lookup("POST", "/v1/proxy-users/batch").unwrap();
        assert_eq!(
            batch.response_ids(&json!({"data": [{"id": "a:1"}, {"id": "a:2"}]})),
            vec!["a:1".to_string(), "a:2".to_string()]
        );
        let key = lookup("POST", "/v1/api-keys").unwrap();
        assert_eq!(
            key.response_ids(&json!({"id": "key_1", "token": "pgw_x"})),
            vec!["key_1".to_string()]
        );
        assert!(key.ids_in_response());
        assert!(
            !lookup("DELETE", "/v1/api-keys/{id}")
                .unwrap()
                .ids_in_response()
        );
    }
}
