//! Where the storage lives: the data folder, overridden by `XYCZ_DATABASE_URL` and `XYCZ_OBJECTS`.

use std::path::{Path, PathBuf};

/// Database URL override; `postgres://...` selects PostgreSQL.
pub const ENV_DATABASE_URL: &str = "XYCZ_DATABASE_URL";
/// Object storage override: a folder, or `s3://bucket/prefix`.
pub const ENV_OBJECTS: &str = "XYCZ_OBJECTS";
/// `true` sends S3 requests path-style (most S3-compatible stores need it).
pub const ENV_S3_PATH_STYLE: &str = "XYCZ_S3_PATH_STYLE";

/// Where objects are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectsConfig {
    /// A local folder.
    Local(PathBuf),
    /// An S3 bucket; endpoint, region and credentials come from the AWS SDK's own settings.
    S3 {
        bucket: String,
        prefix: String,
        path_style: bool,
    },
}

/// The resolved storage locations of every `xycz` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    pub database_url: String,
    pub objects: ObjectsConfig,
    /// Where the static site is built.
    pub site_dir: PathBuf,
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

impl StorageConfig {
    /// Resolves from `data_dir` and the process environment.
    pub fn resolve(data_dir: &Path) -> Result<StorageConfig, ConfigError> {
        StorageConfig::resolve_with(data_dir, |name| std::env::var(name).ok())
    }

    /// Resolves from `data_dir` and the variables that `env` returns.
    pub fn resolve_with(
        data_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<StorageConfig, ConfigError> {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let database_url = match set(ENV_DATABASE_URL) {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("xycz.db").display()),
        };

        let path_style = match set(ENV_S3_PATH_STYLE).as_deref().map(str::trim) {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                return Err(ConfigError {
                    name: ENV_S3_PATH_STYLE,
                    message: format!("expected true or false, found {other:?}"),
                })
            }
        };
        let objects = match set(ENV_OBJECTS) {
            None => ObjectsConfig::Local(data_dir.join("objects")),
            Some(value) => parse_objects(&value, path_style)?,
        };

        Ok(StorageConfig {
            database_url,
            objects,
            site_dir: data_dir.join("public"),
        })
    }
}

fn parse_objects(value: &str, path_style: bool) -> Result<ObjectsConfig, ConfigError> {
    let Some(rest) = value.strip_prefix("s3://") else {
        return Ok(ObjectsConfig::Local(PathBuf::from(value)));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(ConfigError {
            name: ENV_OBJECTS,
            message: "s3:// needs a bucket name".into(),
        });
    }
    Ok(ObjectsConfig::S3 {
        bucket: bucket.to_owned(),
        prefix: prefix.trim_matches('/').to_owned(),
        path_style,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(vars: &[(&str, &str)]) -> Result<StorageConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StorageConfig::resolve_with(Path::new("/srv/data"), |k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_live_under_the_data_dir() {
        let config = resolve(&[]).unwrap();
        assert_eq!(config.database_url, "sqlite:///srv/data/xycz.db");
        assert_eq!(
            config.objects,
            ObjectsConfig::Local("/srv/data/objects".into())
        );
        assert_eq!(config.site_dir, PathBuf::from("/srv/data/public"));
    }

    #[test]
    fn environment_overrides() {
        let config = resolve(&[
            (ENV_DATABASE_URL, "postgres://u:p@127.0.0.1/xycz"),
            (ENV_OBJECTS, "s3://credit/uploads/"),
            (ENV_S3_PATH_STYLE, "true"),
        ])
        .unwrap();
        assert_eq!(config.database_url, "postgres://u:p@127.0.0.1/xycz");
        assert_eq!(
            config.objects,
            ObjectsConfig::S3 {
                bucket: "credit".into(),
                prefix: "uploads".into(),
                path_style: true
            }
        );
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(resolve(&[(ENV_S3_PATH_STYLE, "yes")]).is_err());
        assert!(resolve(&[(ENV_OBJECTS, "s3://")]).is_err());
    }
}
