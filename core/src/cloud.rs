//! Opening a [`CloudLocation`] with object_store's builders.
//!
//! Configuration comes from two places only: the environment variables with the backend's
//! documented prefix (`AWS_`, `AZURE_`, `GOOGLE_`, read by the builders' `from_env`), and the
//! location's options (from the URL and from the caller), which win. An unprefixed variable
//! such as `TIMEOUT` or `ENDPOINT` in a user's shell configures nothing. An option key the
//! backend does not know is an error naming it, not silently dropped.

use std::sync::Arc;

use object_store::ObjectStore;

use crate::error::{Error, Result};
#[allow(unused_imports)] // CloudBackend's variants are matched only with a cloud feature.
use crate::location::{CloudBackend, CloudLocation};

/// An opened backend.
pub(crate) struct Opened {
    pub(crate) backend: Arc<dyn ObjectStore>,
    /// Why the backend cannot write conditionally, if it is configured so.
    pub(crate) without_conditional_writes: Option<String>,
}

impl Opened {
    #[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
    fn conditional(backend: impl ObjectStore) -> Self {
        Self {
            backend: Arc::new(backend),
            without_conditional_writes: None,
        }
    }
}

/// The backend for `location`; `display` (the redacted URL) names it in errors.
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown option key or a configuration the builder rejects;
/// [`Error::Unsupported`] when the backend's cargo feature is not enabled.
pub(crate) fn open(location: &CloudLocation, display: &str) -> Result<Opened> {
    match location.backend {
        #[cfg(feature = "aws")]
        CloudBackend::S3 => open_s3(location, display),
        #[cfg(feature = "azure")]
        CloudBackend::Azure => open_azure(location, display),
        #[cfg(feature = "gcp")]
        CloudBackend::Gcs => open_gcs(location, display),
        #[allow(unreachable_patterns)]
        backend => Err(Error::unsupported(format!(
            "store URL `{display}` needs plateau built with the `{}` cargo feature \
             (the `plateau` binary has it by default)",
            backend.feature()
        ))),
    }
}

/// An option key the backend does not know.
#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
fn unknown_option(backend: CloudBackend, key: &str, display: &str) -> Error {
    Error::invalid_input(format!(
        "unknown {backend} store option `{key}` for `{display}` (object_store's configuration \
         keys, e.g. `{}`)",
        match backend {
            CloudBackend::S3 => "aws_endpoint",
            CloudBackend::Azure => "azure_storage_account_name",
            CloudBackend::Gcs => "google_service_account",
        }
    ))
}

/// A builder's refusal, naming the store.
#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
fn cannot_open(display: &str, err: object_store::Error) -> Error {
    Error::invalid_input(format!("cannot open store `{display}`: {err}"))
}

#[cfg(feature = "aws")]
fn open_s3(location: &CloudLocation, display: &str) -> Result<Opened> {
    use crate::location::with_bucket_suffix;
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

    let mut builder = AmazonS3Builder::from_env().with_url(location.url.clone());
    for (key, value) in &location.options {
        let parsed: AmazonS3ConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_option(CloudBackend::S3, key, display))?;
        builder = builder.with_config(parsed, value.clone());
    }
    if location.bucket_suffix_from_access_key {
        let Some(access_key) = builder.get_config_value(&AmazonS3ConfigKey::AccessKeyId) else {
            return Err(Error::invalid_input(format!(
                "store URL `{display}` has no access key for minimalkv's bucket suffix: set \
                 AWS_ACCESS_KEY_ID or add `?force_bucket_suffix=false`"
            )));
        };
        let bucket = location.url.trim_start_matches("s3://");
        builder = builder.with_url(format!("s3://{}", with_bucket_suffix(bucket, &access_key)));
    }
    let disabled = builder
        .get_config_value(&AmazonS3ConfigKey::ConditionalPut)
        .is_some_and(|value| value.trim() == "disabled");
    let store = builder.build().map_err(|e| cannot_open(display, e))?;
    Ok(Opened {
        backend: Arc::new(store),
        without_conditional_writes: disabled
            .then(|| "its conditional puts are disabled (aws_conditional_put=disabled)".to_owned()),
    })
}

#[cfg(feature = "azure")]
fn open_azure(location: &CloudLocation, display: &str) -> Result<Opened> {
    use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};

    let mut builder = MicrosoftAzureBuilder::from_env().with_url(location.url.clone());
    for (key, value) in &location.options {
        let parsed: AzureConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_option(CloudBackend::Azure, key, display))?;
        builder = builder.with_config(parsed, value.clone());
    }
    let store = builder.build().map_err(|e| cannot_open(display, e))?;
    Ok(Opened::conditional(store))
}

#[cfg(feature = "gcp")]
fn open_gcs(location: &CloudLocation, display: &str) -> Result<Opened> {
    use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};

    let mut builder = GoogleCloudStorageBuilder::from_env().with_url(location.url.clone());
    for (key, value) in &location.options {
        let parsed: GoogleConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_option(CloudBackend::Gcs, key, display))?;
        builder = builder.with_config(parsed, value.clone());
    }
    let store = builder.build().map_err(|e| cannot_open(display, e))?;
    Ok(Opened::conditional(store))
}
