//! Building a [`Client`]: the instance URL, the token, timeouts and TLS.
//!
//! progenitor's own `Client::new` sets a 15-second total timeout, which cuts off
//! any long log download, and puts nothing in place for GitLab's token headers.
//! This builder makes the HTTP client itself and hands the token to the
//! transport (`src/transport/`), so that it never sits in a default header that
//! a redirect could carry to another host.

use std::{fmt, time::Duration};

use reqwest::header::HeaderValue;

use crate::{
    Client, ClientState, RetryPolicy,
    transport::{
        DEFAULT_DEADLINE, DEFAULT_MAX_BODY_BYTES, MAX_REDIRECTS, Settings,
        credential::{Credential, TokenKind},
    },
};

/// How long to wait for a TCP and TLS connection by default.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a response may stay silent by default. It bounds the gap between
/// two reads, never a whole download, so a multi-gigabyte log is not cut off.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a [`Client`] could not be built. Never contains a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The instance URL is not usable.
    InvalidUrl {
        /// The URL as given, with any password removed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An environment variable that [`Client::from_ci_env`] needs is not set.
    MissingEnv {
        /// The variable's name.
        name: &'static str,
    },
    /// None of the variables [`Client::from_env`] reads for this is set.
    MissingSetting {
        /// What is missing: `the instance URL` or `a token`.
        what: &'static str,
        /// The variables read for it, in the order they are read.
        variables: &'static [&'static str],
    },
    /// A token cannot be sent; its value is not repeated here.
    InvalidToken {
        /// Which kind of token it was.
        kind: TokenKind,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HTTP client could not be set up (TLS backend, certificates).
    Http(reqwest::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidUrl { url, reason } => {
                write!(f, "invalid GitLab URL `{url}`: {reason}")
            }
            ConfigError::MissingEnv { name } => write!(
                f,
                "environment variable {name} is not set (Client::from_ci_env works only inside a GitLab CI job)"
            ),
            ConfigError::MissingSetting { what, variables } => {
                write!(f, "no {what}: set one of {}", variables.join(", "))
            }
            ConfigError::InvalidToken { kind, reason } => {
                write!(f, "the {kind} cannot be used: {reason}")
            }
            ConfigError::Http(e) => write!(f, "cannot set up the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Http(e) => Some(e),
            _ => None,
        }
    }
}

/// The same helpers as for the errors of calls: a configuration error sent
/// nothing and has no status.
impl crate::ErrorExt for ConfigError {
    fn http_status(&self) -> Option<reqwest::StatusCode> {
        None
    }

    fn api_error(&self) -> Option<&crate::ApiError> {
        None
    }

    fn describe(&self) -> String {
        self.to_string()
    }

    fn request_sent(&self) -> bool {
        false
    }

    fn is_transient(&self) -> bool {
        false
    }
}

