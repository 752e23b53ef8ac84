"""A generator yields, delegates to a sub-generator with `yield from` until that one is
exhausted, then yields again: the consumer sees 1 3 4 2."""

from conlab_trace import lane


def sub_generator():
    me = lane("sub-generator")  # conlab: this generator's own lane in the trace
    for value in (3, 4):
        me.mark("yield", value)
        yield value
    me.end()


def generator():
    me = lane("generator")
    me.mark("yield", 1)
    yield 1
    yield from sub_generator()
    me.mark("yield", 2)
    yield 2
    me.end()


if __name__ == "__main__":
    for value in generator():
        print(value)
