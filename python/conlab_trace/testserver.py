"""The slow server a program's requests go to: conlab's test server where the run names one
(`CONLAB_TEST_SERVER=127.0.0.1:port`), else a stand-in with the same URL that this module
starts as a process of its own (`python3 -m conlab_trace.testserver`: never traced, sharing
neither the program's GIL nor its open-file limit, and gone when the program ends): `GET
/files/<name>?size=S&latency_us=N` is answered after N microseconds with the file's S bytes
(`file_bytes`, as conlab's server makes them), and the connection closed; as on conlab's
server, `GET /hello` is answered with a short text and `POST /upload` (a form: `length`,
`crc32`, `file`, as load-test posts it) with what it received (`422` when the file's length
or CRC-32 is not the form's), both on a connection kept alive, and the stand-in fails the
share of requests a run's `fail_percent` asks (a `500`, spread evenly as conlab's server
spreads them).

A file of conlab's test server is text made from its name: 64-byte lines, each
`<name, 16 wide> <line number, 10 digits> <35 letters from a–z, shifted by the number>`, so a
download can be checked without asking the server (`file_crc32`)."""

import atexit
import collections
import heapq
import os
import re
import selectors
import socket
import subprocess
import sys
import time
import zlib

Server = collections.namedtuple("Server", "host port describe")
_LATENCY = re.compile(rb"latency_(us|ms)=(\d+)")
_FILE = re.compile(rb"GET /files/([^?\s]+)\?(?:\S*&)?size=(\d+)")
_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
_KEPT = b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)")
_BOUNDARY = re.compile(rb'(?i)boundary="?([^";\r\n]+)')
_FIELD = re.compile(rb'(?i)content-disposition:[^\r\n]*?\bname="([^"]*)"')
_LINE = 64
_LETTERS = b"abcdefghijklmnopqrstuvwxyz"


def _line(tag, number):
    shift = number % 26
    letters = _LETTERS[shift:] + _LETTERS + _LETTERS
    return b"%s %010d %s\n" % (tag, number % 10**10, letters[:35])


def file_blocks(name, size, lines_per_block=1024):
    """The bytes of file `name` of `size` bytes, a block at a time."""
    tag = name.encode()[:16].ljust(16)
    whole, rest = divmod(size, _LINE)
    for first in range(0, whole, lines_per_block):
        yield b"".join(_line(tag, n) for n in range(first, min(whole, first + lines_per_block)))
    if rest:
        yield _line(tag, whole)[:rest]


def file_bytes(name, size):
    return b"".join(file_blocks(name, size))


def file_crc32(name, size):
    crc = 0
    for block in file_blocks(name, size):
        crc = zlib.crc32(block, crc)
    return crc


def test_server():
    named = os.environ.get("CONLAB_TEST_SERVER")
    if not named:
        start_stand_in()
        named = os.environ["CONLAB_TEST_SERVER"]
    host, _, port = named.rpartition(":")
    whose = "a stand-in for conlab's test server" if os.environ.get(_STAND_IN) == named else \
        "conlab's test server"
    return Server(host, int(port), f"real: each request an HTTP GET to {whose} on {named}, "
                  "answered after the latency")


_STAND_IN = "CONLAB_TEST_SERVER_STAND_IN"


def start_stand_in(fail_percent=0):
    """Starts the stand-in (the tracer does so before the program starts, so that its start
    is no part of the run), failing `fail_percent` % of requests, and names it in
    `CONLAB_TEST_SERVER`."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server = subprocess.Popen([sys.executable, "-m", "conlab_trace.testserver", str(fail_percent)],
                              stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=package))
    atexit.register(server.kill)
    host, port = server.stdout.readline().decode().split()
    os.environ["CONLAB_TEST_SERVER"] = os.environ[_STAND_IN] = f"{host}:{port}"


def _request(buffer):
    """The first whole request in `buffer`: (head, body, what follows), or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end])
    length = _LENGTH.search(head)
    last = end + 4 + (int(length.group(1)) if length else 0)
    if len(buffer) < last:
        return None
    return head, bytes(buffer[end + 4:last]), buffer[last:]


