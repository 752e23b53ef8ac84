"""Producers and consumers meet where items wait.

* queue=queue: a thread-safe `queue.Queue` (bounded when capacity > 0). When the producers
  stop, the consumers stop too; what is still queued is reported as left over. Every item is
  consumed exactly once or left over.
* queue=unguarded: a plain list, checked then taken in two steps (`if items: item =
  items[0]` ... `del items[0]`). Two consumers that look at once take the same item, and
  their two deletes drop the next one unseen.

The list's accesses are numbered as they happen (`next(accesses)` right after each), so the
trace tells whose delete came between a consumer's look and its own."""

import itertools
import queue
import threading
import time

from conlab_trace import mark, param, seconds

POLL = 0.010  # seconds a consumer of the plain list sleeps when it finds it empty
accesses = itertools.count(1)


def producer(j, put, until):
    produce = seconds("produce_ms")
    for seq in itertools.count():
        time.sleep(produce)  # making the item
        item = f"p{j}-{seq}"
        put(item)
        mark("produced", item)
        if time.monotonic() >= until:
            return


def queue_consumer(k, items, stop):
    consume = seconds("consume_ms")
    while not stop.is_set():
        try:
            item = items.get(timeout=POLL)  # give up now and then, to see whether to stop
        except queue.Empty:
            continue
        time.sleep(consume)  # using the item
        mark("consumed", item)


def list_consumer(k, items, stop):
    consume = seconds("consume_ms")
    while not stop.is_set():
        try:
            item = items[0]  # look...
        except IndexError:  # empty: come back later
            time.sleep(POLL)
            continue
        looked = next(accesses)
        if items:
            del items[0]  # ...then take: another consumer may have taken it meanwhile
        took = next(accesses)
        mark("took", f"{k} {looked} {took}")
        time.sleep(consume)  # using the item
        mark("consumed", item)


def main():
    guarded = param("queue") != "unguarded"
    until = time.monotonic() + seconds("duration_ms")
    if guarded:
        items = queue.Queue(maxsize=param("capacity"))  # 0: unbounded
        put, consumer = items.put, queue_consumer
    else:
        items = []
        put, consumer = items.append, list_consumer
    stop = threading.Event()
    producers = [threading.Thread(target=producer, args=(j, put, until), name=f"producer-{j + 1}")
                 for j in range(param("producers"))]
    consumers = [threading.Thread(target=consumer, args=(k, items, stop), name=f"consumer-{k + 1}")
                 for k in range(param("consumers"))]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    stop.set()
    for t in consumers:
        t.join()
    if guarded:
        left = []
        while not items.empty():
            left.append(items.get())
    else:
        left = list(items)
    for item in left:
        mark("left_over", item)
    print(f"producers stopped; left over: {len(left)}")


if __name__ == "__main__":
    main()
