//! Reports (§5.9): `/reports` (list, create), `/reports/{id}` (get, PATCH, DELETE),
//! `/reports/{id}/run` and `/reports/runs/{id}`, writes forwarded with the derived key. The
//! run object and the rest of REP are cut off in the reference: runs are read as the simulator
//! answers them (`status` running | succeeded, `download_url`, `download_expires_at`). A
//! webhook destination's `signing_secret` is passed on and never kept or shown; a run's
//! `download_url` (possibly pre-signed) is left out of what the gateway shows.

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::{Map, Value, json};

use super::client::require_json;
use super::{HelodataAdapter, map, write_key};
use crate::domain::download::Download;
use crate::domain::idempotency::WriteContext;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::reports::{
    NewReport, Report, ReportKind, ReportPatch, ReportRun, RunStatus, check_schedule,
};
use crate::providers::{
    FailureKind, ItemPage, ProviderAdapter, ProviderError, ReportsAdapter, UpstreamFailure,
};

/// Destination types and the fields each needs (§5.9).
const DESTINATIONS: [(&str, &[&str]); 4] = [
    ("email", &["email"]),
    ("webhook", &["url", "signing_secret"]),
    ("s3", &["bucket", "prefix", "role_arn"]),
    ("gcs", &["bucket", "prefix", "service_account_email"]),
];

fn kind_to_wire(kind: ReportKind) -> Option<&'static str> {
    match kind {
        ReportKind::Traffic => Some("traffic"),
        ReportKind::Requests => Some("requests"),
        ReportKind::Invoices => Some("invoices"),
        ReportKind::ProxyUsers => Some("subusers"),
        ReportKind::IpBatches => Some("isp_batches"),
        ReportKind::Other => None,
    }
}

fn kind_of(wire: Option<&str>) -> ReportKind {
    match wire {
        Some("traffic") => ReportKind::Traffic,
        Some("requests") => ReportKind::Requests,
        Some("invoices") => ReportKind::Invoices,
        Some("subusers") => ReportKind::ProxyUsers,
        Some("isp_batches") => ReportKind::IpBatches,
        _ => ReportKind::Other,
    }
}

/// One run, its download URL left out.
pub fn run(account: &str, raw: &Value) -> ReportRun {
    let text = |k: &str| raw.get(k).and_then(Value::as_str);
    let mut shown = raw.clone();
    if let Some(obj) = shown.as_object_mut() {
        obj.remove("download_url");
    }
    ReportRun {
        id: ProxyUserId::new(account, text("id").unwrap_or_default()),
        report: text("report_id").map(|r| format!("{account}:{r}")),
        status: match text("status") {
            Some("running" | "queued" | "pending") => RunStatus::Running,
            Some("succeeded" | "completed") => RunStatus::Succeeded,
            Some("failed") => RunStatus::Failed,
            _ => RunStatus::Other,
        },
        created_at: map::parse_time_opt(text("created_at")),
        completed_at: map::parse_time_opt(text("completed_at")),
        download_available: text("download_url").is_some_and(|u| !u.is_empty()),
        download_expires_at: map::parse_time_opt(text("download_expires_at")),
        provider_data: shown,
    }
}

/// One report definition.
pub fn report(account: &str, raw: &Value) -> Report {
    let text = |k: &str| raw.get(k).and_then(Value::as_str);
    let mut destination = raw.get("destination").cloned().unwrap_or(Value::Null);
    if let Some(obj) = destination.as_object_mut() {
        obj.remove("signing_secret");
    }
    let mut shown = raw.clone();
    if let Some(obj) = shown.as_object_mut() {
        obj.insert("destination".into(), destination.clone());
        if let Some(Value::Array(runs)) = obj.get_mut("recent_runs") {
            for r in runs.iter_mut() {
                if let Some(o) = r.as_object_mut() {
                    o.remove("download_url");
                }
            }
        }
    }
    Report {
        id: ProxyUserId::new(account, text("id").unwrap_or_default()),
        name: text("name").unwrap_or_default().to_string(),
        kind: kind_of(text("type")),
        products: raw
            .pointer("/filters/products")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(Value::as_str)
                    .map(map::product_from_wire)
                    .collect()
            })
            .unwrap_or_default(),
        schedule: text("schedule").map(str::to_string),
        format: text("format").map(str::to_string),
        destination,
        created_at: map::parse_time_opt(text("created_at")),
        updated_at: map::parse_time_opt(text("updated_at")),
        recent_runs: raw
            .get("recent_runs")
            .and_then(Value::as_array)
            .map(|runs| runs.iter().map(|r| run(account, r)).collect())
            .unwrap_or_default(),
        provider_data: shown,
    }
}

fn check_name(name: &str) -> Result<(), ProviderError> {
    map::check_label(name).map_err(|m| ProviderError::invalid("name", m))
}

