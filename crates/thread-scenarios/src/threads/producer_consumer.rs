//! producer-consumer: producers and consumers meet at a thread-safe queue (bounded when
//! capacity > 0). When the producers stop, the consumers stop too; what is still queued is
//! reported as left over. Every item is consumed exactly once or left over.

use conlab_core::{Checks, SpanState, Text};
use conlab_traced_threads::{Aborted, Queue, ThreadCtx};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let p = main.params();
    let (producers, consumers) = (p.usize("producers"), p.usize("consumers"));
    let (produce, consume) = (p.duration("produce_ms"), p.duration("consume_ms"));
    let duration = p.duration("duration_ms");
    let queue = Arc::new(Queue::new("items", p.usize("capacity")));
    let stop = Arc::new(AtomicBool::new(false));
    let until = Instant::now() + duration;

    let mut made = Vec::new();
    for j in 0..producers {
        let queue = queue.clone();
        made.push(main.spawn(format!("producer-{j}"), move |me| {
            // Every producer makes at least one item, however short `duration_ms` (its thread
            // may start after the deadline has passed).
            let mut seq = 0;
            loop {
                me.sleep_as(SpanState::Running, produce)?;
                let item = format!("p{j}-{seq}");
                seq += 1;
                queue.put(me, item.clone())?;
                me.mark("produced", Text::from(item));
                if Instant::now() >= until {
                    return Ok(());
                }
            }
        })?);
    }
    let mut eating = Vec::new();
    for k in 0..consumers {
        let (queue, stop) = (queue.clone(), stop.clone());
        eating.push(main.spawn(format!("consumer-{k}"), move |me| {
            while !stop.load(Ordering::Acquire) {
                let Some(item) = queue.get(me)? else { break };
                me.sleep_as(SpanState::Running, consume)?;
                me.mark("consumed", Text::from(item));
            }
            Ok(())
        })?);
    }
    made.iter().try_for_each(|h| h.join(main))?;
    stop.store(true, Ordering::Release);
    queue.close();
    eating.iter().try_for_each(|h| h.join(main))?;
    let left = queue.drain();
    for item in &left {
        main.mark("left_over", Text::from(item.clone()));
    }
    main.print(format!(
        "producers stopped; left over in the queue: {}",
        left.len()
    ));
    Ok(())
}

/// Checks: every produced item is consumed exactly once or left over; the queue never holds
/// more than its capacity.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let mut fate: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for m in t.marks_named("produced") {
        fate.entry(m.detail.as_str()).or_default();
    }
    let mut stray = 0;
    for m in t
        .marks
        .iter()
        .filter(|m| m.name == "consumed" || m.name == "left_over")
    {
        match fate.get_mut(m.detail.as_str()) {
            Some(f) if m.name == "consumed" => f.0 += 1,
            Some(f) => f.1 += 1,
            None => stray += 1,
        }
    }
    let wrong: Vec<&str> = fate
        .iter()
        .filter(|(_, (used, left))| used + left != 1)
        .map(|(k, _)| *k)
        .collect();
    c.check(
        "exactly-once",
        "every item produced is consumed exactly once or reported left over",
        wrong.is_empty() && stray == 0 && !fate.is_empty(),
        if wrong.is_empty() && stray == 0 {
            format!(
                "{}, each consumed once or left over",
                conlab_core::count_of(fate.len(), "item", "items")
            )
        } else {
            format!(
                "{}; wrong fate: {}; {stray} unknown",
                conlab_core::count_of(fate.len(), "item", "items"),
                wrong.join(", ")
            )
        },
    );
    let capacity = c.params.usize("capacity");
    let longest = t
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
            format!("the queue never filled: its longest was {longest} of {capacity}, so it could not have held too much"),
        );
    }
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
/// queue holds and the producers hold in hand.
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
    made * 4 + 64
}