/// Configures and builds a [`Client`]; start with [`Client::builder`].
pub struct ClientBuilder {
    url: String,
    credential: Option<Result<Credential, ConfigError>>,
    connect_timeout: Duration,
    read_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    compression: bool,
    max_body_bytes: u64,
    deadline: Option<Duration>,
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    root_certificates: Vec<Vec<u8>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credential = match &self.credential {
            None => "none".to_owned(),
            Some(Ok(c)) => format!("{c:?}"),
            Some(Err(_)) => "invalid".to_owned(),
        };
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field("credential", &credential)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(url: &str) -> Self {
        ClientBuilder {
            url: url.to_owned(),
            credential: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            user_agent: concat!("gitlab-jobs/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            compression: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            deadline: Some(DEFAULT_DEADLINE),
            #[cfg(any(feature = "rustls", feature = "native-tls"))]
            root_certificates: Vec::new(),
        }
    }

    fn credential(mut self, kind: TokenKind, token: &str) -> Self {
        let credential = Credential::new(kind, token).map_err(|why| ConfigError::InvalidToken { kind, reason: why.0 });
        self.credential = Some(credential);
        self
    }

    /// Authenticate with a personal, project or group access token (`PRIVATE-TOKEN`).
    pub fn private_token(self, token: impl AsRef<str>) -> Self {
        self.credential(TokenKind::Private, token.as_ref())
    }

    /// Authenticate with a CI job token (`JOB-TOKEN`). GitLab accepts it for
    /// `get_current_job`, `get_allowed_agents`, the list operations (on newer
    /// servers) and the artifact downloads; see the README's table.
    pub fn job_token(self, token: impl AsRef<str>) -> Self {
        self.credential(TokenKind::Job, token.as_ref())
    }

    /// Authenticate with an OAuth 2 access token (`Authorization: Bearer`).
    pub fn oauth_token(self, token: impl AsRef<str>) -> Self {
        self.credential(TokenKind::OAuth, token.as_ref())
    }

    /// The longest the server may stay silent: waiting for a response to begin,
    /// or between two chunks of a body. It never limits a whole download.
    /// Defaults to 60 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The longest a TCP and TLS connection may take. Defaults to 30 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header; defaults to `gitlab-jobs/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How reading requests are retried; [`RetryPolicy::default`] unless set.
    /// Requests that change jobs (cancel, retry, erase, play) are never retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether to ask for gzip-compressed responses (`Accept-Encoding: gzip`)
    /// and decompress them as they arrive; on by default with the `gzip`
    /// feature. A page of 100 jobs shrinks about tenfold. Job logs and
    /// artifacts are always asked for uncompressed (`identity`): their
    /// downloads resume at byte offsets of the file itself, which a
    /// compressed body does not have.
    pub fn compression(mut self, enabled: bool) -> Self {
        self.compression = enabled;
        self
    }

    /// The most bytes of a JSON answer the client reads, counted after
    /// decompression as they arrive ([`DEFAULT_MAX_BODY_BYTES`], 64 MiB,
    /// unless set). A longer answer ends in an error of
    /// [`Problem::TooLarge`](crate::Problem::TooLarge) that names the limit
    /// and the operation, and its connection is dropped, so a compression
    /// bomb or an endless page costs at most the limit in memory. Job logs
    /// and artifacts are streamed and have no such limit.
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The longest one JSON call may take in all: its attempts, redirects
    /// and backoffs, and its body, however slowly it arrives
    /// ([`DEFAULT_DEADLINE`], 5 minutes, unless set). Past it the call ends
    /// with an error that says so. Each page of a stream is a call of its
    /// own. Downloads of logs and artifacts have none (a large one may take
    /// long) unless their own builder sets one; [`timeout`](Self::timeout)
    /// still bounds every silence.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// No deadline for JSON calls: only [`timeout`](Self::timeout), the
    /// longest silence, bounds them.
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// Send every request once, whatever the answer.
    pub fn no_retry(self) -> Self {
        self.retry(RetryPolicy::none())
    }

    /// Trust another root certificate (PEM), for instances behind a private CA.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Builds the client, or says what is wrong with the configuration.
    pub fn build(self) -> Result<Client, ConfigError> {
        let baseurl = api_base_url(&self.url)?;
        let api = reqwest::Url::parse(&baseurl)
            .map_err(|e| ConfigError::InvalidUrl { url: redact(&self.url), reason: e.to_string() })?;
        let credential = self.credential.transpose()?;
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|_| ConfigError::InvalidUrl {
            url: redact(&self.url),
            reason: "the user agent holds characters an HTTP header cannot carry".into(),
        })?;
        #[allow(unused_mut)]
        let mut http = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            // Redirects are followed by the transport, which drops the token
            // when the next hop is on another origin (reqwest keeps custom headers).
            .redirect(reqwest::redirect::Policy::none());
        if !self.compression {
            http = http.no_gzip();
        }
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        if !self.root_certificates.is_empty() {
            let certs = self
                .root_certificates
                .iter()
                .map(|pem| reqwest::Certificate::from_pem(pem))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ConfigError::Http)?;
            http = http.tls_certs_merge(certs);
        }
        let http = http.build().map_err(ConfigError::Http)?;
        Ok(Client::new_with_client(
            &baseurl,
            http,
            ClientState::new(Settings {
                api,
                credential,
                max_redirects: MAX_REDIRECTS,
                retry: self.retry,
                max_body_bytes: self.max_body_bytes,
                deadline: self.deadline,
            }),
        ))
    }
}

impl Client {
    /// Starts configuring a client for a GitLab instance.
    ///
    /// `url` is the instance (`https://gitlab.example.com`, or with a path
    /// prefix such as `https://example.com/gitlab`), with or without `/api/v4`
    /// and a trailing slash.
    pub fn builder(url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder::new(url.as_ref())
    }

    /// A client for code running inside a GitLab CI job: the API URL from
    /// `CI_API_V4_URL` and the job token from `CI_JOB_TOKEN`.
    pub fn from_ci_env() -> Result<Client, ConfigError> {
        Self::from_ci_vars(|name| std::env::var(name).ok())
    }

