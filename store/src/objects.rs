//! Object storage for original uploads: a local folder or an S3 bucket.
//!
//! A key is written once: putting the same bytes again is fine, different bytes are refused.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::config::ObjectsConfig;

/// Longest sanitised file name kept in a key, in characters.
const MAX_FILE_NAME_CHARS: usize = 120;

/// An object storage failure.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// The key holds different bytes; objects are never overwritten.
    #[error("object {0} already exists with different content")]
    Conflict(String),
    #[error("object {0} not found")]
    NotFound(String),
    #[error("{0} is not supported by the local object store")]
    Unsupported(&'static str),
    #[error("object {key}: {source}")]
    Io { key: String, source: std::io::Error },
    #[error("S3 {operation} {key}: {message}")]
    S3 {
        operation: &'static str,
        key: String,
        message: String,
    },
}

/// What a put did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PutOutcome {
    Created,
    /// The key already held exactly these bytes.
    AlreadyPresent,
}

/// A presigned request that a browser can send straight to S3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresignedPut {
    pub url: String,
    pub method: String,
    /// Headers the client must send as they are.
    pub headers: Vec<(String, String)>,
}

/// Where original uploads are kept.
#[derive(Clone, Debug)]
pub enum ObjectStore {
    Local {
        root: PathBuf,
    },
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

/// The key of an uploaded file: `uploads/{unit_code}/{sha256}/{file name}`.
pub fn upload_key(unit_code: &str, sha256: &str, file_name: &str) -> String {
    format!(
        "uploads/{}/{}/{}",
        sanitise_segment(unit_code),
        sanitise_segment(sha256),
        sanitise_segment(file_name)
    )
}

/// Keeps letters (any script), digits and `.-_()`, replaces the rest with `_`, drops leading
/// dots and bounds the length.
fn sanitise_segment(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let chars: Vec<char> = cleaned.chars().collect();
    let kept: String = if chars.len() > MAX_FILE_NAME_CHARS {
        // Keep the end, where the extension is.
        chars[chars.len() - MAX_FILE_NAME_CHARS..].iter().collect()
    } else {
        cleaned.to_owned()
    };
    if kept.is_empty() {
        "file".to_owned()
    } else {
        kept
    }
}

fn check_key(key: &str) -> Result<(), ObjectError> {
    let bad = key.is_empty()
        || key.len() > 1024
        || key.starts_with('/')
        || key.contains('\\')
        || key.chars().any(char::is_control)
        || key
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    if bad {
        return Err(ObjectError::InvalidKey(key.to_owned()));
    }
    Ok(())
}

impl ObjectStore {
    /// Opens the configured store; S3 settings other than the bucket come from the AWS SDK's
    /// environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials).
    pub async fn from_config(config: &ObjectsConfig) -> ObjectStore {
        match config {
            ObjectsConfig::Local(root) => ObjectStore::local(root),
            ObjectsConfig::S3 {
                bucket,
                prefix,
                path_style,
            } => {
                let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .load()
                    .await;
                ObjectStore::s3(&sdk, bucket, prefix, *path_style)
            }
        }
    }

    /// A store in a local folder.
    pub fn local(root: &Path) -> ObjectStore {
        ObjectStore::Local {
            root: root.to_path_buf(),
        }
    }

    /// A store in an S3 bucket, keys under `prefix`.
    pub fn s3(
        sdk: &aws_config::SdkConfig,
        bucket: &str,
        prefix: &str,
        path_style: bool,
    ) -> ObjectStore {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style)
            .build();
        ObjectStore::S3 {
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        }
    }

