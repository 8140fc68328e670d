//! The credential a client sends: which of GitLab's token headers carries it,
//! and a value that never appears in `Debug`, `Display` or an error.

use std::fmt;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

/// A credential for GitLab's API.
#[derive(Clone)]
pub(crate) struct Credential {
    kind: TokenKind,
    header: HeaderName,
    value: HeaderValue,
}

/// The kinds of token GitLab accepts, each in its own header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// A personal, project or group access token, sent as `PRIVATE-TOKEN`.
    Private,
    /// A CI job token (`CI_JOB_TOKEN`), sent as `JOB-TOKEN`.
    Job,
    /// An OAuth 2 access token, sent as `Authorization: Bearer`.
    OAuth,
}

impl TokenKind {
    /// Every kind: a redirect to another origin removes each one's header
    /// (`redirect.rs`). A new kind belongs here as well as in `header`.
    pub(crate) const ALL: [TokenKind; 3] = [TokenKind::Private, TokenKind::Job, TokenKind::OAuth];

    /// The header that carries a token of this kind.
    pub(crate) fn header(self) -> HeaderName {
        match self {
            TokenKind::Private => HeaderName::from_static("private-token"),
            TokenKind::Job => HeaderName::from_static("job-token"),
            TokenKind::OAuth => header::AUTHORIZATION,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKind::Private => "private token",
            TokenKind::Job => "job token",
            TokenKind::OAuth => "OAuth token",
        })
    }
}

/// Why a token cannot be sent; its value is never part of it.
#[derive(Debug)]
pub(crate) struct Unsendable(pub(crate) &'static str);

impl Credential {
    pub(crate) fn new(kind: TokenKind, token: &str) -> Result<Self, Unsendable> {
        if token.is_empty() {
            return Err(Unsendable("it is empty"));
        }
        let text = match kind {
            TokenKind::OAuth => format!("Bearer {token}"),
            TokenKind::Private | TokenKind::Job => token.to_owned(),
        };
        let mut value =
            HeaderValue::from_str(&text).map_err(|_| Unsendable("it holds characters an HTTP header cannot carry"))?;
        // reqwest and http print a sensitive value as `Sensitive`.
        value.set_sensitive(true);
        Ok(Credential { kind, header: kind.header(), value })
    }

    pub(crate) fn kind(&self) -> TokenKind {
        self.kind
    }

    /// Puts the credential on an outgoing request.
    pub(crate) fn authorize(&self, headers: &mut HeaderMap) {
        headers.insert(self.header.clone(), self.value.clone());
    }

    /// Removes every header that may carry a GitLab credential: each token
    /// kind's header (from [`TokenKind::ALL`], so a new kind cannot be
    /// forgotten here), this credential's own header, and cookies.
    pub(crate) fn strip(credential: Option<&Credential>, headers: &mut HeaderMap) {
        for kind in TokenKind::ALL {
            headers.remove(kind.header());
        }
        if let Some(credential) = credential {
            headers.remove(&credential.header);
        }
        headers.remove(header::COOKIE);
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (redacted)", self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_kind_header_is_stripped() {
        let mut headers = HeaderMap::new();
        for kind in TokenKind::ALL {
            headers.insert(kind.header(), HeaderValue::from_static("secret"));
        }
        headers.insert(header::COOKIE, HeaderValue::from_static("_gitlab_session=1"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        Credential::strip(None, &mut headers);
        assert_eq!(headers.keys().collect::<Vec<_>>(), [header::ACCEPT]);
    }

    #[test]
    fn a_credential_shows_its_kind_and_never_its_value() {
        let credential = Credential::new(TokenKind::OAuth, "oauth-secret").unwrap();
        assert_eq!(format!("{credential:?}"), "OAuth token (redacted)");
        let mut headers = HeaderMap::new();
        credential.authorize(&mut headers);
        assert!(!format!("{headers:?}").contains("oauth-secret"));
        assert!(Credential::new(TokenKind::Private, "").is_err());
        assert!(Credential::new(TokenKind::Private, "bad\nvalue").is_err());
    }
}
