//! S3 (or anything speaking its API: MinIO, Ceph, moto in the tests) as the files' storage.
//! `object_store` signs the requests (with ring); the requests go through a hyper client of
//! our own, with the TLS roots of the outbound client plus `outbound.ca_file`, so the build
//! has one TLS stack.

use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{
    ClientOptions, HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpRequestBody, HttpResponse, HttpResponseBody,
    HttpService,
};

use crate::settings::FilesConfig;

/// The bucket the settings name, reached through [`Hyper`].
pub fn store(config: &FilesConfig, ca_file: &str) -> anyhow::Result<AmazonS3> {
    // AWS_* variables first (keep the secret there rather than in a config file), then the
    // [files] settings that are set
    let mut builder = AmazonS3Builder::from_env()
        .with_virtual_hosted_style_request(config.s3_virtual_hosted)
        .with_http_connector(Hyper::new(ca_file)?);
    for (value, set) in [
        (
            &config.s3_bucket,
            AmazonS3Builder::with_bucket_name as fn(AmazonS3Builder, String) -> AmazonS3Builder,
        ),
        (&config.s3_region, AmazonS3Builder::with_region),
        (&config.s3_endpoint, AmazonS3Builder::with_endpoint),
        (&config.s3_access_key_id, AmazonS3Builder::with_access_key_id),
        (&config.s3_secret_access_key, AmazonS3Builder::with_secret_access_key),
    ] {
        if !value.is_empty() {
            builder = set(builder, value.clone());
        }
    }
    if config.s3_endpoint.starts_with("http://") {
        builder = builder.with_allow_http(true);
    }
    Ok(builder.build()?)
}

/// `object_store`'s HTTP connector, as a hyper client.
#[derive(Debug, Clone)]
struct Hyper {
    client: Client<HttpsConnector<HttpConnector>, HttpRequestBody>,
}

impl Hyper {
    fn new(ca_file: &str) -> anyhow::Result<Hyper> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(hybrid_outbound::tls_config(ca_file)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Hyper {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }
}

impl object_store::client::HttpConnector for Hyper {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(self.clone()))
    }
}

#[async_trait::async_trait]
impl HttpService for Hyper {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let response = self.client.request(request).await.map_err(|e| {
            let kind = if e.is_connect() {
                HttpErrorKind::Connect
            } else {
                HttpErrorKind::Request
            };
            HttpError::new(kind, e)
        })?;
        Ok(response.map(|body| HttpResponseBody::new(body.map_err(|e| HttpError::new(HttpErrorKind::Interrupted, e)))))
    }
}
