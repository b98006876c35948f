//! `ip/*` and `static-ip-region`: IP extraction, the dynamic geo lists, purchased static IPs and
//! static IP stock per country.

use rand::RngExt;
use serde::Serialize;

use super::clock;
use super::endpoint::Ctx;
use super::envelope::{Failure, Lang, Outcome, Payload};
use super::geo::{self, COUNTRIES};
use super::request::Req;
use super::state::{ENTRY_NETWORKS, StaticIp, World};
use super::validate;

/// Most IPs one `/ip/v3` call returns: the notes give no maximum; 1000 bounds the answer [INF].
pub(crate) const MAX_EXTRACT: i64 = 1000;
/// `life` bounds in minutes: the notes saw 1–60, default 30 [OBS].
pub(crate) const LIFE_MINUTES: std::ops::RangeInclusive<i64> = 1..=60;

#[derive(Serialize)]
struct List<T> {
    list: Vec<T>,
}

/// `GET ip/v3`: `num` (default 1) addresses `ip:port` of one entry node with consecutive ports, as
/// the document's example shows. `format=json` (default) gives the nested `data.list`
/// `[["ip:port", …]]` of the example; `format=text` gives the addresses joined by `lb` (default
/// `\r\n`, no trailing separator; a literal `\r`/`\n` escape in `lb` is read as the control
/// character). Without any whitelisted IP for dynamic products (9, 11), text mode answers a
/// plain-text Chinese message ([OBS] in the notes) and JSON mode a code-400 envelope [INF].
pub(crate) fn extract(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let num = req.opt_int("num")?.unwrap_or(1);
    if !(1..=MAX_EXTRACT).contains(&num) {
        return Err(Failure::param(
            "num",
            format!("The num must be between 1 and {MAX_EXTRACT}."),
        ));
    }
    let text = match req.opt_str("format")?.as_deref() {
        None | Some("json") => false,
        Some("text") => true,
        Some(_) => return Err(Failure::param("format", "The format must be json or text.")),
    };
    let lb = req
        .opt_str("lb")?
        .map(|s| {
            s.replace("\\r", "\r")
                .replace("\\n", "\n")
                .replace("\\t", "\t")
        })
        .unwrap_or_else(|| "\r\n".to_string());
    let life = req.opt_int("life")?.unwrap_or(30);
    if !LIFE_MINUTES.contains(&life) {
        return Err(Failure::param(
            "life",
            "The life must be between 1 and 60 minutes.",
        ));
    }
    let ep = req.opt_str("ep")?.unwrap_or_else(|| "us".to_string());
    let Some(&(_, host)) = world
        .entry_nodes
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&ep))
    else {
        return Err(Failure::param(
            "ep",
            format!("The ep must be one of {}.", ENTRY_NETWORKS.join(", ")),
        ));
    };
    check_location(req)?;
    if !world
        .white_ips
        .iter()
        .any(|w| matches!(w.product_type, 9 | 11))
    {
        let (zh, en) = (
            "请先添加白名单IP",
            "Please add your IP to the whitelist first",
        );
        if text {
            return Err(Failure::PlainText(
                match ctx.lang {
                    Lang::Zh => zh,
                    Lang::En => en,
                }
                .to_string(),
            ));
        }
        return Err(Failure::param("whitelist", en));
    }
    let count = u16::try_from(num).unwrap_or(1);
    let first_port: u16 = world.rng.random_range(1_000..(u16::MAX - count));
    let addrs: Vec<String> = (0..count)
        .map(|i| format!("{host}:{}", first_port + i))
        .collect();
    if text {
        Ok(Payload::Text(addrs.join(&lb)))
    } else {
        Ok(Payload::data(&List { list: vec![addrs] }))
    }
}

