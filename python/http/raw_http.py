"""HTTP by hand over asyncio's streams: a GET written as text (HTTP/1.0, or 1.1), then the
response read as a person reads it: the status line, each header line, the blank line, then
the body (as long as Content-Length says, in chunks, or until the server closes)."""

import asyncio
import zlib

from conlab_trace import Target, mark, param, server_file, span, target, test_server

SHOWN_LINES = 4  # body lines printed; the rest is counted


def shown(line):
    """A line as printed: without its line end, control characters escaped, at most 120."""
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:120])


def framing(headers):
    """How the body says it ends: ("ok", its length or None), or what is wrong with it."""
    chunked = any(n == "transfer-encoding" and "chunked" in v.lower() for n, v in headers)
    lengths = [v.strip() for n, value in headers if n == "content-length" for v in value.split(",")]
    if chunked and lengths:
        return "Transfer-Encoding: chunked and Content-Length both say how long the body is", None
    for v in lengths:
        if not (v.isascii() and v.isdigit()):
            return f"Content-Length {v!r} is not a length (a length is digits only)", None
    if len({int(v) for v in lengths}) > 1:
        return f"Content-Length headers disagree: {', '.join(dict.fromkeys(lengths))}", None
    return "ok", int(lengths[0]) if lengths else None


async def read_chunked(reader):
    body = b""
    while size := int((await reader.readline()).split(b";")[0], 16):
        body += (await reader.readexactly(size + 2))[:-2]  # each chunk ends with CRLF
    while (await reader.readline()).strip():  # trailer lines, up to a blank one
        pass
    return body


async def main():
    version, size, url = param("version"), param("size_kb") * 1024, param("url")
    if url:
        where = target(url)
    else:  # conlab's own test server: its files are made from their name
        server = test_server()
        where = Target(server.host, server.port, f"{server.host}:{server.port}",
                       f"/files/hello.txt?size={size}")
    with span("connecting", "connect"):
        reader, writer = await asyncio.open_connection(where.host, where.port)
    print(f"connected to {where.host}:{where.port}")
    lines = [f"GET {where.path} HTTP/{version}", f"Host: {where.authority}"]
    if version == "1.1":
        lines.append("Connection: close")  # 1.1 keeps a connection open unless told
    for line in lines:
        print(f"> {line}")
    print(">")
    mark("request", lines[0])
    request = "".join(f"{line}\r\n" for line in lines) + "\r\n"
    with span("running", "write request"):
        writer.write(request.encode())
        await writer.drain()
    print(f"({len(request)} bytes written)")

    with span("in_flight", "status line"):  # the request's time in flight ends here
        status = shown(await reader.readline())
    print(f"< {status}")
    mark("status", status)
    headers = []
    while True:
        with span("blocked_io", "header") as step:
            line = shown(await reader.readline())
            if not line:
                step.label = "blank line"  # the end of the headers
        if not line:
            print("<")
            break
        print(f"< {line}")
        mark("header", line)
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    verdict, length = framing(headers)
    mark("framing", verdict)
    chunked = verdict == "ok" and any(n == "transfer-encoding" for n, _ in headers)
    with span("blocked_io", "body"):
        if chunked:
            body, how = await read_chunked(reader), "in chunks"
        elif length is not None:
            body, how = await reader.readexactly(length), "as long as Content-Length says"
        else:
            body, how = await reader.read(), "until the server closed the connection"
    writer.close()
    for line in body.splitlines(keepends=True)[:SHOWN_LINES]:
        print(f"< {shown(line)}")
    crc = zlib.crc32(body)
    print(f"(body: {len(body)} bytes, read {how}; CRC-32 {crc:08x})")
    mark("body", f"{len(body)} {crc:08x} {-1 if length is None else length}")
    if not url:
        mark("expected_body", "%d %08x" % server_file("hello.txt", size))


if __name__ == "__main__":
    asyncio.run(main())
