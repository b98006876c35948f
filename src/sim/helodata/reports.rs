//! Reports and report runs: `/reports`, `/reports/{id}/run`, `/reports/runs/{id}` (§5.9, REP).
//!
//! Undocumented (REP is cut off), chosen here: ids `rep_…` and `run_…`; `schedule` is optional
//! (null: on demand only); `format` defaults to and must be `csv`; `signing_secret` is
//! write-only; a run answers `202` with `status: "running"` and becomes `succeeded` with a
//! `download_url` after [`super::HelodataSimOptions::report_run`]; list items carry their five
//! most recent runs under `recent_runs`; deleting a report deletes its runs.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::clock::{self, DAY};
use super::errors::{ApiError, ApiResult};
use super::input::{Body, check_label};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;

pub const TYPES: &[&str] = &["traffic", "requests", "invoices", "subusers", "isp_batches"];

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub filters: Value,
    pub schedule: Option<String>,
    pub format: String,
    pub destination: Value,
    #[serde(serialize_with = "clock::ser")]
    pub created_at: i64,
    #[serde(serialize_with = "clock::ser")]
    pub updated_at: i64,
    /// `signing_secret` of a webhook destination, never shown again.
    #[serde(skip)]
    pub signing_secret: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReportRun {
    pub id: String,
    pub report_id: String,
    /// `running` or `succeeded`.
    pub status: String,
    #[serde(serialize_with = "clock::ser")]
    pub created_at: i64,
    #[serde(serialize_with = "clock::ser_opt")]
    pub completed_at: Option<i64>,
    pub download_url: Option<String>,
    #[serde(serialize_with = "clock::ser_opt")]
    pub download_expires_at: Option<i64>,
    #[serde(skip)]
    pub ready_at_ms: u64,
    #[serde(skip)]
    pub file_name: String,
    /// `http://<host>` the run was requested at: its file is served there (below `None`:
    /// the documented-looking `reports.helodata.com`, which nothing serves).
    #[serde(skip)]
    pub origin: Option<String>,
    /// The pre-signed URL's signature.
    #[serde(skip)]
    pub signature: String,
}

impl ReportRun {
    /// Marks it done at `at` (seconds).
    pub fn complete(&mut self, at: i64) {
        self.status = "succeeded".into();
        self.completed_at = Some(at);
        self.download_url = Some(match &self.origin {
            Some(origin) => format!(
                "{origin}/report-files/{}/{}.csv?sig={}",
                self.id, self.file_name, self.signature
            ),
            None => format!(
                "https://reports.helodata.com/runs/{}/{}.csv?sig={}",
                self.id, self.file_name, self.signature
            ),
        });
        self.download_expires_at = Some(at + DAY);
    }
}

/// Finishes runs whose time has come.
pub fn advance(st: &mut State, now_ms: u64) {
    for run in st.runs.values_mut() {
        if run.status == "running" && run.ready_at_ms <= now_ms {
            run.complete(i64::try_from(run.ready_at_ms / 1000).unwrap_or(0));
        }
    }
}

/// A five-field cron expression (REP: `0 9 * * MON`). Field syntax only: numbers, `*`, `,`,
/// `-`, `/`, and month or weekday names in the 4th and 5th fields.
pub fn check_schedule(s: &str) -> ApiResult<()> {
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let bad = || ApiError::invalid("schedule", "schedule must be a 5-field cron expression");
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(bad());
    }
    for (i, field) in fields.iter().enumerate() {
        for atom in field.split([',', '-', '/']) {
            let names = match i {
                3 => MONTHS,
                4 => DAYS,
                _ => &[][..],
            };
            let ok = atom == "*"
                || (!atom.is_empty()
                    && atom.len() <= 2
                    && atom.bytes().all(|b| b.is_ascii_digit()))
                || names.contains(&atom.to_ascii_uppercase().as_str());
            if !ok {
                return Err(bad());
            }
        }
    }
    Ok(())
}

