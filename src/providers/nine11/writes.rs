//! Writes on 911Proxy that take several calls: creating users (grouped `account/add` calls,
//! then one `change-limit` per user; not read back) and patching one (one documented endpoint
//! per field). A step that fails after others took effect answers `PartiallyApplied`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::OLD_PASSWORD_GRACE;
use super::snapshot::Snapshot;
use super::validate::{self, ValidNewUser, ValidPatch};
use super::wire::{self, AccountNames, AddAccounts, ChangeLimit, ChangePassword, ChangeRemark};
use super::{Nine11Adapter, map, registration};
use crate::domain::draws::Draws;
use crate::domain::idempotency::WriteContext;
use crate::domain::proxy_users::{
    CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserId, ProxyUserPatch, ProxyUserStatus,
    RotatedPassword,
};
use crate::providers::{ProviderError, UpstreamFailure};

/// A user about to be added, with the username and password it will have.
pub(super) struct Planned {
    pub(super) username: String,
    pub(super) password: SecretString,
    pub(super) valid: ValidNewUser,
}

/// A step of a multi-call change failed: the plain cause when nothing was applied yet,
/// `PartiallyApplied` otherwise.
pub(super) fn step_failed(
    applied: &[&'static str],
    failed: &'static str,
    cause: UpstreamFailure,
) -> ProviderError {
    if applied.is_empty() {
        cause.into()
    } else {
        ProviderError::PartiallyApplied {
            applied: applied.to_vec(),
            failed,
            created: Vec::new(),
            cause: Box::new(cause.into()),
        }
    }
}

/// `err` naming the proxy users created before it (when it is a partial failure).
pub(super) fn with_created(err: ProviderError, ids: Vec<String>) -> ProviderError {
    match err {
        ProviderError::PartiallyApplied {
            applied,
            failed,
            cause,
            ..
        } => ProviderError::PartiallyApplied {
            applied,
            failed,
            created: ids,
            cause,
        },
        other => other,
    }
}

/// A created user as the gateway sent it: 911's add answers nothing, so 911's own record
/// (`created_at`, `provider_data`) is known only from the next read.
pub(super) fn assumed_user(account: &str, plan: &Planned) -> ProxyUser {
    ProxyUser {
        id: ProxyUserId::new(account, plan.username.clone()),
        provider: registration::KIND,
        username: plan.username.clone(),
        label: Some(plan.valid.remark.clone()).filter(|r| !r.is_empty()),
        products: vec![map::product_of_type(plan.valid.product_type)],
        status: ProxyUserStatus::Enabled,
        traffic_limit_bytes: map::limit_gb_to_bytes(plan.valid.limit_gb),
        traffic_used_bytes: Some(0),
        concurrency_max: None,
        rps_max: None,
        created_at: None,
        password: Some(plan.password.clone()),
        // 911's add answers no object: an empty one, as the API's shape says an object.
        provider_data: Value::Object(serde_json::Map::new()).into(),
    }
}

/// `user` with a patch applied locally (used only if the re-read after a change fails).
pub(super) fn patched(mut user: ProxyUser, patch: &ValidPatch) -> ProxyUser {
    if let Some(password) = &patch.password {
        user.password = Some(password.clone());
    }
    if let Some(remark) = &patch.remark {
        user.label = Some(remark.clone()).filter(|r| !r.is_empty());
    }
    if let Some(gb) = patch.limit_gb {
        user.traffic_limit_bytes = map::limit_gb_to_bytes(gb);
    }
    if let Some(status) = patch.status {
        user.status = status;
    }
    user
}

impl Nine11Adapter {
    /// change-password with the given (validated) or a generated password; the user after,
    /// with the old password's grace (`OLD_PASSWORD_GRACE`).
    pub(super) async fn rotate(
        &self,
        upstream_id: &str,
        new_password: Option<&SecretString>,
    ) -> Result<RotatedPassword, ProviderError> {
        let password = match new_password {
            Some(given) => {
                validate::password("password", given)?;
                given.clone()
            }
            None => validate::generate_password(&mut Draws::fresh()),
        };
        let current = self.find(upstream_id).await?;
        let secret = password.expose_secret();
        let body = ChangePassword {
            account: &current.username,
            password: secret,
        };
        let mut written = self.snapshots.invalidation();
        self.client
            .post(wire::ACCOUNT_CHANGE_PASSWORD, &body, &[secret])
            .await?;
        written.now();
        let old_password_valid_until = Some(time::OffsetDateTime::now_utc() + OLD_PASSWORD_GRACE);
        let user = match self.find(upstream_id).await {
            Ok(user) => user,
            Err(err) => {
                tracing::warn!(account = %self.settings.account, error = %err, "re-reading a 911 proxy user after rotation failed");
                let patch = ValidPatch {
                    password: Some(password.clone()),
                    ..ValidPatch::default()
                };
                patched(current, &patch)
            }
        };
        Ok(RotatedPassword {
            user,
            password,
            old_password_valid_until,
        })
    }

    /// Refuses a username the account holds (409 naming the field; `asked` pairs each name with
    /// its position in the request). Names are checked against
    /// the latest snapshot (any younger than the TTL) plus the names this process added since
    /// it was read; a name it holds is confirmed with one fresh read (it may have been deleted
    /// since). A name created meanwhile elsewhere is refused by 911's own add. Answers the
    /// snapshot checked against.
    async fn check_names(
        &self,
        asked: &[(usize, &str)],
        batch: bool,
        began: Instant,
    ) -> Result<Arc<Snapshot>, ProviderError> {
        let mut snapshot = self
            .snapshots
            .any_recent(|previous| self.read_users(previous))
            .await?;
        let taken = |snapshot: &Snapshot, name: &str| {
            snapshot.users.contains_key(name)
                || self.snapshots.added_since(name, snapshot.started())
        };
        if asked.iter().any(|(_, name)| taken(&snapshot, name)) {
            snapshot = self.confirmed(snapshot, began).await?;
        }
        if let Some((i, name)) = asked.iter().find(|(_, name)| taken(&snapshot, name)) {
            let field = if batch {
                format!("users[{i}].username")
            } else {
                "username".to_string()
            };
            return Err(ProviderError::Conflict {
                field: Some(field),
                message: format!("a 911Proxy proxy user named {name} already exists"),
            });
        }
        Ok(snapshot)
    }

    /// Adds the users (one `account/add` per product and remark, comma-separated), then sets
    /// each traffic limit; answers what was sent (see below); a failing step names what was
    /// created before it.
    pub(super) async fn create_users(
        &self,
        users: &[NewProxyUser],
    ) -> Result<Vec<CreatedProxyUser>, ProviderError> {
        let began = Instant::now();
        // Taken before validation, so a request refused below forgets its drawn names too.
        let drawn: Vec<bool> = users
            .iter()
            .map(|u| {
                u.username
                    .as_deref()
                    .is_some_and(|n| self.snapshots.take_drawn(n))
            })
            .collect();
        let valid = validate::new_users(users)?;
        let batch = valid.len() > 1;
        // The caller's names are checked; names this process drew are only kept clear of
        // whatever list is at hand (`Snapshots::note_drawn`), so a create of drawn or
        // generated names waits for no re-read and costs the same at any account size.
        let asked: Vec<(usize, &str)> = valid
            .iter()
            .enumerate()
            .filter_map(|(i, u)| Some((i, u.username.as_deref()?)))
            .filter(|(i, _)| !drawn.get(*i).copied().unwrap_or(false))
            .collect();
        let snapshot = if asked.is_empty() {
            self.snapshots.at_hand()
        } else {
            Some(self.check_names(&asked, batch, began).await?)
        };
        let no_users = BTreeMap::new();
        let existing = snapshot.as_ref().map_or(&no_users, |s| &s.users);
        // The names of this batch; `existing` holds the account's.
        let mut batch_names: BTreeSet<String> =
            valid.iter().filter_map(|u| u.username.clone()).collect();
        // Only what a keyed write did not plan ahead (`prepare_new_users`) is drawn here.
        let mut draws = Draws::fresh();
        let plans: Vec<Planned> = valid
            .into_iter()
            .map(|valid| {
                let username = valid.username.clone().unwrap_or_else(|| {
                    loop {
                        let candidate = validate::generate_username(&mut draws);
                        if !existing.contains_key(&candidate)
                            && batch_names.insert(candidate.clone())
                        {
                            break candidate;
                        }
                    }
                });
                let password = valid
                    .password
                    .clone()
                    .unwrap_or_else(|| validate::generate_password(&mut draws));
                Planned {
                    username,
                    password,
                    valid,
                }
            })
            .collect();

        let mut groups: Vec<((i64, &str), Vec<&Planned>)> = Vec::new();
        for plan in &plans {
            let key = (plan.valid.product_type, plan.valid.remark.as_str());
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(plan),
                None => groups.push((key, vec![plan])),
            }
        }
        let mut applied: Vec<&'static str> = Vec::new();
        // The usernames (911's ids) of the groups added so far, named in a partial failure.
        let mut created: Vec<String> = Vec::new();
        let mut written = self.snapshots.invalidation();
        for ((product_type, remark), members) in &groups {
            let accounts = members
                .iter()
                .map(|p| format!("{}:{}", p.username, p.password.expose_secret()))
                .collect::<Vec<_>>()
                .join(",");
            let secrets: Vec<&str> = members.iter().map(|p| p.password.expose_secret()).collect();
            let body = AddAccounts {
                accounts: &accounts,
                remark,
                product_type: *product_type,
            };
            if let Err(cause) = self.client.post(wire::ACCOUNT_ADD, &body, &secrets).await {
                return Err(with_created(step_failed(&applied, "users", cause), created));
            }
            applied = vec!["users"];
            created.extend(members.iter().map(|p| p.username.clone()));
            self.snapshots
                .note_added(members.iter().map(|p| p.username.clone()));
        }
        for plan in plans.iter().filter(|p| p.valid.limit_gb > 0) {
            let body = ChangeLimit {
                account: &plan.username,
                limit: plan.valid.limit_gb,
            };
            if let Err(cause) = self
                .client
                .post(wire::ACCOUNT_CHANGE_LIMIT, &body, &[])
                .await
            {
                return Err(with_created(
                    step_failed(&applied, "traffic_limit_bytes", cause),
                    created,
                ));
            }
        }

        // No re-read: 911's add answers nothing, and reading the whole list back would make
        // every create cost the size of the account. The answer is what was sent (911 applies
        // it as sent); `created_at` and `provider_data` (911's own record) come with the next
        // read, which the invalidation makes fresh.
        written.now();
        Ok(plans
            .iter()
            .map(|plan| CreatedProxyUser {
                user: assumed_user(&self.settings.account, plan),
                password: plan.password.clone(),
            })
            .collect())
    }

    /// One documented endpoint per field, in the order password → label → traffic limit →
    /// status; everything is validated and the user looked up before the first call.
    pub(super) async fn patch_user(
        &self,
        upstream_id: &str,
        patch: &ProxyUserPatch,
        ctx: &WriteContext,
    ) -> Result<ProxyUser, ProviderError> {
        let valid = validate::patch(patch)?;
        let current = self.find(upstream_id).await?;
        let account = current.username.as_str();
        let mut applied: Vec<&'static str> = Vec::new();
        let mut written = self.snapshots.invalidation();
        // A retry of a keyed PATCH skips the steps its journal says are done.
        if valid.password.is_some() && ctx.step_done("password") {
            applied.push("password");
        } else if let Some(password) = &valid.password {
            let secret = password.expose_secret();
            let body = ChangePassword {
                account,
                password: secret,
            };
            if let Err(cause) = self
                .client
                .post(wire::ACCOUNT_CHANGE_PASSWORD, &body, &[secret])
                .await
            {
                return Err(step_failed(&applied, "password", cause));
            }
            applied.push("password");
            ctx.record_step("password").await;
        }
        if valid.remark.is_some() && ctx.step_done("label") {
            applied.push("label");
        } else if let Some(remark) = &valid.remark {
            let body = ChangeRemark { account, remark };
            if let Err(cause) = self
                .client
                .post(wire::ACCOUNT_CHANGE_REMARK, &body, &[])
                .await
            {
                return Err(step_failed(&applied, "label", cause));
            }
            applied.push("label");
            ctx.record_step("label").await;
        }
        if valid.limit_gb.is_some() && ctx.step_done("traffic_limit_bytes") {
            applied.push("traffic_limit_bytes");
        } else if let Some(limit) = valid.limit_gb {
            let body = ChangeLimit { account, limit };
            if let Err(cause) = self
                .client
                .post(wire::ACCOUNT_CHANGE_LIMIT, &body, &[])
                .await
            {
                return Err(step_failed(&applied, "traffic_limit_bytes", cause));
            }
            applied.push("traffic_limit_bytes");
            ctx.record_step("traffic_limit_bytes").await;
        }
        if valid.status.is_some() && ctx.step_done("status") {
            applied.push("status");
            ctx.record_step("status").await;
        } else if let Some(status) = valid.status {
            let endpoint = match status {
                ProxyUserStatus::Enabled => wire::ACCOUNT_ENABLE,
                ProxyUserStatus::Disabled => wire::ACCOUNT_DISABLE,
            };
            let body = AccountNames { accounts: account };
            if let Err(cause) = self.client.post(endpoint, &body, &[]).await {
                return Err(step_failed(&applied, "status", cause));
            }
            applied.push("status");
            ctx.record_step("status").await;
        }
        if applied.is_empty() {
            return Ok(current);
        }
        written.now();
        match self.find(upstream_id).await {
            Ok(user) => Ok(user),
            Err(err) => {
                tracing::warn!(account = %self.settings.account, error = %err, "re-reading an updated 911 proxy user failed");
                Ok(patched(current, &valid))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::FailureKind;

    #[test]
    fn a_failing_first_step_is_the_plain_cause_and_a_later_one_is_partial() {
        let cause = || UpstreamFailure::new(FailureKind::ServerError);
        assert!(matches!(
            step_failed(&[], "password", cause()),
            ProviderError::Upstream(_)
        ));
        match step_failed(&["password"], "label", cause()) {
            ProviderError::PartiallyApplied {
                applied, failed, ..
            } => {
                assert_eq!(applied, vec!["password"]);
                assert_eq!(failed, "label");
            }
            other => panic!("{other:?}"),
        }
    }
}
