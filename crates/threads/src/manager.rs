//! A manager process and the dict it owns (`multiprocessing.Manager()`, `manager.dict()`),
//! written once. The dict lives in the manager alone; a child updates it over a connection
//! of its own, each update a round trip the manager answers, served by a thread of the
//! manager's per connection, as Python's manager serves them.
//! - Natively the manager is a worker process listening on a Unix socket ([`os`]).
//! - On the scheduler it is a process lane whose threads serve connections made of queues:
//!   every request, answer and message is a step.

#[cfg(feature = "native")]
pub(crate) mod os;

use crate::process::{Child, ChildKind, Processes, ProcessesKind, VIRTUAL_PARENT_PID};
use crate::scheduled::{SchedThread, Start};
use crate::thread::{HandleKind, Kind};
use crate::{Aborted, Thread};
use conlab_core::{LaneKind, SpanState, Text};
use conlab_sched::Queue;
use std::cell::RefCell;
use std::fmt::Display;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

/// The manager's name, as Python's `SyncManager` names its process.
const MANAGER_NAME: &str = "SyncManager";

/// A running manager process, to ask for its dict ([`Manager::dict`]) and shut down.
pub struct Manager {
    shared: Rc<ManagerShared>,
}

/// The dict a manager owns (`manager.dict()`), handed to children with
/// [`crate::ProcessSpec::dict`]. Clones are the same dict.
#[derive(Clone)]
pub struct SharedDict {
    shared: Rc<ManagerShared>,
}

pub(crate) enum ManagerShared {
    #[cfg(feature = "native")]
    Os(os::OsManager),
    Sched(Rc<SchedManager>),
}

/// How a child reaches its manager's dict.
#[derive(Clone)]
pub(crate) enum DictAddress {
    /// Natively, the manager's socket (an abstract name).
    #[cfg(feature = "native")]
    Os(Rc<str>),
    Sched(Rc<SchedManager>),
}

/// A child's open connection to the manager, made at its first update.
pub(crate) enum Connection {
    #[cfg(feature = "native")]
    Os(os::OsConnection),
    Sched(Rc<SchedConnection>),
}

/// A manager on the scheduler: its dict, and the queues it is reached through.
pub(crate) struct SchedManager {
    pid: u32,
    /// The dict, in the order keys were first set (as a Python dict keeps them).
    dict: RefCell<Vec<(String, String)>>,
    /// Connections made and not yet taken by its accepting thread.
    accepts: Queue<Rc<SchedConnection>>,
    /// What the parent asks of it: `dump` or `stop`.
    asked: Queue<String>,
    /// What it answers the parent.
    answers: Queue<String>,
    /// Its process, once started.
    handle: RefCell<Option<crate::Handle>>,
}

/// One child's connection on the scheduler: its requests, and the manager's answers.
pub(crate) struct SchedConnection {
    requests: Queue<(String, String)>,
    answers: Queue<()>,
}

impl Manager {
    /// Starts the manager process (`Manager().start()`) and waits until it serves.
    #[track_caller]
    pub fn start<'a>(
        processes: &'a Processes,
        me: &'a Thread,
    ) -> impl Future<Output = Result<Manager, Aborted>> + 'a {
        let site = Location::caller();
        me.at(site);
        async move {
            let shared = match (&processes.kind, &me.kind) {
                #[cfg(feature = "native")]
                (ProcessesKind::Os(procs), Kind::Os(c)) => {
                    ManagerShared::Os(os::OsManager::start(procs, c, MANAGER_NAME, site)?)
                }
                (ProcessesKind::Sched, Kind::Sched(s)) => {
                    let pid = VIRTUAL_PARENT_PID + processes.next_pid();
                    ManagerShared::Sched(start_scheduled(s, pid).await)
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a manager belongs to one run"),
            };
            Ok(Manager {
                shared: Rc::new(shared),
            })
        }
    }

    /// The manager's PID (on the scheduler, one the scheduler gave it).
    pub fn pid(&self) -> u32 {
        match &*self.shared {
            #[cfg(feature = "native")]
            ManagerShared::Os(m) => m.pid(),
            ManagerShared::Sched(m) => m.pid,
        }
    }

    /// Its dict (`manager.dict()`).
    pub fn dict(&self) -> SharedDict {
        SharedDict {
            shared: self.shared.clone(),
        }
    }

    /// Stops the manager (leaving `with Manager() as manager:`) and waits for it to exit.
    #[track_caller]
    pub fn shutdown<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<(), Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&*self.shared, &me.kind) {
                #[cfg(feature = "native")]
                (ManagerShared::Os(m), Kind::Os(c)) => m.shutdown(c),
                (ManagerShared::Sched(m), Kind::Sched(s)) => {
                    m.asked.put(&s.ctx, "stop".to_string()).await;
                    s.ctx.placed_here();
                    let handle = m.handle.borrow_mut().take();
                    if let Some(crate::Handle {
                        kind: HandleKind::Sched { handle, name },
                    }) = handle
                    {
                        s.join(handle, &name).await;
                    }
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a manager belongs to one run"),
            }
        }
    }
}

