//! A queue on real servers for the tests of runs across machines: a private Redis and a
//! private MariaDB (`conlab-servers`), a shared secret, `conlab worker` processes and
//! `conlab serve --queue` of the built binary, each logging to a file of the test's folder.

use conlab_queue::{Queue, QueueSettings, Secret};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The servers, the queue on them, and the processes a test started.
pub struct Cluster {
    pub redis: String,
    pub mysql: String,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub queue: Queue,
    /// Name and process of each worker, and of `serve`.
    pub children: Vec<(String, Child)>,
    // Dropped last: the servers outlive the processes.
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
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let queue = rt
            .block_on(Queue::open(&QueueSettings {
                redis_url: redis.clone(),
                mysql_url: mysql.clone(),
                secret: Secret::new(secret_text).unwrap(),
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
            children: Vec::new(),
            servers,
        })
    }

    /// Starts `conlab worker --name name`, its output in `<name>.log`.
    pub fn worker(&mut self, name: &str) {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(["worker", "--queue", &self.redis, "--db", &self.mysql])
            .arg("--secret-file")
            .arg(self.dir.path().join("queue.secret"))
            .args(["--name", name, "--lease-seconds", "2"])
            .env_remove("CONLAB_QUEUE_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push((name.to_string(), child));
    }

    /// Starts `conlab serve --queue … --db …` named `name` on a free loopback port, its store
    /// in the folder `name` and its standard error in `<name>.log`; its address
    /// (`host:port`).
    pub fn serve(&mut self, name: &str) -> String {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let mut serve = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--queue", &self.redis, "--db", &self.mysql])
            .arg("--secret-file")
            .arg(self.dir.path().join("queue.secret"))
            .arg("--store")
            .arg(self.dir.path().join(name))
            .env_remove("CONLAB_QUEUE_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(serve.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        // The rest is read too: a closed pipe would end the server at its next line.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        self.children.push((name.into(), serve));
        line.trim()
            .trim_start_matches("conlab serve: http://")
            .trim_end_matches('/')
            .to_string()
    }

    /// The last lines of every process's log.
    pub fn logs(&self) -> String {
        self.children
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

    /// Waits until `done` holds, looking every 20 ms; fails with the logs after `limit`.
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
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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