    /// A client from the environment, as GitLab's own CLI (glab) and CI set
    /// it, for a bot that runs in either place:
    ///
    /// | what | read from, first set wins |
    /// |---|---|
    /// | the instance | `GITLAB_URL`, glab's `GITLAB_HOST` and `GL_HOST` (a host name means `https://`), CI's `CI_API_V4_URL` |
    /// | the token | `GITLAB_TOKEN` and `GITLAB_ACCESS_TOKEN` (access tokens), `OAUTH_TOKEN` (OAuth), CI's `CI_JOB_TOKEN` (a job token) |
    ///
    /// An empty variable counts as unset. The error names the variables
    /// read when no instance or no token is found. There is no default
    /// instance: a token is never sent to gitlab.com unless a variable says so.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), gitlab_jobs::ConfigError> {
    /// // GITLAB_HOST=gitlab.example.com GITLAB_TOKEN=glpat-… ./bot
    /// let client = gitlab_jobs::Client::from_env()?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Client, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Client::from_env`] over any source of variables, so that it can be
    /// tested without touching the process environment.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Client, ConfigError> {
        const INSTANCE: &[&str] = &["GITLAB_URL", "GITLAB_HOST", "GL_HOST", "CI_API_V4_URL"];
        const TOKENS: &[&str] = &["GITLAB_TOKEN", "GITLAB_ACCESS_TOKEN", "OAUTH_TOKEN", "CI_JOB_TOKEN"];
        let first = |names: &[&'static str]| {
            names.iter().find_map(|&name| var(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v)))
        };
        let (name, url) =
            first(INSTANCE).ok_or(ConfigError::MissingSetting { what: "instance URL", variables: INSTANCE })?;
        let url = match name {
            // glab's host variables hold a host name, or a URL.
            "GITLAB_HOST" | "GL_HOST" if !url.contains("://") => format!("https://{}", url.trim()),
            _ => url,
        };
        let (token_name, token) =
            first(TOKENS).ok_or(ConfigError::MissingSetting { what: "token", variables: TOKENS })?;
        let builder = Client::builder(url);
        match token_name {
            "OAUTH_TOKEN" => builder.oauth_token(token),
            "CI_JOB_TOKEN" => builder.job_token(token),
            _ => builder.private_token(token),
        }
        .build()
    }

    /// [`Client::from_ci_env`] over any source of variables, so that it can be
    /// tested without touching the process environment.
    pub(crate) fn from_ci_vars(var: impl Fn(&str) -> Option<String>) -> Result<Client, ConfigError> {
        let lookup = |name: &'static str| var(name).filter(|v| !v.is_empty()).ok_or(ConfigError::MissingEnv { name });
        let url = lookup("CI_API_V4_URL")?;
        let token = lookup("CI_JOB_TOKEN")?;
        Client::builder(url).job_token(token).build()
    }

    /// The API root this client sends requests to, ending in `/api/v4`.
    pub fn api_url(&self) -> &str {
        &self.baseurl
    }

    /// Which kind of token the client sends, if any. A job token reaches only
    /// `list_project_jobs`, `get_current_job` and `get_allowed_agents`.
    pub fn token_kind(&self) -> Option<TokenKind> {
        self.inner.transport.credential.as_ref().map(Credential::kind)
    }
}

