//! producer-consumer: producers and consumers meet where items wait.
//! - `queue=queue`: a thread-safe queue (`queue.Queue`, bounded when capacity > 0). When the
//!   producers stop, the consumers stop too; what is still queued is reported as left over.
//!   Every item is consumed exactly once or left over.
//! - `queue=unguarded`: a plain list, checked then taken in two steps (`if items: item =
//!   items[0]; del items[0]`). Two consumers that look at once take the same item, and their
//!   two deletes drop the next one unseen: an item taken twice, another lost.
//!
//! Written once against the thread seam: it runs on OS threads and on the deterministic
//! scheduler, where `conlab explore` finds the interleaving that takes an item twice.

use conlab_core::{Checks, Text};
use conlab_threads::{Aborted, Queue, Shared, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How long a consumer of the unguarded list sleeps when it finds the list empty.
const POLL: Duration = Duration::from_millis(10);

/// Runs the scenario.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let p = main.params();
        let (producers, consumers) = (p.usize("producers"), p.usize("consumers"));
        let until = main.now() + p.duration("duration_ms").as_nanos() as u64;
        let guarded = p.choice("queue") != "unguarded";
        let queue: Queue<String> = Queue::new(&main, "items", p.usize("capacity"));
        let list = Shared::new(&main, "items", Vec::<String>::new());
        let stop = Shared::new(&main, "stop", false);

        let mut made = Vec::new();
        for j in 0..producers {
            let (queue, list) = (queue.clone(), list.clone());
            let body = move |me: Thread| async move {
                let produce = me.params().duration("produce_ms");
                // Every producer makes at least one item, however short `duration_ms` (its
                // thread may start after the deadline has passed).
                let mut seq = 0;
                loop {
                    me.work(produce).await?;
                    let item = format!("p{j}-{seq}");
                    seq += 1;
                    if guarded {
                        queue.put(&me, item.clone()).await?; // q.put(item)
                    } else {
                        list.update(&me, |l| l.push(item.clone())).await; // items.append(item)
                    }
                    me.mark("produced", Text::from(item));
                    if me.now() >= until {
                        return Ok(());
                    }
                }
            };
            made.push(main.spawn(format!("producer-{}", j + 1), body).await?);
        }
        let mut eating = Vec::new();
        for k in 0..consumers {
            let (queue, list, stop) = (queue.clone(), list.clone(), stop.clone());
            let body = move |me: Thread| async move {
                let consume = me.params().duration("consume_ms");
                while !stop.get(&me).await {
                    let item = if guarded {
                        match queue.get(&me).await? {
                            Some(item) => item, // item = q.get()
                            None => break,
                        }
                    } else {
                        let (items, looked) = list.get_numbered(&me).await;
                        let Some(item) = items.first().cloned() else {
                            me.sleep(POLL).await?; // if items: …  else: time.sleep(…)
                            continue;
                        };
                        let took = list // del items[0] (Python would raise if another emptied it)
                            .update(&me, |l| {
                                if !l.is_empty() {
                                    l.remove(0);
                                }
                            })
                            .await;
                        me.mark("took", Text::from(format!("{k} {looked} {took}")));
                        item
                    };
                    me.work(consume).await?;
                    me.mark("consumed", Text::from(item));
                }
                Ok(())
            };
            eating.push(main.spawn(format!("consumer-{}", k + 1), body).await?);
        }
        for h in &made {
            h.join(&main).await?;
        }
        stop.set(&main, true).await;
        queue.close();
        for h in &eating {
            h.join(&main).await?;
        }
        let mut left = queue.drain();
        left.extend(list.get(&main).await);
        for item in &left {
            main.mark("left_over", Text::from(item.clone()));
        }
        main.print(format!("producers stopped; left over: {}", left.len()))
            .await;
        Ok(())
    })
}

/// What became of each item, by name: (times consumed, times left over); and how many marks
/// named no item.
type Fates<'t> = Vec<(&'t str, (usize, usize))>;