/// Checks a destination and splits off its write-only secret.
fn check_destination(d: &Map<String, Value>) -> ApiResult<(Value, Option<String>)> {
    let kind = d
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("destination.type", "destination.type is required"))?;
    let required: &[&str] = match kind {
        "email" => &["email"],
        "webhook" => &["url", "signing_secret"],
        "s3" => &["bucket", "prefix", "role_arn"],
        "gcs" => &["bucket", "prefix", "service_account_email"],
        _ => {
            return Err(ApiError::invalid(
                "destination.type",
                "destination.type must be one of email, webhook, s3, gcs",
            ));
        }
    };
    let mut shown = Map::new();
    shown.insert("type".into(), json!(kind));
    let mut secret = None;
    for field in required {
        let value = d
            .get(*field)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::invalid(
                    &format!("destination.{field}"),
                    format!("destination.{field} is required for {kind}"),
                )
            })?;
        let valid = match *field {
            "email" | "service_account_email" => value.contains('@'),
            "url" => value.starts_with("https://") || value.starts_with("http://"),
            _ => true,
        };
        if !valid {
            return Err(ApiError::invalid(
                &format!("destination.{field}"),
                format!("destination.{field} is not valid"),
            ));
        }
        if *field == "signing_secret" {
            secret = Some(value.to_string());
        } else {
            shown.insert((*field).to_string(), json!(value));
        }
    }
    Ok((Value::Object(shown), secret))
}

/// `filters`: an object; `products`, when given, lists products.
fn check_filters(f: &Map<String, Value>) -> ApiResult<Value> {
    if let Some(p) = f.get("products") {
        let ok = p.as_array().is_some_and(|items| {
            items.iter().all(|i| {
                i.as_str()
                    .is_some_and(|s| ["residential", "mobile", "isp"].contains(&s))
            })
        });
        if !ok {
            return Err(ApiError::invalid(
                "filters.products",
                "filters.products must list residential, mobile or isp",
            ));
        }
    }
    Ok(Value::Object(f.clone()))
}

fn view(st: &State, r: &Report) -> Value {
    let mut v = to_json(r);
    let mut runs: Vec<&ReportRun> = st.runs.values().filter(|x| x.report_id == r.id).collect();
    runs.sort_by(|a, b| b.id.cmp(&a.id));
    let recent: Vec<Value> = runs.into_iter().take(5).map(to_json).collect();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("recent_runs".into(), json!(recent));
    }
    v
}

fn found<'a>(st: &'a State, id: &str) -> ApiResult<&'a Report> {
    st.reports
        .get(id)
        .ok_or_else(|| ApiError::not_found("report", id))
}

/// `GET /reports`: definitions, each with its recent runs.
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let kind = req.query.one_of("type", TYPES)?;
    let page = Page::from_req(req)?;
    let items = st
        .reports
        .values()
        .filter(|r| kind.as_ref().is_none_or(|k| &r.kind == k));
    let (items, next) = page.slice(items, |r| r.id.clone(), false);
    list_reply(req, items.iter().map(|r| view(st, r)).collect(), next)
}

/// `GET /reports/{id}`.
pub fn get(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let r = found(st, req.param(0))?;
    Reply::ok(view(st, r))
}

/// `POST /reports` `{name, type, filters?, schedule?, format?, destination}`: 201.
pub fn create(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let name = body.str_required("name")?.to_string();
    check_label("name", &name)?;
    let kind = body.one_of_required("type", TYPES)?;
    let filters = match body.object_opt("filters")? {
        Some(f) => check_filters(f)?,
        None => json!({}),
    };
    let schedule = body.str_opt("schedule")?.map(str::to_string);
    if let Some(s) = &schedule {
        check_schedule(s)?;
    }
    let format = body
        .one_of("format", &["csv"])?
        .unwrap_or_else(|| "csv".into());
    let dest = body
        .object_opt("destination")?
        .ok_or_else(|| ApiError::invalid("destination", "destination is required"))?;
    let (destination, signing_secret) = check_destination(dest)?;
    let report = Report {
        id: st.rng.id("rep", req.ctx.now_ms),
        name,
        kind,
        filters,
        schedule,
        format,
        destination,
        created_at: req.ctx.now,
        updated_at: req.ctx.now,
        signing_secret,
    };
    let v = view(st, &report);
    st.reports.insert(report.id.clone(), report);
    Reply::created(v)
}

