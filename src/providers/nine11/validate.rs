//! 911's input rules, checked before any upstream call, each failure naming the gateway's wire
//! field (`username`, `password`, `label`, `traffic_limit_bytes`, `products`; in a batch
//! `users[3].username`). Also the generators of usernames and passwords that obey them.

use secrecy::{ExposeSecret, SecretString};

use super::map;
use crate::domain::draws::Draws;
use crate::domain::proxy_users::{Change, NewProxyUser, ProxyUserPatch, ProxyUserStatus};
use crate::providers::{Capability, ProviderError};

/// Password length: 6–16, as a sibling deployment's client bounds it (notes "Proxy accounts",
/// [SIB]; the document says only "numbers and letters").
pub const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 6..=16;
/// Username length: 1–32. The document bounds only the characters; 32 is the simulator's
/// reading too [INF].
pub const USERNAME_LEN: std::ops::RangeInclusive<usize> = 1..=32;
/// Remark width: "within 32 Chinese characters or 64 English characters" (change-remark), so a
/// non-ASCII character counts 2 and an ASCII one 1, as the simulator counts.
pub const MAX_REMARK_WIDTH: usize = 64;
/// Length of a generated password (the longest 911 takes).
pub const GENERATED_PASSWORD_LEN: usize = 16;
/// Length of a generated username.
pub const GENERATED_USERNAME_LEN: usize = 12;

/// A proxy user ready to be added: every value obeys 911's rules.
#[derive(Clone, Debug)]
pub struct ValidNewUser {
    /// The chosen username, or `None` to generate one.
    pub username: Option<String>,
    /// The chosen password, or `None` to generate one.
    pub password: Option<SecretString>,
    /// The remark (`""` for none).
    pub remark: String,
    /// The one product type.
    pub product_type: i64,
    /// The limit in GB; 0 for unlimited (then no change-limit call is made).
    pub limit_gb: u64,
}

/// A patch ready to be applied, one upstream call per present field.
#[derive(Clone, Debug, Default)]
pub struct ValidPatch {
    /// change-password.
    pub password: Option<SecretString>,
    /// change-remark (`""` clears).
    pub remark: Option<String>,
    /// change-limit in GB (0 unlimited).
    pub limit_gb: Option<u64>,
    /// enable / disable.
    pub status: Option<ProxyUserStatus>,
}

fn alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A username: letters and digits only (whitelist-account/add), 1–32 of them.
pub fn username(field: &str, s: &str) -> Result<(), ProviderError> {
    if !alnum(s) {
        return Err(ProviderError::invalid(
            field,
            "911Proxy usernames may contain only ASCII letters and digits",
        ));
    }
    if !USERNAME_LEN.contains(&s.len()) {
        return Err(ProviderError::invalid(
            field,
            "911Proxy usernames are 1 to 32 letters or digits",
        ));
    }
    Ok(())
}

/// A password: letters and digits only (change-password), 6–16 of them [SIB].
pub fn password(field: &str, s: &SecretString) -> Result<(), ProviderError> {
    let s = s.expose_secret();
    if !alnum(s) {
        return Err(ProviderError::invalid(
            field,
            "911Proxy passwords may contain only ASCII letters and digits",
        ));
    }
    if !PASSWORD_LEN.contains(&s.len()) {
        return Err(ProviderError::invalid(
            field,
            "911Proxy passwords are 6 to 16 letters or digits",
        ));
    }
    Ok(())
}

/// The width 911 measures a remark in: 1 per ASCII character, 2 per other character.
pub fn remark_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// A remark within 64 English or 32 Chinese characters.
pub fn remark(field: &str, s: &str) -> Result<(), ProviderError> {
    if remark_width(s) > MAX_REMARK_WIDTH {
        return Err(ProviderError::invalid(
            field,
            "911Proxy remarks hold at most 64 English or 32 Chinese characters \
             (a non-ASCII character counts as 2)",
        ));
    }
    Ok(())
}