fn fates<'t>(c: &Checks<'t>) -> (Fates<'t>, usize) {
    let t = c.trace;
    let mut fate: Fates = t
        .marks_named("produced")
        .map(|m| (m.detail.as_str(), (0, 0)))
        .collect();
    fate.sort_unstable_by(|a, b| a.0.cmp(b.0));
    fate.dedup_by(|a, b| a.0 == b.0);
    let mut stray = 0;
    for m in t
        .marks
        .iter()
        .filter(|m| m.name == "consumed" || m.name == "left_over")
    {
        match fate.binary_search_by(|f| f.0.cmp(m.detail.as_str())) {
            Ok(i) if m.name == "consumed" => fate[i].1 .0 += 1,
            Ok(i) => fate[i].1 .1 += 1,
            Err(_) => stray += 1,
        }
    }
    (fate, stray)
}

/// The items taken more than once, and those lost (neither consumed nor left over).
fn wrong<'t>(fate: &Fates<'t>) -> (Vec<&'t str>, Vec<&'t str>) {
    let twice = fate
        .iter()
        .filter(|(_, (used, _))| *used > 1)
        .map(|(k, _)| *k)
        .collect();
    let lost = fate
        .iter()
        .filter(|(_, (used, left))| used + left == 0)
        .map(|(k, _)| *k)
        .collect();
    (twice, lost)
}

/// How many of the unguarded list's takes had another consumer's delete come between their
/// look and their own delete (each such take took an item another consumer took too).
fn stale_takes(c: &Checks) -> usize {
    let takes: Vec<(u64, u64, u64)> = c
        .trace
        .marks_named("took")
        .filter_map(|m| {
            let mut p = m.detail.split(' ').map(|x| x.parse::<u64>().ok());
            Some((p.next()??, p.next()??, p.next()??))
        })
        .collect();
    takes
        .iter()
        .filter(|(who, looked, took)| {
            takes
                .iter()
                .any(|(other, _, t)| other != who && t > looked && t < took)
        })
        .count()
}

/// Checks. With the queue: every produced item is consumed exactly once or left over, and the
/// queue never holds more than its capacity. With the unguarded list: an item is taken twice
/// (and another lost) exactly when two consumers' looks and deletes interleaved; judged where
/// they did, or where items went wrong.
pub fn checks(c: &mut Checks) {
    let (fate, stray) = fates(c);
    let (twice, lost) = wrong(&fate);
    let items = conlab_core::count_of(fate.len(), "item", "items");
    if c.params.choice("queue") == "unguarded" {
        let stale = stale_takes(c);
        let what = "an unguarded list checked, then taken, gives two consumers one item";
        let took_twice = !twice.is_empty();
        if stale > 0 || !twice.is_empty() || !lost.is_empty() {
            c.check(
                "unguarded-taken-twice",
                what,
                (stale > 0) == took_twice && stray == 0,
                format!(
                    "{items}; {} after another consumer's delete; taken twice: {}; lost: {}",
                    conlab_core::count_of(stale, "take came", "takes came"),
                    list_or_none(&twice),
                    list_or_none(&lost)
                ),
            );
        } else {
            c.not_judged(
                "unguarded-taken-twice",
                what,
                format!(
                    "{items}, each consumed once or left over: no two consumers looked at the \
                     list at once, so none could take another's item"
                ),
            );
        }
        return;
    }
    c.check(
        "exactly-once",
        "every item produced is consumed exactly once or reported left over",
        twice.is_empty() && lost.is_empty() && stray == 0 && !fate.is_empty(),
        if twice.is_empty() && lost.is_empty() && stray == 0 {
            format!("{items}, each consumed once or left over")
        } else {
            format!(
                "{items}; taken twice: {}; lost: {}; {stray} unknown",
                list_or_none(&twice),
                list_or_none(&lost)
            )
        },
    );
    let capacity = c.params.usize("capacity");
    let longest = c
        .trace
        .marks_named("queue_len")
        .filter_map(|m| m.detail.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    // An unbounded queue (capacity 0) has no capacity to check; a bounded one that never
    // filled could not have shown a queue that holds too much.
    if capacity > 0 && longest >= capacity {
        c.check(
            "capacity",
            "the queue never holds more than its capacity",
            longest <= capacity,
            format!("longest queue {longest}, capacity {capacity}"),
        );
    } else if capacity > 0 {
        c.not_judged(
            "capacity",
            "the queue never holds more than its capacity",
            format!(
                "the queue never filled: its longest was {}, so it could not have held too much",
                conlab_core::of(longest as u64, capacity as u64)
            ),
        );
    }
}

/// Items named, or "none".
fn list_or_none(items: &[&str]) -> String {
    match items {
        [] => "none".to_string(),
        _ => items.join(", "),
    }
}

/// What a search tries to break: every item consumed exactly once or left over, with the
/// queue (the fix) or with the unguarded list (the lesson).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let (fate, _) = fates(c);
    let (twice, lost) = wrong(&fate);
    let broken = match (twice.first(), lost.first()) {
        (Some(t), Some(l)) => Some(format!("{t} was taken twice and {l} was lost")),
        (Some(t), None) => Some(format!("{t} was taken twice")),
        (None, Some(l)) => Some(format!("{l} was lost")),
        (None, None) => None,
    };
    let name = if c.params.choice("queue") == "unguarded" {
        "with an unguarded list"
    } else {
        "with the queue"
    };
    vec![(name, broken)]
}

