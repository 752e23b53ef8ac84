//! What the server is told, and the checks that keep it safe to expose.

use conlab_core::url::HttpUrl;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (127.0.0.1:7878 by default).
    pub bind: SocketAddr,
    /// The token every API call must carry; required unless bound to loopback.
    pub token: Option<String>,
    /// Where finished runs are kept (and reloaded from at start).
    pub store: PathBuf,
    /// Runs at once; more wait in the queue.
    pub max_running: usize,
    /// Runs waiting; beyond that a start is refused with 429.
    pub max_queued: usize,
    /// The longest a run may take; a run whose estimate is longer is refused.
    pub max_run: Duration,
    /// The most events one run may record; a run that records more is stopped and fails,
    /// so one request cannot fill the memory and the disk.
    pub max_events: usize,
    /// Finished runs kept; beyond that the oldest are removed.
    pub max_kept: usize,
    /// Whether scenarios against Redis and MySQL may be run.
    pub allow_databases: bool,
    /// Origins (`https://site.example`) whose pages may call the API; none by default.
    pub cors_origins: Vec<String>,
    /// A report folder served at `/report/` (`conlab serve --open`, `just run-native`).
    pub report: Option<PathBuf>,
    /// How often a live stream sends what is new.
    pub stream_every: Duration,
    /// Serve the web app from this folder (a `scripts/build-web.sh --served` output) instead
    /// of the one inside the binary.
    pub web_dir: Option<PathBuf>,
    /// Servers (`http://host:port`) a run's `url` may name. None by default: a run given
    /// through the API sends requests only to conlab's own test servers, so whoever may call
    /// the API cannot read other services on this machine through a trace.
    pub allow_targets: Vec<String>,
    /// Live event streams open at once, all runs together; one more is refused.
    pub max_streams: usize,
    /// Live event streams open at once on one run.
    pub max_streams_per_run: usize,
    /// Native runs go through this queue to `conlab worker`s instead of running here.
    pub queue: Option<conlab_queue::QueueSettings>,
    /// What refusals call the process whose settings refused (`this server`; a queue
    /// worker's executor says `this worker`).
    pub refuser: &'static str,
    /// With a queue: how long and how many ended runs its record keeps (the server deletes
    /// older ones, with their traces, at start and every minute).
    pub record_retention: conlab_queue::Retention,
}

impl Config {
    /// Defaults: loopback port 7878, two runs at once and eight waiting, ten minutes a run.
    pub fn new(store: PathBuf) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 7878)),
            token: None,
            store,
            max_running: 2,
            max_queued: 8,
            max_run: Duration::from_secs(600),
            max_events: 250_000,
            max_kept: 200,
            allow_databases: false,
            cors_origins: Vec::new(),
            report: None,
            stream_every: Duration::from_millis(50),
            web_dir: None,
            allow_targets: Vec::new(),
            max_streams: 64,
            max_streams_per_run: 8,
            refuser: "this server",
            record_retention: conlab_queue::Retention {
                max_age: Some(Duration::from_secs(30 * 86_400)),
                max_runs: Some(100_000),
            },
            queue: None,
        }
    }

    /// Refuses settings that would expose runs to anyone who can reach the port.
    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.token {
            // Characters every path carries unchanged: a header, a `?token=` query, a cookie.
            let carried = |c: char| c.is_ascii_alphanumeric() || "._~-".contains(c);
            if let Some(bad) = token.chars().find(|&c| !carried(c)) {
                return Err(ConfigError::TokenCharacter { bad });
            }
            if token.chars().count() < MIN_TOKEN {
                return Err(ConfigError::ShortToken {
                    len: token.chars().count(),
                });
            }
        } else if !self.bind.ip().is_loopback() {
            return Err(ConfigError::TokenNeeded { addr: self.bind });
        }
        if self.max_running == 0 {
            return Err(ConfigError::NoRuns);
        }
        for origin in &self.cors_origins {
            let host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            let bad =
                host.is_none_or(|h| h.is_empty() || h.contains(['/', '?', '#', ' ', '*', '@']));
            if bad {
                return Err(ConfigError::Origin {
                    origin: origin.clone(),
                });
            }
        }
        for target in &self.allow_targets {
            target_authority(target).map_err(|why| ConfigError::Target {
                target: target.clone(),
                why,
            })?;
        }
        if self.max_streams == 0 || self.max_streams_per_run == 0 {
            return Err(ConfigError::NoStreams);
        }
        Ok(())
    }

    /// Whether an allowed target lies beyond this machine's loopback.
    pub fn allows_remote_targets(&self) -> bool {
        self.allow_targets
            .iter()
            .filter_map(|t| HttpUrl::parse(t).ok())
            .any(|url| !url.is_loopback_literal())
    }

    /// Whether a run may send requests to `url` (a `url` parameter as given): only to a
    /// server of `allow_targets`, the same host (as written) and port. `Err` says why not.
    pub fn target_allowed(&self, url: &HttpUrl) -> Result<(), String> {
        let asked = (url.host.to_ascii_lowercase(), url.port);
        let listed = self
            .allow_targets
            .iter()
            .filter_map(|t| target_authority(t).ok())
            .any(|allowed| allowed == asked);
        if listed {
            return Ok(());
        }
        Err(if self.allow_targets.is_empty() {
            "this server sends a run's requests only to conlab's own test servers (leave `url` \
             empty); its operator may allow other servers with --allow-target"
                .to_string()
        } else {
            format!(
                "this server sends a run's requests only to conlab's own test servers (leave \
                 `url` empty) and to {}",
                self.allow_targets.join(", ")
            )
        })
    }
}