/// `cc`, `state` and `city` must name a place of the geo lists; `state` needs `cc`, `city` needs
/// `cc` and lies in `state` when both are given [INF: the document only names the parameters].
fn check_location(req: &Req) -> Result<(), Failure> {
    let cc = req.opt_str("cc")?;
    let state = req.opt_str("state")?;
    let city = req.opt_str("city")?;
    let Some(cc) = cc else {
        if state.is_some() || city.is_some() {
            return Err(Failure::param(
                "cc",
                "The cc field is required when state or city is present.",
            ));
        }
        return Ok(());
    };
    let country = geo::country(&cc)
        .ok_or_else(|| Failure::param("cc", format!("Unknown country or region {cc:?}.")))?;
    let state = match state {
        Some(s) => Some(
            country
                .state(&s)
                .ok_or_else(|| Failure::param("state", format!("Unknown state {s:?} in {cc}.")))?,
        ),
        None => None,
    };
    if let Some(city) = city {
        let known = match state {
            Some(s) => s.cities.iter().any(|c| c.eq_ignore_ascii_case(&city)),
            None => country.has_city(&city),
        };
        if !known {
            return Err(Failure::param("city", format!("Unknown city {city:?}.")));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct CityItem {
    city: &'static str,
    state: &'static str,
    continent_code: &'static str,
    country_code: &'static str,
}

#[derive(Serialize)]
struct StateItem {
    state: &'static str,
    continent_code: &'static str,
    country_code: &'static str,
}

#[derive(Serialize)]
struct CountryEntry<T> {
    name_zh_cn: &'static str,
    name_en: &'static str,
    continent_code: &'static str,
    country_code: &'static str,
    items: Vec<T>,
}

/// `GET ip/dynamic-citys`: every country with one item per city.
pub(crate) fn cities(_world: &mut World, _req: &Req, _ctx: &Ctx) -> Outcome {
    let list: Vec<_> = COUNTRIES
        .iter()
        .map(|c| CountryEntry {
            name_zh_cn: c.name_zh_cn,
            name_en: c.name_en,
            continent_code: c.continent,
            country_code: c.code,
            items: c
                .states
                .iter()
                .flat_map(|s| {
                    s.cities.iter().map(|city| CityItem {
                        city,
                        state: s.name,
                        continent_code: c.continent,
                        country_code: c.code,
                    })
                })
                .collect(),
        })
        .collect();
    Ok(Payload::data(&List { list }))
}

/// `GET ip/dynamic-states`: every country with one item per state.
pub(crate) fn states(_world: &mut World, _req: &Req, _ctx: &Ctx) -> Outcome {
    let list: Vec<_> = COUNTRIES
        .iter()
        .map(|c| CountryEntry {
            name_zh_cn: c.name_zh_cn,
            name_en: c.name_en,
            continent_code: c.continent,
            country_code: c.code,
            items: c
                .states
                .iter()
                .map(|s| StateItem {
                    state: s.name,
                    continent_code: c.continent,
                    country_code: c.code,
                })
                .collect(),
        })
        .collect();
    Ok(Payload::data(&List { list }))
}

/// `GET ip/dynamic-states/search?country_code=`: the state names; an unknown country gives an
/// empty list, as a search would [INF].
pub(crate) fn state_search(_world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let cc = req.req_str("country_code")?;
    let list: Vec<&str> = geo::country(&cc)
        .map(|c| c.states.iter().map(|s| s.name).collect())
        .unwrap_or_default();
    Ok(Payload::data(&List { list }))
}

/// `GET ip/dynamic-citys/search?country_code=&state=`: the city names of that state.
pub(crate) fn city_search(_world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let cc = req.req_str("country_code")?;
    let state = req.req_str("state")?;
    let list: Vec<&str> = geo::country(&cc)
        .and_then(|c| c.state(&state))
        .map(|s| s.cities.to_vec())
        .unwrap_or_default();
    Ok(Payload::data(&List { list }))
}

#[derive(Serialize)]
struct StaticIpView<'a> {
    id: u64,
    ip: String,
    port: u16,
    username: &'a str,
    password: &'a str,
    country_code: &'static str,
    state: &'static str,
    city: &'static str,
    product_type: i64,
    trade_no: &'a str,
    status: i64,
    created_at: String,
    expired_at: String,
}

#[derive(Serialize)]
struct Page<T> {
    list: Vec<T>,
    page: u64,
    page_size: u64,
    total_count: u64,
    total_page: u64,
}

/// `GET ip/get-static-ip`. The document's example is `{}`; the simulator answers like
/// `user-product/list`, which shares its `page`/`size` parameters: `data{list, page, page_size,
/// total_count, total_page}`, items with `id` (the `upids` of a renewal order), `ip`, `port`,
/// credentials, location, `product_type`, `trade_no`, `status` 1–4 and `Y-m-d H:i:s` times [INF].
pub(crate) fn static_ips(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let country_code = req.opt_str("country_code")?;
    let product_type = validate::opt_one_of(
        "product_type",
        req.opt_int("product_type")?,
        validate::STATIC_PRODUCT_TYPES,
    )?;
    let trade_no = req.opt_str("trade_no")?;
    let status = validate::opt_one_of(
        "status",
        req.opt_int("status")?,
        validate::STATIC_IP_STATUSES,
    )?;
    let page = validate::positive("page", req.opt_int("page")?, 1)?;
    let size = validate::positive("size", req.opt_int("size")?, 20)?;
    let mut ips: Vec<&StaticIp> = world
        .static_ips
        .iter()
        .filter(|s| {
            country_code
                .as_ref()
                .is_none_or(|c| s.country_code.eq_ignore_ascii_case(c))
                && product_type.is_none_or(|t| s.product_type == t)
                && trade_no.as_ref().is_none_or(|t| s.trade_no == *t)
                && status.is_none_or(|st| s.status(ctx.now) == st)
        })
        .collect();
    ips.sort_by_key(|x| std::cmp::Reverse(x.id));
    let (slice, total_count, total_page) = validate::page_of(&ips, page, size);
    let list = slice
        .iter()
        .map(|s| StaticIpView {
            id: s.id,
            ip: s.ip.to_string(),
            port: s.port,
            username: &s.username,
            password: &s.password,
            country_code: s.country_code,
            state: s.state,
            city: s.city,
            product_type: s.product_type,
            trade_no: &s.trade_no,
            status: s.status(ctx.now),
            created_at: clock::local(s.created_at),
            expired_at: clock::local(s.expired_at),
        })
        .collect();
    Ok(Payload::data(&Page {
        list,
        page,
        page_size: size,
        total_count,
        total_page,
    }))
}

#[derive(Serialize)]
struct Region {
    code: &'static str,
    number: u32,
}

/// `GET static-ip-region?isp=`: static IPs on sale per country; `isp` 1 residential, 0 data
/// center, absent both summed [INF]. Countries with none on sale are left out [INF].
pub(crate) fn static_region(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let isp = validate::opt_one_of("isp", req.opt_int("isp")?, &[0, 1])?;
    let list = world
        .region_stock
        .iter()
        .map(|r| Region {
            code: r.country_code,
            number: match isp {
                Some(1) => r.residential,
                Some(_) => r.datacenter,
                None => r.residential + r.datacenter,
            },
        })
        .filter(|r| r.number > 0)
        .collect();
    Ok(Payload::data(&List { list }))
}
