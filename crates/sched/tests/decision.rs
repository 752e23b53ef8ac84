//! Being the scheduler: a run given fewer choices than it needs stops at the first choice it
//! lacks and says who could step there, with what step, and why every other thread waits.

use conlab_sched::{End, Lock, Replay, RunLimits, Scheduler, SharedCell};
use std::rc::Rc;

/// Two threads that each take `lock` and add one to `counter`, and a third that reads the
/// counter without it, run with `choices`.
fn locked_increments(choices: Vec<u32>) -> conlab_sched::RunReport {
    let s = Scheduler::new(RunLimits::default());
    let counter = Rc::new(SharedCell::new("counter", 0u32));
    let lock = Lock::new("value");
    for t in 0..2 {
        let (counter, lock) = (counter.clone(), lock.clone());
        s.spawn(format!("Thread-{}", t + 1), move |ctx| async move {
            lock.acquire(&ctx).await;
            let v = counter.get(&ctx).await;
            counter.set(&ctx, v + 1).await;
            lock.release(&ctx).await;
        });
    }
    s.spawn("Reader", move |ctx| async move {
        for _ in 0..4 {
            counter.get(&ctx).await;
        }
    });
    s.run(&mut Replay::new(choices))
}

#[test]
fn a_run_short_of_choices_stops_where_the_learner_chooses() {
    // No choice yet: both threads can take their first step, starting.
    let first = locked_increments(Vec::new());
    assert_eq!(first.end, End::Misfit(0));
    let d = first.decision.expect("a decision");
    let steps: Vec<(String, &str, &str)> = d
        .runnable
        .iter()
        .map(|(id, op)| (first.threads[id.0 as usize].clone(), op.verb, &*op.object))
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(
        steps.iter().all(|(_, verb, _)| *verb == "start"),
        "{steps:?}"
    );
    assert!(d.waiting.is_empty(), "{:?}", d.waiting);

    // Thread-1 starts and takes the lock, then Thread-2 goes on as far as it can: at the next
    // choice it waits for the lock, held by Thread-1.
    let mut choices = Vec::new();
    let mut report = locked_increments(choices.clone());
    let mut waited = false;
    while let Some(d) = report.decision.clone() {
        if let Some((who, why)) = d.waiting.first() {
            assert_eq!(who, "Thread-2");
            assert_eq!(why, "waits for lock `value`, held by Thread-1");
            waited = true;
            break;
        }
        let name = |id: &conlab_sched::ThreadId| report.threads[id.0 as usize].clone();
        let pick = |who: &str, verbs: &[&str]| {
            d.runnable
                .iter()
                .position(|(id, op)| name(id) == who && verbs.contains(&op.verb))
        };
        let i = pick("Thread-1", &["start", "acquire"])
            .or_else(|| pick("Thread-2", &["start", "acquire"]))
            .unwrap_or(0);
        choices.push(i as u32);
        report = locked_increments(choices.clone());
    }
    assert!(waited, "Thread-2 never waited for the lock");

    // Enough choices: the run completes and makes no decision.
    let done = locked_increments(vec![0; 64]);
    assert_eq!(done.end, End::Completed);
    assert!(done.decision.is_none());
}

#[test]
fn a_release_that_lets_a_waiting_thread_go_on_is_a_wake() {
    use std::cell::RefCell;
    let mut seen = Vec::new();
    for seed in 0..50 {
        let s = Scheduler::new(RunLimits::default());
        let lock = Lock::new("value");
        for t in 0..3 {
            let lock = lock.clone();
            s.spawn(format!("Thread-{}", t + 1), move |ctx| async move {
                lock.acquire(&ctx).await;
                ctx.sleep(std::time::Duration::from_millis(0)).await;
                lock.release(&ctx).await;
            });
        }
        let wakes = Rc::new(RefCell::new(Vec::new()));
        let heard = wakes.clone();
        s.on_wake(move |w| heard.borrow_mut().push(w.clone()));
        let report = s.run(&mut conlab_sched::Random::new(seed));
        assert_eq!(report.end, End::Completed);
        for w in wakes.borrow().iter() {
            assert_ne!(w.waker, w.woken);
            let (waker, woken) = (
                &report.threads[w.waker.0 as usize],
                &report.threads[w.woken.0 as usize],
            );
            assert_eq!(
                w.words,
                format!("{waker} released `value`, which woke {woken}")
            );
        }
        seen.extend(wakes.borrow().iter().cloned());
    }
    assert!(!seen.is_empty(), "no release ever woke a waiting thread");
}
