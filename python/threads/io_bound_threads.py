"""IO-bound work in threads: a thread waiting for a socket releases the GIL, so slow
downloads overlap even under it, and the whole takes about one latency, not one per
download."""

import threading
import urllib.request

from conlab_trace import mark, param, seconds, test_server


def download(i, url):
    print(f"download {i}: request sent")
    with urllib.request.urlopen(url) as response:  # the thread waits here, without the GIL
        response.read()
    print(f"download {i}: done")


def main():
    server = test_server()  # answers each request after the latency it asks for
    mark("io", server.describe)
    url = f"http://{server.host}:{server.port}/files/io?size=0&latency_us={round(seconds('latency_ms') * 1e6)}"
    threads = [threading.Thread(target=download, args=(i, url)) for i in range(param("downloads"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
