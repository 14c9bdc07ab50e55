#!/usr/bin/python3
"""Peer: Python aiohttp (Debian python3-aiohttp) on the same requests as llm_bench.
Usage: aiohttp_bench.py URL N C"""
import asyncio
import json
import resource
import sys
import time

import aiohttp


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def main(url, n, c):
    ok = 0
    queue = iter(range(n))
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn) as s:
        async def worker():
            nonlocal ok
            for i in queue:
                body = {"model": "bench-model", "temperature": 0.7, "max_tokens": 128,
                        "messages": [{"role": "user", "content": "bench request %d: say something" % i}]}
                async with s.post(url + "/chat/completions", json=body) as r:
                    d = json.loads(await r.read())
                    ok += bool(d["choices"][0]["message"]["content"])
        w0, c0 = time.monotonic(), cpu()
        await asyncio.gather(*(worker() for _ in range(c)))
        wall, used = time.monotonic() - w0, cpu() - c0
    print(json.dumps({"client": "python aiohttp %s" % aiohttp.__version__, "n": n, "c": c, "ok": ok,
                      "wall_s": round(wall, 3), "req_per_s": round(n / wall, 1),
                      "cpu_us_per_req": round(used / n * 1e6, 1)}))


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