/// The host (lower case) and port an `--allow-target` names: `http://host[:port]`, with at
/// most `/` after it.
fn target_authority(target: &str) -> Result<(String, u16), String> {
    let url = HttpUrl::parse(target)?;
    if url.path != "/" || target.trim_end().ends_with('?') {
        return Err("it names a path; give only http://host:port".into());
    }
    Ok((url.host.to_ascii_lowercase(), url.port))
}

/// The shortest token accepted: 16 characters.
pub const MIN_TOKEN: usize = 16;

/// Settings the server refuses.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A non-loopback address without a token.
    #[error(
        "--bind {addr} lets other machines reach the server, so it needs a token: give \
         --token <at least 16 characters> (or set CONLAB_SERVE_TOKEN); every API call must \
         then carry it as `Authorization: Bearer <token>`"
    )]
    TokenNeeded {
        /// The address.
        addr: SocketAddr,
    },
    /// A token too short to guess slowly, or with characters a link or a cookie would not
    /// carry unchanged.
    #[error("the token has {len} characters; give at least 16, each a letter, a digit, '.', '_', '~' or '-' (what a link and a cookie carry unchanged; for example the output of `openssl rand -hex 16`)")]
    ShortToken {
        /// Its length.
        len: usize,
    },
    /// A token with a character a link or a cookie would not carry unchanged.
    #[error("the token holds {bad:?}, which a link or a cookie would not carry unchanged; give at least 16 characters, each a letter, a digit, '.', '_', '~' or '-' (for example the output of `openssl rand -hex 16`)")]
    TokenCharacter {
        /// The first such character.
        bad: char,
    },
    /// Another server keeps its runs in the same folder.
    #[error("another conlab serve keeps its runs in {dir} (it holds {dir}/.lock); stop it, or give this one another --store", dir = dir.display())]
    StoreBusy {
        /// The folder.
        dir: PathBuf,
    },
    /// No run could ever start.
    #[error("--max-running must be at least 1")]
    NoRuns,
    /// An origin that is not one.
    #[error("--cors-origin `{origin}` is not an origin: give scheme, host and port without a path, such as https://tutorial.example or http://localhost:8000")]
    Origin {
        /// What was given.
        origin: String,
    },
    /// An allowed target that is not a server's address.
    #[error("--allow-target `{target}`: {why}; give a server as http://host:port, such as http://127.0.0.1:8080")]
    Target {
        /// What was given.
        target: String,
        /// Why it is not one.
        why: String,
    },
    /// Streams capped at nothing: no page could follow a run.
    #[error("--max-streams and --max-streams-per-run must be at least 1")]
    NoStreams,
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: String,
    },
    /// The queue's servers cannot be used.
    #[error("{0}")]
    Queue(conlab_queue::QueueError),
    /// The folder for finished runs cannot be used.
    #[error("cannot keep runs in {dir}: {error}", dir = dir.display())]
    Store {
        /// The folder.
        dir: PathBuf,
        /// Why.
        error: String,
    },
}
