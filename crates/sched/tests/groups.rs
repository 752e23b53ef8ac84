//! A deadlock that is a lesson: threads of a group that can never step again are cut off
//! (their code dropped, letting go what they held), what each waited for is kept, and the
//! threads joining them go on. A deadlock of threads in no group still ends the run.

use conlab_sched::{End, Lock, Random, RunLimits, Scheduler, Strategy};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Releases `lock` when dropped, as a held lock's guard does when its thread is cut off.
struct Guard(Lock, conlab_sched::Ctx);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.release_without_step(&self.1);
    }
}

/// Two threads of one group take `a` and `b` in opposite orders; the main thread joins them,
/// then takes both locks itself. What the main thread saw of the group's deadlock.
fn opposite_orders(strategy: &mut dyn Strategy) -> (End, Option<Vec<conlab_sched::Stuck>>) {
    let s = Scheduler::new(RunLimits::default());
    let seen = Rc::new(RefCell::new(None));
    let out = seen.clone();
    s.spawn("MainThread", move |ctx| async move {
        let (a, b) = (Lock::new("a"), Lock::new("b"));
        let group = ctx.group(Duration::from_millis(150));
        let mut threads = Vec::new();
        for (name, first, second) in [("Thread-1", &a, &b), ("Thread-2", &b, &a)] {
            let (first, second) = (first.clone(), second.clone());
            let t = ctx
                .spawn_in(group, name, move |me| async move {
                    first.acquire(&me).await;
                    let _one = Guard(first.clone(), me.clone());
                    second.acquire(&me).await;
                    let _two = Guard(second.clone(), me.clone());
                })
                .await;
            threads.push(t);
        }
        for t in threads {
            ctx.join(t).await;
        }
        let stuck = ctx.deadlock_of(group);
        // A deadlock is noticed 150 ms after nothing could step (nothing here takes time).
        assert_eq!(ctx.now(), if stuck.is_some() { 150_000_000 } else { 0 });
        *out.borrow_mut() = Some(stuck);
        // Whatever happened, both locks are free again.
        a.acquire(&ctx).await;
        b.acquire(&ctx).await;
    });
    let report = s.run(strategy);
    let seen = seen.borrow_mut().take().expect("the main thread went on");
    (report.end, seen)
}

#[test]
fn a_group_that_deadlocks_is_cut_off_and_the_run_goes_on() {
    let mut deadlocks = 0;
    for seed in 0..200 {
        let (end, stuck) = opposite_orders(&mut Random::new(seed));
        assert_eq!(end, End::Completed, "seed {seed}");
        let Some(stuck) = stuck else { continue };
        deadlocks += 1;
        let words: Vec<String> = stuck
            .iter()
            .map(|s| format!("{} {} {:?}", s.name, s.waits_for, s.on.map(|t| t.0)))
            .collect();
        assert_eq!(
            words,
            ["Thread-1 lock `b` Some(2)", "Thread-2 lock `a` Some(1)"],
            "seed {seed}"
        );
    }
    // Random schedules meet both ways: some deadlock, some do not.
    assert!(
        deadlocks > 0 && deadlocks < 200,
        "{deadlocks} of 200 deadlocked"
    );
}

#[test]
fn a_deadlock_outside_any_group_still_ends_the_run() {
    let s = Scheduler::new(RunLimits::default());
    s.spawn("MainThread", |ctx| async move {
        let lock = Lock::new("plain");
        lock.acquire(&ctx).await;
        lock.acquire(&ctx).await;
    });
    let report = s.run(&mut Random::new(1));
    match report.end {
        End::Deadlock(waits) => assert_eq!(
            waits,
            [(
                "MainThread".to_string(),
                "waits for lock `plain`, held by MainThread".to_string()
            )]
        ),
        other => panic!("{other:?}"),
    }
}
