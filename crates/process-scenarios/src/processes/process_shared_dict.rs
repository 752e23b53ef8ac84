//! process-shared-dict: a manager process owns a dict; children update it over IPC (a Unix
//! socket to the manager, one serving thread per connection, as Python's manager does), and
//! the parent reads the final dict from the manager.

use conlab_core::{Checks, SpanState};
use conlab_processes::{Inbox, ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::{Arc, Mutex};

/// The value process `i` writes in its update `u`: the last is `i * updates + updates - 1`
/// (with one update each, `d[i] = i`).
fn value(i: u64, updates: u64, u: u64) -> u64 {
    i * updates + u
}

/// Runs the parent: starts the manager, then the children, then asks the manager for the
/// dict and stops it.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("processes");
    // An abstract socket: it has a name but no file, so nothing is left behind.
    let address = format!(
        "conlab-dict-{}-{}",
        std::process::id(),
        main.clock().start_instant()
    );
    let from_manager = Inbox::new();
    let processes = Processes::new(main);
    let manager = processes.spawn(
        main,
        Spawn::new("manager")
            .name("SyncManager")
            .arg(address.clone())
            .inbox(&from_manager),
    )?;
    from_manager.recv(main, SpanState::WaitingEvent, "the manager to start")?;
    main.print(format!("parent: the manager runs as pid {}", manager.pid()));
    let mut children = Vec::with_capacity(n);
    for i in 0..n {
        let spawn = Spawn::new("worker")
            .name(format!("Process-{}", i + 1))
            .arg(format!("{i} {address}"));
        children.push(processes.spawn(main, spawn)?);
    }
    for child in &children {
        child.join(main)?;
    }
    manager.send(b"dump");
    let dict = from_manager.recv(main, SpanState::WaitingFuture, "the dict from the manager")?;
    main.print(format!(
        "parent: the final dict is {{{}}}",
        String::from_utf8_lossy(&dict.bytes)
    ));
    manager.send(b"stop");
    manager.join(main)?;
    Ok(())
}

/// The manager or a worker.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    if ctx.role() == "manager" {
        manage(ctx)
    } else {
        update(ctx)
    }
}

/// The manager: serves the dict on its socket, a thread per connection, until told to stop.
fn manage(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let address = SocketAddr::from_abstract_name(ctx.arg().as_bytes())
        .unwrap_or_else(|e| panic!("the manager's address is not valid: {e}"));
    let listener = UnixListener::bind_addr(&address)
        .unwrap_or_else(|e| panic!("the manager could not listen: {e}"));
    let dict: Arc<Mutex<BTreeMap<u64, u64>>> = Arc::default();
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
    .unwrap_or_else(|e| panic!("the manager could not start a thread: {e}"));
    ctx.send_message(b"ready");
    loop {
        let message = ctx.recv(SpanState::WaitingQueue, "waiting for the parent")?;
        match message.as_slice() {
            b"dump" => {
                let text = dict
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                ctx.send_message(text.as_bytes());
            }
            _ => return Ok(()),
        }
    }
}

/// Serves one connection: `set k v` lines, each answered `ok`.
fn serve(ctx: &ProcessCtx, connection: UnixStream, dict: &Mutex<BTreeMap<u64, u64>>) {
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
        let mut words = line.trim_end().split(' ').skip(1).map(|w| w.parse::<u64>());
        let (Some(Ok(k)), Some(Ok(v))) = (words.next(), words.next()) else {
            return;
        };
        let start = ctx.now();
        dict.lock().unwrap_or_else(|p| p.into_inner()).insert(k, v);
        let end = ctx.now();
        // Answered before it is recorded: recording is not part of the update.
        let answered = reply.write_all(b"ok\n").is_ok();
        ctx.span_until(SpanState::Running, start, end, format!("d[{k}] = {v}"));
        if !answered {
            return;
        }
    }
}

