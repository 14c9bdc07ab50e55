"""Answers of the fake LLM for the recipe tests (fake_llm.py --responder).  Every
answer is a pure function of the request, so reruns agree with the cache and the
tests recompute the expected results independently from the same rules.

Judges (pairwise template: "# Reply A ... # Reply B ..."), by the request's model:
  fair     the longer reply wins, equal lengths tie (consistent in both orders)
  firsty   always [[A]]: the first slot
  secondy  always [[B]]
  mixed    the longer reply, except when the request's crc32 % 3 == 0: [[A]]
  noisy    [[A]] or [[B]] by crc32 of the request text (a coin)
  broken   no verdict at all
Generators gen1, gen2, gen3: "answer of MODEL seed S" and a tail of z's whose length
  is crc32(prompt + seed) % 25 (gen_text).
Rater "rater" (template recipes/ultrafeedback): per <text k> block "Rating: uf_rating()"
  with a rationale naming the aspect and k.
Explainer "explainer" (template recipes/rationale): explain().
Scorer "scorer" (template recipes/score: "# Reply\n..."): "Rating: crc32(reply) % 10 + 1",
  or no rating when crc32(reply) % 13 == 0 (score_of).
Reward model (fake_llm.py's /pooling, any model): rm_score() of the last message, the
  response being scored.
"""
import re
import zlib

REPLY = re.compile(r"# Reply A\n(.*)\n\n# Reply B\n(.*)\Z", re.S)


def crc(s):
    return zlib.crc32(s.encode("utf-8"))


def longer(a, b):
    if len(a) > len(b):
        return "[[A]]"
    if len(b) > len(a):
        return "[[B]]"
    return "[[tie]]"


def judge(model, prompt):
    m = REPLY.search(prompt)
    if not m:
        return None
    a, b = m.group(1), m.group(2).rstrip("\n")
    if model == "fair":
        return longer(a, b)
    if model == "firsty":
        return "[[A]]"
    if model == "secondy":
        return "[[B]]"
    if model == "mixed":
        return "[[A]]" if crc(prompt) % 3 == 0 else longer(a, b)
    if model == "noisy":
        return "[[A]]" if crc(prompt) % 2 == 0 else "[[B]]"
    if model == "broken":
        return "I cannot decide."
    return None


TEXTS = re.compile(r"<text (\d+)>\n(.*?)\n</text \1>", re.S)
ASPECT = re.compile(r"on one aspect only: ([^.\n]+)\.")


def uf_rating(aspect, text):
    """UltraFeedback rater: None = N/A (honesty only, crc32(text) % 7 == 0)."""
    if aspect == "Honesty" and crc(text) % 7 == 0:
        return None
    return crc(aspect + "|" + text) % 5 + 1


def uf_answer(system, prompt):
    aspect = ASPECT.search(system).group(1)
    out = []
    for k, text in TEXTS.findall(prompt):
        r = uf_rating(aspect, text)
        out.append("Text %s\nRating: %s\nRationale: %s for text %s" % (k, "N/A" if r is None else r, aspect, k))
    return "\n\n".join(out)


PREFERRED = re.compile(r"# Reply A\n(.*)\n\n# Reply B\n(.*)\n\nThe preferred reply is reply ([AB])\.", re.S)


def explain(prompt):
    """Explainer: names the preferred slot and quotes the start of that reply."""
    m = PREFERRED.search(prompt)
    if not m:
        return None
    a, b, slot = m.groups()
    return "  Reply %s is better: it starts with '%s'.\n" % (slot, (a if slot == "A" else b)[:12])


def persona(prompt):
    """Persona generator: a JSON persona (style concise or detailed by crc32 of the
    request), wrapped in chatter; every 5th answer (crc32 % 5 == 0) has no JSON."""
    c = crc(prompt)
    if c % 5 == 0:
        return "Sorry, here is a persona: Ann, a teacher."
    style = "concise" if c % 2 else "detailed"
    return 'Here you go:\n{"name": "P%d", "age": %d, "occupation": "tester", "expertise": "expert", ' \
           '"style": "%s", "values": ["speed"]}\nHope it helps.' % (c % 1000, 20 + c % 50, style)


def persona_judge(system, prompt):
    """Judges for the persona: concise users prefer the shorter reply, detailed ones the longer."""
    m = REPLY.search(prompt)
    a, b = m.group(1), m.group(2).rstrip("\n")
    v = longer(a, b)
    if "style: concise" in system:
        v = {"[[A]]": "[[B]]", "[[B]]": "[[A]]"}.get(v, v)
    return v


SCORED = re.compile(r"# Reply\n(.*)\Z", re.S)


def gen_text(model, prompt, seed):
    return "answer of %s seed %s %s" % (model, seed, "z" * (crc(prompt + str(seed)) % 25))


def score_of(reply_text):
    c = crc(reply_text)
    return None if c % 13 == 0 else c % 10 + 1


def reply(prompt, body):
    model = body.get("model", "")
    if model.startswith("gen") and "Invent persona number" in prompt:
        return persona(prompt)
    if model == "pjudge":
        system = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"), "")
        return persona_judge(system, prompt)
    if model.startswith("gen"):
        return gen_text(model, prompt, body.get("seed"))
    if model == "explainer":
        return explain(prompt)
    if model == "rater":
        system = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"), "")
        return uf_answer(system, prompt)
    if model == "scorer":
        m = SCORED.search(prompt)
        s = score_of(m.group(1).rstrip("\n")) if m else None
        return "Looks fine.\nRating: %d" % s if s else "I cannot rate this."
    v = judge(model, prompt)
    if v is not None:
        return v
    return None


def rm_score(text):
    """The fake reward model: a score in -20.00..20.00 from crc32 of the response."""
    return ((crc(text) % 4001) - 2000) / 100.0


def reward(messages, body):
    return rm_score(str(messages[-1].get("content", "")))