def _upload(head, body):
    """What conlab's server answers a form: (status, text)."""
    boundary = _BOUNDARY.search(head)
    fields = {}
    for part in body.split(b"--" + boundary.group(1))[1:] if boundary else []:
        headers, _, value = part.partition(b"\r\n\r\n")
        name = _FIELD.search(headers)
        if name:
            fields[name.group(1)] = value[:-2] if value.endswith(b"\r\n") else value
    file = fields.get(b"file")
    if file is None:
        return 422, b"the form has no file field"
    said = (fields.get(b"length", b"").strip(), fields.get(b"crc32", b"").strip().lower())
    got = (b"%d" % len(file), b"%08x" % zlib.crc32(file))
    if said != got:
        return 422, b"received %s bytes, crc32 %s, but the form said %s bytes, crc32 %s" % (got + said)
    return 200, b"received payload: %s bytes, crc32 %s, as sent" % got


def _answer(head, body, fails):
    """The answer to a request to /hello or /upload (anything else: 404), kept alive."""
    if not head.startswith((b"GET /hello", b"POST /upload")):
        status, text = 404, b"no such path on the stand-in"
    elif fails():
        status, text = 500, b"the stand-in fails this request on purpose"
    elif head.startswith(b"POST"):
        status, text = _upload(head, body)
    else:
        status, text = 200, b"hello from conlab's test server"
    reason = {200: b"OK", 404: b"Not Found", 422: b"Unprocessable Entity", 500: b"Internal Server Error"}
    return _KEPT % (status, reason[status], len(text) + 1, text + b"\n")


def _serve(listener, fail_percent):
    parent = os.getppid()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    requests = {}  # socket -> bytes read so far
    due = []  # (when, n, socket)
    n = 0
    counted = [0]  # requests to /hello and /upload

    def fails():  # request k fails when floor(k × share) grows, as on conlab's server
        k = counted[0]
        counted[0] += 1
        return (k + 1) * fail_percent // 100 > k * fail_percent // 100

    while os.getppid() == parent:  # ends with the program that started it
        timeout = min(0.5, max(0.0, due[0][0] - time.monotonic())) if due else 0.5
        for key, _ in selector.select(timeout):
            sock = key.fileobj
            if sock is listener:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                requests[conn] = bytearray()
                selector.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = sock.recv(256 * 1024)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                selector.unregister(sock)
                requests.pop(sock, None)
                sock.close()
                continue
            requests[sock] += data
            while (whole := _request(requests[sock])) is not None:
                head, body, requests[sock] = whole
                if not head.startswith(b"GET /files/"):
                    try:
                        sock.setblocking(True)
                        sock.sendall(_answer(head, body, fails))
                        sock.setblocking(False)
                    except OSError:
                        pass
                    continue
                m = _LATENCY.search(head)
                wait = int(m.group(2)) / (1e6 if m and m.group(1) == b"us" else 1e3) if m else 0
                selector.unregister(sock)
                requests.pop(sock)
                n += 1
                heapq.heappush(due, (time.monotonic() + wait, n, sock, _FILE.search(head)))
                break
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, sock, file = heapq.heappop(due)
            body = file_bytes(file.group(1).decode(), int(file.group(2))) if file else b""
            try:
                sock.setblocking(True)
                sock.sendall(_ANSWER % len(body) + body)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            sock.close()


if __name__ == "__main__":
    soft, hard = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)
    __import__("resource").setrlimit(__import__("resource").RLIMIT_NOFILE, (hard, hard))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    listener.setblocking(False)
    host, port = listener.getsockname()
    print(host, port, flush=True)
    _serve(listener, int(sys.argv[1]) if len(sys.argv) > 1 else 0)
