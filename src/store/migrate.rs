//! Bringing the store up to date before it serves: migrations — over the schema owner's
//! connection when `PGW_MIGRATE_DATABASE_URL` is set, so that the serving role owns nothing —
//! then the serving role's privileges, the retention the database enforces, and the audit
//! partitions of the coming months.

use super::{Store, StoreError};
use crate::config::Config;

/// Migrates and prepares the store `serving` connects to, as the configuration says.
pub async fn prepare(config: &Config, serving: &Store) -> Result<(), StoreError> {
    let retention = config.audit.retention_days;
    match &config.migrate_database_url {
        None => {
            serving.admin.migrate().await?;
            serving.audit.set_retention_days(retention).await?;
        }
        Some(url) => {
            let owner = super::connect(url, 2).await?;
            let result = prepare_as_owner(&owner, serving, retention).await;
            owner.admin.close().await;
            result?;
        }
    }
    // As the running gateway does it, over the serving connection.
    serving.audit.maintain().await?;
    Ok(())
}

async fn prepare_as_owner(
    owner: &Store,
    serving: &Store,
    retention: u32,
) -> Result<(), StoreError> {
    owner.admin.migrate().await?;
    owner.audit.set_retention_days(retention).await?;
    if let Some(role) = serving.audit.current_role().await? {
        owner.audit.grant_serving_role(&role).await?;
        if owner.audit.owns_audit_log(&role).await? {
            tracing::warn!(
                role,
                "the serving role owns the audit log (same role, a member of the owner, or a superuser): only the triggers keep it append-only"
            );
        } else {
            tracing::info!(
                role,
                "serving role prepared: SELECT and INSERT on the audit log, UPDATE of pending outcomes only"
            );
        }
    }
    Ok(())
}
