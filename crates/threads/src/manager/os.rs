//! The manager natively: a worker process listening on an abstract Unix socket (a name with
//! no file, so nothing is left behind), a thread per connection, each line `set k v`
//! answered `ok`; the parent asks over the process's own channel.

use conlab_core::{Site, SpanState};
use conlab_processes::{Inbox, ProcessCtx, Spawn};
use conlab_traced_threads::ThreadCtx;
use std::fmt::Display;
use std::io::{BufRead, BufReader, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// The role a manager's worker process runs ([`crate::run_child`] serves it).
pub(crate) const MANAGER_ROLE: &str = "manager";

/// A manager, as its parent holds it.
pub(crate) struct OsManager {
    process: conlab_processes::Process,
    from_manager: Inbox,
    address: Rc<str>,
}

impl OsManager {
    /// Starts the manager process and waits until it listens.
    pub(crate) fn start(
        procs: &conlab_processes::Processes,
        c: &ThreadCtx,
        name: &str,
        site: Site,
    ) -> Result<OsManager, crate::Aborted> {
        // Unique to this run and this manager: runs and managers never share a socket.
        static MANAGERS: AtomicU32 = AtomicU32::new(0);
        let address = format!(
            "conlab-dict-{}-{}-{}",
            std::process::id(),
            c.clock().start_instant(),
            MANAGERS.fetch_add(1, Ordering::Relaxed)
        );
        let from_manager = Inbox::new();
        let process = procs.spawn(
            c,
            Spawn::new(MANAGER_ROLE)
                .name(name)
                .arg(address.clone())
                .inbox(&from_manager)
                .at(site),
        )?;
        from_manager.recv(c, SpanState::WaitingEvent, "the manager to start")?;
        Ok(OsManager {
            process,
            from_manager,
            address: address.into(),
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.pid() as u32
    }

    pub(crate) fn address(&self) -> Rc<str> {
        self.address.clone()
    }

    /// The manager's dict, as [`super::dump`] writes it.
    pub(crate) fn dump(&self, c: &ThreadCtx) -> Result<String, crate::Aborted> {
        self.process.send(b"dump");
        let got =
            self.from_manager
                .recv(c, SpanState::WaitingFuture, "the dict from the manager")?;
        Ok(String::from_utf8_lossy(&got.bytes).into_owned())
    }

    /// Tells it to stop and waits for it to exit.
    pub(crate) fn shutdown(&self, c: &ThreadCtx) -> Result<(), crate::Aborted> {
        self.process.send(b"stop");
        self.process.join(c)?;
        Ok(())
    }
}

/// A child's connection to the manager.
pub(crate) struct OsConnection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    request: Vec<u8>,
    answer: String,
}

impl OsConnection {
    /// Connects to the manager at `address`.
    pub(crate) fn open(ctx: &ProcessCtx, address: &str) -> Result<OsConnection, crate::Aborted> {
        let at = SocketAddr::from_abstract_name(address.as_bytes())
            .map_err(|e| ctx.fail(format!("the manager's address is not valid: {e}")))?;
        let writer = UnixStream::connect_addr(&at).map_err(|e| lost_manager(ctx, &e))?;
        let reader = BufReader::new(writer.try_clone().map_err(|e| lost_manager(ctx, &e))?);
        Ok(OsConnection {
            reader,
            writer,
            request: Vec::new(),
            answer: String::new(),
        })
    }

    /// `d[key] = value`: a request and its answer, recorded as `in_flight`.
    pub(crate) fn set(
        &mut self,
        ctx: &ProcessCtx,
        key: &dyn Display,
        value: &dyn Display,
    ) -> Result<(), crate::Aborted> {
        ctx.check()?;
        self.request.clear();
        let _ = writeln!(self.request, "set {key} {value}");
        let start = ctx.now();
        self.writer
            .write_all(&self.request)
            .map_err(|e| lost_manager(ctx, &e))?;
        self.answer.clear();
        self.reader
            .read_line(&mut self.answer)
            .map_err(|e| lost_manager(ctx, &e))?;
        if self.answer != "ok\n" {
            let closed = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
            return Err(lost_manager(ctx, &closed).into());
        }
        ctx.span(SpanState::InFlight, start, format!("d[{key}] = {value}"));
        Ok(())
    }
}

/// The connection to the manager failed. Usually the run is ending (the manager was stopped
/// or died, and the parent, which saw why, tells every child to stop): wait a moment for that,
/// so the run names the real cause; only if it does not come is the run failed here.
fn lost_manager(ctx: &ProcessCtx, e: &std::io::Error) -> conlab_traced_threads::Aborted {
    let moment = std::time::Instant::now() + std::time::Duration::from_secs(1);
    match ctx.wait_in_slices(Some(moment), |slice| {
        std::thread::sleep(slice);
        None::<()>
    }) {
        Err(aborted) => aborted,
        Ok(_) => ctx.fail(format!("lost its connection to the manager ({})", e.kind())),
    }
}

type Dict = Arc<Mutex<Vec<(String, String)>>>;

/// The manager process's code: serves the dict on its socket, a thread per connection, and
/// answers the parent (`dump`) until told to stop.
pub(crate) fn serve_manager(ctx: &ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    let address = SocketAddr::from_abstract_name(ctx.arg().as_bytes())
        .map_err(|e| ctx.fail(format!("the manager's address is not valid: {e}")))?;
    let listener = UnixListener::bind_addr(&address)
        .map_err(|e| ctx.fail(format!("the manager could not listen: {e}")))?;
    let dict = Dict::default();
    let (served, serving) = (dict.clone(), ctx.clone());
    ctx.spawn_thread("accept", move |me| {
        for (k, connection) in listener.incoming().enumerate() {
            let Ok(connection) = connection else { continue };
            let dict = served.clone();
            let _ = me.spawn_thread(format!("conn-{}", k + 1), move |conn| {
                serve(conn, connection, &dict);
                Ok(())
            });
            serving.check()?;
        }
        Ok(())
    })
    .map_err(|e| ctx.fail(format!("the manager could not start a thread: {e}")))?;
    ctx.send_message(b"ready");
    loop {
        let message = ctx.recv(SpanState::WaitingQueue, "waiting for the parent")?;
        match message.as_slice() {
            b"dump" => {
                let text = super::dump(&dict.lock().unwrap_or_else(|p| p.into_inner()));
                ctx.send_message(text.as_bytes());
            }
            _ => return Ok(()),
        }
    }
}

/// Serves one connection: `set k v` lines, each answered `ok`.
fn serve(ctx: &ProcessCtx, connection: UnixStream, dict: &Mutex<Vec<(String, String)>>) {
    let Ok(mut reply) = connection.try_clone() else {
        return;
    };
    let mut requests = BufReader::new(connection);
    let mut line = String::new();
    loop {
        line.clear();
        if !matches!(requests.read_line(&mut line), Ok(n) if n > 0) {
            return;
        }
        let Some((key, value)) = line
            .trim_end()
            .strip_prefix("set ")
            .and_then(|kv| kv.split_once(' '))
        else {
            return;
        };
        let start = ctx.now();
        super::set_item(
            &mut dict.lock().unwrap_or_else(|p| p.into_inner()),
            key,
            value,
        );
        let end = ctx.now();
        // Answered before it is recorded: recording is not part of the update.
        let answered = reply.write_all(b"ok\n").is_ok();
        ctx.span_until(
            SpanState::Running,
            start,
            end,
            format!("d[{key}] = {value}"),
        );
        if !answered {
            return;
        }
    }
}
