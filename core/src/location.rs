//! Store URLs as data: which backend, which bucket and key prefix, which options.
//!
//! Parsing is pure (no environment, no network, no cargo feature needed), so every URL form
//! can be checked without a server; [`crate::Store::from_location`] opens the result.
//!
//! Two families of URLs are accepted:
//! * object_store's: `s3://BUCKET/PREFIX`, `s3a://…`, `az://CONTAINER/PREFIX`,
//!   `azure://CONTAINER/PREFIX`, `abfs[s]://CONTAINER@ACCOUNT.dfs.core.windows.net/PREFIX`,
//!   `gs://BUCKET/PREFIX`, plus `file://`, plain paths and `memory://`;
//! * the minimalkv/storefact URLs Python plateau users keep in their configurations:
//!   `hs3://KEY:SECRET@HOST:PORT/BUCKET?is_secure=false` (and `s3://` with credentials),
//!   `hazure://ACCOUNT:KEY@CONTAINER` (and `azure://` with credentials),
//!   `hgcs://BASE64_CREDENTIALS@BUCKET`, `hfs://PATH`, `hmemory://`.
//!
//! A minimalkv URL means what minimalkv makes of it: the endpoint is `https://HOST:PORT`
//! (`http` with `is_secure=false`), and the bucket gets the suffix `-<access key>` unless it
//! already ends with it or `force_bucket_suffix=false` (minimalkv's `S3FSStore` default).

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::naming;
use crate::quote::unquote;

/// A cloud object-store service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudBackend {
    /// Amazon S3 and S3-compatible stores (cargo feature `aws`).
    S3,
    /// Azure Blob Storage (cargo feature `azure`).
    Azure,
    /// Google Cloud Storage (cargo feature `gcp`).
    Gcs,
}

impl CloudBackend {
    /// The cargo feature of `plateau-core` that builds this backend.
    pub fn feature(self) -> &'static str {
        match self {
            Self::S3 => "aws",
            Self::Azure => "azure",
            Self::Gcs => "gcp",
        }
    }

    /// The prefix of the environment variables this backend reads (`AWS_`, `AZURE_`,
    /// `GOOGLE_`); no other variable configures it.
    pub fn env_prefix(self) -> &'static str {
        match self {
            Self::S3 => "AWS_",
            Self::Azure => "AZURE_",
            Self::Gcs => "GOOGLE_",
        }
    }
}

impl fmt::Display for CloudBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::S3 => "S3",
            Self::Azure => "Azure Blob",
            Self::Gcs => "Google Cloud Storage",
        })
    }
}

/// A bucket (or container) of a cloud store, a key prefix in it, and options.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudLocation {
    /// The service.
    pub backend: CloudBackend,
    /// An object_store URL naming the service and bucket, e.g. `s3://bucket` or
    /// `abfss://container@account.dfs.core.windows.net`; the builder takes what it can from it.
    pub url: String,
    /// The key prefix inside the bucket, without leading or trailing `/`.
    pub prefix: String,
    /// object_store configuration keys (e.g. `aws_endpoint`) and values, in the order given;
    /// a later value of a key wins. They override the environment.
    pub options: Vec<(String, String)>,
    /// S3 only: append `-<access key>` (lower case) to the bucket unless it ends with it, once
    /// the access key is known (minimalkv's `force_bucket_suffix`, for a URL without one).
    pub bucket_suffix_from_access_key: bool,
}

impl fmt::Debug for CloudLocation {
    // Options may hold secrets: only their keys are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.options.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("CloudLocation")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .field("option_keys", &keys)
            .field(
                "bucket_suffix_from_access_key",
                &self.bucket_suffix_from_access_key,
            )
            .finish()
    }
}

/// Where a store lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// A new, empty in-memory store.
    Memory,
    /// A directory on local disk.
    Local(PathBuf),
    /// A bucket of a cloud store.
    Cloud(CloudLocation),
}

