//! A queue on real servers for the tests of runs across machines: a private Redis and a
//! private MariaDB (`conlab-servers`, as their own users, never as root), a shared secret,
//! `conlab worker` processes and `conlab serve --queue` of the built binary, each logging to a
//! file of the test's folder; network namespaces joined by veth pairs, for workers on
//! "other machines"; HTTP and Server-Sent Events as a page sends and reads them.

use conlab_queue::{Job, Queue, QueueSettings, RunRow, Secret, Stream};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workers' lease: short, so a dead worker's run is taken over within about a second.
pub const LEASE_SECONDS: &str = "1";

pub struct Cluster {
    pub redis: String,
    pub mysql: String,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub queue: Queue,
    pub secret: Secret,
    pub workers: Vec<(String, Child)>,
    // Dropped last: the servers outlive the workers.
    pub servers: conlab_servers::Servers,
}

impl Cluster {
    /// Private servers and a queue on them; `None` (said why) where Redis or MariaDB is not
    /// installed.
    pub fn start() -> Option<Cluster> {
        let servers = match conlab_servers::start_private(conlab_servers::Needs::RedisAndMysql) {
            Ok(servers) => servers,
            Err(e @ conlab_servers::ServerError::Missing { .. }) => {
                eprintln!("skipped: {e}");
                return None;
            }
            Err(e) => panic!("{e}"),
        };
        let (redis, mysql) = (servers.urls()[0].clone(), servers.urls()[1].clone());
        let dir = tempfile::tempdir().unwrap();
        let secret_text = "a test secret, long enough to sign with";
        std::fs::write(dir.path().join("queue.secret"), format!("{secret_text}\n")).unwrap();
        let secret = Secret::new(secret_text).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let queue = rt
            .block_on(Queue::open(&QueueSettings {
                redis_url: redis.clone(),
                mysql_url: mysql.clone(),
                secret: secret.clone(),
                max_length: 1000,
                prefix: conlab_queue::PREFIX.into(),
            }))
            .unwrap();
        Some(Cluster {
            redis,
            mysql,
            dir,
            rt,
            queue,
            secret,
            workers: Vec::new(),
            servers,
        })
    }