/// Exactly one product, one 911 sells proxy accounts for.
pub fn product_type(
    field: &str,
    products: &[crate::domain::products::Product],
) -> Result<i64, ProviderError> {
    match products {
        [product] => map::type_of_product(*product).ok_or_else(|| {
            ProviderError::invalid(
                field,
                format!(
                    "911Proxy has no proxy accounts for {product}; it sells residential, \
                     residential_ip, isp and datacenter"
                ),
            )
        }),
        _ => Err(ProviderError::invalid(
            field,
            "a 911Proxy proxy user has exactly one product (residential, residential_ip, isp \
             or datacenter)",
        )),
    }
}

fn limit(field: &str, bytes: Option<u64>) -> Result<u64, ProviderError> {
    map::limit_bytes_to_gb(bytes).map_err(|message| ProviderError::invalid(field, message))
}

fn rate_limits_unsupported() -> ProviderError {
    ProviderError::unsupported_because(
        Capability::UpdateRateLimits,
        "911Proxy proxy accounts have no concurrency or requests-per-second cap",
    )
}

/// One user to create; `prefix` is `""` alone and `users[3].` in a batch.
pub fn new_user(user: &NewProxyUser, prefix: &str) -> Result<ValidNewUser, ProviderError> {
    let field = |name: &str| format!("{prefix}{name}");
    if user.concurrency_max.is_some() || user.rps_max.is_some() {
        return Err(rate_limits_unsupported());
    }
    if let Some(name) = &user.username {
        username(&field("username"), name)?;
    }
    if let Some(secret) = &user.password {
        password(&field("password"), secret)?;
    }
    let remark_text = user.label.clone().unwrap_or_default();
    remark(&field("label"), &remark_text)?;
    let product_type = product_type(&field("products"), &user.products)?;
    let limit_gb = limit(&field("traffic_limit_bytes"), user.traffic_limit_bytes)?;
    Ok(ValidNewUser {
        username: user.username.clone(),
        password: user.password.clone(),
        remark: remark_text,
        product_type,
        limit_gb,
    })
}

/// Every user of a create call, all checked before anything is sent; a username asked for
/// twice is refused. Field names carry `users[i].` only when there are several users.
pub fn new_users(users: &[NewProxyUser]) -> Result<Vec<ValidNewUser>, ProviderError> {
    if users.is_empty() {
        return Err(ProviderError::invalid("users", "give at least one user"));
    }
    let batch = users.len() > 1;
    let mut out: Vec<ValidNewUser> = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let prefix = if batch {
            format!("users[{i}].")
        } else {
            String::new()
        };
        let valid = new_user(user, &prefix)?;
        if let Some(name) = &valid.username
            && out.iter().any(|u| u.username.as_ref() == Some(name))
        {
            return Err(ProviderError::invalid(
                format!("{prefix}username"),
                format!("the username {name} appears more than once in the batch"),
            ));
        }
        out.push(valid);
    }
    Ok(out)
}

/// A PATCH, all checked before anything is sent.
pub fn patch(patch: &ProxyUserPatch) -> Result<ValidPatch, ProviderError> {
    if patch.concurrency_max.is_some() || patch.rps_max.is_some() {
        return Err(rate_limits_unsupported());
    }
    if let Some(secret) = &patch.password {
        password("password", secret)?;
    }
    let remark_text = match &patch.label {
        Change::Keep => None,
        Change::Clear => Some(String::new()),
        Change::Set(label) => {
            remark("label", label)?;
            Some(label.clone())
        }
    };
    let limit_gb = match patch.traffic_limit_bytes {
        Change::Keep => None,
        Change::Clear => Some(0),
        Change::Set(bytes) => Some(limit("traffic_limit_bytes", Some(bytes))?),
    };
    Ok(ValidPatch {
        password: patch.password.clone(),
        remark: remark_text,
        limit_gb,
        status: patch.status,
    })
}

const LOWER_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// 12 lowercase letters and digits, starting with a letter (from the thread's CSPRNG).
pub fn generate_username(draws: &mut Draws) -> String {
    let mut out = String::with_capacity(GENERATED_USERNAME_LEN);
    out.push(char::from(LOWER_DIGITS[draws.below(26)]));
    for _ in 1..GENERATED_USERNAME_LEN {
        out.push(char::from(LOWER_DIGITS[draws.below(LOWER_DIGITS.len())]));
    }
    out
}