impl StoreLocation {
    /// Parses a store URL (see the module documentation for the forms).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL that cannot be parsed or an unknown scheme, naming
    /// the URL with its secrets redacted; [`Error::Unsupported`] for minimalkv options plateau
    /// cannot honour (STS role assumption).
    pub fn parse(url: &str) -> Result<Self> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Ok(Self::Local(PathBuf::from(url)));
        };
        let scheme = scheme.to_ascii_lowercase();
        let invalid = |why: &dyn fmt::Display| {
            Error::invalid_input(format!("invalid store URL `{}`: {why}", redact_url(url)))
        };
        match scheme.as_str() {
            "memory" | "hmemory" => Ok(Self::Memory),
            "file" => {
                let parsed = url::Url::parse(url).map_err(|e| invalid(&e))?;
                let path = parsed
                    .to_file_path()
                    .map_err(|()| invalid(&"it does not name a local path"))?;
                Ok(Self::Local(path))
            }
            // minimalkv's `hfs://` takes the rest verbatim as a path (absolute with a third `/`).
            "hfs" | "fs" => Ok(Self::Local(PathBuf::from(rest))),
            "s3" | "s3a" | "hs3" | "boto" | "az" | "adl" | "azure" | "hazure" | "abfs"
            | "abfss" | "gs" | "gcs" | "hgcs" => {
                let parsed = url::Url::parse(url).map_err(|e| invalid(&e))?;
                let minimalkv = matches!(scheme.as_str(), "hs3" | "boto" | "hazure" | "hgcs")
                    || (matches!(scheme.as_str(), "s3" | "azure" | "gcs")
                        && !parsed.username().is_empty());
                let location = if minimalkv {
                    minimalkv_location(&scheme, &parsed)
                } else {
                    object_store_location(&scheme, &parsed)
                };
                location.map(Self::Cloud).map_err(|e| match e {
                    Error::InvalidInput(why) => invalid(&why),
                    other => other,
                })
            }
            other => Err(Error::invalid_input(format!(
                "unsupported store URL scheme `{other}` in `{}`",
                redact_url(url)
            ))),
        }
    }
}

/// `s3://bucket/prefix` and friends, as object_store reads them.
fn object_store_location(scheme: &str, parsed: &url::Url) -> Result<CloudLocation> {
    let backend = match scheme {
        "s3" | "s3a" => CloudBackend::S3,
        "gs" | "gcs" => CloudBackend::Gcs,
        _ => CloudBackend::Azure,
    };
    let host = parsed.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err(Error::invalid_input("it names no bucket or container"));
    }
    let scheme = if scheme == "gcs" { "gs" } else { scheme };
    let (url, prefix) = match scheme {
        // `abfs[s]://container@account.dfs.core.windows.net/prefix`: the authority names the
        // account and container.
        "abfs" | "abfss" if !parsed.username().is_empty() => (
            format!("{scheme}://{}@{host}", parsed.username()),
            parsed.path().to_owned(),
        ),
        // `az://account.dfs.core.windows.net/container/prefix` and friends are left to
        // object_store; plain `az://container/prefix` is the common form.
        _ => (format!("{scheme}://{host}"), parsed.path().to_owned()),
    };
    let mut options = Vec::new();
    for (key, value) in parsed.query_pairs() {
        options.push((key.into_owned(), value.into_owned()));
    }
    Ok(CloudLocation {
        backend,
        url,
        prefix: clean_prefix(&prefix)?,
        options,
        bucket_suffix_from_access_key: false,
    })
}

