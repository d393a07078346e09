//! Where a job's output lives: a local folder, or a prefix of an S3 or S3-compatible
//! bucket (`s3://bucket/prefix`).
//!
//! S3 is reached with `object_store`'s client, the one DataFusion and parquet use, and
//! [`register_s3`] hands it to deltalake for the `s3` scheme: Delta tables, their commits
//! and SQL over them all go through one S3 stack. Commits use deltalake's default log
//! store, which writes each commit file with a conditional PUT (`If-None-Match: *`): the
//! store must support that (AWS S3 since 2024, MinIO, moto 5.2 and later); no lock table
//! is used.
//!
//! Credentials are the usual ones: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN` and `AWS_REGION` (or `AWS_DEFAULT_REGION`) from the environment,
//! else the profile `AWS_PROFILE` (or `default`) of `~/.aws/credentials` and
//! `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`), else the instance
//! or container credentials `object_store` finds itself.
//!
//! Transient failures (5xx, throttling, timeouts, refused and reset connections) are
//! retried with exponential backoff and jitter until [`S3Settings::retry_timeout`]; a store
//! that stays down then fails the job, which a re-run resumes after its committed epochs.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use deltalake::logstore::{
    LogStore, LogStoreFactory, ObjectStoreFactory, ObjectStoreRef, StorageConfig, default_logstore, logstore_factories,
    object_store_factories,
};
use deltalake::{DeltaResult, DeltaTableError};
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};
use url::Url;

use crate::{ConnectorError, Result};

/// A job's output root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A local folder (absolute once the output is opened).
    Local(PathBuf),
    /// A prefix of an S3 bucket; `prefix` has no leading or trailing slash.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix the output lives under (may be empty).
        prefix: String,
    },
}

impl Location {
    /// `s3://bucket/prefix` or a local path.
    pub fn parse(s: &str) -> Result<Location> {
        let Some(rest) = s.strip_prefix("s3://") else {
            if s.contains("://") {
                return Err(ConnectorError::Input {
                    path: s.to_owned(),
                    message: "unknown scheme: a local path or s3://bucket/prefix".into(),
                });
            }
            return Ok(Location::Local(PathBuf::from(s)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ConnectorError::Input { path: s.to_owned(), message: "no bucket: s3://bucket/prefix".into() });
        }
        Ok(Location::S3 { bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned() })
    }

    /// The local folder, for a local location.
    pub fn local(&self) -> Option<&Path> {
        match self {
            Location::Local(p) => Some(p),
            Location::S3 { .. } => None,
        }
    }

    /// The root as a directory URL (with a trailing slash). A local root must be absolute.
    pub fn url(&self) -> Result<Url> {
        match self {
            Location::Local(p) => Url::from_directory_path(p).map_err(|()| ConnectorError::Input {
                path: p.display().to_string(),
                message: "not an absolute path".into(),
            }),
            Location::S3 { bucket, prefix } => {
                let path = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
                Url::parse(&format!("s3://{bucket}/{path}"))
                    .map_err(|e| ConnectorError::Input { path: self.to_string(), message: e.to_string() })
            }
        }
    }

    /// The directory URL of `name` under the root.
    pub fn child_url(&self, name: &str) -> Result<Url> {
        let url = self.url()?;
        url.join(&format!("{name}/"))
            .map_err(|e| ConnectorError::Input { path: self.to_string(), message: e.to_string() })
    }

    /// An object store rooted at this location (paths in it are relative to the root),
    /// through the stores registered with deltalake.
    pub fn store(&self) -> Result<ObjectStoreRef> {
        let url = self.url()?;
        deltalake::logstore::store_for(&url, HashMap::<String, String>::new())
            .map_err(|e| ConnectorError::Input { path: self.to_string(), message: e.to_string() })
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Local(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::Local(path.to_path_buf())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// How S3 is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Settings {
    /// Endpoint of an S3-compatible store (`http://127.0.0.1:9000`); requests are then
    /// path-style. `None`: AWS (or `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// Plain HTTP to a non-loopback endpoint. Loopback endpoints may always use HTTP.
    pub allow_http: bool,
    /// How long a request is retried before the store counts as down.
    pub retry_timeout: Duration,
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings { endpoint: None, allow_http: false, retry_timeout: Duration::from_secs(120) }
    }
}

impl S3Settings {
    /// A client for `bucket`.
    pub fn store(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(10),
                    base: 2.0,
                },
                // The time bounds the retries; the count only has to be large enough.
                max_retries: (self.retry_timeout.as_secs() as usize).max(10),
                retry_timeout: self.retry_timeout,
            })
            .with_client_options(
                ClientOptions::new().with_connect_timeout(Duration::from_secs(5)).with_timeout(Duration::from_secs(60)),
            );
        let endpoint = self.endpoint.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        if let Some(endpoint) = &endpoint {
            let url = Url::parse(endpoint).map_err(|e| ConnectorError::Input {
                path: endpoint.clone(),
                message: format!("not an endpoint URL: {e}"),
            })?;
            let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                || url.host_str() == Some("localhost");
            if url.scheme() == "http" && !loopback && !self.allow_http {
                return Err(ConnectorError::Input {
                    path: endpoint.clone(),
                    message: "plain HTTP to a store that is not on this machine: use https, or --s3-allow-http".into(),
                });
            }
            builder = builder
                .with_endpoint(endpoint.trim_end_matches('/'))
                .with_allow_http(url.scheme() == "http")
                .with_virtual_hosted_style_request(false);
        }
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            let profile = AwsProfile::read();
            if let (Some(key), Some(secret)) = (profile.get("aws_access_key_id"), profile.get("aws_secret_access_key"))
            {
                builder = builder.with_access_key_id(key).with_secret_access_key(secret);
                if let Some(token) = profile.get("aws_session_token") {
                    builder = builder.with_token(token);
                }
            }
            if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
                && let Some(region) = profile.get("region")
            {
                builder = builder.with_region(region);
            }
        }
        let store = builder.build().map_err(ConnectorError::ObjectStore)?;
        Ok(Arc::new(store))
    }
}