impl SharedDict {
    /// A copy of the dict, in the order its keys were first set (`dict(d)`): a round trip
    /// to the manager, drawn as waiting for it.
    #[track_caller]
    pub fn items<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<Vec<(String, String)>, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            let dumped = match (&*self.shared, &me.kind) {
                #[cfg(feature = "native")]
                (ManagerShared::Os(m), Kind::Os(c)) => m.dump(c)?,
                (ManagerShared::Sched(m), Kind::Sched(s)) => {
                    let mut waited = s.spend(SpanState::WaitingFuture);
                    waited.label = Text::Static("the dict from the manager");
                    m.asked.put(&s.ctx, "dump".to_string()).await;
                    s.ctx.placed_here();
                    m.answers
                        .get(&s.ctx)
                        .await
                        .map(|(text, _)| text)
                        .unwrap_or_default()
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a manager belongs to one run"),
            };
            Ok(parse_dump(&dumped))
        }
    }

    /// How a child reaches it.
    pub(crate) fn address(&self) -> DictAddress {
        match &*self.shared {
            #[cfg(feature = "native")]
            ManagerShared::Os(m) => DictAddress::Os(m.address()),
            ManagerShared::Sched(m) => DictAddress::Sched(m.clone()),
        }
    }
}

/// The manager's reply to `dump`: a line `key value` per item.
pub(crate) fn dump(dict: &[(String, String)]) -> String {
    let mut text = String::new();
    for (k, v) in dict {
        text.push_str(k);
        text.push(' ');
        text.push_str(v);
        text.push('\n');
    }
    text
}

fn parse_dump(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Sets `key` to `value` in a dict kept in the order keys were first set.
pub(crate) fn set_item(dict: &mut Vec<(String, String)>, key: &str, value: &str) {
    match dict.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => {
            v.clear();
            v.push_str(value);
        }
        None => dict.push((key.to_string(), value.to_string())),
    }
}

impl Child {
    /// Sets `d[key] = value` in the dict it was handed: a round trip to the manager (made
    /// over a connection opened at the first update), drawn as `in_flight`. A key is one
    /// word; neither holds a line break.
    #[track_caller]
    pub fn dict_set<'a>(
        &'a self,
        key: impl Display + 'a,
        value: impl Display + 'a,
    ) -> impl Future<Output = Result<(), Aborted>> + 'a {
        let site = Location::caller();
        async move {
            match (&self.kind, &self.dict) {
                #[cfg(feature = "native")]
                (ChildKind::Os(c), Some(DictAddress::Os(address))) => {
                    let mut connection = self.connection.borrow_mut();
                    if connection.is_none() {
                        *connection = Some(Connection::Os(os::OsConnection::open(c, address)?));
                    }
                    let Some(Connection::Os(connection)) = connection.as_mut() else {
                        unreachable!("a native child connects natively")
                    };
                    connection.set(c, &key, &value)
                }
                (ChildKind::Sched(s), Some(DictAddress::Sched(m))) => {
                    s.site.set(Some(site));
                    let (key, value) = (key.to_string(), value.to_string());
                    let mut spent = s.spend(SpanState::InFlight);
                    spent.label = Text::from(format!("d[{key}] = {value}"));
                    let connection = self.connection.borrow().as_ref().map(|c| match c {
                        Connection::Sched(c) => c.clone(),
                        #[cfg(feature = "native")]
                        Connection::Os(_) => unreachable!("a scheduled child connects on it"),
                    });
                    let connection = match connection {
                        Some(c) => c,
                        None => {
                            let c = Rc::new(SchedConnection {
                                requests: Queue::new(format!("requests from {}", self.name), None),
                                answers: Queue::new(format!("answers to {}", self.name), None),
                            });
                            m.accepts.put(&s.ctx, c.clone()).await;
                            s.ctx.placed_here();
                            *self.connection.borrow_mut() = Some(Connection::Sched(c.clone()));
                            c
                        }
                    };
                    connection.requests.put(&s.ctx, (key, value)).await;
                    s.ctx.placed_here();
                    connection.answers.get(&s.ctx).await;
                    Ok(())
                }
                _ => unreachable!("a child sets items only in a dict it was handed"),
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // A child that ends closes its connection; the manager's thread serving it sees that
        // and ends (natively the socket closes by itself).
        if let Connection::Sched(c) = self {
            c.requests.close();
        }
    }
}

