#!/usr/bin/env python3
"""A loopback fake LLM server for prefscope's tests (python3 stdlib only).

Speaks the OpenAI-compatible API (/v1/chat/completions, /v1/completions,
/v1/embeddings, /v1/models) and Anthropic's Messages API (/v1/messages), plain and
streamed (SSE), HTTP/1.1 keep-alive, one thread per connection, 127.0.0.1 only.

Usage: fake_llm.py [--ports N] [--delay MS] [--models a,b] [--tls CERT.pem,KEY.pem]
Prints "PORTS p1 p2 ..." on stdout once listening (N listeners share all state, so
replica spreading can be observed per port).

Faults are chosen per request by directives in the prompt text (the last message or
the completion prompt), so tests stay deterministic:
  @@fail:N:STATUS[:ra=S][:ram=MS][:sr=true|false][:date]@@  the first N requests with
                       this prompt answer STATUS (retry-after S seconds, retry-after-ms,
                       x-should-retry, or an HTTP-date retry-after)
  @@reset:N@@          the first N requests: connection reset (RST) without answering
  @@close:N@@          the first N requests: close the connection without answering
  @@stall:N:S@@        the first N requests: wait S seconds before the headers
  @@delay:MS@@         answer after MS milliseconds (concurrency tests)
  @@malformed@@        200 with a body that is not JSON
  @@html502@@          502 with an HTML body
  @@empty@@            200 with an empty body
  @@rl0:DUR@@          a normal answer saying the request budget is used up
                       (x-ratelimit-remaining-requests: 0, x-ratelimit-reset-requests: DUR)
  @@textplain@@        a normal JSON answer labelled text/plain
  @@split@@            streams: every byte written separately
  @@crlf@@ / @@cr@@    streams: CRLF / lone-CR line endings
  @@comments@@         streams: ": keep-alive" comments and events without data
  @@nodone@@           streams: a clean end without [DONE] / message_stop
  @@cut@@              streams: the connection closes in the middle of the stream
  @@midstream_error@@  streams: a data: {"error":...} event after some content
  @@llamacpp_error@@   streams: an `error:` line then data: [DONE]
  @@anthropic_error@@  streams: event: error (overloaded) after some content
  @@trickle:S@@        streams: some content, then silence for S seconds
  @@drip:S@@           streams: S seconds between consecutive tokens (slow, alive)
  @@jsonstream@@       streams: the event stream labelled application/json
Model names: "llamacpp" rejects n != 1 and echo; "nolp" returns no logprobs.

Reward models: POST /pooling at the server root (beside /v1, as vLLM serves it) with
{"model", "messages", "task": "classify"} answers vLLM's Pooling API shape
{"id": "pool-..", "object": "list", "created", "model", "data": [{"index": 0,
"object": "pooling", "data": [score]}], "usage": {"prompt_tokens", "total_tokens",
"completion_tokens": 0}}.  The score is the responder's reward(messages, body) when
it defines one, else a deterministic hash of the last message.  Model "nopool" gets
vLLM's 404 (a server without the endpoint), "tokenrm" one score list per token (a
token-level reward model: the last token's is the reward), "twolabel" two values.

Behaviour: --responder FILE.py loads a module whose reply(prompt, body) returns the
text to answer (or None for the default echo): body is the whole request JSON, prompt
the last message's text.  Tests of a pipeline (ICAI, C3PO, recipes) each keep their
own responder next to their test, so the fault machinery here is shared unchanged.

Introspection: GET /_stats (counters, max concurrency, per-port and per-prompt
counts, connections), GET /_requests (headers and bodies received), POST /_reset.
"""
import argparse
import base64
import email.utils
import json
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {}


def reset_state():
    with LOCK:
        # requests still being answered (a stalled one from an earlier test) belong to
        # the old generation and no longer count
        gen = STATE.get("gen", 0) + 1
        STATE.clear()
        STATE.update(gen=gen, requests=0, in_flight=0, max_in_flight=0, connections=0,
                     per_port={}, per_prompt={}, per_path={}, log=[], counters={})


reset_state()
DIRECTIVE = re.compile(r"@@(\w+)((?::[^@]*)?)@@")
TOKEN = re.compile(r"\s*\S+|\s+")


def directives(text):
    out = {}
    for m in DIRECTIVE.finditer(text or ""):
        out[m.group(1)] = [a for a in m.group(2).split(":")[1:]]
    return out


def tokens_of(text):
    return TOKEN.findall(text or "")


def lp_of(tok):
    # deterministic pseudo log-probability
    return round(-0.1 * len(tok) - 0.01 * (sum(map(ord, tok)) % 7), 4)


