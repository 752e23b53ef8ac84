//! The depth-first search runs every execution exactly once: its counts equal those of a
//! brute-force enumeration of interleavings written here independently.

use conlab_sched::{Dfs, RunLimits, Scheduler, SharedCell, Strategy};
use std::collections::HashSet;
use std::rc::Rc;

/// Counts, by enumerating every interleaving, the executions of threads with `steps[i]` steps
/// each (all always runnable) that preempt at most `bound` times. A preemption: the thread that
/// stepped last could step again, and another steps.
fn by_hand(steps: &[u32], bound: Option<u32>) -> u64 {
    fn go(left: &mut Vec<u32>, last: Option<usize>, preemptions: u32, bound: Option<u32>) -> u64 {
        if left.iter().all(|&n| n == 0) {
            return 1;
        }
        let mut total = 0;
        for t in 0..left.len() {
            if left[t] == 0 {
                continue;
            }
            let preempts = last.is_some_and(|l| l != t && left[l] > 0);
            let p = preemptions + u32::from(preempts);
            if bound.is_some_and(|b| p > b) {
                continue;
            }
            left[t] -= 1;
            total += go(left, Some(t), p, bound);
            left[t] += 1;
        }
        total
    }
    go(&mut steps.to_vec(), None, 0, bound)
}

/// Threads each writing a shared variable `writes[i]` times, so that every thread takes
/// 1 + writes steps (its start, then its writes), searched depth-first: the number of
/// executions, and how many distinct step orders they had.
fn by_search(writes: &[u32], bound: Option<u32>) -> (u64, usize) {
    let mut dfs = Dfs::new(bound);
    let mut runs = 0;
    let mut orders = HashSet::new();
    loop {
        let s = Scheduler::new(RunLimits::default());
        let cell = Rc::new(SharedCell::new("x", 0u32));
        for (i, &n) in writes.iter().enumerate() {
            let cell = cell.clone();
            s.spawn(format!("T{i}"), move |ctx| async move {
                for k in 0..n {
                    cell.set(&ctx, k).await;
                }
            });
        }
        let report = s.run(&mut dfs as &mut dyn Strategy);
        assert_eq!(report.end, conlab_sched::End::Completed);
        runs += 1;
        orders.insert(
            report
                .steps_taken
                .iter()
                .map(|s| s.thread)
                .collect::<Vec<_>>(),
        );
        if !dfs.next_execution() {
            return (runs, orders.len());
        }
    }
}

#[test]
fn every_interleaving_once_without_a_bound() {
    for writes in [
        vec![1, 1],
        vec![2, 2],
        vec![3, 1],
        vec![1, 1, 1],
        vec![2, 1, 1],
    ] {
        let steps: Vec<u32> = writes.iter().map(|w| w + 1).collect();
        let expected = by_hand(&steps, None);
        let (runs, distinct) = by_search(&writes, None);
        assert_eq!(runs, expected, "{writes:?}");
        assert_eq!(distinct as u64, runs, "{writes:?}: an execution ran twice");
    }
    // Two threads of three steps each: C(6, 3) = 20 interleavings.
    assert_eq!(by_search(&[2, 2], None).0, 20);
}

#[test]
fn a_preemption_bound_keeps_exactly_the_executions_within_it() {
    for writes in [vec![2, 2], vec![3, 2], vec![1, 1, 1], vec![2, 2, 1]] {
        let steps: Vec<u32> = writes.iter().map(|w| w + 1).collect();
        for bound in 0..3 {
            let expected = by_hand(&steps, Some(bound));
            let (runs, distinct) = by_search(&writes, Some(bound));
            assert_eq!(
                runs, expected,
                "{writes:?} with at most {bound} preemptions"
            );
            assert_eq!(distinct as u64, runs);
        }
    }
    // Without preemptions, only the order in which whole threads run: 3! for three threads.
    assert_eq!(by_search(&[1, 1, 1], Some(0)).0, 6);
}
