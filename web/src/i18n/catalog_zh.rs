//! The catalog in Simplified Chinese: title, explanation and parameter help of every scenario,
//! keyed by id. A browser test checks that every scenario and parameter is here.

/// One scenario's Chinese text.
pub struct ZhScenario {
    pub id: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub params: &'static [(&'static str, &'static str)],
}

/// The scenario `id`, if translated.
pub fn find(id: &str) -> Option<&'static ZhScenario> {
    ZH.iter().find(|z| z.id == id)
}

const fn zh(
    id: &'static str,
    title: &'static str,
    explanation: &'static str,
    params: &'static [(&'static str, &'static str)],
) -> ZhScenario {
    ZhScenario {
        id,
        title,
        explanation,
        params,
    }
}

const THREADS: (&str, &str) = ("threads", "要启动的线程数");
const HOLD: (&str, &str) = ("hold_ms", "每个线程占用共享资源的时长");
const SLEEP: (&str, &str) = ("sleep_ms", "每次休眠的时长");
const LATENCY: (&str, &str) = ("latency_ms", "一次请求的模拟延迟");
const PROCESSES: (&str, &str) = ("processes", "要启动的子进程数");
const SLEEPS: (&str, &str) = ("sleeps_ms", "每个任务一次休眠，按任务创建顺序排列");