/// minimalkv's `hs3://KEY:SECRET@HOST:PORT/BUCKET?…`, `hazure://ACCOUNT:KEY@CONTAINER?…` and
/// `hgcs://CREDENTIALS@BUCKET`.
fn minimalkv_location(scheme: &str, parsed: &url::Url) -> Result<CloudLocation> {
    let decode = |text: &str| {
        unquote(text).map_err(|_| {
            Error::invalid_input("the user info has an invalid percent escape (percent-encode it)")
        })
    };
    let user = decode(parsed.username())?;
    let password = parsed.password().map(decode).transpose()?;
    let host = parsed.host_str().unwrap_or_default();
    let query: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |key: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let is_true =
        |key: &str, default: bool| get(key).map_or(default, |v| v.eq_ignore_ascii_case("true"));
    let mut options = Vec::new();
    match scheme {
        "hs3" | "boto" | "s3" => {
            if is_true("is_sts_credentials", false)
                || query
                    .iter()
                    .any(|(k, _)| k.starts_with("sts_assume_role__"))
            {
                return Err(Error::unsupported(
                    "minimalkv's STS role assumption (is_sts_credentials, sts_assume_role__*) \
                     in a store URL; set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE instead",
                ));
            }
            let mut path = parsed.path().trim_start_matches('/').splitn(2, '/');
            let mut bucket = path.next().unwrap_or_default().to_owned();
            let prefix = path.next().unwrap_or_default();
            if bucket.is_empty() {
                return Err(Error::invalid_input("it names no bucket (…@HOST/BUCKET)"));
            }
            if !host.is_empty() {
                let secure = is_true("is_secure", true);
                let endpoint = match parsed.port() {
                    Some(port) => {
                        format!("{}://{host}:{port}", if secure { "https" } else { "http" })
                    }
                    None => format!("{}://{host}", if secure { "https" } else { "http" }),
                };
                options.push(("aws_endpoint".to_owned(), endpoint));
                if !secure {
                    options.push(("aws_allow_http".to_owned(), "true".to_owned()));
                }
            }
            if !user.is_empty() {
                options.push(("aws_access_key_id".to_owned(), user.clone()));
            }
            if let Some(secret) = password {
                options.push(("aws_secret_access_key".to_owned(), secret));
            }
            if let Some(token) = get("session_token") {
                options.push(("aws_session_token".to_owned(), token.to_owned()));
            }
            if let Some(region) = get("region_name") {
                options.push(("aws_region".to_owned(), region.to_owned()));
            }
            if !is_true("verify", true) {
                options.push(("allow_invalid_certificates".to_owned(), "true".to_owned()));
            }
            let mut suffix_later = false;
            if is_true("force_bucket_suffix", true) {
                if user.is_empty() {
                    suffix_later = true;
                } else {
                    bucket = with_bucket_suffix(&bucket, &user);
                }
            }
            Ok(CloudLocation {
                backend: CloudBackend::S3,
                url: format!("s3://{bucket}"),
                prefix: clean_prefix(prefix)?,
                options,
                bucket_suffix_from_access_key: suffix_later,
            })
        }
        "hazure" | "azure" => {
            if host.is_empty() {
                return Err(Error::invalid_input("it names no container (…@CONTAINER)"));
            }
            if !user.is_empty() {
                options.push(("azure_storage_account_name".to_owned(), user));
            }
            if let Some(secret) = password {
                let key = if get("use_sas").is_some() {
                    "azure_storage_sas_key"
                } else {
                    "azure_storage_account_key"
                };
                options.push((key.to_owned(), secret));
            }
            Ok(CloudLocation {
                backend: CloudBackend::Azure,
                url: format!("az://{host}"),
                prefix: clean_prefix(parsed.path())?,
                options,
                bucket_suffix_from_access_key: false,
            })
        }
        _ => {
            if host.is_empty() {
                return Err(Error::invalid_input("it names no bucket (…@BUCKET)"));
            }
            let credentials = base64::engine::general_purpose::URL_SAFE
                .decode(parsed.username())
                .or_else(|_| base64::engine::general_purpose::STANDARD.decode(user.as_bytes()))
                .map_err(|e| {
                    Error::invalid_input(format!("the credentials are not base64: {e}"))
                })?;
            let credentials = String::from_utf8(credentials)
                .map_err(|_| Error::invalid_input("the credentials are not UTF-8 JSON"))?;
            options.push(("google_service_account_key".to_owned(), credentials));
            Ok(CloudLocation {
                backend: CloudBackend::Gcs,
                url: format!("gs://{host}"),
                prefix: clean_prefix(parsed.path())?,
                options,
                bucket_suffix_from_access_key: false,
            })
        }
    }
}

/// `bucket` with minimalkv's `-<access key>` suffix (lower case), unless it has it already.
pub fn with_bucket_suffix(bucket: &str, access_key: &str) -> String {
    let suffix = format!("-{}", access_key.to_lowercase());
    if bucket.to_lowercase().ends_with(&suffix) {
        bucket.to_owned()
    } else {
        format!("{bucket}{suffix}")
    }
}

