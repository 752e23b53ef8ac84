//! Addresses as a parameter gives them: `http://` URLs and a server's bind address, parsed
//! once, checked in words a person reads.

use std::fmt;
use std::net::IpAddr;

/// A server's `--bind`: an address and port (`127.0.0.1:7878`, `[::1]:7878`), or a name and
/// port (`localhost:7878`, its IPv4 address first). Port 0: any free port.
pub fn bind_address(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.trim().parse() {
        return Ok(addr);
    }
    let shape = "not an address and port such as 127.0.0.1:7878 or localhost:7878";
    // Only a `name:port` is looked up: anything else is refused without asking a resolver.
    let looks_like_name_and_port = text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && port.parse::<u16>().is_ok() && !host.contains(char::is_whitespace)
    });
    if !looks_like_name_and_port {
        return Err(shape.into());
    }
    let addrs: Vec<std::net::SocketAddr> = text
        .to_socket_addrs()
        .map_err(|_| format!("{shape} (its name is not found)"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{shape} (its name has no address)"))
}

/// A plain-HTTP URL: host, port and the path (with its query) to request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// The host as written (a name, an IPv4 address, or an IPv6 address without brackets).
    pub host: String,
    /// The port (80 when the URL names none).
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path: String,
}

impl HttpUrl {
    /// Parses `http://host[:port][/path][?query]`. The reason for a refusal is one short
    /// phrase (`https is not supported …`, `no host`, `port 99999 is out of range` …).
    pub fn parse(text: &str) -> Result<HttpUrl, String> {
        let text = text.trim();
        if !text.is_ascii() {
            return Err("it has characters that are not ASCII (percent-encode them)".into());
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Err("https is not supported: conlab speaks plain HTTP (use http://)".into());
        }
        let Some(rest) = lower
            .starts_with("http://")
            .then(|| &text["http://".len()..])
        else {
            return Err("it does not start with http://".into());
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or("");
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err("its path has spaces or control characters".into());
        }
        if authority.contains('@') {
            return Err("user names and passwords in the URL are not supported".into());
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err("it names no host".into());
        }
        Ok(HttpUrl {
            host: host.to_string(),
            port,
            path,
        })
    }

    /// Whether the host is a loopback address (127.0.0.0/8, ::1) or `localhost`, without
    /// asking DNS.
    pub fn is_loopback_literal(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// `host:port` as a `Host` header and a socket address are written (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn split_host_port(authority: &str) -> Result<(&str, u16), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| "an IPv6 address without its closing ]".to_string())?;
        match after {
            "" => (host, None),
            p => (
                host,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("unexpected {p:?} after the IPv6 address"))?,
                ),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => 80,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("port {p} is not a port (1–65535)")),
            Ok(port) => port,
        },
    };
    Ok((host, port))
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority(), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::HttpUrl;

    #[test]
    fn urls_parse_or_say_why_not() {
        let ok = |text: &str, host: &str, port: u16, path: &str| {
            let url = HttpUrl::parse(text).unwrap();
            assert_eq!(
                (url.host.as_str(), url.port, url.path.as_str()),
                (host, port, path)
            );
        };
        ok("http://127.0.0.1:8080/upload", "127.0.0.1", 8080, "/upload");
        ok("HTTP://localhost", "localhost", 80, "/");
        ok("http://[::1]:9000?x=1#top", "::1", 9000, "/?x=1");
        ok("http://example.org/a/b?c=d", "example.org", 80, "/a/b?c=d");
        for (bad, why) in [
            ("https://x", "https"),
            ("ftp://x", "http://"),
            ("http://", "no host"),
            ("http://:80/", "no host"),
            ("http://x:0/", "port 0"),
            ("http://x:99999/", "port 99999"),
            ("http://u:p@x/", "passwords"),
            ("http://[::1/", "closing ]"),
            ("http://x/a b", "spaces"),
            ("http://é/", "ASCII"),
        ] {
            let err = HttpUrl::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn loopback_is_told_without_dns() {
        let lo = |t: &str| HttpUrl::parse(t).unwrap().is_loopback_literal();
        assert!(lo("http://127.0.0.1/") && lo("http://127.9.8.7/") && lo("http://[::1]/"));
        assert!(lo("http://LOCALHOST:1/"));
        assert!(!lo("http://10.0.0.1/") && !lo("http://example.org/"));
        assert_eq!(
            HttpUrl::parse("http://[::1]:81/x").unwrap().to_string(),
            "http://[::1]:81/x"
        );
    }
}

/// The URL with any password replaced by `***` (`redis://user:***@host:6379/0`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{path}")
            } else {
                format!("{scheme}://{user}@{host}{path}")
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod redaction {
    use super::redact_url;

    #[test]
    fn passwords_are_hidden() {
        let cases = [
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            (
                "redis://:s3cret@127.0.0.1:6380/2",
                "redis://:***@127.0.0.1:6380/2",
            ),
            (
                "mysql://conlab:p@ss@127.0.0.1/conlab",
                "mysql://conlab:***@127.0.0.1/conlab",
            ),
            ("redis://user@host", "redis://user@host"),
            ("not a url", "not a url"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want);
        }
    }
}