/// 16 letters and digits with at least one lowercase, one uppercase and one digit (about 95
/// bits from the thread's CSPRNG).
pub fn generate_password(draws: &mut Draws) -> SecretString {
    loop {
        let candidate: String = (0..GENERATED_PASSWORD_LEN)
            .map(|_| char::from(LETTERS_DIGITS[draws.below(LETTERS_DIGITS.len())]))
            .collect();
        let has = |f: fn(&u8) -> bool| candidate.as_bytes().iter().any(f);
        if has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase) && has(u8::is_ascii_digit) {
            return SecretString::from(candidate);
        }
    }
}

/// A whitelist entry ready to be added: every value obeys 911's rules.
#[derive(Clone, Debug)]
pub struct ValidWhiteIp {
    /// One address (911 takes no ranges).
    pub ip: std::net::IpAddr,
    /// The product type it opens.
    pub product_type: i64,
    /// The type-11 package it opens (`user_product_id`).
    pub package: Option<i64>,
    /// The remark.
    pub remark: Option<String>,
}

/// A new whitelist entry: one IPv4 or IPv6 address ("ips (comma-separated IPv4/IPv6)", notes
/// [SIB]: no CIDR ranges), a product 911 has whitelists for (residential when none is given,
/// as an add without `product_type` means 9 [INF]), the package when the product is
/// `residential_ip` (`user_product_id` "required when product_type is 11") and only then, and
/// no per-user or per-batch scope.
pub fn whitelist_entry(
    entry: &crate::domain::whitelist::NewWhitelistEntry,
) -> Result<ValidWhiteIp, ProviderError> {
    if entry.ip.is_range() {
        return Err(ProviderError::invalid(
            "ip",
            "911Proxy whitelists single IPv4 or IPv6 addresses, not CIDR ranges",
        ));
    }
    if entry.proxy_user.is_some() {
        return Err(ProviderError::invalid(
            "proxy_user",
            "911Proxy whitelists cover the whole account per product; leave proxy_user out",
        ));
    }
    if entry.ip_batch.is_some() {
        return Err(ProviderError::invalid(
            "ip_batch",
            "911Proxy has no IP batches; leave ip_batch out",
        ));
    }
    let product = entry
        .product
        .unwrap_or(crate::domain::products::Product::Residential);
    let product_type = product_type("product", &[product])?;
    let package = match (&entry.package, product_type) {
        (None, 11) => {
            return Err(ProviderError::invalid(
                "package",
                "a residential_ip whitelist entry names the package it opens (a package id \
                 from GET /v1/packages)",
            ));
        }
        (Some(_), t) if t != 11 => {
            return Err(ProviderError::invalid(
                "package",
                "only residential_ip whitelist entries name a package on 911Proxy",
            ));
        }
        (Some(id), _) => Some(id.parse::<i64>().map_err(|_| {
            ProviderError::invalid("package", "a 911Proxy package id is <account>:<number>")
        })?),
        (None, _) => None,
    };
    if let Some(label) = &entry.label {
        remark("label", label)?;
    }
    Ok(ValidWhiteIp {
        ip: entry.ip.addr,
        product_type,
        package,
        remark: entry.label.clone(),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::products::Product;

    fn field_of(err: ProviderError) -> String {
        match err {
            ProviderError::InvalidInput { field, .. } => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn user() -> NewProxyUser {
        NewProxyUser {
            products: vec![Product::Residential],
            ..Default::default()
        }
    }

    #[test]
    fn usernames_are_1_to_32_letters_or_digits() {
        assert!(username("username", "alpha01").is_ok());
        assert!(username("username", &"a".repeat(32)).is_ok());
        assert!(username("username", &"a".repeat(33)).is_err());
        assert!(username("username", "").is_err());
        assert!(username("username", "al_pha").is_err());
        assert!(username("username", "al pha").is_err());
        assert!(username("username", "ålpha").is_err());
    }

    #[test]
    fn passwords_are_6_to_16_letters_or_digits() {
        let p = |s: &str| password("password", &SecretString::from(s.to_string()));
        assert!(p("abc123").is_ok());
        assert!(p(&"A".repeat(16)).is_ok());
        assert!(p("abc12").is_err());
        assert!(p(&"A".repeat(17)).is_err());
        assert!(p("abc-123").is_err());
    }

    #[test]
    fn remarks_count_chinese_characters_double() {
        assert!(remark("label", &"a".repeat(64)).is_ok());
        assert!(remark("label", &"a".repeat(65)).is_err());
        assert!(remark("label", &"测".repeat(32)).is_ok());
        assert!(remark("label", &"测".repeat(33)).is_err());
        assert_eq!(remark_width("ab测"), 4);
    }

    #[test]
    fn exactly_one_product_that_911_sells() {
        assert_eq!(product_type("products", &[Product::Isp]).unwrap(), 25);
        assert_eq!(
            field_of(product_type("products", &[]).unwrap_err()),
            "products"
        );
        assert!(product_type("products", &[Product::Residential, Product::Isp]).is_err());
        assert!(product_type("products", &[Product::Mobile]).is_err());
    }

    #[test]
    fn a_new_user_is_checked_field_by_field() {
        let ok = new_user(
            &NewProxyUser {
                traffic_limit_bytes: Some(5 * map::GB),
                label: Some("ads".into()),
                ..user()
            },
            "",
        )
        .unwrap();
        assert_eq!(
            (ok.product_type, ok.limit_gb, ok.remark.as_str()),
            (9, 5, "ads")
        );
        let zero = NewProxyUser {
            traffic_limit_bytes: Some(0),
            ..user()
        };
        assert_eq!(
            field_of(new_user(&zero, "").unwrap_err()),
            "traffic_limit_bytes"
        );
        let mobile = NewProxyUser {
            products: vec![Product::Mobile],
            ..user()
        };
        assert_eq!(field_of(new_user(&mobile, "").unwrap_err()), "products");
        let capped = NewProxyUser {
            concurrency_max: Some(5),
            ..user()
        };
        assert!(matches!(
            new_user(&capped, "").unwrap_err(),
            ProviderError::Unsupported {
                operation: "proxy_users.update.rate_limits",
                ..
            }
        ));
    }

    #[test]
    fn batch_fields_name_the_user_by_index() {
        let mut users = vec![user(); 5];
        users[3].username = Some("bad name".into());
        assert_eq!(
            field_of(new_users(&users).unwrap_err()),
            "users[3].username"
        );
        users[3].username = Some("same1".into());
        users[1].username = Some("same1".into());
        assert_eq!(
            field_of(new_users(&users).unwrap_err()),
            "users[3].username"
        );
        assert_eq!(field_of(new_users(&[]).unwrap_err()), "users");
    }

    #[test]
    fn a_patch_clears_the_label_with_an_empty_remark_and_the_limit_with_0() {
        let p = patch(&ProxyUserPatch {
            label: Change::Clear,
            traffic_limit_bytes: Change::Clear,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.remark.as_deref(), Some(""));
        assert_eq!(p.limit_gb, Some(0));
        let bad = ProxyUserPatch {
            traffic_limit_bytes: Change::Set(0),
            ..Default::default()
        };
        assert_eq!(field_of(patch(&bad).unwrap_err()), "traffic_limit_bytes");
        let rps = ProxyUserPatch {
            rps_max: Some(3),
            ..Default::default()
        };
        assert!(matches!(
            patch(&rps).unwrap_err(),
            ProviderError::Unsupported { .. }
        ));
    }

    proptest! {
        #[test]
        fn generated_credentials_obey_911s_rules(_n in 0u8..50) {
            let mut draws = Draws::fresh();
            let name = generate_username(&mut draws);
            prop_assert!(username("username", &name).is_ok());
            prop_assert_eq!(name.len(), 12);
            prop_assert!(name.as_bytes()[0].is_ascii_lowercase());
            prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
            let secret = generate_password(&mut draws);
            prop_assert!(password("password", &secret).is_ok());
            prop_assert_eq!(secret.expose_secret().len(), 16);
        }
    }
}
