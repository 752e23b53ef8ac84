//! The catalog's data: every scenario of SCENARIOS.md, in chapter order.

use super::{Chapter, Platforms, ScenarioInfo, Shown};
use crate::params::{ParamBound, ParamKind, ParamSpec};

const fn count(
    name: &'static str,
    default: i64,
    min: i64,
    max: i64,
    unit: &'static str,
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Count {
            default,
            min,
            max,
            unit,
        },
        help,
        bound: None,
    }
}

const fn millis(
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Millis { default, min, max },
        help,
        bound: None,
    }
}

const fn millis_list(name: &'static str, default: &'static [i64], help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::List {
            default,
            min: 0,
            max: 60_000,
            max_len: 32,
            millis: true,
        },
        help,
        bound: None,
    }
}

const fn choice(
    name: &'static str,
    default: &'static str,
    options: &'static [&'static str],
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Choice { default, options },
        help,
        bound: None,
    }
}

const fn url(name: &'static str, help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Url,
        help,
        bound: None,
    }
}

const fn flag(name: &'static str, default: bool, help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Flag { default },
        help,
        bound: None,
    }
}

const fn threads(default: i64) -> ParamSpec {
    count(
        "threads",
        default,
        1,
        256,
        "threads",
        "how many threads to start",
    )
}

const fn processes(default: i64) -> ParamSpec {
    count(
        "processes",
        default,
        1,
        64,
        "processes",
        "how many child processes to start",
    )
}

const fn hold_ms(default: u64) -> ParamSpec {
    millis(
        "hold_ms",
        default,
        0,
        10_000,
        "how long each thread holds the shared resource",
    )
}

const fn sleep_ms(default: u64) -> ParamSpec {
    millis("sleep_ms", default, 0, 60_000, "how long each sleep lasts")
}

const fn latency_ms(default: u64) -> ParamSpec {
    millis(
        "latency_ms",
        default,
        0,
        60_000,
        "simulated latency of one request",
    )
}

const fn sleeps_ms() -> ParamSpec {
    millis_list(
        "sleeps_ms",
        &[300, 100, 200],
        "one sleep per task, in the order the tasks are created",
    )
}

const fn scenario(
    id: &'static str,
    title: &'static str,
    chapter: Chapter,
    platforms: Platforms,
    params: &'static [ParamSpec],
    explanation: &'static str,
) -> ScenarioInfo {
    ScenarioInfo {
        id,
        title,
        chapter,
        explanation,
        params,
        platforms,
        shown: Shown::ALL,
    }
}

use Chapter::{Asyncio, Coroutines, Processes, RealWorld, Threads};
const ALL: Platforms = Platforms::ALL;
const NATIVE: Platforms = Platforms::NATIVE;
const SCHEDULED: Platforms = Platforms::SCHEDULED;

