"""A fake LLM for the ICAI pipeline test (fake_llm.py --responder): it follows the
ground-truth rules of the orthogonal synthetic set in ../shared/data/icai_synthetic
(cats over dogs, blue over green, lemon over raspberry) and proposes distractor
principles as well.  Replies vary in shape (plain JSON, code fences, text around the
JSON, Python dicts with integer keys) so the tolerant parsers are exercised.  Every
answer is a pure function of the prompt, so reruns agree with the cache."""
import hashlib
import json
import re

TOPICS = {
    # three wordings of each planted rule, as independent proposals would differ
    "pet": ("cat", "dog", ["Select the response that features a cat instead of a dog",
                           "Select the response whose pet is a cat, not a dog",
                           "Select the response with a cat story rather than a dog story"]),
    "colour": ("blue", "green", ["Select the response that prefers blue to green",
                                 "Select the response that recommends the blue shirt, not green",
                                 "Select the response that picks blue over green"]),
    "flavour": ("lemon", "raspberry", ["Select the response that recommends lemon over raspberry",
                                       "Select the response that prefers lemon to raspberry flavour",
                                       "Select the response that picks lemon over raspberry"]),
}
HOSTILE = "Select the response that \u001b]0;pwned\u0007 rhymes \u001b[2J"
DISTRACTORS = ["Select the response that is longer",
               "Select the response that uses a more cheerful tone",
               "Select the response that mentions a specific name"]


def h(s):
    return int(hashlib.sha256(s.encode()).hexdigest()[:8], 16)


def topic_of_request(text):
    t = text.lower()
    if "pet" in t:
        return "pet"
    if "t-shirt" in t or "shirt" in t:
        return "colour"
    if "ice cream" in t or "flavor" in t:
        return "flavour"
    return None


def topic_of_rule(rule):
    r = rule.lower()
    if re.search(r"\b(cat|dog|pet)\b", r):
        return "pet"
    if re.search(r"\b(blue|green|colou?r|shirt)\b", r):
        return "colour"
    if re.search(r"\b(lemon|raspberry|flavou?r|ice cream)\b", r):
        return "flavour"
    return None


def favours(topic, text):
    good, bad, _ = TOPICS[topic]
    t = text.lower()
    return len(re.findall(r"\b%s" % good, t)) > len(re.findall(r"\b%s" % bad, t))


def section(prompt, head, stops):
    i = prompt.index(head) + len(head)
    j = min([prompt.index(s, i) for s in stops if s in prompt[i:]] or [len(prompt)])
    return prompt[i:j].strip()


def shape(obj, prompt, py_keys=False):
    """The same content in one of several shapes, chosen by the prompt."""
    k = h(prompt) % 4
    if k == 0:
        return json.dumps(obj)
    if k == 1:
        return "```json\n" + json.dumps(obj, indent=2) + "\n```"
    if k == 2:
        return "Here is my answer:\n" + json.dumps(obj) + "\nI hope this helps."
    if py_keys:
        obj = {int(a): b for a, b in obj.items()}
    return repr(obj)  # a Python dict: single quotes, maybe integer keys


def generate(prompt):
    request = section(prompt, "Request:", ["Selected sample:"])
    selected = section(prompt, "Selected sample:", ["Other sample:"])
    topic = topic_of_request(request)
    out = []
    if topic and favours(topic, selected):
        out.append(TOPICS[topic][2][h(prompt) % 3])
    out.append(DISTRACTORS[h(prompt + "d") % 3])
    out.append(DISTRACTORS[h(prompt + "e") % 3])
    if "pet" in request.lower() and h(prompt) % 5 == 0:
        # a hostile proposal: terminal escapes must never reach a terminal
        out.insert(1, HOSTILE)
    return shape({"principles": out[:3]}, prompt)


def vote(prompt):
    request = section(prompt, "Request:", ["Sample A:"])
    a = section(prompt, "Sample A:", ["Sample B:"])
    b = section(prompt, "Sample B:", ["Rules:"])
    rules_text = section(prompt, "Rules:", ["Answer with"])
    rules = json.loads(rules_text)
    topic = topic_of_request(request)
    out = {}
    for num, rule in rules.items():
        rt = topic_of_rule(rule)
        if rt:
            if rt != topic:
                out[num] = "None"
            else:
                fa, fb = favours(topic, a), favours(topic, b)
                out[num] = "A" if fa and not fb else "B" if fb and not fa else "Both"
        elif "longer" in rule:
            out[num] = "A" if len(a) > len(b) else "B"
        elif "cheerful" in rule:
            out[num] = "A" if h(a + rule) % 2 else "B"
        else:
            out[num] = "Both"
    return shape(out, prompt, py_keys=True)


def judge(prompt):
    a = section(prompt, "Output (a):", ["Output (b):"])
    b = section(prompt, "Output (b):", ["Which output"])
    instruction = section(prompt, "Instruction:", ["Output (a):"])
    topic = topic_of_request(instruction)
    if "rules" in prompt.split("Instruction:")[0]:
        rules = prompt.split("Instruction:")[0]
        for line in rules.splitlines():
            rt = topic_of_rule(line)
            if rt and rt == topic and favours(topic, a) != favours(topic, b):
                return "Output (a)" if favours(topic, a) else "Output (b)"
    # no applicable rule: a coin that depends only on the texts
    return "Output (a)" if h(a + b) % 2 else "Output (b)"


SUMMARIES = {"pet": "Select the response about a cat rather than a dog",
             "colour": "Select the response choosing blue rather than green",
             "flavour": "Select the response choosing lemon rather than raspberry"}


def summarize(prompt):
    rules = section(prompt, "Rules:", ["Answer with"])
    topics = [topic_of_rule(line) for line in rules.splitlines() if line.strip()]
    topics = [t for t in topics if t]
    if topics:
        text = SUMMARIES[max(set(topics), key=topics.count)]
    else:
        text = rules.splitlines()[0].lstrip("- ").strip()
    return shape({"principle": text}, prompt)


def reply(prompt, body):
    if "mean roughly the same thing" in prompt:
        return summarize(prompt)
    if "Selected sample:" in prompt:
        return generate(prompt)
    if "Sample A:" in prompt and "Rules:" in prompt:
        return vote(prompt)
    if "Output (a):" in prompt:
        return judge(prompt)
    return None