RESPONDER = None  # module with reply(prompt, body), from --responder
BODY = threading.local()  # the request body being answered, for the responder


def reply_text(prompt, i, n):
    if RESPONDER is not None:
        text = RESPONDER.reply(prompt or "", getattr(BODY, "body", None) or {})
        if text is not None:
            return "[%d] %s" % (i, text) if n > 1 and getattr(RESPONDER, "NUMBER_SAMPLES", True) else text
    base = "reply to: " + (prompt or "")
    return "[%d] %s" % (i, base) if n > 1 else base


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    req_no = 0
    content_type = "application/json"
    extra_headers = {}
    server_version = "fake-llm/1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counted = False  # connections are counted at their first API request

    # ---------------------------------------------------------------- plumbing
    def send_json(self, status, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", "req-%d" % self.req_no)
        for k, v in list((headers or {}).items()) + list(self.extra_headers.items()):
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data, split=False):
        if not data:
            return
        if split:
            for b in data:
                self.wfile.write(b"1\r\n" + bytes([b]) + b"\r\n")
        else:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                s = {k: v for k, v in STATE.items() if k not in ("log", "counters")}
            return self.send_json(200, s)
        if self.path == "/_requests":
            with LOCK:
                return self.send_json(200, STATE["log"])
        if self.path.endswith("/models"):
            self.req_no = self.count("GET", self.path, "", {})
            try:
                return self.send_json(200, {"object": "list", "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in self.server.models]})
            finally:
                self.done()
        self.send_json(404, {"error": {"message": "no route " + self.path, "type": "not_found"}})

    def count(self, method, path, prompt, body):
        with LOCK:
            if not self.counted:
                self.counted = True
                STATE["connections"] += 1
            STATE["requests"] += 1
            n = STATE["requests"]
            self.gen = STATE["gen"]
            STATE["in_flight"] += 1
            STATE["max_in_flight"] = max(STATE["max_in_flight"], STATE["in_flight"])
            port = str(self.server.server_address[1])
            STATE["per_port"][port] = STATE["per_port"].get(port, 0) + 1
            STATE["per_prompt"][prompt] = STATE["per_prompt"].get(prompt, 0) + 1
            STATE["per_path"][path] = STATE["per_path"].get(path, 0) + 1
            if len(STATE["log"]) < 2000:
                STATE["log"].append({"method": method, "path": path,
                                     "headers": {k.lower(): v for k, v in self.headers.items()},
                                     "body": body})
        return n

    def done(self):
        with LOCK:
            if self.gen == STATE["gen"]:
                STATE["in_flight"] -= 1

    def first_n(self, key, n):
        """True for the first n requests carrying `key`."""
        with LOCK:
            c = STATE["counters"].get(key, 0)
            STATE["counters"][key] = c + 1
        return c < n

    def do_POST(self):
        if self.path == "/_reset":
            reset_state()
            return self.send_json(200, {"ok": True})
        self.content_type = "application/json"  # per request (one handler per connection)
        self.extra_headers = {}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.send_json(400, {"error": {"message": "request body is not JSON", "type": "bad_request"}})
        anthropic = self.path.endswith("/messages")
        if "messages" in body:
            msgs = body.get("messages") or []
            prompt = msgs[-1].get("content", "") if msgs else ""
            if isinstance(prompt, list):
                prompt = "".join(p.get("text", "") for p in prompt)
        elif "input" in body:
            inp = body["input"]
            prompt = inp if isinstance(inp, str) else "\n".join(map(str, inp))
        else:
            prompt = body.get("prompt", "")
            if isinstance(prompt, list):
                prompt = " ".join(map(str, prompt))
        self.req_no = self.count("POST", self.path, prompt, body)
        BODY.body = body
        try:
            self.handle_post(body, prompt, anthropic)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.done()

    # ---------------------------------------------------------------- faults
    def handle_post(self, body, prompt, anthropic):
        d = directives(prompt)
        if "delay" in d:
            time.sleep(float(d["delay"][0]) / 1000.0)
        elif self.server.delay:
            time.sleep(self.server.delay)
        if "stall" in d and self.first_n("stall" + prompt, int(d["stall"][0])):
            time.sleep(float(d["stall"][1]))
        if "reset" in d and self.first_n("reset" + prompt, int(d["reset"][0])):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if "close" in d and self.first_n("close" + prompt, int(d["close"][0])):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if "fail" in d and self.first_n("fail" + prompt, int(d["fail"][0])):
            args = d["fail"]
            status = int(args[1])
            hdrs = {}
            for a in args[2:]:
                if a.startswith("ra="):
                    hdrs["retry-after"] = a[3:]
                elif a.startswith("ram="):
                    hdrs["retry-after-ms"] = a[4:]
                elif a.startswith("sr="):
                    hdrs["x-should-retry"] = a[3:]
                elif a == "date":
                    hdrs["retry-after"] = email.utils.formatdate(time.time() + 1, usegmt=True)
            if anthropic:
                etype = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
                err = {"type": "error", "error": {"type": etype, "message": "injected %d" % status}}
            else:
                err = {"error": {"message": "injected %d" % status, "type": "fake_error",
                                 "param": None, "code": status}}
            return self.send_json(status, err, hdrs)
        if "html502" in d:
            return self.send_json(502, None, {"Content-Type": "text/html"},
                                  raw=b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        if "empty" in d:
            return self.send_json(200, None, raw=b"")
        if "rl0" in d:
            self.extra_headers = {"x-ratelimit-limit-requests": "100", "x-ratelimit-remaining-requests": "0",
                                  "x-ratelimit-reset-requests": d["rl0"][0],
                                  "x-ratelimit-remaining-tokens": "5000", "x-ratelimit-reset-tokens": "1ms"}
        if "textplain" in d:
            self.content_type = "text/plain"
        if "malformed" in d:
            return self.send_json(200, None, raw=b'{"id": "x", "choices": [ {"mess')
        model = body.get("model", "")
        if model == "llamacpp":
            if int(body.get("n", 1)) != 1:
                return self.send_json(400, {"error": {"code": 400, "message": "Only one completion choice is allowed",
                                                      "type": "invalid_request_error"}})
            if body.get("echo"):
                return self.send_json(400, {"error": {"code": 400, "message": "Only no echo is supported",
                                                      "type": "invalid_request_error"}})
        if anthropic:
            return self.anthropic(body, prompt, d)
        if self.path.endswith("/chat/completions"):
            return self.chat(body, prompt, d)
        if self.path.endswith("/completions"):
            return self.completions(body, prompt, d)
        if self.path.endswith("/embeddings"):
            return self.embeddings(body)
        if self.path == "/pooling":
            return self.pooling(body)
        self.send_json(404, {"error": {"message": "no route " + self.path, "type": "not_found"}})

    # ---------------------------------------------------------------- OpenAI
    def usage(self, prompt, texts):
        pt = len(tokens_of(prompt))
        ct = sum(len(tokens_of(t)) for t in texts)
        return {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}

    def chat_logprobs(self, text, top):
        out = []
        for t in tokens_of(text):
            e = {"token": t, "logprob": lp_of(t), "bytes": list(t.encode())}
            e["top_logprobs"] = [{"token": t, "logprob": lp_of(t), "bytes": list(t.encode())}] + [
                {"token": "alt%d" % k, "logprob": -5.0 - k, "bytes": None} for k in range(max(0, top - 1))]
            out.append(e)
        return {"content": out}

    def chat(self, body, prompt, d):
        n = int(body.get("n") or 1)
        texts = [reply_text(prompt, i, n) for i in range(n)]
        mt = body.get("max_tokens") or body.get("max_completion_tokens")
        finish = "stop"
        if mt and int(mt) < len(tokens_of(texts[0])):
            texts = ["".join(tokens_of(t)[:int(mt)]) for t in texts]
            finish = "length"
        want_lp = bool(body.get("logprobs")) and body.get("model") != "nolp"
        top = int(body.get("top_logprobs") or 0)
        if body.get("stream"):
            return self.stream_openai(body, prompt, texts, finish, want_lp, top, d, chat=True)
        choices = []
        for i, t in enumerate(texts):
            c = {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": finish}
            if want_lp:
                c["logprobs"] = self.chat_logprobs(t, top)
            choices.append(c)
        self.send_json(200, {"id": "chatcmpl-%d" % self.req_no, "object": "chat.completion",
                             "created": 1700000000, "model": body.get("model", "") + "-resolved",
                             "choices": choices, "usage": self.usage(prompt, texts),
                             "system_fingerprint": "fp_fake"})

    def completions(self, body, prompt, d):
        n = int(body.get("n") or 1)
        echo = bool(body.get("echo"))
        gen = [" end" if echo else reply_text(prompt, i, n) for i in range(n)]
        k = body.get("logprobs")
        if body.get("stream"):
            return self.stream_openai(body, prompt, gen, "stop", False, 0, d, chat=False)
        choices = []
        for i, g in enumerate(gen):
            text = (prompt + g) if echo else g
            c = {"index": i, "text": text, "finish_reason": "length" if echo else "stop", "logprobs": None}
            if k is not None and body.get("model") != "nolp":
                toks = (tokens_of(prompt) if echo else []) + tokens_of(g)
                offs, pos = [], 0
                for t in toks:
                    offs.append(pos)
                    pos += len(t)
                lps = [lp_of(t) for t in toks]
                if echo and lps:
                    lps[0] = None
                c["logprobs"] = {"tokens": toks, "token_logprobs": lps,
                                 "top_logprobs": [None if lp is None else {t: lp} for t, lp in zip(toks, lps)],
                                 "text_offset": offs}
            choices.append(c)
        self.send_json(200, {"id": "cmpl-%d" % self.req_no, "object": "text_completion", "created": 1700000000,
                             "model": body.get("model", ""), "choices": choices,
                             "usage": self.usage(prompt, gen)})

    def embeddings(self, body):
        inp = body.get("input")
        items = [inp] if isinstance(inp, str) else list(inp or [])
        data = []
        for i, s in enumerate(items):
            h = sum((j + 1) * ord(ch) for j, ch in enumerate(str(s)))
            vec = [((h * (k + 3)) % 1000) / 1000.0 for k in range(8)]
            if body.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack("<8f", *vec)).decode()
            else:
                emb = vec
            data.append({"object": "embedding", "index": i, "embedding": emb})
        data.reverse()  # servers may answer out of order: clients must use index
        self.send_json(200, {"object": "list", "data": data, "model": body.get("model", ""),
                             "usage": {"prompt_tokens": len(items), "total_tokens": len(items)}})

    def pooling(self, body):
        model = body.get("model", "")
        if model == "nopool":  # FastAPI's answer for a route the server does not have
            return self.send_json(404, {"detail": "Not Found"})
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs or body.get("task", "classify") != "classify":
            return self.send_json(400, {"object": "error", "message": "expected messages and task classify",
                                        "type": "BadRequestError", "param": None, "code": 400})
        if RESPONDER is not None and hasattr(RESPONDER, "reward"):
            score = float(RESPONDER.reward(msgs, body))
        else:
            last = str(msgs[-1].get("content", ""))
            score = round(((sum((j + 1) * ord(ch) for j, ch in enumerate(last)) % 2001) - 1000) / 100.0, 2)
        ntok = sum(len(tokens_of(str(m.get("content", "")))) for m in msgs) + 4 * len(msgs)
        if model == "tokenrm":
            data = [[round(score / (ntok - k), 4)] for k in range(ntok - 1)] + [[score]]
        elif model == "twolabel":
            data = [0.25, 0.75]
        else:
            data = [score]
        self.send_json(200, {"id": "pool-%d" % self.req_no, "object": "list", "created": int(time.time()),
                             "model": model, "data": [{"index": 0, "object": "pooling", "data": data}],
                             "usage": {"prompt_tokens": ntok, "total_tokens": ntok, "completion_tokens": 0,
                                       "prompt_tokens_details": None}})

    # ---------------------------------------------------------------- streaming
    def start_stream(self, d):
        self.send_response(200)
        ctype = "application/json" if "jsonstream" in d else "text/event-stream"
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", "req-%d" % self.req_no)
        self.end_headers()
        nl = "\r\n" if "crlf" in d else "\r" if "cr" in d else "\n"
        return nl, "split" in d

    def sse(self, data, nl, split, event=None, field="data"):
        s = ""
        if event:
            s += "event: " + event + nl
        s += field + ": " + data + nl + nl
        self.chunk(s.encode(), split)

    def end_stream(self, d):
        if "cut" in d:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")

    def stream_openai(self, body, prompt, texts, finish, want_lp, top, d, chat):
        nl, split = self.start_stream(d)
        base = {"id": "chatcmpl-%d" % self.req_no, "created": 1700000000, "model": body.get("model", "") + "-resolved",
                "object": "chat.completion.chunk" if chat else "text_completion"}
        if "comments" in d:
            self.chunk((": keep-alive" + nl + nl + "event: ping" + nl + nl).encode(), split)
        if chat:
            for i in range(len(texts)):
                self.sse(json.dumps(dict(base, choices=[{"index": i, "delta": {"role": "assistant", "content": ""},
                                                         "finish_reason": None}])), nl, split)
        toks = [tokens_of(t) for t in texts]
        longest = max(len(t) for t in toks) if toks else 0
        for j in range(longest):
            if "midstream_error" in d and j == 1:
                self.sse(json.dumps({"error": {"message": "injected mid-stream failure", "type": "server_error",
                                               "param": None, "code": None}}), nl, split)
                return self.end_stream(d)
            if "llamacpp_error" in d and j == 1:
                self.sse(json.dumps({"code": 500, "message": "injected llama.cpp failure", "type": "server_error"}),
                         nl, split, field="error")
                self.sse("[DONE]", nl, split)
                return self.end_stream(d)
            if "trickle" in d and j == 1:
                time.sleep(float(d["trickle"][0]))
            if "drip" in d and j >= 1:
                time.sleep(float(d["drip"][0]))
            for i, tk in enumerate(toks):  # n > 1 interleaves
                if j >= len(tk):
                    continue
                if chat:
                    c = {"index": i, "delta": {"content": tk[j]}, "finish_reason": None}
                    if want_lp:
                        c["logprobs"] = self.chat_logprobs(tk[j], top)
                else:
                    c = {"index": i, "text": tk[j], "finish_reason": None}
                self.sse(json.dumps(dict(base, choices=[c], usage=None)), nl, split)
                if "comments" in d:
                    self.chunk((": ping" + nl).encode(), split)
        for i in range(len(texts)):
            c = {"index": i, "finish_reason": finish}
            if chat:
                c["delta"] = {}
            else:
                c["text"] = ""
            self.sse(json.dumps(dict(base, choices=[c])), nl, split)
        if (body.get("stream_options") or {}).get("include_usage"):
            self.sse(json.dumps(dict(base, choices=[], usage=self.usage(prompt, texts))), nl, split)
        if "nodone" not in d and "cut" not in d:
            self.sse("[DONE]", nl, split)
        self.end_stream(d)

    # ---------------------------------------------------------------- Anthropic
    def anthropic(self, body, prompt, d):
        text = reply_text(prompt, 0, 1)
        mt = int(body.get("max_tokens") or 0)
        stop = "end_turn"
        if mt and mt < len(tokens_of(text)):
            text = "".join(tokens_of(text)[:mt])
            stop = "max_tokens"
        u = self.usage(prompt, [text])
        if not body.get("stream"):
            return self.send_json(200, {"id": "msg_%d" % self.req_no, "type": "message", "role": "assistant",
                                        "model": body.get("model", ""),
                                        "content": [{"type": "text", "text": text}],
                                        "stop_reason": stop, "stop_sequence": None,
                                        "usage": {"input_tokens": u["prompt_tokens"],
                                                  "output_tokens": u["completion_tokens"]}},
                                  {"request-id": "req_%d" % self.req_no})
        nl, split = self.start_stream(d)

        def ev(name, obj):
            self.sse(json.dumps(dict(obj, type=name)), nl, split, event=name)

        ev("message_start", {"message": {"id": "msg_%d" % self.req_no, "type": "message", "role": "assistant",
                                         "model": body.get("model", ""), "content": [],
                                         "usage": {"input_tokens": u["prompt_tokens"], "output_tokens": 1}}})
        ev("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        ev("ping", {})
        for j, tk in enumerate(tokens_of(text)):
            if "anthropic_error" in d and j == 1:
                ev("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
                return self.end_stream(d)
            ev("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": tk}})
        ev("content_block_stop", {"index": 0})
        ev("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                             "usage": {"output_tokens": u["completion_tokens"]}})
        if "nodone" not in d and "cut" not in d:
            ev("message_stop", {})
        self.end_stream(d)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # clients that hang up (timeouts, cancellations) are part of the tests
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", type=int, default=1)
    ap.add_argument("--delay", type=float, default=0.0, help="milliseconds before every answer")
    ap.add_argument("--models", default="fake-model")
    ap.add_argument("--responder", help="a .py file defining reply(prompt, body)")
    ap.add_argument("--tls", help="CERT.pem,KEY.pem: serve HTTPS")
    a = ap.parse_args()
    ctx = None
    if a.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*a.tls.split(","))
    if a.responder:
        import importlib.util
        spec = importlib.util.spec_from_file_location("responder", a.responder)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        globals()["RESPONDER"] = mod
    servers = []
    for _ in range(a.ports):
        s = Server(("127.0.0.1", 0), Handler)
        if ctx:
            # a client that refuses the certificate fails the handshake in accept(),
            # an OSError the server loop ignores
            s.socket = ctx.wrap_socket(s.socket, server_side=True)
        s.delay = a.delay / 1000.0
        s.models = a.models.split(",")
        servers.append(s)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("PORTS " + " ".join(str(s.server_address[1]) for s in servers), flush=True)
    try:
        # exit when the parent closes our stdin (tests never leave servers behind)
        sys.stdin.read()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