static ZH: &[ZhScenario] = &[
    // 1. 线程
    zh("thread-start", "启动线程", "启动线程只是安排它运行：什么时候真正运行由操作系统决定，主线程不会等它，继续往下执行。", &[THREADS]),
    zh("thread-main-waits", "进程会等待它的线程", "只要还有非守护线程在运行，程序就不会结束：主线程先打印，然后等待每个工作线程。", &[("sleeps_ms", "每个工作线程一次休眠")]),
    zh("thread-daemon", "守护线程", "主线程结束时守护线程会被直接切断，它们剩下的工作永远不会执行。", &[SLEEP]),
    zh("thread-join-timeout", "带超时和不带超时的 join()", "join() 等待线程结束；join(timeout) 超时后放弃等待，让调用者继续执行。", &[("work_ms", "每个工作线程的工作时长"), ("timeout_ms", "join 最多等待多久")]),
    zh("thread-names", "线程名", "每个线程都有名字；代码可以查询自己所在线程的名字。", &[THREADS]),
    zh("cpu-bound-gil", "CPU 密集型任务与 GIL", "在全局解释器锁（GIL）下，CPU 密集型任务用多线程得不到任何加速；没有 GIL，或者改用多进程，工作才能分摊到多个核心上。", &[("units", "把 CPU 工作分成多少等份"), ("gil", "模拟全局解释器锁"), ("switch_interval_ms", "GIL 多久交接一次")]),
    zh("io-bound-threads", "IO 密集型任务与线程", "等待 IO 的线程会释放 GIL，所以多个慢速下载相互重叠，总耗时约等于一次延迟。", &[("downloads", "下载的数量"), LATENCY]),
    zh("race-condition", "竞态条件", "多个线程写同一个共享变量、稍后再读回来时，会看到彼此的写入——除非用锁让“写再读”成为原子操作。", &[THREADS, HOLD]),
    zh("lock", "互斥锁 Lock", "Lock 让“追加、再读取最后一个元素”成为原子操作：临界区永远不会重叠。", &[THREADS, HOLD]),
    zh("rlock", "可重入锁 RLock，以及死锁", "可重入锁可以被持有它的线程再次获取；普通互斥锁被同一线程获取两次就会死锁，看门狗会报告谁在等谁。", &[THREADS]),
    zh("semaphore", "有界信号量 BoundedSemaphore", "有 n 个许可的信号量一次只让 n 个线程进入某段代码，其余的等待，所以工作一波一波地进行。", &[THREADS, ("permits", "同时允许进入的线程数"), HOLD]),
    zh("condition-notify", "条件变量：notify(n)", "线程在条件变量上等待；每次 notify(n) 唤醒其中 n 个。", &[THREADS, ("notify_plan", "每次 notify 唤醒的等待者数量")]),
    zh("condition-wait-for", "条件变量：wait_for(谓词)", "wait_for 一直阻塞，直到关于共享状态的谓词变为真；每次收到通知都会重新检查。", &[THREADS]),
    zh("event", "事件 Event", "一次 set() 会唤醒所有在 Event 上等待的线程；clear() 为下一轮重新布置。", &[THREADS, ("rounds", "set/clear 的轮数")]),
    zh("thread-local", "线程局部存储", "每个线程看到的是线程局部变量自己的那一份值；手工实现就是一个以线程 id 为键的字典。", &[THREADS, HOLD]),
    zh("thread-pool", "线程池", "由 k 个工作线程组成的池，以每波 k 个的方式运行许多任务。", &[("workers", "池中的线程数"), ("tasks", "提交的任务数"), ("task_ms", "每个任务的耗时")]),
    zh("producer-consumer", "生产者/消费者", "生产者和消费者通过线程安全的队列相遇；每个产品恰好被消费一次。", &[("producers", "生产者线程数"), ("consumers", "消费者线程数"), ("produce_ms", "生产一个产品的时间"), ("consume_ms", "消费一个产品的时间"), ("duration_ms", "生产者持续生产多久"), ("capacity", "队列容量（0 表示不限）")]),
    // 2. 进程
    zh("process-start", "启动进程", "每个子进程都是真实的操作系统进程，有自己的 PID；它们输出的顺序由操作系统决定。", &[PROCESSES]),
    zh("process-isolation", "进程之间不共享内存", "每个子进程往全局列表里追加的内容只属于它自己；而多个线程追加的是同一个列表。", &[PROCESSES]),
    zh("process-info", "进程名、pid、守护标志与 join", "进程有名字、PID 和守护标志；父进程对它调用 join。", &[PROCESSES]),
    zh("process-queue", "进程间队列", "子进程把值放进进程间队列，父进程把它们全部收集起来。", &[PROCESSES]),
    zh("process-shared-dict", "Manager 的共享字典", "一个管理进程持有字典，子进程通过它来更新字典。", &[PROCESSES]),
    zh("process-lock", "跨进程的锁", "多个进程共享的锁让一段代码在进程之间串行执行。", &[PROCESSES, HOLD]),
    zh("process-pool", "进程池", "由 k 个进程组成的池，以每波 k 个的方式运行任务。", &[("workers", "池中的进程数"), ("tasks", "提交的任务数"), ("task_ms", "每个任务的耗时")]),
    // 3. 协程
    zh("coroutine-switch", "手动切换协程（greenlet）", "两个协程显式地把控制权交给对方：每个都运行到切换给另一个为止，所以输出交错为 1 3 2 4。", &[]),
    zh("generator-delegation", "委托给子生成器（yield from）", "生成器先产出一个值，再委托给子生成器直到它耗尽，然后继续产出：1 3 4 2。", &[]),
    zh("io-switch", "遇到 IO 就切换（gevent）", "协程在等待 IO 时切换，于是在一个操作系统线程上它们的等待相互重叠：三次慢速获取总共约一次延迟。", &[("fetches", "慢速获取的次数"), LATENCY]),
    zh("coroutine-cpu", "CPU 密集型协程", "只做计算的协程之间切换得不到任何好处：只有一个线程，工作时间照样累加。", &[("units", "多少个协程，每个做一份 CPU 工作"), ("unit_ms", "一份工作的 CPU 时间")]),
    // 4. asyncio
    zh("asyncio-two-tasks", "事件循环上的两个任务", "两个任务各自打印、休眠、再打印。一个休眠时循环就运行另一个，所以输出是 1 3 2 4，总耗时只有一次休眠。", &[SLEEP]),
    zh("coroutine-lifecycle", "协程的一生：创建、调度、完成", "调用 async 函数只会创建一个协程对象：在被调度为任务之前什么都不运行；之后它依次处于等待、运行、完成状态。", &[SLEEP]),
    zh("await-sequential", "一个接一个地 await", "在同一个任务里先后 await 两个协程，它们会顺序执行：总耗时是两次休眠。", &[SLEEP]),
    zh("create-task", "create_task：并发任务", "预先创建的任务并发运行；之后再 await 它们收集结果，总耗时只有一次休眠。", &[("tasks", "要创建的任务数"), SLEEP]),
    zh("gather-vs-wait", "gather 与 wait", "gather 按传入的顺序返回结果，不论完成顺序如何；wait 返回已完成和未完成两组任务。", &[SLEEPS]),
    zh("wait-timeout", "带超时和 return_when 的 wait", "wait(timeout, return_when) 在条件满足或超时时返回，把任务分成已完成和未完成两组。", &[("sleeps_ms", "每个任务一次休眠"), ("timeout_ms", "wait 最多等待多久"), ("return_when", "wait 何时返回：全部完成、第一个完成，或第一个异常"), ("fail_index", "哪个任务（从 1 开始）抛出异常而不是返回（0 表示没有）")]),
    zh("as-completed", "as_completed：按完成顺序取结果", "as_completed 按任务完成的顺序给出结果：休眠最短的最先。", &[SLEEPS]),
    zh("future-set-result", "由另一个任务完成的 Future", "Future 是结果的占位符。一个任务 await 它，另一个任务设置它的结果，等待者随即恢复运行。", &[("delay_ms", "多久之后设置结果")]),
    zh("done-callback", "add_done_callback：完成回调", "挂在任务上的回调会在任务完成时运行，并能拿到任务的结果。", &[SLEEP]),
    zh("run-in-executor", "run_in_executor：把阻塞调用交给执行器", "交给线程池或进程池的阻塞调用在事件循环之外运行，所以循环保持响应，多个调用相互重叠。", &[("calls", "要交出去的阻塞调用数"), ("block_ms", "每个阻塞调用阻塞多久"), ("pool", "线程池还是进程池")]),
    zh("blocking-in-async", "在协程里阻塞", "协程里的阻塞调用会冻结整个事件循环：其他任务都无法运行，调用时间累加，conlab 会警告循环被阻塞了。", &[("calls", "阻塞调用的次数"), ("block_ms", "每个阻塞调用阻塞多久")]),
    zh("async-iterator", "用 async for 遍历异步迭代器", "异步迭代器在两个元素之间 await；async for 按顺序消费它们，直到耗尽。", &[("items", "读取器产出的元素个数"), ("item_ms", "每个元素到达需要多久")]),
    zh("async-context-manager", "async with：异步上下文管理器", "async with 在进入和退出时都会 await；即使代码体失败，退出部分也照样执行。", &[("enter_ms", "进入需要多久"), ("exit_ms", "退出需要多久"), ("body_fails", "让代码体失败（退出部分仍会执行）")]),
    zh("cancel-all", "取消所有未完成的任务", "收到中断时，所有未完成的任务都被取消，循环干净地关闭，没有任务残留。", &[("tasks", "长任务的数量"), ("cancel_after_ms", "中断何时到来")]),
    zh("loop-in-thread", "在后台线程中运行事件循环", "事件循环运行在后台线程中；主线程以线程安全的方式向它提交协程，它们都在循环所在的线程上运行。", &[("jobs", "主线程提交的作业数")]),
    zh("event-loop-choice", "选择事件循环", "同样的大量休眠任务放在不同的事件循环上：各需要多久，每个任务的开销是多少。", &[("tasks", "休眠任务的数量"), SLEEP]),
    zh("sync-vs-async-requests", "五个慢请求：逐个发送 vs 一起发送", "一个接一个发出的请求耗时累加；并发发出时，总耗时约等于一次延迟。", &[("requests", "请求的数量"), LATENCY]),
    // 5. 真实场景
    zh("redis-hash", "Redis：哈希", "连接 Redis，写入一个哈希，读回来，然后关闭连接。", &[("fields", "哈希中的字段数")]),
    zh("redis-multi-server", "Redis：同时访问多台服务器", "对多台 Redis 服务器（默认两台）并发做同样的工作，耗时等于最慢的那一台。", &[("servers", "服务器数量")]),
    zh("redis-pool", "Redis：连接池、流水线、并发", "许多任务共享一个连接池；比较顺序、流水线和并发三种模式的每秒操作数。", &[("ops", "每种模式的操作数"), ("pool", "连接池大小")]),
    zh("mysql-query", "MySQL：一次查询", "连接 MySQL，执行查询，取回行，然后关闭连接。", &[]),
    zh("mysql-multi-server", "MySQL：同时访问多台服务器", "对多台 MySQL 服务器（默认两台）并发查询，耗时等于最慢的那一台。", &[("servers", "服务器数量")]),
    zh("mysql-pool", "MySQL：连接池中的休眠查询", "通过连接池执行的休眠查询以连接池大小为一波，一波一波地运行。", &[("queries", "查询的数量"), ("sleep_ms", "每个查询中 SLEEP() 的时长"), ("pool", "连接池大小")]),
    zh("web-api", "异步 Web API", "由 Redis 和 MySQL 连接池支撑异步端点的 HTTP API 可以同时服务多个用户；一个阻塞的处理函数会让它们排队。", &[("users", "并发用户数"), ("handler_ms", "每个处理函数内部的工作时长")]),
    zh("crawler", "爬虫", "从一个慢速本地服务器下载文件：顺序下载、多线程、异步客户端，以及在执行器中运行的阻塞客户端。", &[("files", "要下载的文件数"), LATENCY, ("size_kb", "每个文件的大小")]),
    zh("raw-http", "手写 HTTP", "在异步 TCP 连接上手工写出一个 HTTP/1.0 请求：先是头部，然后是正文。", &[]),
    zh("load-test", "HTTP 压力测试工具", "许多并发客户端向 API 上传文件；测量延迟百分位、吞吐量和发送的字节数。", &[("clients", "并发客户端数"), ("requests", "请求总数"), ("payload_kb", "每个请求的负载大小"), ("rate", "目标速率（0 表示尽可能快）")]),
    zh("job-queue", "Redis 作业队列", "主循环把作业从 Redis 列表移交给工作线程中的事件循环；即使某个工作者中途停止，每个作业也恰好执行一次。", &[("jobs", "排队的作业数"), ("job_ms", "每个作业的耗时"), ("crash_after", "worker-1 在完成这么多作业后中途停止，手里还拿着一个（0 表示从不）")]),
];
