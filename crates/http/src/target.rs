//! Where an HTTP scenario sends its requests: conlab's own test server, or the user's URL —
//! on this machine only (loopback), unless the user said `--allow-remote`.

use conlab_core::url::HttpUrl;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};

static ALLOW_REMOTE: AtomicBool = AtomicBool::new(false);

/// Lets scenarios send requests to hosts other than this machine (`conlab run --allow-remote`).
pub fn allow_remote(allowed: bool) {
    ALLOW_REMOTE.store(allowed, Ordering::Relaxed);
}

/// Whether requests may leave this machine.
pub fn remote_allowed() -> bool {
    ALLOW_REMOTE.load(Ordering::Relaxed)
}

/// The address `url` names, refused (in words naming `param`) when it cannot be resolved or,
/// unless remote targets are allowed, when it is not a loopback address.
pub fn resolve(param: &str, url: &HttpUrl) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| {
            let only_here = if remote_allowed() {
                ""
            } else {
                "; conlab sends requests only to this machine (127.0.0.0/8, ::1, localhost) \
                 unless run with --allow-remote"
            };
            format!(
                "{param}={url}: the host {} could not be resolved ({e}){only_here}",
                url.host
            )
        })?
        .collect();
    let Some(first) = addrs.first().copied() else {
        return Err(format!(
            "{param}={url}: the host {} has no address",
            url.host
        ));
    };
    if !remote_allowed() && !addrs.iter().all(|a| a.ip().is_loopback()) {
        return Err(format!(
            "{param}={url}: {} is not this machine (loopback: 127.0.0.0/8, ::1, localhost); \
             conlab sends load only to loopback unless run with --allow-remote",
            url.host
        ));
    }
    Ok(first)
}