fn products_filter(products: &[Product]) -> Result<Value, ProviderError> {
    let names = products
        .iter()
        .map(|p| match p {
            Product::Residential | Product::Mobile | Product::Isp => Ok(p.as_str()),
            other => Err(ProviderError::invalid(
                "products",
                format!(
                    "helodata reports cover residential, mobile and isp, not {}",
                    other.as_str()
                ),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "products": names }))
}

fn check_format(format: &str) -> Result<(), ProviderError> {
    if format == "csv" {
        Ok(())
    } else {
        Err(ProviderError::invalid("format", "helodata reports are csv"))
    }
}

/// A destination as §5.9 lists them: a known `type` and its fields, each named when missing.
fn check_destination(d: &Map<String, Value>) -> Result<Value, ProviderError> {
    let kind = d
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::invalid("destination.type", "email, webhook, s3 or gcs"))?;
    let (_, fields) = DESTINATIONS
        .iter()
        .find(|(t, _)| *t == kind)
        .ok_or_else(|| ProviderError::invalid("destination.type", "email, webhook, s3 or gcs"))?;
    for field in *fields {
        let value = d.get(*field).and_then(Value::as_str).unwrap_or_default();
        let ok = match *field {
            "email" | "service_account_email" => value.contains('@'),
            "url" => value.starts_with("https://") || value.starts_with("http://"),
            _ => !value.is_empty(),
        };
        if !ok {
            return Err(ProviderError::invalid(
                format!("destination.{field}"),
                format!("a {kind} destination needs a valid {field}"),
            ));
        }
    }
    Ok(Value::Object(d.clone()))
}

/// The `POST /reports` body.
pub fn create_body(new: &NewReport) -> Result<Value, ProviderError> {
    check_name(&new.name)?;
    let kind = kind_to_wire(new.kind)
        .ok_or_else(|| ProviderError::invalid("type", "not a report type helodata offers"))?;
    let mut body = Map::new();
    body.insert("name".into(), json!(new.name));
    body.insert("type".into(), json!(kind));
    body.insert("filters".into(), products_filter(&new.products)?);
    if let Some(schedule) = &new.schedule {
        check_schedule(schedule).map_err(|m| ProviderError::invalid("schedule", m))?;
        body.insert("schedule".into(), json!(schedule));
    }
    if let Some(format) = &new.format {
        check_format(format)?;
        body.insert("format".into(), json!(format));
    }
    body.insert("destination".into(), check_destination(&new.destination)?);
    Ok(Value::Object(body))
}

/// The `PATCH /reports/{id}` body (`schedule: null` clears the schedule).
pub fn patch_body(patch: &ReportPatch) -> Result<Value, ProviderError> {
    let mut body = Map::new();
    if let Some(name) = &patch.name {
        check_name(name)?;
        body.insert("name".into(), json!(name));
    }
    if let Some(products) = &patch.products {
        body.insert("filters".into(), products_filter(products)?);
    }
    if let Some(schedule) = &patch.schedule {
        if let Some(s) = schedule {
            check_schedule(s).map_err(|m| ProviderError::invalid("schedule", m))?;
        }
        body.insert("schedule".into(), json!(schedule));
    }
    if let Some(format) = &patch.format {
        check_format(format)?;
        body.insert("format".into(), json!(format));
    }
    if let Some(d) = &patch.destination {
        body.insert("destination".into(), check_destination(d)?);
    }
    Ok(Value::Object(body))
}

impl HelodataAdapter {
    fn check_report_id(&self, id: &str, prefix: &str) -> Result<(), ProviderError> {
        if map::is_prefixed_id(id, prefix) {
            Ok(())
        } else {
            Err(self.report_not_found(id, prefix))
        }
    }

    fn report_not_found(&self, id: &str, prefix: &str) -> ProviderError {
        let what = if prefix == "run_" {
            "report run"
        } else {
            "report"
        };
        ProviderError::NotFound(format!("{what} {}", ProxyUserId::new(self.account(), id)))
    }

    fn on_report(&self, id: &str, prefix: &str, failure: UpstreamFailure) -> ProviderError {
        if failure.kind == FailureKind::NotFound {
            self.report_not_found(id, prefix)
        } else {
            failure.into()
        }
    }

    async fn report_write(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        ctx: &WriteContext,
        id: (&str, &str),
    ) -> Result<Option<Value>, ProviderError> {
        let answer = self
            .client
            .write(method, path, body, write_key(ctx).as_deref())
            .await
            .map_err(|f| self.on_report(id.0, id.1, f))?;
        Ok(answer.json)
    }
}

