//! Daemon threads: the run ends when every other thread has finished, and a daemon still
//! running then is cut off (its code dropped), whatever it waited for.

use conlab_sched::{End, Lock, Random, RunLimits, Scheduler};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// Notes that it was dropped: a daemon's code cut off before it finished.
struct Dropped(Rc<Cell<u32>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn daemons_still_running_when_the_others_finish_are_cut_off() {
    for seed in 0..50 {
        let s = Scheduler::new(RunLimits::default());
        let (cut, finished) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let (c, f) = (cut.clone(), finished.clone());
        s.spawn("MainThread", move |ctx| async move {
            let held = Lock::new("held");
            held.acquire(&ctx).await;
            // One daemon sleeps past main's end, one waits for a lock main never lets go, and
            // one finishes before main does.
            for (name, sleep) in [("sleeper", 100), ("waiter", 0), ("quick", 1)] {
                let (c, f, held) = (c.clone(), f.clone(), held.clone());
                ctx.spawn_daemon(name, move |me| async move {
                    let alive = Dropped(c);
                    if name == "waiter" {
                        held.acquire(&me).await;
                    } else {
                        me.sleep(Duration::from_millis(sleep)).await;
                    }
                    f.set(f.get() + 1);
                    std::mem::forget(alive);
                })
                .await;
            }
            ctx.sleep(Duration::from_millis(10)).await;
        });
        let report = s.run(&mut Random::new(seed));
        assert_eq!(report.end, End::Completed, "seed {seed}");
        // Ended with main, not with the sleeper.
        assert_eq!(report.elapsed, 10_000_000, "seed {seed}");
        assert_eq!((cut.get(), finished.get()), (2, 1), "seed {seed}");
    }
}

#[test]
fn a_daemon_joined_by_another_thread_is_waited_for() {
    let s = Scheduler::new(RunLimits::default());
    let finished = Rc::new(Cell::new(false));
    let f = finished.clone();
    s.spawn("MainThread", move |ctx| async move {
        let d = ctx
            .spawn_daemon("daemon", move |me| async move {
                me.sleep(Duration::from_millis(50)).await;
                f.set(true);
            })
            .await;
        assert!(!ctx.finished(d));
        ctx.join(d).await;
        assert!(ctx.finished(d));
    });
    let report = s.run(&mut Random::new(1));
    assert_eq!(report.end, End::Completed);
    assert!(finished.get());
    assert_eq!(report.elapsed, 50_000_000);
}