/// A URL path as a key prefix: no leading or trailing `/`, and otherwise a valid key
/// ([`naming::check_key`]: no empty, `.` or `..` segment).
fn clean_prefix(path: &str) -> Result<String> {
    let trimmed = path.trim_matches('/');
    if !trimmed.is_empty() {
        naming::check_key(trimmed)?;
    }
    Ok(trimmed.to_owned())
}

/// The secrets written in `url`: the user-info password (the whole user info of
/// `hgcs://`), and the values of secret-looking query parameters, each also percent-decoded.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let Some((scheme, rest)) = url.split_once("://") else {
        return secrets;
    };
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = before_query.split('/').next().unwrap_or_default();
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        let lower = scheme.to_ascii_lowercase();
        if lower == "hgcs" || lower == "gcs" {
            secrets.push(userinfo.to_owned());
        } else if let Some((_, password)) = userinfo.split_once(':') {
            secrets.push(password.to_owned());
        }
    }
    for pair in query.split('&') {
        if let Some((key, value)) = pair.split_once('=') {
            if is_secret_parameter(key) {
                secrets.push(value.to_owned());
            }
        }
    }
    let decoded: Vec<String> = secrets.iter().filter_map(|s| unquote(s).ok()).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Whether a configuration key (URL query parameter, store option or environment variable)
/// holds a secret: its name contains `secret`, `token`, `key`, `sig`, `password` or
/// `credential` (case-insensitively). Key *ids* (`aws_access_key_id`) are not secrets.
pub fn is_secret_parameter(key: &str) -> bool {
    if key.to_ascii_lowercase().ends_with("key_id") {
        return false;
    }
    let key = key.to_ascii_lowercase();
    ["secret", "token", "key", "sig", "password", "credential"]
        .iter()
        .any(|word| key.contains(word))
}

