//! Where setting values come from, in precedence order: the environment, the `--config` TOML
//! file, the default. Errors name the setting and where its value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ConfigError, Setting};

/// Where values come from, in precedence order: environment, file, default.
pub(super) struct Sources<'a> {
    pub(super) env: &'a BTreeMap<String, String>,
    pub(super) file: BTreeMap<String, String>,
    pub(super) file_path: Option<PathBuf>,
    /// Every known setting: the gateway's own and each provider's.
    pub(super) settings: Vec<&'static Setting>,
}

impl Sources<'_> {
    fn setting(&self, env: &str) -> &'static Setting {
        self.settings
            .iter()
            .copied()
            .find(|s| s.env == env)
            .unwrap_or_else(|| panic!("setting {env} is missing from the settings table"))
    }

    /// The raw value and the name of its source, or `None` when unset everywhere.
    fn raw(&self, setting: &Setting) -> Option<(String, String)> {
        std::iter::once(setting.env)
            .chain(setting.env_aliases.iter().copied())
            .find_map(|name| {
                self.env
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .map(|v| (v.clone(), name.to_string()))
            })
            .or_else(|| {
                self.file.get(setting.file_key).map(|v| {
                    let path = self
                        .file_path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    (v.clone(), format!("{} in {path}", setting.file_key))
                })
            })
    }

    pub(super) fn parse<T>(
        &self,
        env: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let setting = self.setting(env);
        match self.raw(setting) {
            Some((value, source)) => {
                parse(&value).map_err(|problem| invalid(setting, source, &value, problem))
            }
            None => parse(setting.default).map_err(|problem| ConfigError::Invalid {
                setting: setting.env.to_string(),
                problem: format!("built-in default is invalid: {problem}"),
            }),
        }
    }

    pub(super) fn parse_optional<T>(
        &self,
        env: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let setting = self.setting(env);
        match self.raw(setting) {
            Some((value, source)) => parse(&value)
                .map(Some)
                .map_err(|problem| invalid(setting, source, &value, problem)),
            None => Ok(None),
        }
    }
}

fn invalid(setting: &Setting, source: String, value: &str, problem: String) -> ConfigError {
    let shown = if setting.secret {
        String::new()
    } else {
        format!("'{value}': ")
    };
    ConfigError::Invalid {
        setting: source,
        problem: format!("{shown}{problem}"),
    }
}

/// Reads the TOML file into `file_key → text` and the `[[providers]]` tables, refusing keys no
/// setting knows (typos).
pub(super) fn read_file(
    path: &Path,
    settings: &[&Setting],
) -> Result<(BTreeMap<String, String>, Vec<toml::Table>), ConfigError> {
    let file_error = |problem: String| ConfigError::File {
        path: path.display().to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_error(e.message().to_string()))?;
    let mut values = BTreeMap::new();
    let mut providers = Vec::new();
    for (key, value) in table {
        if key == "providers" {
            let toml::Value::Array(items) = value else {
                return Err(file_error(
                    "providers must be an array of tables ([[providers]])".to_string(),
                ));
            };
            for item in items {
                let toml::Value::Table(table) = item else {
                    return Err(file_error(
                        "providers must be an array of tables ([[providers]])".to_string(),
                    ));
                };
                providers.push(table);
            }
            continue;
        }
        if !settings.iter().any(|s| s.file_key == key) {
            return Err(file_error(format!("unknown setting '{key}'")));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => {
                return Err(file_error(format!(
                    "setting '{key}' must be a string, number or boolean"
                )));
            }
        };
        values.insert(key, text);
    }
    Ok((values, providers))
}