#[async_trait]
impl ReportsAdapter for HelodataAdapter {
    async fn list_reports(
        &self,
        kind: Option<ReportKind>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Report>, ProviderError> {
        let mut query = Vec::new();
        if let Some(kind) = kind {
            match kind_to_wire(kind) {
                Some(wire) => query.push(("type", wire.to_string())),
                None => {
                    return Ok(ItemPage {
                        items: Vec::new(),
                        next_cursor: None,
                    });
                }
            }
        }
        let (items, next_cursor) = self.page("/reports", query, cursor, limit).await?;
        Ok(ItemPage {
            items: items
                .iter()
                .map(|raw| report(self.account(), raw))
                .collect(),
            next_cursor,
        })
    }

    async fn create_report(
        &self,
        new: &NewReport,
        ctx: &WriteContext,
    ) -> Result<Report, ProviderError> {
        let body = create_body(new)?;
        let answer = self
            .client
            .write(
                Method::POST,
                "/reports",
                Some(body),
                write_key(ctx).as_deref(),
            )
            .await?;
        Ok(report(self.account(), &require_json(answer)?))
    }

    async fn get_report(&self, id: &str) -> Result<Report, ProviderError> {
        self.check_report_id(id, "rep_")?;
        let answer = self
            .client
            .get(&format!("/reports/{id}"), &[])
            .await
            .map_err(|f| self.on_report(id, "rep_", f))?;
        Ok(report(self.account(), &require_json(answer)?))
    }

    async fn update_report(
        &self,
        id: &str,
        patch: &ReportPatch,
        ctx: &WriteContext,
    ) -> Result<Report, ProviderError> {
        self.check_report_id(id, "rep_")?;
        let body = patch_body(patch)?;
        let json = self
            .report_write(
                Method::PATCH,
                &format!("/reports/{id}"),
                Some(body),
                ctx,
                (id, "rep_"),
            )
            .await?;
        let json = json.ok_or_else(|| {
            ProviderError::from(super::client::malformed(
                200,
                None,
                "the PATCH answer has no body",
            ))
        })?;
        Ok(report(self.account(), &json))
    }

    async fn delete_report(&self, id: &str, ctx: &WriteContext) -> Result<(), ProviderError> {
        self.check_report_id(id, "rep_")?;
        match self
            .report_write(
                Method::DELETE,
                &format!("/reports/{id}"),
                None,
                ctx,
                (id, "rep_"),
            )
            .await
        {
            // A resumed delete whose report is gone: the earlier attempt deleted it.
            Err(ProviderError::NotFound(_)) if ctx.resumed() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn run_report(&self, id: &str, ctx: &WriteContext) -> Result<ReportRun, ProviderError> {
        self.check_report_id(id, "rep_")?;
        let json = self
            .report_write(
                Method::POST,
                &format!("/reports/{id}/run"),
                None,
                ctx,
                (id, "rep_"),
            )
            .await?;
        let json = json.ok_or_else(|| {
            ProviderError::from(super::client::malformed(
                202,
                None,
                "the run answer has no body",
            ))
        })?;
        Ok(run(self.account(), &json))
    }

    async fn get_report_run(&self, id: &str) -> Result<ReportRun, ProviderError> {
        Ok(run(self.account(), &self.raw_run(id).await?))
    }

    async fn report_file(&self, id: &str) -> Result<Download, ProviderError> {
        let raw = self.raw_run(id).await?;
        let shown = run(self.account(), &raw);
        let link = raw.get("download_url").and_then(Value::as_str);
        let Some(link) = link.filter(|_| shown.status == RunStatus::Succeeded) else {
            return Err(ProviderError::Conflict {
                field: None,
                message: format!(
                    "the run has no file to download (status {})",
                    shown.status.as_str()
                ),
            });
        };
        if let Some(expired) = shown
            .download_expires_at
            .filter(|e| *e <= time::OffsetDateTime::now_utc())
        {
            return Err(ProviderError::Conflict {
                field: None,
                message: format!(
                    "the run's file could be downloaded until {}; run the report again",
                    map::format_time(expired)
                ),
            });
        }
        if !trusted_link(link, self.client.base_url()) {
            return Err(ProviderError::Upstream(super::client::malformed(
                200,
                None,
                "the run's download URL is not on helodata's API host or reports.helodata.com",
            )));
        }
        let (headers, body) = self.client.download_link(link).await?;
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let filename = reqwest::Url::parse(link)
            .ok()
            .and_then(|u| u.path_segments()?.next_back().map(str::to_string))
            .filter(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            })
            .unwrap_or_else(|| format!("{id}.csv"));
        Ok(Download {
            content_type: header(CONTENT_TYPE).unwrap_or("text/csv").to_string(),
            content_length: header(CONTENT_LENGTH).and_then(|l| l.parse().ok()),
            filename,
            body,
        })
    }
}

impl HelodataAdapter {
    /// `GET /reports/runs/{id}` as helodata answers it (download URL included).
    async fn raw_run(&self, id: &str) -> Result<Value, ProviderError> {
        self.check_report_id(id, "run_")?;
        let answer = self
            .client
            .get(&format!("/reports/runs/{id}"), &[])
            .await
            .map_err(|f| self.on_report(id, "run_", f))?;
        Ok(require_json(answer)?)
    }
}

/// Whether a download link may be fetched: on the account's API origin (same scheme, host and
/// port; the simulator serves files there), or on `https://reports.helodata.com`, where
/// helodata's links point. Any other host could be anything: the gateway does not follow it.
pub fn trusted_link(link: &str, base_url: &str) -> bool {
    let (Ok(link), Ok(base)) = (reqwest::Url::parse(link), reqwest::Url::parse(base_url)) else {
        return false;
    };
    let same_origin = link.scheme() == base.scheme()
        && link.host_str() == base.host_str()
        && link.port_or_known_default() == base.port_or_known_default();
    let helodata_files =
        link.scheme() == "https" && link.host_str() == Some("reports.helodata.com");
    (same_origin || helodata_files) && link.username().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_report() -> NewReport {
        let mut destination = Map::new();
        destination.insert("type".into(), json!("webhook"));
        destination.insert("url".into(), json!("https://hooks.example.com/r"));
        destination.insert("signing_secret".into(), json!("whsec_1"));
        NewReport {
            name: "weekly-traffic".into(),
            kind: ReportKind::ProxyUsers,
            products: vec![Product::Residential, Product::Mobile],
            schedule: Some("0 9 * * MON".into()),
            format: None,
            destination,
        }
    }

    #[test]
    fn a_report_becomes_the_documented_body() {
        assert_eq!(
            create_body(&new_report()).unwrap(),
            json!({"name": "weekly-traffic", "type": "subusers",
                   "filters": {"products": ["residential", "mobile"]}, "schedule": "0 9 * * MON",
                   "destination": {"type": "webhook", "url": "https://hooks.example.com/r", "signing_secret": "whsec_1"}})
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        let field = |r: NewReport| match create_body(&r) {
            Err(ProviderError::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut r = new_report();
        r.destination.remove("signing_secret");
        assert_eq!(field(r), "destination.signing_secret");
        let mut r = new_report();
        r.destination.insert("type".into(), json!("ftp"));
        assert_eq!(field(r), "destination.type");
        let mut r = new_report();
        r.schedule = Some("every monday".into());
        assert_eq!(field(r), "schedule");
        let mut r = new_report();
        r.products = vec![Product::Datacenter];
        assert_eq!(field(r), "products");
        let mut r = new_report();
        r.format = Some("xlsx".into());
        assert_eq!(field(r), "format");
        let mut r = new_report();
        r.name = "weekly/traffic".into();
        assert_eq!(field(r), "name");
    }

    #[test]
    fn only_links_on_the_api_origin_or_helodatas_file_host_are_followed() {
        let base = "http://127.0.0.1:4100/v1";
        assert!(trusted_link(
            "http://127.0.0.1:4100/report-files/run_1/a.csv?sig=x",
            base
        ));
        assert!(trusted_link(
            "https://reports.helodata.com/runs/run_1/a.csv",
            base
        ));
        assert!(!trusted_link(
            "http://127.0.0.1:4101/report-files/run_1/a.csv",
            base
        ));
        assert!(!trusted_link(
            "http://reports.helodata.com/runs/run_1/a.csv",
            base
        ));
        assert!(!trusted_link(
            "https://169.254.169.254/latest/meta-data",
            base
        ));
        assert!(!trusted_link("https://u:p@reports.helodata.com/x", base));
        assert!(!trusted_link("not a url", base));
    }

    #[test]
    fn secrets_and_download_urls_are_left_out_of_what_is_shown() {
        let raw = json!({"id": "rep_1", "name": "n", "type": "traffic", "filters": {},
            "destination": {"type": "webhook", "url": "https://x", "signing_secret": "whsec_9"},
            "recent_runs": [{"id": "run_1", "report_id": "rep_1", "status": "succeeded",
                             "download_url": "https://reports.helodata.com/runs/run_1/n.csv?sig=abc"}]});
        let r = report("helodata", &raw);
        let shown = serde_json::to_string(&(
            &r.destination,
            &r.provider_data,
            &r.recent_runs[0].provider_data,
        ))
        .unwrap();
        assert!(
            !shown.contains("whsec_9") && !shown.contains("sig=abc"),
            "{shown}"
        );
        assert!(r.recent_runs[0].download_available);
        assert_eq!(r.recent_runs[0].status, RunStatus::Succeeded);
        assert_eq!(r.recent_runs[0].report.as_deref(), Some("helodata:rep_1"));
    }
}