    fn s3_key(prefix: &str, key: &str) -> String {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}/{key}")
        }
    }

    /// Stores `bytes` under `key` unless the key holds other bytes already.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<PutOutcome, ObjectError> {
        check_key(key)?;
        match self {
            ObjectStore::Local { root } => put_local(root, key, bytes).await,
            ObjectStore::S3 {
                client,
                bucket,
                prefix,
            } => {
                let full = ObjectStore::s3_key(prefix, key);
                if self.exists(key).await? {
                    return same_or_conflict(&self.get(key).await?, bytes, key);
                }
                let put = client
                    .put_object()
                    .bucket(bucket)
                    .key(&full)
                    .if_none_match("*")
                    .body(ByteStream::from(bytes.to_vec()))
                    .send()
                    .await;
                match put {
                    Ok(_) => Ok(PutOutcome::Created),
                    // Another writer got there first: compare with what it wrote.
                    Err(e) if e.code() == Some("PreconditionFailed") => {
                        same_or_conflict(&self.get(key).await?, bytes, key)
                    }
                    Err(e) => Err(s3_error("PutObject", key, e)),
                }
            }
        }
    }

    /// The bytes under `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        check_key(key)?;
        match self {
            ObjectStore::Local { root } => match tokio::fs::read(root.join(key)).await {
                Ok(bytes) => Ok(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(ObjectError::NotFound(key.to_owned()))
                }
                Err(source) => Err(ObjectError::Io {
                    key: key.to_owned(),
                    source,
                }),
            },
            ObjectStore::S3 {
                client,
                bucket,
                prefix,
            } => {
                let response = client
                    .get_object()
                    .bucket(bucket)
                    .key(ObjectStore::s3_key(prefix, key))
                    .send()
                    .await;
                let output = match response {
                    Ok(output) => output,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                        return Err(ObjectError::NotFound(key.to_owned()))
                    }
                    Err(e) => return Err(s3_error("GetObject", key, e)),
                };
                let body = output
                    .body
                    .collect()
                    .await
                    .map_err(|e| s3_error("GetObject", key, e))?;
                Ok(body.into_bytes().to_vec())
            }
        }
    }

    /// Whether `key` holds an object.
    pub async fn exists(&self, key: &str) -> Result<bool, ObjectError> {
        check_key(key)?;
        match self {
            ObjectStore::Local { root } => {
                tokio::fs::try_exists(root.join(key))
                    .await
                    .map_err(|source| ObjectError::Io {
                        key: key.to_owned(),
                        source,
                    })
            }
            ObjectStore::S3 {
                client,
                bucket,
                prefix,
            } => {
                let head = client
                    .head_object()
                    .bucket(bucket)
                    .key(ObjectStore::s3_key(prefix, key))
                    .send()
                    .await;
                match head {
                    Ok(_) => Ok(true),
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
                    Err(e) => Err(s3_error("HeadObject", key, e)),
                }
            }
        }
    }

    /// A URL through which a client may PUT `key` directly for `expires` (S3 only). The upload
    /// must still be checked and its hash verified before it is trusted.
    pub async fn presign_put(
        &self,
        key: &str,
        expires: Duration,
    ) -> Result<PresignedPut, ObjectError> {
        check_key(key)?;
        let ObjectStore::S3 {
            client,
            bucket,
            prefix,
        } = self
        else {
            return Err(ObjectError::Unsupported("presigned upload"));
        };
        let presigning =
            PresigningConfig::expires_in(expires).map_err(|e| s3_error("presign", key, e))?;
        let request = client
            .put_object()
            .bucket(bucket)
            .key(ObjectStore::s3_key(prefix, key))
            .presigned(presigning)
            .await
            .map_err(|e| s3_error("presign", key, e))?;
        Ok(PresignedPut {
            url: request.uri().to_owned(),
            method: request.method().to_owned(),
            headers: request
                .headers()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        })
    }
}

async fn put_local(root: &Path, key: &str, bytes: &[u8]) -> Result<PutOutcome, ObjectError> {
    let io = |source| ObjectError::Io {
        key: key.to_owned(),
        source,
    };
    let path = root.join(key);
    if let Ok(existing) = tokio::fs::read(&path).await {
        return same_or_conflict(&existing, bytes, key);
    }

    let dir = path.parent().unwrap_or(root);
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let temp = dir.join(format!(".tmp-{}", crate::password::random_token()));
    tokio::fs::write(&temp, bytes).await.map_err(io)?;

    // A hard link never replaces an existing file, so two writers cannot overwrite each other.
    let linked = tokio::fs::hard_link(&temp, &path).await;
    let removed = tokio::fs::remove_file(&temp).await;
    match linked {
        Ok(()) => {
            removed.map_err(io)?;
            Ok(PutOutcome::Created)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = tokio::fs::read(&path).await.map_err(io)?;
            same_or_conflict(&existing, bytes, key)
        }
        Err(e) => Err(io(e)),
    }
}

fn same_or_conflict(existing: &[u8], bytes: &[u8], key: &str) -> Result<PutOutcome, ObjectError> {
    if existing == bytes {
        Ok(PutOutcome::AlreadyPresent)
    } else {
        Err(ObjectError::Conflict(key.to_owned()))
    }
}

fn s3_error(
    operation: &'static str,
    key: &str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> ObjectError {
    ObjectError::S3 {
        operation,
        key: key.to_owned(),
        message: aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_keys_are_safe() {
        assert_eq!(
            upload_key("91110000101623741K", "abc", "行政处罚 2024/3月.xlsx"),
            "uploads/91110000101623741K/abc/行政处罚_2024_3月.xlsx"
        );
        assert_eq!(upload_key("X", "h", "../../etc"), "uploads/X/h/_.._etc");
        assert_eq!(upload_key("X", "h", "..."), "uploads/X/h/file");
        let long = format!("{}.xlsx", "长".repeat(300));
        let key = upload_key("X", "h", &long);
        assert!(key.ends_with("长.xlsx"));
        assert!(check_key(&key).is_ok());
    }

    #[test]
    fn keys_cannot_escape() {
        for bad in ["", "/abs", "a/../b", "a//b", "a\\b", "./a", "a\n"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        assert!(check_key("uploads/a/b.xlsx").is_ok());
    }
}