/// `PATCH /reports/{id}`: `name`, `filters`, `schedule` (null clears it), `format`,
/// `destination`; `type` is fixed.
pub fn update(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    if body.has("type") {
        return Err(ApiError::invalid("type", "type cannot be changed"));
    }
    let id = found(st, req.param(0))?.id.clone();
    let name = body.str_opt("name")?.map(str::to_string);
    if let Some(n) = &name {
        check_label("name", n)?;
    }
    let filters = body.object_opt("filters")?.map(check_filters).transpose()?;
    let schedule = if body.has("schedule") {
        let s = body.str_opt("schedule")?.map(str::to_string);
        if let Some(s) = &s {
            check_schedule(s)?;
        }
        Some(s)
    } else {
        None
    };
    let format = body.one_of("format", &["csv"])?;
    let destination = body
        .object_opt("destination")?
        .map(check_destination)
        .transpose()?;
    let now = req.ctx.now;
    let r = st
        .reports
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("report", &id))?;
    if let Some(n) = name {
        r.name = n;
    }
    if let Some(f) = filters {
        r.filters = f;
    }
    if let Some(s) = schedule {
        r.schedule = s;
    }
    if let Some(f) = format {
        r.format = f;
    }
    if let Some((d, secret)) = destination {
        r.destination = d;
        r.signing_secret = secret;
    }
    r.updated_at = now;
    let r = r.clone();
    Reply::ok(view(st, &r))
}

/// `DELETE /reports/{id}`: 204.
pub fn remove(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = found(st, req.param(0))?.id.clone();
    st.reports.remove(&id);
    st.runs.retain(|_, r| r.report_id != id);
    Reply::no_content()
}

/// `POST /reports/{id}/run`: 202 with the run (REP: "returns a run id").
pub fn run(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let r = found(st, req.param(0))?;
    let (report_id, file_name) = (r.id.clone(), r.name.replace(' ', "-"));
    let run = ReportRun {
        id: st.rng.id("run", req.ctx.now_ms),
        report_id,
        status: "running".into(),
        created_at: req.ctx.now,
        completed_at: None,
        download_url: None,
        download_expires_at: None,
        ready_at_ms: req.ctx.now_ms.saturating_add(st.cfg.report_run_ms),
        file_name,
        origin: req.header("host").map(|h| format!("http://{h}")),
        signature: st.rng.id("sig", req.ctx.now_ms),
    };
    let v = to_json(&run);
    st.runs.insert(run.id.clone(), run);
    Ok(Reply::json(axum::http::StatusCode::ACCEPTED, &v))
}

/// `GET /reports/runs/{id}`: status and download URL.
pub fn get_run(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = req.param(0);
    let run = st
        .runs
        .get(id)
        .ok_or_else(|| ApiError::not_found("report run", id))?;
    Reply::ok(to_json(run))
}

/// The file of a succeeded run at its pre-signed URL (undocumented: REP is cut off; the
/// simulator's choice): CSV, a header and one line per day of the last week. `None` when the
/// run, its name or the signature do not match, or the link has expired.
pub fn file(st: &mut State, run_id: &str, name: &str, sig: &str, now: i64) -> Option<Vec<u8>> {
    let run = st.runs.get(run_id)?;
    let fresh = run.download_expires_at.is_some_and(|e| now < e);
    if run.status != "succeeded" || run.signature != sig || !fresh {
        return None;
    }
    if name != format!("{}.csv", run.file_name) {
        return None;
    }
    let report = st.reports.get(&run.report_id);
    let kind = report.map_or("traffic", |r| r.kind.as_str());
    let mut csv = String::from("report,run,type,day,bytes\n");
    for d in 0..7 {
        let day = clock::fmt_date(run.created_at - d * DAY);
        csv.push_str(&format!(
            "{},{},{kind},{day},{}\n",
            run.report_id,
            run.id,
            1_000_000 * (d + 1)
        ));
    }
    Some(csv.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_checks_accept_the_documented_example() {
        assert!(check_schedule("0 9 * * MON").is_ok());
        assert!(check_schedule("*/15 0-6 1,15 JAN mon-fri").is_ok());
        assert!(check_schedule("0 9 * *").is_err());
        assert!(check_schedule("0 9 * * FUNDAY").is_err());
    }
}