/// The connection to the manager failed. Usually the run is ending (the manager was stopped
/// or died, and the parent, which saw why, tells every child to stop): wait a moment for that,
/// so the run names the real cause; only if it does not come is the run failed here.
fn lost_manager(ctx: &ProcessCtx, e: &std::io::Error) -> Aborted {
    let moment = std::time::Instant::now() + std::time::Duration::from_secs(1);
    match ctx.wait_in_slices(Some(moment), |slice| {
        std::thread::sleep(slice);
        None::<()>
    }) {
        Err(aborted) => aborted,
        Ok(_) => ctx.fail(format!("lost its connection to the manager ({})", e.kind())),
    }
}

/// A worker: connects to the manager and updates its key `updates` times, each a round trip
/// recorded as `in_flight`.
fn update(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let updates = ctx.params().count("updates").max(1) as u64;
    let (i, address) = ctx.arg().split_once(' ').unwrap_or(("0", ""));
    let i: u64 = i.parse().unwrap_or(0);
    let address = SocketAddr::from_abstract_name(address.as_bytes())
        .unwrap_or_else(|e| panic!("the manager's address is not valid: {e}"));
    let connection = UnixStream::connect_addr(&address).map_err(|e| lost_manager(ctx, &e))?;
    let mut reader = BufReader::new(connection.try_clone().map_err(|e| lost_manager(ctx, &e))?);
    let mut writer = connection;
    let mut answer = String::new();
    let mut request = Vec::new();
    for u in 0..updates {
        ctx.check()?;
        let v = value(i, updates, u);
        request.clear();
        let _ = writeln!(request, "set {i} {v}");
        let start = ctx.now();
        writer
            .write_all(&request)
            .map_err(|e| lost_manager(ctx, &e))?;
        answer.clear();
        reader
            .read_line(&mut answer)
            .map_err(|e| lost_manager(ctx, &e))?;
        if answer != "ok\n" {
            let closed = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
            return Err(lost_manager(ctx, &closed));
        }
        ctx.span(SpanState::InFlight, start, format!("d[{i}] = {v}"));
    }
    ctx.print(format!(
        "process {i} (pid {}): set d[{i}] = {} ({})",
        ctx.pid(),
        value(i, updates, updates - 1),
        conlab_core::count_of(updates as usize, "update", "updates")
    ));
    Ok(())
}

/// Checks: the final dict the parent read from the manager has every key with the value its
/// process wrote last, and every update was answered.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes") as u64;
    let updates = c.params.count("updates").max(1) as u64;
    let t = c.trace;
    let dict: Option<BTreeMap<u64, u64>> = t
        .output
        .iter()
        .find_map(|l| l.text.strip_prefix("parent: the final dict is {"))
        .map(|rest| {
            rest.trim_end_matches('}')
                .split(", ")
                .filter_map(|kv| {
                    let (k, v) = kv.split_once(": ")?;
                    Some((k.parse().ok()?, v.parse().ok()?))
                })
                .collect()
        });
    let expected: BTreeMap<u64, u64> = (0..n)
        .map(|i| (i, value(i, updates, updates - 1)))
        .collect();
    let missing = dict.as_ref().map_or(n as usize, |d| {
        expected.iter().filter(|(k, v)| d.get(k) != Some(v)).count()
    });
    c.check(
        "every-key",
        "the final dict has every key with its value",
        dict.as_ref() == Some(&expected),
        match &dict {
            Some(d) => format!(
                "{} in the dict; {missing} missing or wrong",
                conlab_core::count_of(d.len(), "key", "keys")
            ),
            None => "the parent never read the dict".to_string(),
        },
    );
    let round_trips = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::InFlight)
        .count() as u64;
    c.check(
        "every-update-answered",
        "every update is a round trip to the manager, and each was answered",
        round_trips == n * updates,
        format!("{round_trips} of {} updates answered", n * updates),
    );
    let lines = super::child_lines(t, "process ");
    super::check_own_pids(c, &lines, n as usize);
}

/// About how long a run takes: the manager and the processes, and the round trips.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let n = p.usize("processes");
    let updates = p.count("updates").max(1) as u32;
    // About 7 µs an update on this 2-core machine with 64 processes; room for a busy one.
    super::per_process(n + 1) + std::time::Duration::from_micros(25) * updates * n as u32
}