/// Every scenario, in chapter order.
pub static CATALOG: &[ScenarioInfo] = &[
    // 1. Threads
    scenario("thread-start", "Starting threads", Threads, SCHEDULED, &[count("threads", 2, 1, 4000, "threads", "how many threads to start")],
        "Starting a thread only schedules it: the operating system decides when it runs, and the main thread carries on without waiting."),
    scenario("thread-main-waits", "The process waits for its threads", Threads, SCHEDULED, &[millis_list("sleeps_ms", &[300, 900], "one sleep per worker thread")],
        "A program does not end while non-daemon threads are still running: main prints first, then waits for every worker."),
    scenario("thread-daemon", "Daemon threads", Threads, SCHEDULED, &[sleep_ms(200)],
        "Daemon threads are cut off when the main thread ends (here after 50 ms of its own work); their remaining work never happens."),
    scenario("thread-join-timeout", "join() with and without a timeout", Threads, SCHEDULED, &[millis("work_ms", 10, 0, 10_000, "how long each worker works"), millis("timeout_ms", 2000, 1, 60_000, "how long join waits at most")],
        "join() waits for a thread to finish; join(timeout) gives up after the timeout and lets the caller carry on."),
    scenario("thread-names", "Thread names", Threads, SCHEDULED, &[threads(2)],
        "Every thread has a name; code can ask for the name of the thread it runs on."),
    scenario("cpu-bound-gil", "CPU-bound work and the GIL", Threads, SCHEDULED, &[count("units", 4, 1, 64, "work units", "how many equal pieces of CPU work"), flag("gil", true, "simulate the global interpreter lock"), millis("switch_interval_ms", 5, 1, 1000, "how often the GIL is handed over")],
        "CPU-bound work gains nothing from threads under a global interpreter lock; without it, or with processes, it spreads over the cores.").showing(Shown::MAKESPAN),
    scenario("io-bound-threads", "IO-bound work in threads", Threads, SCHEDULED, &[count("downloads", 3, 1, 256, "downloads", "how many downloads"), latency_ms(300)],
        "Threads waiting on IO release the GIL, so slow downloads overlap and the whole takes about one latency."),
    scenario("race-condition", "A race condition", Threads, SCHEDULED, &[threads(10), hold_ms(100), choice("op", "assign", &["assign", "increment"], "assign: write, work, read back; increment: counter += 1"), count("increments", 2, 1, 100, "increments", "adds per thread (op=increment)")],
        "Threads that write a shared variable and read it back later see each other's writes, and counter += 1 loses updates, unless a lock makes it atomic.").showing(Shown::NO_SPEEDUP),
    scenario("lock", "Lock", Threads, SCHEDULED, &[threads(10), hold_ms(10)],
        "A Lock makes 'append, then read the last element' atomic: critical sections never overlap."),
    scenario("rlock", "RLock, and a deadlock", Threads, SCHEDULED, &[threads(10)],
        "A re-entrant lock can be taken twice by the thread that holds it; a plain mutex taken twice deadlocks, and the watchdog reports who waits for what."),
    scenario("lock-order", "Lock order and deadlock", Threads, SCHEDULED, &[millis("hold_ms", 100, 0, 10_000, "how long each thread holds its first lock before it takes the second")],
        "Two threads that take two locks in opposite orders can each hold one and wait forever for the other: a deadlock, drawn as its wait-for cycle. Taken in one order, they cannot deadlock."),
    scenario("semaphore", "BoundedSemaphore", Threads, SCHEDULED, &[threads(20), count("permits", 3, 1, 256, "permits", "how many threads may enter at once"), hold_ms(100)],
        "A semaphore with n permits lets n threads into a section at once; the rest wait, so the work runs in waves."),
    scenario("condition-notify", "Condition: notify(n)", Threads, SCHEDULED, &[threads(10), ParamSpec { name: "notify_plan", kind: ParamKind::List { default: &[2, 3, 5], min: 1, max: 256, max_len: 32, millis: false }, help: "how many items each notify adds, and waiters it wakes", bound: None }, choice("wait", "while", &["while", "if"], "while: a woken thread checks again; if: it checks once")],
        "Threads wait on a condition for items; each notify(n) adds n and wakes n of them. Waiting with if instead of while, a woken thread can go on although another took its item."),
    scenario("condition-wait-for", "Condition: wait_for(predicate)", Threads, SCHEDULED, &[threads(5)],
        "wait_for blocks until a predicate over shared state becomes true, re-checking it at every notification."),
    scenario("event", "Event", Threads, SCHEDULED, &[threads(10), count("rounds", 2, 1, 32, "rounds", "how many set/clear rounds")],
        "One set() releases every thread waiting on an Event; clear() re-arms it for the next round."),
    scenario("thread-local", "Thread-local storage", Threads, SCHEDULED, &[threads(10), hold_ms(200)],
        "Each thread sees its own value of a thread-local variable; the same built by hand is a map keyed by thread id.").showing(Shown::NO_SPEEDUP),
    scenario("thread-pool", "A thread pool", Threads, SCHEDULED, &[count("workers", 5, 1, 256, "workers", "threads in the pool"), count("tasks", 40, 1, 10_000, "tasks", "tasks submitted"), millis("task_ms", 200, 0, 60_000, "how long each task takes")],
        "A pool of k worker threads runs many tasks in waves of k."),
    scenario("producer-consumer", "Producer/consumer", Threads, SCHEDULED, &[count("producers", 3, 1, 64, "threads", "producer threads"), count("consumers", 2, 1, 64, "threads", "consumer threads"), millis("produce_ms", 200, 0, 60_000, "time to produce one item"), millis("consume_ms", 100, 0, 60_000, "time to consume one item"), millis("duration_ms", 2000, 1, 600_000, "how long producers keep producing"), count("capacity", 0, 0, 100_000, "items", "queue capacity (0 = unbounded; queue=queue)"), choice("queue", "queue", &["queue", "unguarded"], "queue: a thread-safe queue.Queue; unguarded: a plain list, checked then taken in two steps")],
        "Producers and consumers meet at a thread-safe queue; every item is consumed exactly once. A plain list checked, then taken, gives two consumers one item and loses another."),
    // 2. Processes
    scenario("process-start", "Starting processes", Processes, SCHEDULED, &[processes(10)],
        "Each child is a real OS process with its own PID; the order of their output is up to the OS."),
    scenario("process-isolation", "Processes do not share memory", Processes, SCHEDULED, &[processes(10)],
        "A global list appended to in each child stays private to that child; threads appending to the same list share it.").showing(Shown::NO_SPEEDUP),
    scenario("process-info", "Process name, pid, daemon flag, join", Processes, SCHEDULED, &[processes(2)],
        "A process has a name, a PID and a daemon flag; the parent joins it."),
    scenario("process-queue", "A queue between processes", Processes, SCHEDULED, &[processes(10)],
        "Children put values into an inter-process queue and the parent collects them all."),
    scenario("process-shared-dict", "A manager's shared dict", Processes, SCHEDULED, &[processes(10), count("updates", 1, 1, 100_000, "updates", "updates each process makes to its key")],
        "A manager process owns a dict that children update through it."),
    scenario("process-lock", "A lock across processes", Processes, SCHEDULED, &[processes(2), millis("hold_ms", 200, 0, 10_000, "how long each process holds the lock")],
        "A lock shared by processes serializes a section of code across them."),
    scenario("process-pool", "A process pool", Processes, SCHEDULED, &[count("workers", 5, 1, 64, "processes", "processes in the pool"), count("tasks", 10, 1, 100_000, "tasks", "tasks submitted"), millis("task_ms", 200, 0, 60_000, "how long each task takes"), count("chunksize", 0, 0, 10_000, "tasks", "tasks handed to a worker at once (0: as Pool.map chooses, tasks / (4 × workers) rounded up)")],
        "A pool of k processes runs tasks in waves of k."),
    // 3. Coroutines
    scenario("coroutine-switch", "Switching coroutines by hand (greenlet)", Coroutines, ALL, &[],
        "Two coroutines hand control to each other explicitly: each runs until it switches to the other, so the output interleaves 1 3 2 4."),
    scenario("generator-delegation", "Delegating to a sub-generator (yield from)", Coroutines, ALL, &[],
        "A generator yields, delegates to a sub-generator until that one is exhausted, then yields again: 1 3 4 2."),
    scenario("io-switch", "Switching on IO (gevent)", Coroutines, ALL, &[count("fetches", 3, 1, 10_000, "fetches", "how many slow fetches"), latency_ms(300)],
        "Coroutines that switch whenever they wait for IO overlap their waits on one OS thread: three slow fetches take about one latency."),
    scenario("coroutine-cpu", "CPU-bound coroutines", Coroutines, ALL, &[count("units", 4, 1, 64, "work units", "how many coroutines each doing CPU work"), millis("unit_ms", 100, 1, 10_000, "CPU time of one unit")],
        "Switching between coroutines that only compute gains nothing: there is one thread, so the work still adds up."),
    // 4. asyncio
    scenario("asyncio-two-tasks", "Two tasks on the event loop", Asyncio, ALL, &[sleep_ms(200)],
        "Two tasks each print, sleep and print again. While one sleeps the loop runs the other, so the output is 1 3 2 4 and the whole takes one sleep."),
    scenario("coroutine-lifecycle", "A coroutine's life: created, scheduled, done", Asyncio, ALL, &[sleep_ms(100)],
        "Calling an async function only creates a coroutine: nothing runs until it is scheduled as a task, which then goes pending, running, done."),
    scenario("await-sequential", "await one after the other", Asyncio, ALL, &[sleep_ms(200)],
        "Awaiting two coroutines one after the other in the same task runs them sequentially: the whole takes two sleeps."),
    scenario("create-task", "create_task: concurrent tasks", Asyncio, ALL, &[count("tasks", 2, 1, 100_000, "tasks", "how many tasks to create"), sleep_ms(200)],
        "Tasks created up front run concurrently; awaiting them afterwards collects their results, and the whole takes one sleep."),
    scenario("gather-vs-wait", "gather vs wait", Asyncio, ALL, &[sleeps_ms()],
        "gather returns results in the order the awaitables were given, whatever order they finish in; wait returns sets of done and pending tasks.").showing(Shown::NO_SPEEDUP),
    scenario("wait-timeout", "wait with a timeout and return_when", Asyncio, ALL, &[millis_list("sleeps_ms", &[100, 200, 600], "one sleep per task"), millis("timeout_ms", 250, 0, 60_000, "how long wait waits at most"), choice("return_when", "all", &["all", "first_completed", "first_exception"], "when wait returns: all done, first completed, or first exception"), count("fail_index", 0, 0, 32, "tasks", "1-based index of a task that raises instead of returning (0 = none)").bounded_by(ParamBound::ItemsOf("sleeps_ms"))],
        "wait(timeout, return_when) returns when the condition is met or the timeout expires, splitting the tasks into done and pending."),
    scenario("as-completed", "as_completed", Asyncio, ALL, &[sleeps_ms()],
        "as_completed yields results in the order the tasks finish: shortest sleep first."),
    scenario("future-set-result", "A bare future finished by another task", Asyncio, ALL, &[millis("delay_ms", 200, 0, 60_000, "how long before the result is set")],
        "A future is a placeholder for a result. One task awaits it; another sets its result; the waiter resumes right after."),
    scenario("done-callback", "add_done_callback", Asyncio, ALL, &[sleep_ms(100)],
        "A callback attached to a task runs when the task completes and sees its result."),
    scenario("run-in-executor", "run_in_executor", Asyncio, NATIVE, &[count("calls", 3, 1, 64, "calls", "blocking calls to hand off"), millis("block_ms", 200, 0, 60_000, "how long each blocking call blocks"), choice("pool", "thread", &["thread", "process"], "thread pool or process pool")],
        "A blocking call handed to a pool runs off the event loop, so the loop stays responsive and several calls overlap."),
    scenario("blocking-in-async", "Blocking inside a coroutine", Asyncio, ALL, &[count("calls", 3, 1, 64, "calls", "blocking calls"), millis("block_ms", 300, 0, 60_000, "how long each blocking call blocks").bounded_by(ParamBound::PageBlockingTimes("calls"))],
        "A blocking call inside a coroutine freezes the whole event loop: nothing else runs, the calls add up, and conlab warns that the loop was blocked."),
    scenario("async-iterator", "async for over an async iterator", Asyncio, ALL, &[count("items", 99, 1, 100_000, "items", "how many items the reader yields"), millis("item_ms", 1, 0, 10_000, "how long each item takes to arrive")],
        "An async iterator awaits between items; async for consumes them in order until it is exhausted."),
    scenario("async-context-manager", "async with", Asyncio, ALL, &[millis("enter_ms", 100, 0, 60_000, "how long entering takes"), millis("exit_ms", 100, 0, 60_000, "how long exiting takes"), flag("body_fails", false, "make the body fail (exit still runs)")],
        "async with awaits on entry and on exit; the exit runs even when the body fails."),
    scenario("cancel-all", "Cancelling every pending task", Asyncio, ALL, &[count("tasks", 3, 1, 10_000, "tasks", "how many long tasks"), millis("cancel_after_ms", 150, 0, 60_000, "when the interrupt arrives")],
        "On an interrupt, every pending task is cancelled and the loop closes cleanly, with no task left running."),
    scenario("loop-in-thread", "An event loop in a background thread", Asyncio, NATIVE, &[count("jobs", 4, 1, 1000, "jobs", "jobs submitted from the main thread")],
        "An event loop runs in a background thread; the main thread submits coroutines to it thread-safely and they all run on the loop's thread."),
    scenario("event-loop-choice", "Choosing an event loop", Asyncio, ALL, &[count("tasks", 10_000, 1, 1_000_000, "tasks", "how many sleeping tasks"), sleep_ms(100)],
        "The same workload of many sleeping tasks on different loops: how long it takes, and the overhead per task.").showing(Shown::MAKESPAN),
    scenario("sync-vs-async-requests", "Five slow requests: one by one vs together", Asyncio, ALL, &[count("requests", 5, 1, 10_000, "requests", "how many requests"), latency_ms(300)],
        "Requests made one after the other add up; made concurrently, they take about one latency.").showing(Shown::NO_SPEEDUP),
    // 5. Real-world async
    scenario("redis-hash", "Redis: a hash", RealWorld, NATIVE, &[count("fields", 3, 1, 10_000, "fields", "fields in the hash")],
        "Connect to Redis, write a hash, read it back and close."),
    scenario("redis-multi-server", "Redis: several servers at once", RealWorld, NATIVE, &[count("servers", 2, 1, 8, "servers", "how many servers")],
        "The same work against several Redis servers concurrently (two by default) takes as long as the slowest one."),
    scenario("redis-pool", "Redis: pooled, pipelined, concurrent", RealWorld, NATIVE, &[count("ops", 1000, 1, 1_000_000, "operations", "operations per mode"), count("pool", 10, 1, 256, "connections", "pool size")],
        "Many tasks share a connection pool; sequential, pipelined and concurrent modes compared in ops/s.").showing(Shown::NO_SPEEDUP),
    scenario("mysql-query", "MySQL: a query", RealWorld, NATIVE, &[],
        "Connect to MySQL, run a query, fetch rows and close."),
    scenario("mysql-multi-server", "MySQL: several servers at once", RealWorld, NATIVE, &[count("servers", 2, 1, 8, "servers", "how many servers")],
        "Several MySQL servers queried concurrently (two by default) take as long as the slowest one."),
    scenario("mysql-pool", "MySQL: a pool of sleeping queries", RealWorld, NATIVE, &[count("queries", 10, 1, 10_000, "queries", "how many queries"), millis("sleep_ms", 200, 0, 60_000, "SLEEP() inside each query"), count("pool", 10, 1, 256, "connections", "pool size")],
        "Sleeping queries through a pool run in waves of the pool size.").showing(Shown::NO_SPEEDUP),
    scenario("web-api", "An async web API", RealWorld, NATIVE, &[count("users", 20, 1, 10_000, "users", "concurrent users"), millis("handler_ms", 300, 0, 60_000, "work inside each handler")],
        "An HTTP API with async endpoints backed by Redis and MySQL pools serves users concurrently; a blocking handler serializes them.").showing(Shown::NO_SPEEDUP),
    scenario("crawler", "A crawler", RealWorld, NATIVE, &[count("files", 10, 1, 10_000, "files", "files to download"), latency_ms(300), count("size_kb", 64, 1, 65_536, "KB", "size of each file")],
        "Download files from a slow local server sequentially, with threads, with an async client, and with a blocking client in an executor.").showing(Shown::NO_SPEEDUP),
    scenario("raw-http", "HTTP by hand", RealWorld, NATIVE, &[choice("version", "1.0", &["1.0", "1.1"], "HTTP version of the request written by hand"), count("size_kb", 1, 0, 1024, "KB", "size of the file asked of conlab's own server"), url("url", "the page to GET; this machine only unless --allow-remote")],
        "An HTTP/1.0 (or 1.1) request written by hand over an async TCP connection: the status line, each header, then the body.").showing(Shown::MAKESPAN),
    scenario("load-test", "An HTTP load tester", RealWorld, NATIVE, &[count("clients", 50, 1, 10_000, "clients", "concurrent clients, each on a connection it keeps alive"), count("requests", 1000, 1, 10_000_000, "requests", "total requests (when duration_ms is 0); a request unanswered after 30 s counts as timed out"), millis("duration_ms", 0, 0, 3_590_000, "run for this long instead of a number of requests (0 = send `requests`); without a rate each client sends at least one request, and a request still unanswered 2 s after the end counts as cut off"), count("payload_kb", 64, 0, 65_536, "KB", "file posted with each request as a form (0 = a GET without a body)"), count("rate", 0, 0, 1_000_000, "req/s", "send on a fixed schedule of this many requests per second, latency measured from each intended send time (0 = as fast as possible)"), url("url", "the API to load; this machine only unless --allow-remote"), count("fail_percent", 0, 0, 100, "%", "share of requests conlab's own server fails on purpose")],
        "Many concurrent clients post a file to an API; latency percentiles, throughput and bytes sent are measured.").showing(Shown::MAKESPAN),
    scenario("job-queue", "A Redis job queue", RealWorld, NATIVE, &[count("jobs", 20, 1, 100_000, "jobs", "jobs queued"), millis("job_ms", 100, 0, 60_000, "how long each job takes"), count("crash_after", 5, 0, 100_000, "jobs", "worker-1 stops mid-run after this many jobs, holding one (0 = never)").bounded_by(ParamBound::ZeroOrBelow("jobs"))],
        "A master loop moves jobs from a Redis list to an event loop in a worker thread; every job runs exactly once, even if a worker stops."),
];
