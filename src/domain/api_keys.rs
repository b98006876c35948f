//! API keys of the internal services that call the gateway: tokens, scopes, account
//! restrictions, and the rules a key obeys (`services::api_keys` creates and authenticates).
//!
//! A token is `pgw_` + 43 base64url characters (32 random bytes). Only its SHA-256 is stored,
//! beside a lookup prefix (the first 16 characters) that finds the candidate row; the hashes
//! are then compared in constant time.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Every token starts with this, so leaked tokens are recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "pgw_";
/// Characters of the token used to find its row; not enough to use the key.
pub const LOOKUP_PREFIX_LEN: usize = 16;
const RANDOM_BYTES: usize = 32;
const MIN_TOKEN_BODY: usize = 32;

/// An API key's id: `key_` and a ULID, so ids sort by creation time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiKeyId(String);

impl ApiKeyId {
    /// A fresh id.
    pub fn generate() -> Self {
        ApiKeyId(super::ids::prefixed("key"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ApiKeyId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ulid = s
            .strip_prefix("key_")
            .ok_or_else(|| "an API key id looks like key_<ULID>".to_string())?;
        ulid::Ulid::from_string(ulid)
            .map_err(|_| "an API key id looks like key_<ULID>".to_string())?;
        Ok(ApiKeyId(s.to_string()))
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a key may do. `admin` includes every other scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read provider data (proxy users, usage, packages…).
    Read,
    /// Change provider data (create users, change limits, order…).
    Write,
    /// Manage API keys and everything else.
    Admin,
    /// See proxy-user passwords in reads (`?include=password`).
    SecretsRead,
    /// Read the audit log.
    AuditRead,
}

impl Scope {
    /// Every scope, in display order.
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Write,
        Scope::Admin,
        Scope::SecretsRead,
        Scope::AuditRead,
    ];

    /// The scope's name on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
            Scope::SecretsRead => "secrets:read",
            Scope::AuditRead => "audit:read",
        }
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown scope '{s}' (known: {})",
                    Scope::ALL.map(Scope::as_str).join(", ")
                )
            })
    }
}

/// A non-empty set of scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses names; refuses an empty list and unknown names.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Scopes, String> {
        let set = names
            .into_iter()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(Scope::from_str)
            .collect::<Result<BTreeSet<_>, _>>()?;
        if set.is_empty() {
            return Err("at least one scope is required".to_string());
        }
        Ok(Scopes(set))
    }

    /// A set from known scopes.
    pub fn of(scopes: &[Scope]) -> Scopes {
        Scopes(scopes.iter().copied().collect())
    }

    /// Whether a key with these scopes may do what `needed` guards.
    pub fn allows(&self, needed: Scope) -> bool {
        self.0.contains(&Scope::Admin) || self.0.contains(&needed)
    }

    /// The scope names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|s| s.as_str().to_string()).collect()
    }
}

/// The provider accounts a key may use; `None` means all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRestriction(Option<BTreeSet<String>>);

impl AccountRestriction {
    /// No restriction.
    pub fn all() -> Self {
        AccountRestriction(None)
    }

    /// Only the named accounts; names are 1–64 of `a-z 0-9 _ -` (lower case).
    pub fn only<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in names {
            validate_account_name(name)?;
            set.insert(name.to_string());
        }
        if set.is_empty() {
            return Err("an account restriction names at least one account".to_string());
        }
        Ok(AccountRestriction(Some(set)))
    }

    /// Whether the key may use `account`.
    pub fn permits(&self, account: &str) -> bool {
        self.0.as_ref().is_none_or(|set| set.contains(account))
    }

    /// The named accounts, or `None` for all.
    pub fn names(&self) -> Option<Vec<String>> {
        self.0.as_ref().map(|set| set.iter().cloned().collect())
    }
}

/// Checks a provider account name: 1–64 characters of `a-z 0-9 _ -`, starting with a letter or digit.
pub fn validate_account_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not an account name (1-64 characters of a-z 0-9 _ -, starting with a letter or digit)"
        ))
    }
}

/// A key's display name: 1–100 characters after trimming, no control characters.
pub fn validate_key_name(name: &str) -> Result<String, String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_string());
    }
    if trimmed.chars().count() > 100 {
        return Err("must be at most 100 characters".to_string());
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".to_string());
    }
    Ok(trimmed.to_string())
}

/// A bearer token; `Debug` never shows it.
#[derive(Clone)]
pub struct Token(SecretString);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Why a token string is not a well-formed gateway token.
#[derive(Debug, thiserror::Error)]
#[error("an API key is pgw_ followed by at least 32 characters of A-Z a-z 0-9 - _")]
pub struct MalformedToken;