/// The settings of one profile of the AWS shared credentials and config files.
struct AwsProfile(HashMap<String, String>);

impl AwsProfile {
    fn read() -> AwsProfile {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let file = |var: &str, default: &str| {
            std::env::var_os(var).map_or_else(|| home.join(".aws").join(default), PathBuf::from)
        };
        let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
        let mut settings = HashMap::new();
        // The config file names profiles `[profile NAME]` (but `[default]`); the
        // credentials file `[NAME]`. Credentials win.
        let config_section = if profile == "default" { profile.clone() } else { format!("profile {profile}") };
        for (path, section) in [
            (file("AWS_CONFIG_FILE", "config"), config_section),
            (file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), profile),
        ] {
            if let Ok(text) = std::fs::read_to_string(&path) {
                settings.extend(ini_section(&text, &section));
            }
        }
        AwsProfile(settings)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// The `key = value` lines of `[section]` in an INI text.
fn ini_section(text: &str, section: &str) -> HashMap<String, String> {
    let mut inside = false;
    let mut found = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
        } else if inside && let Some((k, v)) = line.split_once('=') {
            found.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    found
}

/// deltalake's store factory for `s3://` URLs: our client for the URL's bucket.
struct S3Stores(S3Settings);

impl ObjectStoreFactory for S3Stores {
    fn parse_url_opts(
        &self,
        url: &Url,
        _config: &StorageConfig,
    ) -> DeltaResult<(ObjectStoreRef, object_store::path::Path)> {
        let bucket = url.host_str().ok_or_else(|| DeltaTableError::InvalidTableLocation(url.to_string()))?;
        let store = self.0.store(bucket).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
        Ok((store, object_store::path::Path::from(url.path())))
    }
}

/// deltalake's log store for `s3://`: its default one, which commits by conditional PUT.
struct S3LogStores;

impl LogStoreFactory for S3LogStores {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

/// A store's error in words that say what to fix: a missing bucket, refused credentials.
pub fn describe(e: &object_store::Error) -> String {
    let text = e.to_string();
    if text.contains("NoSuchBucket") {
        format!("the bucket does not exist ({text})")
    } else if ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"].iter().any(|k| text.contains(k)) {
        format!(
            "the store refused the credentials: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the AWS profile ({text})"
        )
    } else {
        text
    }
}

/// Makes `s3://` locations open with `settings`, for deltalake (tables, commits, SQL) and
/// for [`Location::store`]. Call once at start, before any table is opened; a later call
/// replaces the settings.
pub fn register_s3(settings: S3Settings) {
    let scheme = Url::parse("s3://").expect("a valid scheme URL");
    object_store_factories().insert(scheme.clone(), Arc::new(S3Stores(settings)));
    logstore_factories().insert(scheme, Arc::new(S3LogStores));
    crate::files::forget_stores();
    wenflow_engine::blob::register("s3", Arc::new(|url: &str| crate::files::read_object(url)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print_back() {
        let s3 = Location::parse("s3://corpus/out/run1/").expect("s3");
        assert_eq!(s3, Location::S3 { bucket: "corpus".into(), prefix: "out/run1".into() });
        assert_eq!(s3.to_string(), "s3://corpus/out/run1");
        assert_eq!(s3.url().expect("url").as_str(), "s3://corpus/out/run1/");
        assert_eq!(s3.child_url("documents").expect("url").as_str(), "s3://corpus/out/run1/documents/");
        let bare = Location::parse("s3://corpus").expect("bucket only");
        assert_eq!(bare.url().expect("url").as_str(), "s3://corpus/");
        assert_eq!(Location::parse("out/dir").expect("local"), Location::Local("out/dir".into()));
        assert!(Location::parse("s3:///x").is_err());
        assert!(Location::parse("gs://bucket/x").is_err());
        assert!(Location::Local("relative".into()).url().is_err());
    }

    #[test]
    fn aws_files_give_the_profile_and_credentials_win() {
        let config = "[default]\nregion = eu-west-1\n[profile other]\nregion = ap-east-1\n";
        let credentials =
            "# keys\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n\n[other]\naws_access_key_id = OK\n";
        assert_eq!(ini_section(config, "profile other").get("region").map(String::as_str), Some("ap-east-1"));
        assert_eq!(ini_section(config, "default").get("region").map(String::as_str), Some("eu-west-1"));
        let keys = ini_section(credentials, "default");
        assert_eq!((keys["aws_access_key_id"].as_str(), keys["aws_secret_access_key"].as_str()), ("AK", "SK"));
        assert!(ini_section(credentials, "missing").is_empty());
    }

    #[test]
    fn plain_http_is_refused_off_this_machine_unless_asked() {
        let remote = S3Settings { endpoint: Some("http://store.example:9000".into()), ..S3Settings::default() };
        let err = remote.store("b").expect_err("refused");
        assert!(err.to_string().contains("--s3-allow-http"), "{err}");
        assert!(S3Settings { allow_http: true, ..remote }.store("b").is_ok());
        let local = S3Settings { endpoint: Some("http://127.0.0.1:9000".into()), ..S3Settings::default() };
        assert!(local.store("b").is_ok());
    }
}