    /// Starts `conlab worker --name name`, its output in `<name>.log`.
    pub fn worker(&mut self, name: &str) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_conlab"));
        let (redis, mysql) = (self.redis.clone(), self.mysql.clone());
        self.spawn_worker(
            name,
            command.args(["worker", "--queue", &redis, "--db", &mysql]),
        );
    }

    /// Starts `conlab worker` in network namespace `netns`, reaching the queue's servers at
    /// `redis` and `mysql`.
    pub fn worker_in(&mut self, netns: &str, name: &str, redis: &str, mysql: &str) {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", netns, env!("CARGO_BIN_EXE_conlab")]);
        self.spawn_worker(
            name,
            command.args(["worker", "--queue", redis, "--db", mysql]),
        );
    }

    pub fn spawn_worker(&mut self, name: &str, command: &mut Command) {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let child = command
            .arg("--secret-file")
            .arg(self.dir.path().join("queue.secret"))
            .args(["--name", name, "--lease-seconds", LEASE_SECONDS])
            .args(["--grace-seconds", "5"])
            .env_remove("CONLAB_QUEUE_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.workers.push((name.to_string(), child));
    }

    pub fn pid(&self, name: &str) -> i32 {
        let (_, child) = self.workers.iter().find(|(n, _)| n == name).unwrap();
        child.id() as i32
    }

    pub fn signal(&self, name: &str, signal: i32) {
        // SAFETY: a signal to a child this test started and has not reaped.
        unsafe {
            libc::kill(self.pid(name), signal);
        }
    }

    /// Waits (at most `limit`) for worker `name` to exit; its exit code.
    pub fn wait_exit(&mut self, name: &str, limit: Duration) -> Option<i32> {
        let (_, child) = self.workers.iter_mut().find(|(n, _)| n == name).unwrap();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                use std::os::unix::process::ExitStatusExt;
                return status.code().or(status.signal().map(|s| 128 + s));
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn job(run: &str, params: &[(&str, &str)]) -> Job {
        Job {
            run: run.to_string(),
            scenario: "asyncio-two-tasks".into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Enqueues a run as the server does, trying again for up to 15 s while a server of the
    /// queue does not answer (as a page does after a 503).
    pub fn enqueue(&self, run: &str, params: &[(&str, &str)]) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while let Err(e) = self
            .rt
            .block_on(self.queue.enqueue(&Cluster::job(run, params)))
        {
            assert!(Instant::now() < deadline, "{run} not enqueued: {e}");
            std::thread::sleep(Duration::from_millis(100));
        }
        run.to_string()
    }

    pub fn rows(&self, ids: &[String]) -> BTreeMap<String, RunRow> {
        self.rt
            .block_on(self.queue.record().rows(ids))
            .unwrap()
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    }

    pub fn row(&self, id: &str) -> RunRow {
        self.rows(&[id.to_string()]).remove(id).expect("recorded")
    }

    /// Waits until `done` holds, looking every 20 ms; fails with the workers' logs after
    /// `limit`.
    #[track_caller]
    pub fn wait_until(&self, limit: Duration, what: &str, mut done: impl FnMut(&Cluster) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {limit:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stream(&self) -> &Stream {
        self.queue.stream()
    }

    pub fn dead_letters(&self) -> Vec<BTreeMap<String, String>> {
        self.rt
            .block_on(self.stream().dead_letters(100))
            .unwrap()
            .into_iter()
            .map(|e| e.fields)
            .collect()
    }

    pub fn logs(&self) -> String {
        self.workers
            .iter()
            .map(|(name, _)| {
                let text = std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
                    .unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {name}\n{}", tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Cluster {
    /// Restarts the private server at `url` in place (same port, same data), down for
    /// `down` in between.
    pub fn restart(&mut self, url: &str, down: Duration) {
        let url = url.to_string();
        if let Err(e) = self.servers.restart_after(&url, down) {
            panic!("{e}\n{}", self.logs());
        }
    }

    /// How many runs of `ids` have ended.
    pub fn ended(&self, ids: &[String]) -> usize {
        self.rows(ids).values().filter(|r| r.status.ended()).count()
    }

    /// The workers that exited, with their exit status.
    pub fn exited(&mut self) -> Vec<String> {
        self.workers
            .iter_mut()
            .filter_map(|(name, child)| {
                child
                    .try_wait()
                    .unwrap()
                    .map(|status| format!("{name}: {status}"))
            })
            .collect()
    }
}

/// A `conlab serve --queue` of the cluster, stopped (SIGTERM) when dropped.
pub struct Front {
    pub child: Child,
    pub addr: String,
}

impl Cluster {
    /// Starts `conlab serve --queue … --db …` with `args`, its store in `<name>-store`.
    pub fn serve(&self, name: &str, args: &[&str]) -> Front {
        let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--queue", &self.redis, "--db", &self.mysql])
            .arg("--secret-file")
            .arg(self.dir.path().join("queue.secret"))
            .arg("--store")
            .arg(self.dir.path().join(format!("{name}-store")))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        let addr = {
            use std::io::BufRead;
            let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            // The rest is read too: a closed pipe would end the server at its next line.
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            line.trim()
                .trim_start_matches("conlab serve: http://")
                .trim_end_matches('/')
                .to_string()
        };
        assert!(addr.contains(':'), "{name} did not start: {addr:?}");
        Front { child, addr }
    }

    /// What server `name` said.
    pub fn front_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }
}

impl Front {
    /// Starts a native run of asyncio-two-tasks; its id.
    pub fn start(&self, sleep_ms: u32) -> String {
        self.submit(&format!(
            r#"{{"scenario": "asyncio-two-tasks", "params": {{"sleep_ms": "{sleep_ms}"}}}}"#
        ))
    }

    /// Starts the run a start request `body` asks for (202 asserted); its id.
    #[track_caller]
    pub fn submit(&self, body: &str) -> String {
        let (status, _, answer) = http(&self.addr, "POST", "/api/runs", Some(body));
        assert_eq!(status, 202, "{answer}");
        let summary: serde_json::Value = serde_json::from_str(&answer).unwrap();
        summary["id"].as_str().unwrap().to_string()
    }

    /// Waits (at most 20 s) until this server says run `id` is running.
    #[track_caller]
    pub fn wait_running(&self, cluster: &Cluster, id: &str) {
        cluster.wait_until(Duration::from_secs(20), "the run is running", |_| {
            let (_, _, body) = http(&self.addr, "GET", &format!("/api/runs/{id}"), None);
            body.contains(r#""state":"running""#)
        });
    }

    /// `GET path` as JSON (status 200 asserted).
    pub fn json(&self, path: &str) -> serde_json::Value {
        let (status, _, body) = http(&self.addr, "GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The ids its list shows.
    pub fn listed(&self) -> Vec<String> {
        self.json("/api/runs")["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Stops it with SIGTERM, as a service manager does; how it exited (it must within 15 s).
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
            .expect("conlab serve stops within 15 s of SIGTERM")
    }

    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        // SAFETY: a signal to a child this test started and has not reaped.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.workers {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A network namespace of this test, joined to this one by a veth pair: its own loopback,
/// and this side's end at `host`, the namespace's at `inside`. Deleted (with the pair) when
/// dropped.
pub struct Netns {
    pub name: String,
    pub host_link: String,
    pub host: String,
}

impl Netns {
    /// Namespace number `k` of this test process; `None` (said why) where the machine does
    /// not allow it (not root, no `ip`, no veth).
    pub fn create(k: u32) -> Option<Netns> {
        let tag = std::process::id() % 100_000;
        let name = format!("conlab-q-{tag}-{k}");
        let host_link = format!("cq{tag}h{k}");
        let inside_link = format!("cq{tag}n{k}");
        // One /30 per namespace: 10.231.<n>.1 this side, .2 inside.
        let third = (tag % 100) * 2 + k;
        let (host, inside) = (format!("10.231.{third}.1"), format!("10.231.{third}.2"));
        let made = Netns {
            name: name.clone(),
            host_link: host_link.clone(),
            host: host.clone(),
        };
        let steps: [&[&str]; 8] = [
            &["netns", "add", &name],
            &[
                "link",
                "add",
                &host_link,
                "type",
                "veth",
                "peer",
                "name",
                &inside_link,
            ],
            &["link", "set", &inside_link, "netns", &name],
            &["addr", "add", &format!("{host}/30"), "dev", &host_link],
            &["link", "set", &host_link, "up"],
            &[
                "netns",
                "exec",
                &name,
                "ip",
                "addr",
                "add",
                &format!("{inside}/30"),
                "dev",
                &inside_link,
            ],
            &[
                "netns",
                "exec",
                &name,
                "ip",
                "link",
                "set",
                &inside_link,
                "up",
            ],
            &["netns", "exec", &name, "ip", "link", "set", "lo", "up"],
        ];
        for step in steps {
            let out = Command::new("ip").args(step).output();
            match out {
                Ok(out) if out.status.success() => {}
                Ok(out) => {
                    eprintln!(
                        "skipped: this machine does not let the test make network namespaces \
                         (`ip {}`: {})",
                        step.join(" "),
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                    return None;
                }
                Err(e) => {
                    eprintln!("skipped: no `ip` to make network namespaces with ({e})");
                    return None;
                }
            }
        }
        Some(made)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .output();
    }
}

/// Forwards connections to `listen`:0 on to `to` (the private servers listen on loopback
/// only; a namespace reaches them through its veth). Returns the port it listens on.
pub fn forward(listen: &str, to: std::net::SocketAddr) -> u16 {
    let listener = std::net::TcpListener::bind((listen, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for from in listener.incoming().flatten() {
            let Ok(onto) = std::net::TcpStream::connect(to) else {
                continue;
            };
            for (mut a, mut b) in [
                (from.try_clone().unwrap(), onto.try_clone().unwrap()),
                (onto, from),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b);
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    port
}

/// `scheme://[user@]host:port/...` with its host and port put to `host:port`.
pub fn url_at(url: &str, host: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!(
        "{scheme}://{}{host}:{port}/{path}",
        user.unwrap_or_default()
    )
}

pub fn port_of(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hostport.parse().unwrap()
}

/// One HTTP/1.1 request to `addr` (`host:port`): status, head, body.
#[track_caller]
pub fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = body.unwrap_or("");
    write!(
        conn,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// One Server-Sent Event as a page receives it.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub data: String,
    /// When it arrived.
    pub at: Instant,
}

/// Reads `GET path` on `addr` as a stream of Server-Sent Events until the server closes it
/// (or nothing comes for `quiet`). HTTP/1.0, so the body is not chunked.
#[track_caller]
pub fn sse(addr: &str, path: &str, quiet: Duration) -> Vec<Sse> {
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(quiet)).unwrap();
    write!(conn, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut lines = BufReader::new(conn).lines();
    let head = lines.next().expect("an answer").expect("a status line");
    assert!(head.contains(" 200 "), "{head}");
    // The rest of the head.
    for line in lines.by_ref() {
        if line.expect("the head").is_empty() {
            break;
        }
    }
    let mut events = Vec::new();
    let (mut event, mut data) = (String::new(), String::new());
    for line in lines {
        let Ok(line) = line else { break };
        if line.is_empty() {
            if !event.is_empty() {
                events.push(Sse {
                    event: std::mem::take(&mut event),
                    data: std::mem::take(&mut data),
                    at: Instant::now(),
                });
            }
        } else if let Some(name) = line.strip_prefix("event: ") {
            event = name.to_string();
        } else if let Some(more) = line.strip_prefix("data: ") {
            data.push_str(more);
        }
    }
    events
}
