"""Answers for tests/e2e/fake_llm.py --responder: the C3PO templates' answer shapes
(lua-modules/prefscope/templates/c3po/), deterministic, so the pipeline's counts are
exact.  Magic words in the feedback steer it:
  SHORTCATS   the first categories answer has half the asked count (a top-up follows)
  FAILONE     one in-scope prompt carries @@fail:1:400@@ (its calls fail once)
"""
import itertools
import re

NUMBER_SAMPLES = False
OUT_CALLS = itertools.count()  # out-of-scope batches differ from call to call


def field(prompt, label):
    m = re.search(r"^" + label + r":\s*(.*)$", prompt, re.M)
    return m.group(1).strip() if m else ""


def count(prompt):
    m = re.search(r"(?:List|Write) (\d+)", prompt)
    return int(m.group(1)) if m else 3


def numbered(items, style=0):
    out = []
    for i, s in enumerate(items, 1):
        out.append(("%d. %s" if style == 0 else "%d) %s" if style == 1 else "- %s" if style == 2 else "(%d) %s")
                   % ((i, s) if style != 2 else (s,)))
    return "\n".join(out)


def avoided(prompt):
    m = re.search(r"which we already have: (.*?)\n\nAnswer", prompt, re.S)
    body = m.group(1) if m else "(none)"
    return 0 if body.strip() == "(none)" else len([l for l in body.splitlines() if l.startswith("- ")])


def reply(prompt, body):
    if "EFFECT: <the effect>" in prompt:
        fb = field(prompt, "FEEDBACK")
        return "DOMAIN: the domain of %s\nEFFECT: the effect of %s" % (fb[:30], fb[:30])
    if "REVISED_CATEGORIES:" in prompt:
        n, topic, skip = count(prompt), field(prompt, "TOPIC"), avoided(prompt)
        if "SHORTCATS" in topic and skip == 0:
            n = max(1, n // 2)
        cats = ["category %d of %s" % (skip + i, topic[:20]) for i in range(n)]
        return ("THOUGHTS: broad enough.\nCATEGORIES:\n" + numbered(["draft " + c for c in cats]) +
                "\n\n**REVISED_CATEGORIES:**\n" + numbered(cats, 1))
    if "REVISED_PROMPTS:" in prompt and "TOPIC_TO_AVOID:" in prompt:
        n, cat, skip = count(prompt), field(prompt, "CATEGORY"), avoided(prompt)
        ps = ["Near prompt %d in %s?" % (skip + i, cat) for i in range(n)]
        return "THOUGHTS: close but outside.\nPROMPTS:\n" + numbered(ps) + "\nREVISED_PROMPTS:\n" + numbered(ps, 3)
    if "REVISED_PROMPTS:" in prompt and "CATEGORY:" in prompt:
        n, cat, skip = count(prompt), field(prompt, "CATEGORY"), avoided(prompt)
        ps = ["In prompt %d about %s." % (skip + i, cat) for i in range(n)]
        if "FAILONE" in cat and skip == 0 and " 0 of " in cat:
            ps[0] = ps[0] + " @@fail:1:400@@"
        return "PROMPTS:\n" + numbered(ps) + "\n\nREVISED_PROMPTS:\n" + numbered(ps, 2)
    if "REVISED_PROMPTS:" in prompt:
        n, k = count(prompt), next(OUT_CALLS)
        ps = ["General question number %d?" % (k * n + i) for i in range(n)]
        return "PROMPTS:\n" + numbered(ps) + "\nREVISED_PROMPTS:\n" + numbered(ps)
    if "IMPROVED_RESPONSE:" in prompt:
        prev, fb = field(prompt, "PREVIOUS_RESPONSE"), field(prompt, "FEEDBACK")
        return ("**Explanation:** The previous response does not %s.\n\n**IMPROVED_RESPONSE:**\nREVISED (%s) %s"
                % (fb, fb, prev))
    if "RESPONSE_1:" in prompt:
        r2 = field(prompt, "RESPONSE_2")
        return "EXPLANATION: compared.\nBETTER_RESPONSE: %d" % (5 if r2.startswith("REVISED") else 1)
    if "consider this feedback" in prompt:
        return "EXPLANATION: it applies.\nRESPONSE: COT answer"
    if "(If it applies to this request" in prompt:
        return "IN-CONTEXT answer"
    return "Baseline answer to: " + prompt.strip().splitlines()[0]
