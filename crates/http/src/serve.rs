//! What every in-process server of conlab shares: a loopback listener with room for a burst
//! of connections, an axum router served on an OS thread with a loop of its own, started
//! once its setup is done, and ended gracefully (in-flight requests answered) or abruptly (a
//! server killed mid-run: every connection dropped at once).

use axum::Router;
use std::future::Future;
use std::pin::Pin;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// A listener on a free port of 127.0.0.1 whose backlog holds a burst of connections (std's
/// 128 would make a burst wait out SYN retries and measure the kernel, not the server).
pub fn loopback_listener() -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

/// What a server's setup hands back: the router, the listener it is served on (axum's or one
/// of the caller's that records), and what to do once serving has ended.
pub struct Serving<L> {
    /// The routes.
    pub router: Router,
    /// Where connections come from.
    pub listener: L,
    /// Runs after serving ends (a graceful end only), e.g. closing a database pool.
    pub after: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

/// How a server is asked to end.
enum Ending {
    /// Stop accepting, answer what is in flight.
    Graceful,
    /// Drop every connection now.
    Abrupt,
}

/// A server running on a thread of its own; dropping it ends it abruptly and joins the thread.
pub struct ServerThread {
    port: u16,
    end: Option<oneshot::Sender<Ending>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the server: `setup` runs on the new thread's loop (connect to databases, build the
/// router) and gets the listener; the server is serving when the returned future resolves.
pub async fn start<L, F, Fut>(
    name: &str,
    listener: std::net::TcpListener,
    setup: F,
) -> Result<ServerThread, String>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Serving<L>, String>>,
{
    let (ready, started) = launch(name, listener, setup)?;
    started.once(name, ready.await)
}

/// [`start`] for a caller that is not on a loop (a thread, a test, a benchmark).
pub fn start_blocking<L, F, Fut>(
    name: &str,
    listener: std::net::TcpListener,
    setup: F,
) -> Result<ServerThread, String>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Serving<L>, String>>,
{
    let (ready, started) = launch(name, listener, setup)?;
    started.once(name, ready.blocking_recv())
}

type Ready = oneshot::Receiver<Result<(), String>>;

fn launch<L, F, Fut>(
    name: &str,
    listener: std::net::TcpListener,
    setup: F,
) -> Result<(Ready, ServerThread), String>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Serving<L>, String>>,
{
    let port = listener
        .local_addr()
        .map_err(|e| format!("the {name} listener has no address: {e}"))?
        .port();
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("the {name} listener: {e}"))?;
    let (ready_tx, ready_rx) = oneshot::channel();
    let (end_tx, end_rx) = oneshot::channel::<Ending>();
    let thread = conlab_tokio::spawn_loop_thread(name, move || async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready_tx.send(Err(e.to_string()));
                return;
            }
        };
        let serving = match setup(listener).await {
            Ok(s) => s,
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        let _ = ready_tx.send(Ok(()));
        let (graceful_tx, graceful_rx) = oneshot::channel::<()>();
        let serve = axum::serve(serving.listener, serving.router).with_graceful_shutdown(async {
            let _ = graceful_rx.await;
        });
        let mut serve = std::pin::pin!(std::future::IntoFuture::into_future(serve));
        tokio::select! {
            _ = &mut serve => {}
            ending = end_rx => match ending {
                Ok(Ending::Graceful) => {
                    let _ = graceful_tx.send(());
                    let _ = serve.await;
                }
                // Dropping the runtime (when this future returns) drops every connection.
                Ok(Ending::Abrupt) | Err(_) => return,
            }
        }
        if let Some(after) = serving.after {
            after.await;
        }
    })
    .map_err(|e| format!("could not start the {name} thread: {e}"))?;
    Ok((
        ready_rx,
        ServerThread {
            port,
            end: Some(end_tx),
            thread: Some(thread),
        },
    ))
}

impl ServerThread {
    /// This server once its setup has said how it went (a setup that failed or a thread that
    /// ended drops it, which joins the thread).
    fn once(
        self,
        name: &str,
        ready: Result<Result<(), String>, oneshot::error::RecvError>,
    ) -> Result<ServerThread, String> {
        match ready {
            Ok(Ok(())) => Ok(self),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("the {name} thread ended while starting")),
        }
    }

    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the thread.
    pub fn stop(mut self) {
        self.end_with(Ending::Graceful);
    }

    /// Drops every connection at once and waits for the thread: a server killed mid-run.
    pub fn kill(mut self) {
        self.end_with(Ending::Abrupt);
    }

    fn end_with(&mut self, ending: Ending) {
        if let Some(end) = self.end.take() {
            let _ = end.send(ending);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.end_with(Ending::Abrupt);
    }
}