/// About how long a run takes: producing for `duration_ms`, then the items in hand. On a
/// bounded queue a producer still holds an item at the deadline and waits to put it: every
/// producer's last item must pass through the consumers before the producers are done.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let (producers, consumers) = (p.usize("producers"), p.usize("consumers"));
    let blocked = if p.usize("capacity") > 0 {
        p.duration("consume_ms") * producers.div_ceil(consumers) as u32
    } else {
        std::time::Duration::ZERO
    };
    p.duration("duration_ms")
        + blocked
        + p.duration("produce_ms")
        + p.duration("consume_ms")
        + times(producers + consumers, PER_THREAD)
}

/// About how many events it records: four an item (its produced and consumed marks, a span
/// on each side), items made as the parameters allow — at most one a microsecond per producer
/// when producing takes no time, and on a bounded queue no more than the consumers take, the
/// queue holds and the producers hold in hand. An unguarded list's consumers also poll it
/// while it is empty ([`POLL`]).
pub fn trace_events(p: &conlab_core::Params) -> u64 {
    let duration = p.duration("duration_ms").as_micros().max(1) as u64;
    let each = |d: std::time::Duration| match d.as_micros() as u64 {
        0 => duration,
        us => duration / us + 1,
    };
    let producers = p.usize("producers") as u64;
    let made = producers * each(p.duration("produce_ms"));
    let made = match p.usize("capacity") as u64 {
        0 => made,
        capacity => made.min(
            p.usize("consumers") as u64 * each(p.duration("consume_ms")) + capacity + producers,
        ),
    };
    let polls = p.usize("consumers") as u64 * (duration / (POLL.as_micros() as u64) + 1);
    made * 5 + polls + 64
}

/// The most steps a run may take on the scheduler, which steps through every one: far more
/// than the defaults take (about 1,500), far less than the scheduler's limit.
const MOST_SCHEDULED_STEPS: u64 = 1_000_000;

/// Why a run with `p` is too large to step through on the scheduler, if it is: about six steps
/// an item (made, put, taken, worked, marked) and, on an unguarded list, three a poll while it
/// is empty ([`POLL`]). Work there takes at least a millisecond (see
/// [`Thread::work`], [`conlab_threads::LEAST_WORK`]).
pub fn too_large_to_schedule(p: &conlab_core::Params) -> Option<String> {
    let ms = |name: &str| (p.duration(name).as_millis() as u64).max(1);
    let duration = p.duration("duration_ms").as_millis() as u64;
    let items = p.usize("producers") as u64 * (duration / ms("produce_ms") + 1);
    let polls = match p.choice("queue") {
        "unguarded" => p.usize("consumers") as u64 * (duration / POLL.as_millis() as u64 + 1),
        _ => 0,
    };
    let steps = items * 6 + polls * 3;
    (steps > MOST_SCHEDULED_STEPS).then(|| {
        format!(
            "with these parameters producer-consumer would take about {} steps on the scheduler, \
             more than the {} it steps through; choose a shorter duration_ms, a longer \
             produce_ms or fewer producers",
            conlab_core::thousands(steps),
            conlab_core::thousands(MOST_SCHEDULED_STEPS)
        )
    })
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/producer_consumer.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("producer_consumer.rs"));