/// `url` with its secrets replaced by `***`: the password of the user info (the whole user
/// info for `hgcs://`, where it is the credentials file) and query values whose names look
/// secret (`session_token`, `sig`, `account_key`, …). For output: errors, listings, logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let lower = scheme.to_ascii_lowercase();
            let userinfo = if lower == "hgcs" || lower == "gcs" {
                "***".to_owned()
            } else {
                match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***"),
                    // `abfss://container@account…` has no secret in it.
                    None => userinfo.to_owned(),
                }
            };
            format!("{userinfo}@{host}")
        }
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_secret_parameter(key) => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cloud(url: &str) -> CloudLocation {
        match StoreLocation::parse(url).unwrap() {
            StoreLocation::Cloud(location) => location,
            other => panic!("{url}: {other:?}"),
        }
    }

    fn option<'a>(location: &'a CloudLocation, key: &str) -> Option<&'a str> {
        location
            .options
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn object_store_urls() {
        let s3 = cloud("s3://bucket/some/prefix/");
        assert_eq!(s3.backend, CloudBackend::S3);
        assert_eq!(s3.url, "s3://bucket");
        assert_eq!(s3.prefix, "some/prefix");
        assert!(s3.options.is_empty());
        let az = cloud("az://container/p");
        assert_eq!(
            (az.backend, az.url.as_str(), az.prefix.as_str()),
            (CloudBackend::Azure, "az://container", "p")
        );
        let abfs = cloud("abfss://container@account.dfs.core.windows.net/p/q");
        assert_eq!(abfs.url, "abfss://container@account.dfs.core.windows.net");
        assert_eq!(abfs.prefix, "p/q");
        let gs = cloud("gs://bucket");
        assert_eq!(
            (gs.backend, gs.url.as_str(), gs.prefix.as_str()),
            (CloudBackend::Gcs, "gs://bucket", "")
        );
        assert_eq!(cloud("gcs://bucket/x").url, "gs://bucket");
    }

    #[test]
    fn minimalkv_s3_urls() {
        let s3 = cloud("hs3://KEY:se%2Fcret@127.0.0.1:9000/bucket?is_secure=false");
        assert_eq!(s3.backend, CloudBackend::S3);
        assert_eq!(s3.url, "s3://bucket-key");
        assert_eq!(option(&s3, "aws_endpoint"), Some("http://127.0.0.1:9000"));
        assert_eq!(option(&s3, "aws_allow_http"), Some("true"));
        assert_eq!(option(&s3, "aws_access_key_id"), Some("KEY"));
        assert_eq!(option(&s3, "aws_secret_access_key"), Some("se/cret"));
        assert!(!s3.bucket_suffix_from_access_key);

        let no_suffix = cloud(
            "hs3://KEY:S@host/bucket?force_bucket_suffix=false&region_name=eu-west-1&verify=false",
        );
        assert_eq!(no_suffix.url, "s3://bucket");
        assert_eq!(option(&no_suffix, "aws_endpoint"), Some("https://host"));
        assert_eq!(option(&no_suffix, "aws_allow_http"), None);
        assert_eq!(option(&no_suffix, "aws_region"), Some("eu-west-1"));
        assert_eq!(
            option(&no_suffix, "allow_invalid_certificates"),
            Some("true")
        );

        // Already suffixed (case-insensitively): unchanged.
        assert_eq!(cloud("hs3://Key:S@host/data-key").url, "s3://data-key");
        // No key in the URL: the suffix waits for the environment's key.
        let later = cloud("hs3://host/bucket");
        assert!(later.bucket_suffix_from_access_key);
        assert_eq!(later.url, "s3://bucket");
        // `s3://` with credentials is minimalkv's form too; without, object_store's.
        assert_eq!(cloud("s3://K:S@host:1/b").url, "s3://b-k");
        assert_eq!(cloud("s3://host/b").url, "s3://host");
        assert!(matches!(
            StoreLocation::parse("hs3://K:S@host/b?is_sts_credentials=true"),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            StoreLocation::parse("hs3://K:S@host/"),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn minimalkv_azure_and_gcs_urls() {
        let az = cloud("hazure://account:a%2Bkey%3D%3D@container");
        assert_eq!(
            (az.backend, az.url.as_str()),
            (CloudBackend::Azure, "az://container")
        );
        assert_eq!(option(&az, "azure_storage_account_name"), Some("account"));
        assert_eq!(option(&az, "azure_storage_account_key"), Some("a+key=="));
        let sas = cloud("azure://account:sv%3D1@container?use_sas&create_if_missing=false");
        assert_eq!(option(&sas, "azure_storage_sas_key"), Some("sv=1"));

        let json = r#"{"type": "service_account"}"#;
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(json);
        let gcs = cloud(&format!("hgcs://{encoded}@bucket"));
        assert_eq!(
            (gcs.backend, gcs.url.as_str()),
            (CloudBackend::Gcs, "gs://bucket")
        );
        assert_eq!(option(&gcs, "google_service_account_key"), Some(json));
        assert!(!format!("{gcs:?}").contains("service_account\""));
    }

    #[test]
    fn local_and_memory_urls() {
        assert_eq!(
            StoreLocation::parse("memory://").unwrap(),
            StoreLocation::Memory
        );
        assert_eq!(
            StoreLocation::parse("hmemory://").unwrap(),
            StoreLocation::Memory
        );
        assert_eq!(
            StoreLocation::parse("hfs:///tmp/x").unwrap(),
            StoreLocation::Local(PathBuf::from("/tmp/x"))
        );
        assert_eq!(
            StoreLocation::parse("./rel").unwrap(),
            StoreLocation::Local(PathBuf::from("./rel"))
        );
        assert!(matches!(
            StoreLocation::parse("ftp://x/y"),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            StoreLocation::parse("s3://b/a//c"),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_url("hs3://KEY:SECRET@HOST:9000/BUCKET?is_secure=false&session_token=T"),
            "hs3://KEY:***@HOST:9000/BUCKET?is_secure=false&session_token=***"
        );
        assert_eq!(redact_url("hazure://acc:k%2B@c"), "hazure://acc:***@c");
        assert_eq!(
            redact_url("hgcs://eyJhIjoxfQ==@bucket"),
            "hgcs://***@bucket"
        );
        assert_eq!(
            redact_url("abfss://c@acc.dfs.core.windows.net/p"),
            "abfss://c@acc.dfs.core.windows.net/p"
        );
        assert_eq!(redact_url("az://c/p?sig=abc&sv=1"), "az://c/p?sig=***&sv=1");
        assert_eq!(redact_url("/plain/path"), "/plain/path");
        let err = StoreLocation::parse("hs3://KEY:SECRET@HOST/").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
