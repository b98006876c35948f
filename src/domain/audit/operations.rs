//! What an audited request is about: the operation's name, the resource type, where the
//! provider account and the resource ids are found. Each route declares its own operation
//! where it is declared (the `x-audit` extension of its `#[utoipa::path]`, read once when the
//! router is built); [`Operations`] is the table of them the audit layer looks up.

use std::collections::HashMap;

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// `resource.verb`.
    pub name: String,
    /// The resource type.
    pub resource_type: Option<String>,
    /// Where the account is.
    pub account: AccountFrom,
    /// Where the ids are.
    pub ids: IdsFrom,
}

/// Every audited route's operation, by route template and method. Looked up on every audited
/// request, so a lookup borrows the template and allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct Operations {
    by_route: HashMap<String, Vec<(String, Operation)>>,
}

impl Operations {
    /// Adds the operation of `method route`, replacing one declared before for the same pair.
    pub fn insert(&mut self, method: &str, route: &str, operation: Operation) {
        let methods = self.by_route.entry(route.to_string()).or_default();
        methods.retain(|(m, _)| m != method);
        methods.push((method.to_string(), operation));
    }

    /// The operation of a route, if it declared one.
    pub fn lookup(&self, method: &str, route: &str) -> Option<&Operation> {
        self.by_route
            .get(route)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, operation)| operation)
    }

    /// How many (method, route) pairs declared an operation.
    pub fn len(&self) -> usize {
        self.by_route.values().map(Vec::len).sum()
    }

    /// Whether no route declared one.
    pub fn is_empty(&self) -> bool {
        self.by_route.is_empty()
    }
}

/// The name recorded for a route that declares no operation (still audited, never silently
/// skipped): `METHOD route`.
pub fn fallback_name(method: &str, route: &str) -> String {
    format!("{method} {route}")
}

impl Operation {
    /// Reads a route's declaration: `{"operation": "proxy_users.create", "resource":
    /// "proxy_user", "account": "body", "ids": "response_id"}`; `resource`, `account` (`none`,
    /// `body`, `path_id_prefix`, `path_name`, `query`) and `ids` (`none`, `path_id`,
    /// `response_id`, `response_data_ids`) may be left out.
    pub fn from_declaration(value: &Value) -> Result<Operation, String> {
        let text = |key: &str| value.get(key).and_then(Value::as_str);
        let name = text("operation")
            .filter(|name| !name.is_empty())
            .ok_or("the declaration lacks its `operation` name")?;
        let account = match text("account").unwrap_or("none") {
            "none" => AccountFrom::None,
            "body" => AccountFrom::Body,
            "path_id_prefix" => AccountFrom::PathIdPrefix,
            "path_name" => AccountFrom::PathName,
            "query" => AccountFrom::Query,
            other => return Err(format!("{name}: unknown account place `{other}`")),
        };
        let ids = match text("ids").unwrap_or("none") {
            "none" => IdsFrom::None,
            "path_id" => IdsFrom::PathId,
            "response_id" => IdsFrom::ResponseId,
            "response_data_ids" => IdsFrom::ResponseDataIds,
            other => return Err(format!("{name}: unknown ids place `{other}`")),
        };
        Ok(Operation {
            name: name.to_string(),
            resource_type: text("resource").map(str::to_string),
            account,
            ids,
        })
    }

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

    fn op(value: Value) -> Operation {
        Operation::from_declaration(&value).unwrap()
    }

    #[test]
    fn a_declaration_names_the_operation_and_where_its_account_and_ids_are() {
        let create = op(
            json!({"operation": "proxy_users.create", "resource": "proxy_user",
            "account": "body", "ids": "response_id"}),
        );
        assert_eq!(create.name, "proxy_users.create");
        assert_eq!(create.resource_type.as_deref(), Some("proxy_user"));
        assert_eq!(
            (create.account, create.ids),
            (AccountFrom::Body, IdsFrom::ResponseId)
        );
        let list = op(json!({"operation": "providers.list"}));
        assert_eq!(
            (list.account, list.ids, list.resource_type),
            (AccountFrom::None, IdsFrom::None, None)
        );
        for bad in [
            json!({}),
            json!({"operation": "x", "account": "header"}),
            json!({"operation": "x", "ids": "all"}),
        ] {
            assert!(Operation::from_declaration(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn operations_are_found_by_method_and_route_only() {
        let mut table = Operations::default();
        table.insert("GET", "/v1/x/{id}", op(json!({"operation": "x.get"})));
        table.insert("DELETE", "/v1/x/{id}", op(json!({"operation": "x.delete"})));
        table.insert("DELETE", "/v1/x/{id}", op(json!({"operation": "x.remove"})));
        assert_eq!(table.lookup("GET", "/v1/x/{id}").unwrap().name, "x.get");
        assert_eq!(
            table.lookup("DELETE", "/v1/x/{id}").unwrap().name,
            "x.remove"
        );
        assert!(table.lookup("PATCH", "/v1/x/{id}").is_none());
        assert!(table.lookup("GET", "/v1/y").is_none());
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn the_account_comes_from_the_place_the_declaration_names() {
        let create = op(json!({"operation": "c", "account": "body"}));
        assert_eq!(
            create.account(&[], Some(&json!({"account": "911proxy"})), None),
            Some("911proxy".into())
        );
        let update = op(json!({"operation": "u", "account": "path_id_prefix", "ids": "path_id"}));
        let id = path(&[("id", "helodata:sub_01")]);
        assert_eq!(update.account(&id, None, None), Some("helodata".into()));
        assert_eq!(update.request_ids(&id), vec!["helodata:sub_01".to_string()]);
        let list = op(json!({"operation": "l", "account": "query"}));
        assert_eq!(list.account(&[], None, Some("account=a")), Some("a".into()));
        assert_eq!(list.account(&[], None, Some("account=a&account=b")), None);
        let revoke = op(json!({"operation": "r", "ids": "path_id"}));
        assert_eq!(revoke.account(&path(&[("id", "key_1")]), None, None), None);
    }

    #[test]
    fn created_ids_come_from_the_response() {
        let batch = op(json!({"operation": "b", "ids": "response_data_ids"}));
        assert_eq!(
            batch.response_ids(&json!({"data": [{"id": "a:1"}, {"id": "a:2"}]})),
            vec!["a:1".to_string(), "a:2".to_string()]
        );
        let key = op(json!({"operation": "k", "ids": "response_id"}));
        assert_eq!(
            key.response_ids(&json!({"id": "key_1", "token": "pgw_x"})),
            vec!["key_1".to_string()]
        );
        assert!(key.ids_in_response());
        assert!(!op(json!({"operation": "r", "ids": "path_id"})).ids_in_response());
    }
}
