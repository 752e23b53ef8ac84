"""The parameters of the lessons that have a Python program, with their defaults (from the
catalog, `crates/core/src/catalog/entries.rs`), and the program of each. conlab passes every
parameter when it runs a program; the defaults matter only when one is run by hand."""

#: scenario id -> (program, relative to `python/`, {parameter: default})
SCENARIOS = {
    # 1. Threads
    "thread-start": ("threads/thread_start.py", {"threads": 2}),
    "thread-main-waits": ("threads/thread_main_waits.py", {"sleeps_ms": [300, 900]}),
    "thread-daemon": ("threads/thread_daemon.py", {"sleep_ms": 200}),
    "thread-join-timeout": ("threads/thread_join_timeout.py", {"work_ms": 10, "timeout_ms": 2000}),
    "thread-names": ("threads/thread_names.py", {"threads": 2}),
    "cpu-bound-gil": ("threads/cpu_bound_gil.py", {"units": 4, "gil": True, "switch_interval_ms": 5}),
    "io-bound-threads": ("threads/io_bound_threads.py", {"downloads": 3, "latency_ms": 300}),
    "race-condition": ("threads/race_condition.py", {
        "threads": 10, "hold_ms": 100, "op": "assign", "increments": 2}),
    "lock": ("threads/lock.py", {"threads": 10, "hold_ms": 10}),
    "rlock": ("threads/rlock.py", {"threads": 10}),
    "lock-order": ("threads/lock_order.py", {"hold_ms": 100}),
    "semaphore": ("threads/semaphore.py", {"threads": 20, "permits": 3, "hold_ms": 100}),
    "condition-notify": ("threads/condition_notify.py", {
        "threads": 10, "notify_plan": [2, 3, 5], "wait": "while"}),
    "condition-wait-for": ("threads/condition_wait_for.py", {"threads": 5}),
    "event": ("threads/event.py", {"threads": 10, "rounds": 2}),
    "thread-local": ("threads/thread_local.py", {"threads": 10, "hold_ms": 200}),
    "thread-pool": ("threads/thread_pool.py", {"workers": 5, "tasks": 40, "task_ms": 200}),
    "producer-consumer": ("threads/producer_consumer.py", {
        "producers": 3, "consumers": 2, "produce_ms": 200, "consume_ms": 100, "duration_ms": 2000,
        "capacity": 0, "queue": "queue"}),
    # 2. Processes
    "process-start": ("processes/process_start.py", {"processes": 10}),
    "process-isolation": ("processes/process_isolation.py", {"processes": 10}),
    "process-info": ("processes/process_info.py", {"processes": 2}),
    "process-queue": ("processes/process_queue.py", {"processes": 10}),
    "process-shared-dict": ("processes/process_shared_dict.py", {"processes": 10, "updates": 1}),
    "process-lock": ("processes/process_lock.py", {"processes": 2, "hold_ms": 200}),
    "process-pool": ("processes/process_pool.py", {
        "workers": 5, "tasks": 10, "task_ms": 200, "chunksize": 0}),
    # 3. Coroutines
    "coroutine-switch": ("coroutines/coroutine_switch.py", {}),
    "generator-delegation": ("coroutines/generator_delegation.py", {}),
    "io-switch": ("coroutines/io_switch.py", {"fetches": 3, "latency_ms": 300}),
    "coroutine-cpu": ("coroutines/coroutine_cpu.py", {"units": 4, "unit_ms": 100}),
    # 4. asyncio
    "asyncio-two-tasks": ("asyncio/two_tasks.py", {"sleep_ms": 200}),
    "coroutine-lifecycle": ("asyncio/coroutine_lifecycle.py", {"sleep_ms": 100}),
    "await-sequential": ("asyncio/await_sequential.py", {"sleep_ms": 200}),
    "create-task": ("asyncio/create_task.py", {"tasks": 2, "sleep_ms": 200}),
    "gather-vs-wait": ("asyncio/gather_vs_wait.py", {"sleeps_ms": [300, 100, 200]}),
    "wait-timeout": ("asyncio/wait_timeout.py", {
        "sleeps_ms": [100, 200, 600], "timeout_ms": 250, "return_when": "all", "fail_index": 0}),
    "as-completed": ("asyncio/as_completed.py", {"sleeps_ms": [300, 100, 200]}),
    "future-set-result": ("asyncio/future_set_result.py", {"delay_ms": 200}),
    "done-callback": ("asyncio/done_callback.py", {"sleep_ms": 100}),
    "blocking-in-async": ("asyncio/blocking_in_async.py", {"calls": 3, "block_ms": 300}),
    "async-iterator": ("asyncio/async_iterator.py", {"items": 99, "item_ms": 1}),
    "async-context-manager": ("asyncio/async_context_manager.py", {
        "enter_ms": 100, "exit_ms": 100, "body_fails": False}),
    "cancel-all": ("asyncio/cancel_all.py", {"tasks": 3, "cancel_after_ms": 150}),
    "event-loop-choice": ("asyncio/event_loop_choice.py", {"tasks": 10000, "sleep_ms": 100}),
    # 5. Real-world async
    "redis-hash": ("redis/redis_hash.py", {"fields": 3}),
    "redis-multi-server": ("redis/redis_multi_server.py", {"servers": 2}),
    "redis-pool": ("redis/redis_pool.py", {"ops": 1000, "pool": 10}),
    "job-queue": ("redis/job_queue.py", {"jobs": 20, "job_ms": 100, "crash_after": 5}),
    "mysql-query": ("mysql/mysql_query.py", {}),
    "mysql-multi-server": ("mysql/mysql_multi_server.py", {"servers": 2}),
    "mysql-pool": ("mysql/mysql_pool.py", {"queries": 10, "sleep_ms": 200, "pool": 10}),
    "crawler": ("http/crawler.py", {"files": 10, "latency_ms": 300, "size_kb": 64}),
    "raw-http": ("http/raw_http.py", {"version": "1.0", "size_kb": 1, "url": ""}),
    "load-test": ("http/load_test.py", {
        "clients": 50, "requests": 1000, "duration_ms": 0, "payload_kb": 64, "rate": 0, "url": "",
        "fail_percent": 0}),
}

#: The lessons whose programs send requests to a test server (`test_server()`).
SLOW_SERVER = {"io-switch", "io-bound-threads", "crawler", "raw-http", "load-test"}

#: The lessons against Redis or MySQL servers (`servers()`), which conlab finds for the run.
DATABASES = {"redis-hash", "redis-multi-server", "redis-pool", "job-queue", "mysql-query",
             "mysql-multi-server", "mysql-pool"}

#: Every run has it: durations in milliseconds are multiplied by it.
TIME_SCALE = "time-scale"


def scenario_of(program):
    """The scenario whose program is at `program` (a path), if any."""
    program = program.replace("\\", "/")
    for scenario, (path, _) in SCENARIOS.items():
        if program.endswith("/" + path) or program == path:
            return scenario
    return None


def parse(value, default=None):
    """A parameter's text as the program uses it: typed like its default where there is one
    (a one-item list stays a list), else by its look: `true`/`false`, a whole number, a
    number, a comma-separated list of whole numbers (`300,100,200` or `[300, 100, 200]`), or
    the text itself."""
    text = value.strip()
    if isinstance(default, bool) or text.lower() in ("true", "false"):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{value!r} is not true or false")
        return text.lower() == "true"
    if isinstance(default, list) or "," in text or text.startswith("["):
        items = [i.strip() for i in text.strip("[]").split(",") if i.strip()]
        return [int(i) for i in items]
    if isinstance(default, str):
        return text
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if isinstance(default, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    return text
