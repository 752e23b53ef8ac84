//! What can go wrong starting or driving a cluster.

use std::path::PathBuf;

/// A cluster's error.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A private server could not be started or restarted (or its program is missing).
    #[error(transparent)]
    Servers(#[from] conlab_servers::ServerError),
    /// The queue or the record did not answer as it should.
    #[error(transparent)]
    Queue(#[from] conlab_queue::QueueError),
    /// The `conlab` binary the processes run is not where it was looked for.
    #[error("no conlab binary at {}: build it with `{fix}`, or point CONLAB_BIN at one", path.display())]
    NoBinary {
        /// Where it was looked for.
        path: PathBuf,
        /// The command that builds it.
        fix: &'static str,
    },
    /// A file, folder or process of the cluster.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A process of the cluster did not do what it should (said how).
    #[error("{0}")]
    Process(String),
}

impl ClusterError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
        let what = what.into();
        move |source| ClusterError::Io { what, source }
    }
}