/// Turns what a user calls their GitLab URL into the API root, `…/api/v4`
/// without a trailing slash.
pub(crate) fn api_base_url(input: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidUrl { url: redact(input), reason: reason.to_owned() };
    let url = reqwest::Url::parse(input.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it holds credentials; pass the token to the builder instead"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    let mut base = url.as_str().trim_end_matches('/').to_owned();
    if !base.ends_with("/api/v4") {
        base.push_str("/api/v4");
    }
    Ok(base)
}

/// The URL without a password, for error messages.
fn redact(input: &str) -> String {
    match reqwest::Url::parse(input.trim()) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("redacted"));
            url.to_string()
        }
        Ok(_) => input.trim().to_owned(),
        Err(_) if input.contains('@') => "(unparsable URL, not shown as it may hold credentials)".to_owned(),
        Err(_) => input.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_url_becomes_the_api_root_in_every_spelling() {
        for input in [
            "https://gitlab.example.com",
            "https://gitlab.example.com/",
            "https://gitlab.example.com/api/v4",
            "https://gitlab.example.com/api/v4/",
            " https://gitlab.example.com/ ",
        ] {
            assert_eq!(api_base_url(input).unwrap(), "https://gitlab.example.com/api/v4", "{input}");
        }
        assert_eq!(api_base_url("http://example.com/gitlab/").unwrap(), "http://example.com/gitlab/api/v4");
        assert_eq!(api_base_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080/api/v4");
    }

    #[test]
    fn unusable_urls_are_refused_with_a_reason_and_no_password() {
        let err = api_base_url("ftp://gitlab.example.com").unwrap_err().to_string();
        assert!(err.contains("scheme"), "{err}");
        let err = api_base_url("gitlab.example.com").unwrap_err().to_string();
        assert!(err.contains("invalid GitLab URL"), "{err}");
        let err = api_base_url("https://u:hunter2@gitlab.example.com").unwrap_err().to_string();
        assert!(err.contains("credentials") && !err.contains("hunter2"), "{err}");
        let err = api_base_url("https://gitlab.example.com/?private_token=x").unwrap_err().to_string();
        assert!(err.contains("query"), "{err}");
    }

    #[test]
    fn ci_env_names_the_missing_variable() {
        let err = Client::from_ci_vars(|_| None).unwrap_err().to_string();
        assert!(err.contains("CI_API_V4_URL"), "{err}");
        let err = Client::from_ci_vars(|n| (n == "CI_API_V4_URL").then(|| "https://gitlab.example.com/api/v4".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("CI_JOB_TOKEN"), "{err}");
        let client = Client::from_ci_vars(|n| {
            Some(if n == "CI_API_V4_URL" { "https://gitlab.example.com/api/v4".into() } else { "jt-secret".into() })
        })
        .unwrap();
        assert_eq!(client.api_url(), "https://gitlab.example.com/api/v4");
        assert_eq!(client.token_kind(), Some(TokenKind::Job));
    }

    #[test]
    fn from_env_reads_glab_and_ci_variables_and_names_what_is_missing() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let client =
            Client::from_vars(vars(&[("GITLAB_URL", "https://a.example.com"), ("GITLAB_TOKEN", "t")])).unwrap();
        assert_eq!((client.api_url(), client.token_kind()), ("https://a.example.com/api/v4", Some(TokenKind::Private)));
        let client = Client::from_vars(vars(&[("GITLAB_HOST", "b.example.com"), ("OAUTH_TOKEN", "t")])).unwrap();
        assert_eq!((client.api_url(), client.token_kind()), ("https://b.example.com/api/v4", Some(TokenKind::OAuth)));
        let client =
            Client::from_vars(vars(&[("GL_HOST", "http://c.example.com:8080"), ("GITLAB_ACCESS_TOKEN", "t")])).unwrap();
        assert_eq!(client.api_url(), "http://c.example.com:8080/api/v4");
        // Inside CI: the job's URL and token, unless others are set.
        const CI: &[(&str, &str)] = &[("CI_API_V4_URL", "https://ci.example.com/api/v4"), ("CI_JOB_TOKEN", "jt")];
        let client = Client::from_vars(vars(CI)).unwrap();
        assert_eq!((client.api_url(), client.token_kind()), ("https://ci.example.com/api/v4", Some(TokenKind::Job)));
        let client = Client::from_vars(vars(&[
            ("CI_API_V4_URL", "https://ci.example.com/api/v4"),
            ("CI_JOB_TOKEN", "jt"),
            ("GITLAB_TOKEN", "pat"),
            ("GITLAB_URL", ""),
        ]))
        .unwrap();
        assert_eq!(
            (client.api_url(), client.token_kind()),
            ("https://ci.example.com/api/v4", Some(TokenKind::Private))
        );
        // What is missing, by name.
        let err = Client::from_vars(vars(&[("GITLAB_TOKEN", "t")])).unwrap_err().to_string();
        assert_eq!(err, "no instance URL: set one of GITLAB_URL, GITLAB_HOST, GL_HOST, CI_API_V4_URL");
        let err = Client::from_vars(vars(&[("GITLAB_HOST", "x.example.com")])).unwrap_err().to_string();
        assert_eq!(err, "no token: set one of GITLAB_TOKEN, GITLAB_ACCESS_TOKEN, OAUTH_TOKEN, CI_JOB_TOKEN");
        let err = Client::from_vars(vars(&[("GITLAB_URL", "ftp://x"), ("GITLAB_TOKEN", "t")])).unwrap_err();
        assert!(err.to_string().contains("scheme"), "{err}");
    }

    #[test]
    fn tokens_never_show_in_debug_or_errors() {
        let secret = "glpat-very-secret-value";
        let builder = Client::builder("https://gitlab.example.com").private_token(secret);
        assert!(!format!("{builder:?}").contains(secret));
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(debug.contains("private token (redacted)"), "{debug}");
        let err = Client::builder("https://gitlab.example.com").oauth_token("bad\ntoken-secret").build().unwrap_err();
        assert!(!err.to_string().contains("token-secret") && !format!("{err:?}").contains("token-secret"));
    }
}
