//! Check descriptions in Simplified Chinese, keyed by their English text (a check's id is
//! shared by scenarios whose descriptions differ). A description not listed here shows in
//! English; browser tests check that every scenario's checks are listed.

/// The Chinese for the check description `en`, if listed.
pub fn find(en: &str) -> Option<&'static str> {
    ZH.binary_search_by(|(k, _)| (*k).cmp(en))
        .ok()
        .map(|i| ZH[i].1)
}

/// Sorted by the English text (a test keeps it so).
pub static ZH: &[(&str, &str)] = &[
    (
        "3 and 4 are yielded by the sub-generator, 1 and 2 by the outer one",
        "3 和 4 由子生成器产出，1 和 2 由外层生成器产出",
    ),
    (
        "IO releases the GIL: makespan ~ one latency",
        "IO 会释放 GIL：总耗时约为一次延迟",
    ),
    (
        "a 'blocked the event loop' warning is raised when calls block >= 100 ms",
        "调用阻塞 ≥ 100 ms 时会发出“事件循环被阻塞”的警告",
    ),
    (
        "a unit of work is too short against starting a thread, so parallelism is not checked this time",
        "一个工作单元比启动线程的时间还短，所以这次不检查并行度",
    ),
    (
        "after join(timeout) the thread is still running iff its work outlasts the timeout",
        "join(timeout) 之后线程仍在运行，当且仅当它的工作比超时更长",
    ),
    (
        "all operations succeed in every mode",
        "每种模式下所有操作都成功",
    ),
    (
        "all waiters of a round are released within one tick of set()",
        "每一轮的所有等待者都在 set() 之后一个时间片内被放行",
    ),
    (
        "at most k workers are busy at once",
        "同时最多有 k 个工作线程在忙",
    ),
    (
        "awaits run one after the other: makespan ~ 2 x sleep",
        "await 一个接一个执行：总耗时约为 2 × 休眠",
    ),
    (
        "blocking calls never overlap: the loop is frozen during each",
        "阻塞调用从不重叠：每次调用期间循环都被冻结",
    ),
    ("both phases ran", "两个阶段都运行了"),
    (
        "both tasks print their first line before either prints its second",
        "两个任务都先打印第一行，然后才有任务打印第二行",
    ),
    (
        "clearly less than the sum when there are several servers",
        "有多台服务器时明显少于各自耗时之和",
    ),
    (
        "concurrent requests take ~ one latency",
        "并发请求约耗时一次延迟",
    ),
    (
        "control alternates gr1, gr2, gr1, gr2",
        "控制权交替：gr1、gr2、gr1、gr2",
    ),
    ("critical sections never overlap", "临界区从不重叠"),
    (
        "done/pending split matches the timeout",
        "已完成/未完成的划分与超时相符",
    ),
    (
        "each create line precedes its worker's line",
        "每条创建行都在对应工作者的输出之前",
    ),
    (
        "each line carries the name of the thread that printed it",
        "每一行都带有打印它的线程的名字",
    ),
    (
        "each thread reads back its own value (thread-local and by hand)",
        "每个线程都读回自己的值（线程局部变量与手工实现）",
    ),
    ("enter before use before exit", "先进入，再使用，最后退出"),
    ("every call ran in the pool", "每个调用都在池中运行"),
    (
        "every download waited on IO once",
        "每次下载都等待了一次 IO",
    ),
    (
        "every fetch waited for its response once",
        "每次获取都等待了一次响应",
    ),
    ("every field came back", "每个字段都读回来了"),
    (
        "every gathered task finished once",
        "每个被 gather 的任务都恰好完成一次",
    ),
    (
        "every item produced is consumed exactly once or reported left over",
        "每个生产出的产品恰好被消费一次，或被报告为剩余",
    ),
    ("every job runs exactly once", "每个作业恰好运行一次"),
    (
        "every key the run wrote is removed",
        "本次运行写入的每个键都被删除了",
    ),
    (
        "every pair of printed values matches",
        "每一对打印出的值都相符",
    ),
    (
        "every pending task is cancelled afterwards",
        "之后每个未完成的任务都被取消",
    ),
    (
        "every pending task is reported cancelled",
        "每个未完成的任务都被报告为已取消",
    ),
    ("every phase ran", "每个阶段都运行了"),
    (
        "every query completes in both modes",
        "两种模式下每个查询都完成了",
    ),
    (
        "every request got a response in both modes",
        "两种模式下每个请求都得到了响应",
    ),
    (
        "every server completes its query",
        "每台服务器都完成了它的查询",
    ),
    (
        "every server completes its work",
        "每台服务器都完成了它的工作",
    ),
    (
        "every submitted job runs on the loop's thread",
        "每个提交的作业都在循环所在的线程上运行",
    ),
    ("every task finished", "每个任务都完成了"),
    (
        "every task finished before main",
        "每个任务都在 main 之前完成",
    ),
    (
        "every task is reported exactly once",
        "每个任务恰好被报告一次",
    ),
    ("every task runs exactly once", "每个任务恰好运行一次"),
    (
        "every task slept at least sleep_ms",
        "每个任务至少休眠了 sleep_ms",
    ),
    (
        "every task's result came back to main",
        "每个任务的结果都回到了 main",
    ),
    ("every thread got in once", "每个线程都进入了一次"),
    (
        "every thread reported its name",
        "每个线程都报告了自己的名字",
    ),
    (
        "every user's request is answered on every endpoint",
        "每个用户在每个端点上的请求都得到了应答",
    ),
    ("every waiter proceeds", "每个等待者都继续执行了"),
    (
        "every worker line is printed once",
        "每个工作者的输出行恰好打印一次",
    ),
    (
        "everything ran on one OS thread",
        "一切都在同一个操作系统线程上运行",
    ),
    (
        "exit runs even when the body fails, and the failure still propagates",
        "即使代码体失败，退出部分也会运行，且失败照样向外传播",
    ),
    (
        "free threads never compute on more than min(cores, units) cores at once",
        "没有 GIL 的线程同时使用的核心从不超过 min(核心数, 工作份数)",
    ),
    (
        "gather returns results in input order",
        "gather 按输入顺序返回结果",
    ),
    (
        "gather takes about the longest sleep",
        "gather 约耗时最长的那次休眠",
    ),
    (
        "iteration stops when the reader is exhausted",
        "读取器耗尽时迭代停止",
    ),
    (
        "jobs were submitted from another thread",
        "作业是从另一个线程提交的",
    ),
    (
        "join(timeout) returns at min(work, timeout)",
        "join(timeout) 在 min(工作时长, 超时) 时返回",
    ),
    (
        "main ends without waiting for the daemon's sleep",
        "main 结束时不等待守护线程的休眠",
    ),
    (
        "main reaches its end without waiting for its threads",
        "main 不等待它的线程就走到了程序末尾",
    ),
    (
        "main's line is printed before it joins, while workers still run",
        "main 在 join 之前打印，此时工作线程仍在运行",
    ),
    (
        "makespan ~ ceil(tasks / workers) x task",
        "总耗时约为 ceil(任务数 / 工作线程数) × 单个任务时长",
    ),
    (
        "makespan ~ ceil(threads / permits) x hold",
        "总耗时约为 ceil(线程数 / 许可数) × 占用时长",
    ),
    (
        "never more queries in flight than the pool has connections",
        "进行中的查询数从不超过连接池的连接数",
    ),
    (
        "no cancelled task ran past its cancellation",
        "被取消的任务在取消之后都没有继续运行",
    ),
    (
        "no task is left running when the loop closes",
        "循环关闭时没有任务仍在运行",
    ),
    ("no thread outlives the run", "没有线程比本次运行活得更久"),
    (
        "no waiter is released before the first notify",
        "第一次 notify 之前没有等待者被放行",
    ),
    (
        "no waiter proceeds before its predicate is true",
        "谓词为真之前没有等待者继续执行",
    ),
    ("one after another: ~ n x sleep", "一个接一个：约 n × 休眠"),
    (
        "only one coroutine computes at any instant",
        "任一时刻只有一个协程在计算",
    ),
    (
        "output is started, hello, world, finished",
        "输出依次为 started、hello、world、finished",
    ),
    ("output order is 1 3 2 4", "输出顺序为 1 3 2 4"),
    ("output order is 1 3 4 2", "输出顺序为 1 3 4 2"),
    (
        "overhead per task is reported and consistent with the makespan",
        "报告了每个任务的开销，且与总耗时一致",
    ),
    (
        "peak concurrency inside == permits (never more)",
        "内部最大并发数 == 许可数（从不更多）",
    ),
    (
        "pipelined is faster than one by one",
        "流水线比逐条发送更快",
    ),
    (
        "releases happen in the planned batch sizes",
        "按计划的批量大小放行",
    ),
    (
        "results come in completion order (sorted by sleep)",
        "结果按完成顺序到来（按休眠时长排序）",
    ),
    (
        "sequential requests take ~ n x latency",
        "顺序请求约耗时 n × 延迟",
    ),
    (
        "switching gains nothing: makespan >= sequential sum",
        "切换得不到任何好处：总耗时 ≥ 顺序执行之和",
    ),
    (
        "task states seen in order: pending, running, done",
        "依次观察到任务状态：等待、运行、完成",
    ),
    (
        "the GIL is handed over between competing threads",
        "GIL 在相互竞争的线程之间交接",
    ),
    (
        "the async MySQL endpoint serves users together: ~ one handler time",
        "异步 MySQL 端点同时服务多个用户：约一次处理时间",
    ),
    (
        "the async Redis endpoint serves users together: ~ one handler time",
        "异步 Redis 端点同时服务多个用户：约一次处理时间",
    ),
    (
        "the blocking handler serves them one at a time: ~ users x handler time",
        "阻塞的处理函数一次只服务一个用户：约 用户数 × 处理时间",
    ),
    (
        "the blocking handlers never overlap",
        "阻塞的处理函数从不重叠",
    ),
    (
        "the callback runs once the task has completed",
        "任务完成后回调才运行",
    ),
    (
        "the callback sees the task's result",
        "回调能拿到任务的结果",
    ),
    (
        "the calls add up: they all end ~ calls x block after the start",
        "调用时间累加：全部在开始后约 调用数 × 阻塞时长 时结束",
    ),
    (
        "the calls overlap: they all end ~ one call after the start",
        "调用相互重叠：全部在开始后约一次调用的时长内结束",
    ),
    (
        "the connection and its commands are on the timeline",
        "连接及其命令都显示在时间轴上",
    ),
    (
        "the coroutine's body runs only after it is scheduled",
        "协程体只有在被调度之后才运行",
    ),
    (
        "the daemon is cut off at the end of main if it still runs then",
        "守护线程若在 main 结束时仍在运行，就被切断",
    ),
    (
        "the daemon's work after main ends never happens",
        "main 结束之后守护线程的工作永远不会发生",
    ),
    (
        "the deadlock is reported within 2 s, not a hang",
        "死锁在 2 秒内被报告，而不是一直挂起",
    ),
    ("the expected rows are returned", "返回了预期的行"),
    (
        "the fetches overlap: makespan ~ one latency",
        "各次获取相互重叠：总耗时约为一次延迟",
    ),
    (
        "the interrupt arrives after cancel_after_ms",
        "中断在 cancel_after_ms 之后到来",
    ),
    (
        "the job a stopped worker held is moved back and run by another",
        "停止的工作者手中的作业被移回队列，并由另一个工作者运行",
    ),
    (
        "the loop stays responsive: the ticker keeps ticking during the calls",
        "循环保持响应：调用期间计时器一直在跳动",
    ),
    (
        "the loop thread stops cleanly at the end",
        "循环线程在结束时干净地停止",
    ),
    (
        "the machine lent fewer than 1.5 cores, so parallel speed-up is not checked this time",
        "这台机器分到的核心少于 1.5 个，所以这次不检查并行加速",
    ),
    ("the makespan is at least one sleep", "总耗时至少为一次休眠"),
    (
        "the multi-threaded runtime ran the same workload",
        "多线程运行时运行了同样的工作负载",
    ),
    (
        "the output says processes are not run yet, not silently",
        "输出明确说明进程部分尚未运行，而不是悄悄略过",
    ),
    (
        "the plain lock is never taken twice",
        "普通锁从未被获取两次",
    ),
    (
        "the plain-mutex variant is reported as a deadlock, with who waits for what",
        "普通互斥锁的版本被报告为死锁，并说明谁在等什么",
    ),
    (
        "the pool's connections carry commands at once, never more than the pool size",
        "连接池的连接同时承载命令，从不超过连接池大小",
    ),
    (
        "the program ends only when its last thread does: ~ longest sleep",
        "程序在最后一个线程结束时才结束：约为最长的休眠",
    ),
    (
        "the queue never holds more than its capacity (0 = unbounded)",
        "队列中的元素从不超过容量（0 表示不限）",
    ),
    ("the re-entrant run completes", "可重入锁的版本运行完成"),
    (
        "the result arrives after about one delay",
        "结果约在一次延迟之后到来",
    ),
    ("the run completed", "运行已完成"),
    ("the run's table is dropped", "本次运行的表已删除"),
    (
        "the sleeps overlap: makespan ~ one sleep",
        "各次休眠相互重叠：总耗时约为一次休眠",
    ),
    (
        "the task returned and the callback ran",
        "任务已返回，回调已运行",
    ),
    (
        "the tasks run concurrently: makespan ~ one sleep",
        "任务并发运行：总耗时约为一次休眠",
    ),
    (
        "the value read back equals the value written",
        "读回的值等于写入的值",
    ),
    (
        "the waiter receives the value that was set",
        "等待者收到了被设置的值",
    ),
    ("the waiter resumed", "等待者已恢复运行"),
    (
        "the waiter resumes right after set_result",
        "set_result 之后等待者立即恢复运行",
    ),
    (
        "the whole takes about enter + exit",
        "整体约耗时 进入 + 退出",
    ),
    (
        "the whole takes about the longest sleep",
        "整体约耗时最长的那次休眠",
    ),
    (
        "threads under the GIL gain nothing: speedup <= 1.2",
        "GIL 下的线程得不到加速：加速比 ≤ 1.2",
    ),
    (
        "three explicit switches hand control over",
        "三次显式切换交出控制权",
    ),
    (
        "through the pool: ~ ceil(n / pool) x sleep",
        "通过连接池：约 ceil(n / 池大小) × 休眠",
    ),
    (
        "together they take ~ the slowest server's time",
        "一起执行约耗时最慢那台服务器的时间",
    ),
    (
        "wait reports done and pending tasks",
        "wait 报告已完成和未完成的任务",
    ),
    (
        "wait reports every task done, none pending",
        "wait 报告所有任务已完成，没有未完成的",
    ),
    ("wait returned", "wait 已返回"),
    (
        "wait returns when return_when is met or at the timeout",
        "wait 在满足 return_when 或超时时返回",
    ),
    (
        "with the lock every thread reads back its own value",
        "加锁后每个线程都读回自己的值",
    ),
    (
        "without a lock, overlapping threads read values not their own",
        "不加锁时，重叠的线程会读到不属于自己的值",
    ),
    (
        "without the GIL the threads compute at the same time; with it they take turns",
        "没有 GIL 时线程同时计算；有 GIL 时它们轮流计算",
    ),
    ("workers finish in sleep order", "工作者按休眠时长顺序完成"),
    ("yields 1..items in order", "按顺序产出 1..items"),
];
