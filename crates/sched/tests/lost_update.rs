//! The lesson the scheduler exists for: `counter += 1` from two threads loses updates in some
//! interleavings, a search finds one, shrinks it to a single preemption, and its schedule
//! replays it exactly; with a lock no interleaving loses one.

use conlab_sched::search::{explore, replay, runs, shrink, Judge, Method, Outcome, Search};
use conlab_sched::{
    fingerprint, Event, Lock, Queue, RunLimits, Schedule, Scheduler, Semaphore, SharedCell,
};
use std::rc::Rc;
use std::time::Duration;

fn increments(threads: u32, each: u32, locked: bool) -> impl FnMut(&Scheduler) -> Judge {
    move |s: &Scheduler| {
        let counter = Rc::new(SharedCell::new("counter", 0u32));
        let lock = Lock::new("lock");
        for t in 0..threads {
            let (counter, lock) = (counter.clone(), lock.clone());
            s.spawn(format!("Thread-{}", t + 1), move |ctx| async move {
                for _ in 0..each {
                    if locked {
                        lock.acquire(&ctx).await;
                    }
                    let v = counter.get(&ctx).await;
                    counter.set(&ctx, v + 1).await;
                    if locked {
                        lock.release(&ctx).await;
                    }
                }
            });
        }
        let expected = threads * each;
        Box::new(move |_| {
            let got = counter.value();
            (got < expected).then(|| format!("counter is {got}, expected {expected}"))
        })
    }
}

fn search(method: Method, seed: u64) -> Search {
    Search {
        method,
        seed,
        budget: 10_000,
    }
}

const QUIET: RunLimits = RunLimits {
    cores: 2,
    max_steps: 1_000_000,
    record_steps: false,
};

#[test]
fn every_method_finds_a_lost_update_and_it_shrinks_to_one_preemption() {
    for (threads, each) in [(2, 1), (2, 2), (3, 2), (4, 2)] {
        for method in [
            Method::Random,
            Method::Pct(2),
            Method::Dfs(None),
            Method::Dfs(Some(1)),
        ] {
            let mut run = runs(increments(threads, each, false), QUIET);
            let Outcome::Found(found) = explore(&mut run, search(method, 42), &mut |_| {}) else {
                panic!("{method:?} found no lost update with {threads} × {each}");
            };
            assert!(found.reason.starts_with("counter is"), "{}", found.reason);
            let small = shrink(&mut run, found, 10_000);
            assert_eq!(small.preemptions, 1, "{method:?} {threads} × {each}");
            let mut recorded = runs(increments(threads, each, false), RunLimits::default());
            let (report, failed) = replay(&mut recorded, &small.choices);
            assert_eq!(failed.as_deref(), Some(small.reason.as_str()));
            assert_eq!(report.preemptions, 1);
            assert_eq!(report.choices, small.choices);
        }
    }
}

#[test]
fn with_the_lock_no_interleaving_loses_an_update() {
    for (threads, each, bound) in [(2, 2, None), (3, 1, None), (3, 2, Some(2))] {
        let mut run = runs(increments(threads, each, true), QUIET);
        match explore(&mut run, search(Method::Dfs(bound), 0), &mut |_| {}) {
            Outcome::NoneFound { exhaustive, tried } => {
                assert!(exhaustive, "{threads} × {each}: only {tried} explored");
                assert!(tried > 10, "{threads} × {each}: {tried}");
            }
            Outcome::Found(f) => panic!("{threads} × {each}: {}", f.reason),
        }
    }
}

#[test]
fn a_schedule_string_replays_the_same_steps_and_a_misfit_is_refused() {
    let mut setup = runs(increments(2, 2, false), RunLimits::default());
    let Outcome::Found(found) = explore(&mut setup, search(Method::Random, 7), &mut |_| {}) else {
        panic!("nothing found");
    };
    let f = fingerprint("race-condition", "op=increment threads=2", 1);
    let text = Schedule {
        fingerprint: f,
        seed: found.seed,
        choices: found.choices.clone(),
        drawn: false,
    }
    .to_string();
    let back = Schedule::parse(&text, f).unwrap();
    let (a, _) = replay(&mut setup, &back.choices);
    let (b, _) = replay(&mut setup, &back.choices);
    assert_eq!(a.steps_taken, b.steps_taken);
    assert_eq!(a.end, conlab_sched::End::Completed);
    // The same choices on three threads do not describe a whole run: refused, not half-run.
    let mut other = runs(increments(3, 2, false), RunLimits::default());
    let (c, _) = replay(&mut other, &back.choices);
    assert!(matches!(c.end, conlab_sched::End::Misfit(_)), "{:?}", c.end);
}

#[test]
fn opposite_lock_orders_deadlock_and_the_reasons_name_lock_and_holder() {
    let setup = |s: &Scheduler| -> Judge {
        let (a, b) = (Lock::new("a"), Lock::new("b"));
        for (name, first, second) in [("Thread-1", a.clone(), b.clone()), ("Thread-2", b, a)] {
            s.spawn(name, move |ctx| async move {
                first.acquire(&ctx).await;
                second.acquire(&ctx).await;
                second.release(&ctx).await;
                first.release(&ctx).await;
            });
        }
        Box::new(|_| None)
    };
    let mut run = runs(setup, QUIET);
    let Outcome::Found(found) = explore(&mut run, search(Method::Dfs(None), 0), &mut |_| {}) else {
        panic!("no deadlock found");
    };
    assert!(
        found
            .reason
            .contains("Thread-1 waits for lock `b`, held by Thread-2")
            && found
                .reason
                .contains("Thread-2 waits for lock `a`, held by Thread-1"),
        "{}",
        found.reason
    );
}

