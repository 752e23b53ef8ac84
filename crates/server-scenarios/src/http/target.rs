//! Where an HTTP scenario sends its requests: conlab's own test server, started for the run,
//! or the user's `url` (loopback only, unless `--allow-remote`).

use conlab_core::url::HttpUrl;
use conlab_core::{Params, ScenarioError};
use conlab_http::TestServer;
use std::net::SocketAddr;

/// The server a run talks to.
pub enum Target {
    /// conlab's own, started for this run (ended with it).
    Own(TestServer),
    /// The user's.
    User {
        /// Their URL.
        url: HttpUrl,
        /// What its host resolved to.
        addr: SocketAddr,
    },
}

impl Target {
    /// Starts conlab's server, or resolves the user's `url` parameter.
    pub async fn start(params: &Params) -> Result<Target, ScenarioError> {
        match params.url("url") {
            Some(url) => {
                let addr =
                    conlab_http::target::resolve("url", &url).map_err(ScenarioError::failed)?;
                Ok(Target::User { url, addr })
            }
            None => TestServer::start_async()
                .await
                .map(Target::Own)
                .map_err(|e| ScenarioError::failed(format!("conlab's test server: {e}"))),
        }
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Target::Own(server) => server.addr(),
            Target::User { addr, .. } => *addr,
        }
    }

    /// The `Host` header.
    pub fn host(&self) -> String {
        match self {
            Target::Own(server) => server.addr().to_string(),
            Target::User { url, .. } => url.authority(),
        }
    }

    /// conlab's own server, when it is the target.
    pub fn own(&self) -> Option<&TestServer> {
        match self {
            Target::Own(server) => Some(server),
            Target::User { .. } => None,
        }
    }

    /// The path to request: the user's, or `own` on conlab's server.
    pub fn path(&self, own: &str) -> String {
        match self {
            Target::Own(_) => own.to_string(),
            Target::User { url, .. } => url.path.clone(),
        }
    }

    /// The URL requests go to, for the output.
    pub fn url(&self, own: &str) -> String {
        format!("http://{}{}", self.host(), self.path(own))
    }
}

/// Why a run cannot go to the `url` given (not resolvable, or not this machine without
/// `--allow-remote`), asked before it starts.
pub fn refusal(params: &Params) -> Option<String> {
    let url = params.url("url")?;
    conlab_http::target::resolve("url", &url).err()
}