impl Token {
    /// A new random token.
    pub fn generate() -> Token {
        let mut bytes = [0u8; RANDOM_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Token(SecretString::from(format!(
            "{TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// Checks the shape of a token given by a caller or by configuration.
    pub fn parse(text: &str) -> Result<Token, MalformedToken> {
        let body = text.strip_prefix(TOKEN_PREFIX).ok_or(MalformedToken)?;
        let ok = body.len() >= MIN_TOKEN_BODY
            && body.len() <= 256
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Token(SecretString::from(text.to_string())))
        } else {
            Err(MalformedToken)
        }
    }

    /// The token itself: shown to its owner once, never logged.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The part used to find the key's row.
    pub fn lookup_prefix(&self) -> &str {
        &self.expose()[..LOOKUP_PREFIX_LEN]
    }

    /// SHA-256 of the whole token, the only form that is stored.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.expose().as_bytes()).into()
    }
}

/// One stored API key.
#[derive(Clone, Debug)]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// Who it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Scopes,
    /// Which provider accounts it may use.
    pub accounts: AccountRestriction,
    /// The first characters of the token, to find it and to show which token this is.
    pub lookup_prefix: String,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<OffsetDateTime>,
}

/// What a caller asks for when creating a key.
#[derive(Clone, Debug)]
pub struct NewApiKey {
    /// Display name.
    pub name: String,
    /// Scopes.
    pub scopes: Scopes,
    /// Account restriction.
    pub accounts: AccountRestriction,
}

/// The identity a request runs as, once its key is verified.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The key's id (logged and audited; never the token).
    pub key_id: ApiKeyId,
    /// The key's name.
    pub key_name: String,
    /// Its scopes.
    pub scopes: Scopes,
    /// Its account restriction.
    pub accounts: AccountRestriction,
    /// Encrypts this key's idempotency records; derived from the presented token, never stored.
    pub record_key: crate::domain::idempotency::RecordKey,
}

/// How long `last_used_at` may lag behind, so busy keys do not write on every request.
pub const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

impl ApiKey {
    /// The record of a new key for `token`: a fresh id, the token's lookup prefix and hash.
    pub fn for_token(new: NewApiKey, token: &Token) -> ApiKey {
        ApiKey {
            id: ApiKeyId::generate(),
            name: new.name,
            scopes: new.scopes,
            accounts: new.accounts,
            lookup_prefix: token.lookup_prefix().to_string(),
            token_hash: token.hash(),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
        }
    }
}

/// The current time, truncated to microseconds so it survives a round trip through either store.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let token = Token::generate();
        assert!(token.expose().starts_with("pgw_"));
        assert_eq!(token.expose().len(), 4 + 43);
        assert!(Token::parse(token.expose()).is_ok());
        assert_eq!(token.lookup_prefix().len(), LOOKUP_PREFIX_LEN);
    }

    #[test]
    fn tokens_never_print() {
        let token = Token::generate();
        assert_eq!(format!("{token:?}"), "Token([redacted])");
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "pgw_",
            "pgw_short",
            "xyz_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "pgw_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa a",
        ] {
            assert!(Token::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn admin_allows_every_scope_and_others_only_themselves() {
        let admin = Scopes::of(&[Scope::Admin]);
        let read = Scopes::of(&[Scope::Read]);
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
        assert!(read.allows(Scope::Read));
        assert!(!read.allows(Scope::Write));
        assert!(!read.allows(Scope::Admin));
    }

    #[test]
    fn scopes_parse_names_and_refuse_unknown_or_empty() {
        assert_eq!(
            Scopes::parse(["read", "write"]).unwrap().names(),
            vec!["read", "write"]
        );
        assert_eq!(
            Scopes::parse(["secrets:read"]).unwrap().names(),
            vec!["secrets:read"]
        );
        assert!(
            Scopes::parse(["root"])
                .unwrap_err()
                .contains("unknown scope 'root'")
        );
        assert!(Scopes::parse([""]).is_err());
    }

    #[test]
    fn account_restrictions_permit_only_named_accounts() {
        let only = AccountRestriction::only(["helodata"]).unwrap();
        assert!(only.permits("helodata"));
        assert!(!only.permits("911proxy"));
        assert!(AccountRestriction::all().permits("911proxy"));
        assert!(AccountRestriction::only(["Bad Name"]).is_err());
    }

    proptest! {
        #[test]
        fn key_ids_round_trip_through_text(_seed in any::<u8>()) {
            let id = ApiKeyId::generate();
            prop_assert_eq!(id.as_str().parse::<ApiKeyId>().unwrap(), id);
        }

        #[test]
        fn arbitrary_text_never_panics_the_token_parser(text in ".{0,80}") {
            let _ = Token::parse(&text);
        }
    }
}