/// Starts the manager's process on the scheduler: it starts a thread that accepts
/// connections, each served by a thread of its own, says it is ready, then answers the
/// parent until told to stop.
async fn start_scheduled(s: &Rc<SchedThread>, pid: u32) -> Rc<SchedManager> {
    let m = Rc::new(SchedManager {
        pid,
        dict: RefCell::new(Vec::new()),
        accepts: Queue::new("connections to the manager", None),
        asked: Queue::new("requests to the manager", None),
        answers: Queue::new("answers from the manager", None),
        handle: RefCell::new(None),
    });
    let manager = m.clone();
    let body = move |me: Thread| async move {
        let Kind::Sched(s) = &me.kind else {
            unreachable!("a scheduled manager runs on the scheduler")
        };
        let (accepting, lane) = (manager.clone(), s.lane);
        let accept = s
            .spawn_under("accept".to_string(), lane, move |me| {
                accept(me, accepting, lane)
            })
            .await;
        manager.answers.put(&s.ctx, "ready".to_string()).await;
        s.ctx.placed_here();
        loop {
            let waiting = s.begin_wait(SpanState::WaitingQueue);
            let request = manager.asked.get(&s.ctx).await.map(|(r, _)| r);
            waiting.end(false, || Text::Static("waiting for the parent"));
            match request.as_deref() {
                Some("dump") => {
                    let text = dump(&manager.dict.borrow());
                    manager.answers.put(&s.ctx, text).await;
                    s.ctx.placed_here();
                }
                _ => break,
            }
        }
        // Shutting down: the accepting thread stops, and waits for the serving threads; the
        // process exits once they have (none outlives it).
        manager.accepts.close();
        s.ctx.placed_here();
        if let HandleKind::Sched { handle, name } = &accept.kind {
            s.join(*handle, name).await;
        }
        s.mark("exit", Text::Static("exited with code 0"));
        Ok(())
    };
    let lane = format!("{MANAGER_NAME} (pid {pid})");
    let thread = s
        .spawn_as(lane, Start::Plain, LaneKind::Process, body)
        .await;
    *m.handle.borrow_mut() = Some(thread);
    let mut waited = s.spend(SpanState::WaitingEvent);
    waited.label = Text::Static("the manager to start");
    m.answers.get(&s.ctx).await;
    drop(waited);
    m
}

/// The manager's accepting thread: a serving thread per connection, until the manager stops.
async fn accept(
    me: Thread,
    m: Rc<SchedManager>,
    manager_lane: conlab_core::LaneId,
) -> Result<(), Aborted> {
    let Kind::Sched(s) = &me.kind else {
        unreachable!("a scheduled manager runs on the scheduler")
    };
    let mut serving = Vec::new();
    while let Some((connection, _)) = m.accepts.get(&s.ctx).await {
        let dict = m.clone();
        let name = format!("conn-{}", serving.len() + 1);
        let conn = s
            .spawn_under(name, manager_lane, move |me| serve(me, dict, connection))
            .await;
        serving.push(conn);
    }
    for conn in serving {
        if let HandleKind::Sched { handle, name } = &conn.kind {
            s.join(*handle, name).await;
        }
    }
    Ok(())
}

/// A serving thread: answers each `d[k] = v` of its connection until the child closes it.
async fn serve(
    me: Thread,
    m: Rc<SchedManager>,
    connection: Rc<SchedConnection>,
) -> Result<(), Aborted> {
    let Kind::Sched(s) = &me.kind else {
        unreachable!("a scheduled manager runs on the scheduler")
    };
    while let Some(((key, value), _)) = connection.requests.get(&s.ctx).await {
        let mut updating = s.spend(SpanState::Running);
        set_item(&mut m.dict.borrow_mut(), &key, &value);
        updating.label = Text::from(format!("d[{key}] = {value}"));
        drop(updating);
        connection.answers.put(&s.ctx, ()).await;
        s.ctx.placed_here();
    }
    Ok(())
}
