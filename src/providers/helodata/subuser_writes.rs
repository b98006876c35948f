//! Sub-user creates and password rotation (§5.2): the writes of the proxy-user surface that
//! take more than one call (a batch is one create per user; a rotation reads the user first).

use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use time::OffsetDateTime;

use super::client::{parse, require_json};
use super::{HelodataAdapter, map, validate, wire, write_key};
use crate::domain::idempotency::WriteContext;
use crate::domain::proxy_users::{CreatedProxyUser, NewProxyUser, RotatedPassword};
use crate::providers::{Capability, ProviderAdapter, ProviderError};

impl HelodataAdapter {
    /// Validates every user first, then one `POST /subusers` per user (helodata has no batch
    /// endpoint, §5.2), in order. A batch forwards `<key>-<index>`, so retrying the whole
    /// batch with the same key replays the users already created (with their passwords) and
    /// creates the rest.
    pub(super) async fn create_subusers(
        &self,
        users: &[NewProxyUser],
        ctx: &WriteContext,
    ) -> Result<Vec<CreatedProxyUser>, ProviderError> {
        let bodies = validate::new_users(users)?;
        let batch = bodies.len() > 1;
        let mut created = Vec::with_capacity(bodies.len());
        for (index, body) in bodies.into_iter().enumerate() {
            let key = write_key(ctx).map(|k| map::item_idempotency_key(&k, index, batch));
            let json = serde_json::to_value(&body).unwrap_or(Value::Null);
            let answer = self
                .client
                .write(Method::POST, "/subusers", Some(json), key.as_deref())
                .await
                .map_err(|mut failure| {
                    if batch {
                        failure.field = failure.field.map(|f| format!("users[{index}].{f}"));
                    }
                    if created.is_empty() {
                        return ProviderError::from(failure);
                    }
                    tracing::warn!(
                        account = %self.account(),
                        created = index,
                        "helodata batch create stopped part-way; retry with the same key to resume"
                    );
                    ProviderError::PartiallyApplied {
                        applied: vec!["users"],
                        failed: "users",
                        created: created
                            .iter()
                            .map(|c: &CreatedProxyUser| c.user.id.upstream.clone())
                            .collect(),
                        cause: Box::new(ProviderError::from(failure)),
                    }
                })?;
            let raw = require_json(answer)?;
            let issued: wire::CreatedSubUser = parse(&raw, "create response")?;
            // The create response lacks status, limits and created_at (§5.2): read the user
            // back; if that read fails, answer what the create response says rather than lose
            // the password, which is shown only once.
            let user = match self.fetch_user(&issued.id).await {
                Ok(user) => user,
                Err(err) => {
                    tracing::warn!(account = %self.account(), id = %issued.id, error = %err, "reading a created sub-user back failed");
                    let mut partial = raw.clone();
                    if let Some(obj) = partial.as_object_mut() {
                        // New sub-users start active [I, §5.2; the simulator does].
                        obj.entry("status").or_insert_with(|| "active".into());
                    }
                    self.user(&partial)?
                }
            };
            created.push(CreatedProxyUser {
                user,
                password: SecretString::from(issued.password),
            });
        }
        Ok(created)
    }

    /// `POST /subusers/{id}/rotate-password`; the old password keeps working for 60 s (D-SUB,
    /// T-407). The user is read first: rotation changes none of its listed fields, and a
    /// failed read afterwards would lose the new password.
    pub(super) async fn rotate_subuser_password(
        &self,
        upstream_id: &str,
        new_password: Option<&SecretString>,
        key: Option<String>,
    ) -> Result<RotatedPassword, ProviderError> {
        if new_password.is_some() {
            return Err(ProviderError::unsupported_because(
                Capability::SetPassword,
                "helodata issues passwords itself; rotate without a password to get a new one",
            ));
        }
        let user = self.fetch_user(upstream_id).await?;
        let answer = self
            .client
            .write(
                Method::POST,
                &format!("/subusers/{upstream_id}/rotate-password"),
                None,
                key.as_deref(),
            )
            .await
            .map_err(|f| self.on_subuser(upstream_id, f))?;
        let raw = require_json(answer)?;
        let rotated: wire::RotatedPassword = parse(&raw, "rotate-password response")?;
        // The response shape is not documented (§5.2 [I]); if it is the full object, use it.
        let user = self.user(&raw).unwrap_or(user);
        Ok(RotatedPassword {
            user,
            password: SecretString::from(rotated.password),
            old_password_valid_until: Some(OffsetDateTime::now_utc() + map::ROTATION_GRACE),
        })
    }
}