#[test]
fn virtual_time_moves_only_when_nobody_can_step_and_cores_limit_computing() {
    for (threads, cores, expected_ms) in
        [(3u32, 2u32, 200u64), (3, 4, 100), (4, 1, 400), (1, 2, 100)]
    {
        let s = Scheduler::new(RunLimits {
            cores,
            ..RunLimits::default()
        });
        for t in 0..threads {
            s.spawn(format!("T{t}"), |ctx| async move {
                ctx.compute(Duration::from_millis(100)).await;
            });
        }
        let report = s.run(&mut conlab_sched::Random::new(3));
        assert_eq!(report.end, conlab_sched::End::Completed);
        assert_eq!(
            report.elapsed,
            expected_ms * 1_000_000,
            "{threads} on {cores}"
        );
    }
    // Sleeps overlap whatever the cores; a zero sleep lets another thread step first.
    let s = Scheduler::new(RunLimits {
        cores: 1,
        ..RunLimits::default()
    });
    for t in 0..5 {
        s.spawn(format!("T{t}"), |ctx| async move {
            ctx.sleep(Duration::from_millis(50)).await;
            ctx.print("woke").await;
        });
    }
    let report = s.run(&mut conlab_sched::Random::new(9));
    assert_eq!(report.elapsed, 50_000_000);
    assert_eq!(report.output.len(), 5);
}

#[test]
fn primitives_block_and_release_as_pythons_do() {
    // A producer and two consumers on a queue of capacity 1, a semaphore of 2 permits, an
    // event: every schedule (depth-first, all of them) completes with every item taken once.
    let setup = |s: &Scheduler| -> Judge {
        let q = Rc::new(Queue::new("q", Some(1)));
        let taken = Rc::new(SharedCell::new("taken", Vec::<u32>::new()));
        let go = Event::new("go");
        let sem = Semaphore::new("sem", 2);
        let inside = Rc::new(std::cell::Cell::new(0u32));
        let most = Rc::new(std::cell::Cell::new(0u32));
        {
            let (q, go) = (q.clone(), go.clone());
            s.spawn("producer", move |ctx| async move {
                go.wait(&ctx).await;
                for i in 0..2 {
                    q.put(&ctx, i).await;
                }
            });
        }
        for c in 0..2 {
            let (q, taken, sem, inside, most) = (
                q.clone(),
                taken.clone(),
                sem.clone(),
                inside.clone(),
                most.clone(),
            );
            s.spawn(format!("consumer-{c}"), move |ctx| async move {
                sem.acquire(&ctx).await;
                inside.set(inside.get() + 1);
                most.set(most.get().max(inside.get()));
                let (item, _) = q.get(&ctx).await.expect("never closed");
                inside.set(inside.get() - 1);
                sem.release(&ctx).await;
                let mut seen = taken.get(&ctx).await;
                seen.push(item);
                taken.set(&ctx, seen).await;
            });
        }
        s.spawn("starter", move |ctx| async move { go.set(&ctx).await });
        Box::new(move |_| {
            let mut seen = taken.value();
            seen.sort_unstable();
            // The list itself is shared unguarded: a lost append is that lesson, not a bug.
            (most.get() > 2 || seen.iter().any(|&i| i > 1))
                .then(|| format!("took {seen:?} with up to {} inside", most.get()))
        })
    };
    let every = Search {
        budget: 1_000_000,
        ..search(Method::Dfs(Some(2)), 0)
    };
    let mut run = runs(setup, QUIET);
    match explore(&mut run, every, &mut |_| {}) {
        Outcome::NoneFound { exhaustive, tried } => assert!(exhaustive && tried > 100, "{tried}"),
        Outcome::Found(f) => panic!("{}", f.reason),
    }
}

#[test]
fn shrinking_stays_within_its_budget_and_keeps_the_failure() {
    let mut inner = runs(increments(6, 6, false), QUIET);
    let Outcome::Found(found) = explore(&mut inner, search(Method::Random, 7), &mut |_| {}) else {
        panic!("no lost update found with 6 × 6");
    };
    for budget in [0, 1, 5, 40] {
        let mut count = 0u64;
        let mut counted = |s: &mut dyn conlab_sched::Strategy| {
            count += 1;
            inner(s)
        };
        let small = shrink(&mut counted, found.clone(), budget);
        // One replay of the failure to start from, then at most `budget` runs.
        assert!(count <= budget + 1, "budget {budget}: {count} runs");
        assert!(small.preemptions <= found.preemptions, "budget {budget}");
        let (_, failed) = replay(&mut inner, &small.choices);
        assert!(
            failed.is_some(),
            "budget {budget}: the shrunk schedule does not fail"
        );
    }
}
