"""Driver of import_shared_data.sh: imports the real datasets and asserts on them.

Run through the .sh wrapper (it sets PS_BIN, PS_DATA and WORK, a temp dir)."""
import csv
import gzip
import json
import os
import sqlite3
import subprocess
import sys

BIN = os.environ["PS_BIN"]
DATA = os.environ["PS_DATA"]
WORK = os.environ["WORK"]
WS = os.path.join(WORK, "ws.db")
failures = []


def run(*args, ok=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        sys.exit(f"FAIL: prefscope {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def near(got, want, what, tol=1e-6):
    check(abs(got - want) <= tol, f"{what}: got {got!r}, want {want!r} (tolerance {tol})")


def data(*parts):
    return os.path.join(DATA, *parts)


def imp(name, *files, extra=()):
    return run("import", "-w", WS, "--name", name, *extra, *files)


def datasets():
    return {d["name"]: d for d in json.loads(run("ls", "-w", WS, "--json").stdout)}


def items(name):
    out = os.path.join(WORK, name + ".jsonl")
    run("export", "-w", WS, name, "--format", "jsonl", "-o", out)
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def show(name, index):
    """Item at 0-based position `index` (show takes the item number, from 1)."""
    return json.loads(run("show", "-w", WS, "--json", name, str(index + 1)).stdout)


def judgments(its, annotator):
    return [(it, j) for it in its for j in it["judgments"] if j["annotator"] == annotator]


def counts(name, n_items, n_resp, n_judg, annotators=None, feedback=0):
    d = datasets()[name]
    eq(d["items"], n_items, f"{name}: items")
    eq(d["responses"], n_resp, f"{name}: responses")
    eq(d["judgments"], n_judg, f"{name}: judgments")
    eq(d["feedback"], feedback, f"{name}: feedback records")
    if annotators is not None:
        eq(sorted(d["annotators"]), sorted(annotators), f"{name}: annotators")


def dry_run(path, fmt):
    p = run("import", "--dry-run", path)
    check(f"format:  {fmt} " in p.stdout, f"dry run of {path}: format {fmt} shown")
    check("mapping: " in p.stdout and "first record" in p.stdout,
          f"dry run of {path}: mapping and first record shown")
    check(not os.path.exists(os.path.join(WORK, "never.db")), "dry run wrote nothing")


# ---- HH-RLHF --------------------------------------------------------------
def test_hh():
    f = data("hh_rlhf_harmless_test", "harmless-base_test.jsonl.gz")
    p = imp("hh", f)
    check("5 irregular records" in p.stderr, "hh: import summary reports 5 irregular records")
    counts("hh", 2312, 4624, 2312, ["dataset"])
    its = items("hh")
    irregular = [it["index"] for it in its if (it["meta"] or {}).get("hh_irregular")]
    eq(len(irregular), 5, "hh: items marked hh_irregular")
    first, last = its[0], its[-1]
    eq(first["history"][0]["content"], "what are some pranks with a pen i can do?", "hh: first history turn")
    eq(last["prompt"], "Where is the human trade message board", "hh: last prompt")
    eq(last["responses"][0]["text"], "I don\u2019t know where the human trade message board is.",
       "hh: last chosen response (curly quote)")
    curly = sum(1 for it in its if "\u2019" in json.dumps(it, ensure_ascii=False))
    check(curly > 1500, f"hh: curly quotes survive ({curly} items with U+2019)")
    eq({j["verdict"] for it in its for j in it["judgments"]}, {"A"}, "hh: every label is chosen = A")
    dry_run(f, "hh")


# ---- LLaMA-Factory DPO demo -------------------------------------------------
def test_llamafactory():
    for lang in ("en", "zh"):
        f = data("llamafactory_dpo_demo", f"dpo_{lang}_demo.json")
        imp("dpo_" + lang, f)
        counts("dpo_" + lang, 300, 600, 300, ["dataset"])
        dry_run(f, "sharegpt")
    src = json.load(open(data("llamafactory_dpo_demo", "dpo_zh_demo.json"), encoding="utf-8"))
    its = items("dpo_zh")
    eq(its[0]["responses"][0]["text"], src[0]["chosen"]["value"], "dpo_zh: first chosen text (CJK)")
    eq(its[-1]["responses"][1]["text"], src[-1]["rejected"]["value"], "dpo_zh: last rejected text")
    check(any("\u4e00" <= ch <= "\u9fff" for ch in its[0]["prompt"]), "dpo_zh: CJK prompt")
    en = items("dpo_en")
    eq(sum(1 for it in en if it["system"]), sum(1 for r in json.load(open(data(
        "llamafactory_dpo_demo", "dpo_en_demo.json"))) if r["conversations"][0]["from"] == "system"),
       "dpo_en: items with a system prompt")


# ---- AlpacaEval -------------------------------------------------------------
AE_FILES = ["alpaca_eval_gpt4_annotations.json", "alpaca_eval_cot_gpt4_turbo_fn_annotations.json",
            "weighted_alpaca_eval_gpt4_turbo_annotations.json"]


def published_win_rate(csvname, model="Alpaca 7B"):
    with open(data("alpaca_eval_alpaca7b", csvname), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["name"] == model:
                return float(row["win_rate"])
    raise KeyError(model)


def test_alpaca_eval():
    files = [data("alpaca_eval_alpaca7b", f) for f in AE_FILES]
    imp("alpaca", *files)
    annot = ["llm:alpaca_eval_gpt4", "llm:alpaca_eval_cot_gpt4_turbo_fn",
             "llm:weighted_alpaca_eval_gpt4_turbo"]
    counts("alpaca", 805, 3 * 805, 3 * 805, annot)
    its = items("alpaca")
    eq({len(it["responses"]) for it in its}, {3}, "alpaca: every item has 3 responses")
    models = {tuple(sorted(r["model"] for r in it["responses"])) for it in its}
    eq(models, {("alpaca-7b", "gpt4_1106_preview", "text_davinci_003")}, "alpaca: response models")
    for a, csvname in (("llm:alpaca_eval_gpt4", "leaderboard_AlpacaEval1_alpaca_eval_gpt4.csv"),
                       ("llm:weighted_alpaca_eval_gpt4_turbo",
                        "leaderboard_AlpacaEval2_weighted_alpaca_eval_gpt4_turbo.csv"),
                       ("llm:alpaca_eval_cot_gpt4_turbo_fn",
                        "leaderboard_AlpacaEval2_alpaca_eval_cot_gpt4_turbo_fn.csv")):
        js = judgments(its, a)
        eq(len(js), 805, f"alpaca: judgments by {a}")
        # the judged pair is (reference, alpaca-7b): win rate of B = mean(1 - p_a)
        check(all(it["responses"][j["b"]]["model"] == "alpaca-7b" for it, j in js),
              f"alpaca: {a} judges alpaca-7b as B")
        wr = 100 * sum(1 - j["p_a"] for _, j in js) / len(js)
        near(wr, published_win_rate(csvname), f"alpaca: win rate of Alpaca 7B by {a}", 1e-6)
    near(100 * sum(1 - j["p_a"] for _, j in judgments(its, "llm:alpaca_eval_gpt4")) / 805,
         26.459627329192543, "alpaca: AlpacaEval 1 win rate (SOURCE.md)", 1e-9)
    ties = [j for _, j in judgments(its, "llm:alpaca_eval_gpt4") if j["verdict"] == "tie"]
    eq(len(ties), 16, "alpaca: AlpacaEval 1 ties (preference 0)")
    cot = judgments(its, "llm:alpaca_eval_cot_gpt4_turbo_fn")
    # 802 carry raw_completion.concise_explanation; the 3 ties (identical outputs) were not judged
    eq(sum(1 for _, j in cot if j["rationale"]), 802, "alpaca: cot judgments with a rationale")
    eq(sum(1 for _, j in cot if j["verdict"] == "tie"), 3, "alpaca: cot ties (1.5)")
    w = judgments(its, "llm:weighted_alpaca_eval_gpt4_turbo")
    eq(w[0][1]["meta"]["preference"], 1.0000001827, "alpaca: raw preference kept in judgment meta")
    check("Mis\u00e9rables" in json.dumps(its, ensure_ascii=False), "alpaca: unicode text kept")
    # the same files one by one with --append give the same dataset
    imp("alpaca2", files[0])
    for f in files[1:]:
        imp("alpaca2", f, extra=("--append",))
    counts("alpaca2", 805, 3 * 805, 3 * 805, annot)
    dry_run(files[1], "alpaca_eval")


# ---- PandaLM ------------------------------------------------------------------
def test_pandalm():
    d = "pandalm_testset"
    judge_files = [data(d, "gpt-3.5-turbo-testset-v1.json"), data(d, "pandalm-7b-testset-v1.json")]
    # judge files first on the command line: they are still read after the test set
    imp("pandalm", *judge_files, data(d, "testset-v1.json"))
    humans = [f"human:annotator{k}" for k in (1, 2, 3)]
    counts("pandalm", 999, 1998, 5 * 999, humans + ["llm:gpt-3.5-turbo", "llm:pandalm-7b"])
    its = items("pandalm")
    src = json.load(open(data(d, "testset-v1.json"), encoding="utf-8"))
    eq(its[0]["key"], "idx:0", "pandalm: item key")
    eq(its[0]["responses"][0]["model"], "bloom-7b", "pandalm: model of response1 from cmp_key")
    eq(its[0]["responses"][1]["model"], "llama-7b", "pandalm: model of response2 from cmp_key")
    with_input = next(r for r in src if r["input"])
    it = next(i for i in its if i["key"] == f"idx:{with_input['idx']}")
    eq(it["prompt"], with_input["instruction"] + "\n\n" + with_input["input"], "pandalm: prompt with input")
    eq(it["meta"]["input"], with_input["input"], "pandalm: input kept in meta")
    eq(sum(1 for i in its if (i["meta"] or {}).get("irregular")), 6, "pandalm: boolean responses marked")
    agree = sum(1 for i in its if len({j["verdict"] for j in i["judgments"] if j["annotator"] in humans}) == 1)
    eq(agree, 879, "pandalm: items where the three humans agree")
    gpt = [j for _, j in judgments(its, "llm:gpt-3.5-turbo")]
    eq(sum(1 for j in gpt if j["verdict"] == "invalid"), 25, "pandalm: gpt 'garbage' kept as invalid")
    eq(sum(1 for j in gpt if j["verdict"] == "tie"), 38, "pandalm: gpt ties")
    eq(sum(1 for j in gpt if j["verdict"] == "A"), 460, "pandalm: gpt '1'")
    # accuracy against the human majority (SOURCE.md: 0.7107 and 0.6677)
    code = {"A": 1, "B": 2, "tie": 0, "invalid": 0}
    for a, want in (("llm:gpt-3.5-turbo", 0.7107), ("llm:pandalm-7b", 0.6677)):
        hit = 0
        for i in its:
            hv = [code[j["verdict"]] for h in humans for j in i["judgments"] if j["annotator"] == h]
            gold = max(hv, key=hv.count)  # first-max order: annotator1 wins a 3-way split
            mv = [code[j["verdict"]] for j in i["judgments"] if j["annotator"] == a]
            hit += mv[0] == gold
        near(round(hit / len(its), 4), want, f"pandalm: accuracy of {a}", 1e-9)
    # a judge file alone, or onto a missing idx, is an error naming file:line
    p = run("import", "-w", WS, "--name", "pandalm_orphan", judge_files[0], ok=False)
    check(p.returncode != 0 and "gpt-3.5-turbo-testset-v1.json:2:" in p.stderr and "idx 0" in p.stderr,
          f"pandalm: orphan judge file refused with file:line ({p.stderr.strip()})")
    check("pandalm_orphan" not in datasets(), "pandalm: failed import left nothing behind")
    # --append joins onto an existing dataset
    imp("pandalm2", data(d, "testset-v1.json"))
    imp("pandalm2", judge_files[1], extra=("--append",))
    counts("pandalm2", 999, 1998, 4 * 999)
    dry_run(data(d, "testset-v1.json"), "pandalm")
    dry_run(judge_files[0], "pandalm-judge")


# ---- LLMBar --------------------------------------------------------------------
LLMBAR_LABELS = {
    "LLMBar_Natural": (42, 58), "LLMBar_Adversarial_Neighbor": (75, 59),
    "LLMBar_Adversarial_GPTInst": (45, 47), "LLMBar_Adversarial_GPTOut": (22, 25),
    "LLMBar_Adversarial_Manual": (22, 24), "Processed_MT-Bench": (101, 99),
    "Processed_FairEval": (41, 25), "Processed_LLMEval2": (92, 108),
}


def preferred(it, j):
    return j["a"] if j["verdict"] == "A" else j["b"] if j["verdict"] == "B" else None


def test_llmbar():
    for subset, (n1, n2) in LLMBAR_LABELS.items():
        name = "llmbar_" + subset.lower()
        files = [data("llmbar", subset + ".dataset.json")]
        if subset == "LLMBar_Natural":
            files += [data("llmbar", f"{subset}.evaluator_GPT-4_{e}.result.json") for e in ("Vanilla", "CoT")]
        imp(name, *files)
        n = n1 + n2
        extra = 4 * n if subset == "LLMBar_Natural" else 0
        counts(name, n, 2 * n, n + extra)
        its = items(name)
        labels = [j["verdict"] for _, j in judgments(its, "dataset")]
        eq((labels.count("A"), labels.count("B")), (n1, n2), f"{name}: label counts 1/2")
    its = items("llmbar_llmbar_natural")
    src = json.load(open(data("llmbar", "LLMBar_Natural.dataset.json"), encoding="utf-8"))
    eq(its[0]["prompt"], src[0]["input"], "llmbar: first input")
    eq(its[-1]["responses"][1]["text"], src[-1]["output_2"], "llmbar: last output_2")
    check("2 \u00bd years" in its[0]["prompt"], "llmbar: unicode in the input")
    # published accuracies: Vanilla 95/100 and 96/100, CoT 94/100 and 95/100
    for ev, want in (("llm:GPT-4/Vanilla", {False: 95, True: 96}), ("llm:GPT-4/CoT", {False: 94, True: 95})):
        got = {False: 0, True: 0}
        for it in its:
            gold = preferred(it, next(j for j in it["judgments"] if j["annotator"] == "dataset"))
            for j in it["judgments"]:
                if j["annotator"] == ev:
                    got[j["meta"]["swap"]] += preferred(it, j) == gold
        eq(got, want, f"llmbar: correct judgments of {ev} by swap")
        near(100 * (got[False] + got[True]) / 200, {"llm:GPT-4/Vanilla": 95.5, "llm:GPT-4/CoT": 94.5}[ev],
             f"llmbar: average accuracy of {ev}")
    # swap = True presents output_2 as A: the judgment's a is response 1
    sw = next(j for j in its[0]["judgments"] if j["annotator"] == "llm:GPT-4/Vanilla" and j["meta"]["swap"])
    eq((sw["a"], sw["b"], sw["verdict"], sw["rationale"]), (1, 0, "B", "Output (b)"),
       "llmbar: swapped judgment in presented order")
    # result files alone give the pairs and the labels too, once
    imp("llmbar_results_only", data("llmbar", "LLMBar_Natural.evaluator_GPT-4_CoT.result.json"))
    counts("llmbar_results_only", 100, 200, 300)
    imp("llmbar_results_only", data("llmbar", "LLMBar_Natural.dataset.json"), extra=("--append",))
    counts("llmbar_results_only", 100, 200, 300)
    dry_run(data("llmbar", "LLMBar_Natural.dataset.json"), "llmbar")


# ---- Arena battles ----------------------------------------------------------
def test_arena():
    f = data("arena_hard_battles", "arena_hard_battles.jsonl")
    imp("arena", f)
    counts("arena", 2136, 4272, 2136, ["dataset"])
    its = items("arena")
    v = [it["judgments"][0]["verdict"] for it in its]
    eq((v.count("B"), v.count("A"), v.count("tie")), (1758, 347, 31), "arena: winner counts")
    check(all(r["text"] is None for it in its for r in it["responses"]), "arena: responses carry no text")
    eq({it["responses"][0]["model"] for it in its}, {"claude-3-haiku-20240307"}, "arena: model_a")
    keys = {}
    for it in its:
        k = (it["meta"]["question_id"], it["responses"][1]["model"])
        keys[k] = keys.get(k, 0) + 1
    hist = {n: sum(1 for c in keys.values() if c == n) for n in (2, 4, 6)}
    eq(hist, {2: 133, 4: 106, 6: 241}, "arena: duplicates kept per (question, model)")
    eq(its[-1]["meta"]["question_id"], 117, "arena: last question_id")
    # gzip works for any format
    gz = os.path.join(WORK, "battles.jsonl.gz")
    with open(f, "rb") as src, gzip.open(gz, "wb") as dst:
        dst.write(src.read())
    imp("arena_gz", gz)
    counts("arena_gz", 2136, 4272, 2136)
    dry_run(f, "arena")


# ---- ICAI CSV and AnnotatedPairs -----------------------------------------------
def test_icai():
    d = "icai_synthetic"
    for base, n in (("synthetic_data_aligned_vqvtb", 30), ("synthetic_data_orthogonal_adcbg", 30),
                    ("synthetic_data_mixed_vqvtb_adcbg", 60), ("example", 1)):
        imp("icai_" + base, data(d, base + ".csv"))
        counts("icai_" + base, n, 2 * n, n, ["dataset"])
        with open(data(d, base + ".csv"), encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        its = items("icai_" + base)
        want = ["A" if r["preferred_text"] == "text_a" else "B" for r in rows]
        eq([it["judgments"][0]["verdict"] for it in its], want, f"icai {base}: labels")
        if base != "example":
            r0 = rows[0]
            eq(its[0]["prompt"], r0["text_a"].split("\n\nOutput: ")[0][len("Instruction: "):],
               f"icai {base}: prompt split off the texts")
            eq(its[-1]["responses"][1]["text"], rows[-1]["text_b"].split("\n\nOutput: ", 1)[1],
               f"icai {base}: last text_b after the prefix")
            eq(its[0]["id"], r0[""], f"icai {base}: index column -> id")
    its = items("icai_synthetic_data_aligned_vqvtb")
    eq(its[0]["prompt"], "What is the capital of the US?", "icai: first prompt")
    eq(its[0]["responses"][1]["text"], "Washington, D.C.", "icai: first text_b")
    ex = items("icai_example")[0]
    eq(ex["prompt"], "Write a short story about a pet.", "icai example: input -> prompt")
    eq([r["model"] for r in ex["responses"]], ["Model X", "Model Y"], "icai example: models")
    dry_run(data(d, "example.csv"), "icai")


def test_annotated_pairs():
    d = "icai_synthetic"
    imp("ap_example", data(d, "example_ap.json"))
    counts("ap_example", 1, 2, 4, ["dataset", "principle:Select the response that evokes a sense of mystery.",
                                   "principle:Select the response that highlights a unique character trait.",
                                   "principle:Select the response that features a more adventurous setting."])
    it = show("ap_example", 0)
    eq(it["id"], "4b49a6e7", "ap: comparison id")
    eq([r["model"] for r in it["responses"]], ["Model X", "Model Y"], "ap: models")
    null = [j for j in it["judgments"] if j["verdict"] == "invalid"]
    eq(len(null), 1, "ap: one null vote")
    eq(null[0]["meta"], {"annotator_id": "fafd12b9", "pref": None, "no_pref_reason": "not_applicable"},
       "ap: null vote kept with its reason")
    imp("ap_ff", data(d, "feedback_forensics_annotated_pairs.json"))
    counts("ap_ff", 1, 2, 41)
    v = [j["verdict"] for j in show("ap_ff", 0)["judgments"]]
    eq((v.count("A"), v.count("B"), v.count("invalid")), (6, 5, 30), "ap ff: votes a/b/null")
    # export -> import round trip keeps counts, texts and votes
    out = os.path.join(WORK, "ff_ap.json")
    run("export", "-w", WS, "ap_ff", "--format", "annotated-pairs", "-o", out)
    exported = json.load(open(out, encoding="utf-8"))
    eq(len(exported["annotators"]), 41, "ap export: annotators object")
    imp("ap_ff_rt", out)
    counts("ap_ff_rt", 1, 2, 41, datasets()["ap_ff"]["annotators"])
    a, b = show("ap_ff", 0), show("ap_ff_rt", 0)
    eq([r["text"] for r in b["responses"]], [r["text"] for r in a["responses"]], "ap round trip: texts")
    eq(sorted((j["annotator"], j["verdict"]) for j in b["judgments"]),
       sorted((j["annotator"], j["verdict"]) for j in a["judgments"]), "ap round trip: votes")
    dry_run(data(d, "example_ap.json"), "annotated-pairs")


# ---- C3PO feedback ------------------------------------------------------------
def test_c3po():
    files = [data("c3po_feedback", f"gpt_feedback_{k}.json") for k in ("content", "style")]
    for f, n in zip(files, (105, 104)):
        name = "c3po_" + os.path.basename(f)[:-5]
        imp(name, f)
        counts(name, 0, 0, 0, [], feedback=n)
    imp("c3po", *files)
    counts("c3po", 0, 0, 0, [], feedback=209)
    src = [r for f in files for r in json.load(open(f, encoding="utf-8"))]
    db = sqlite3.connect(WS)
    rows = db.execute("SELECT f.feedback, f.domain FROM feedback f JOIN dataset d ON d.id = f.dataset_id"
                      " WHERE d.name = 'c3po' ORDER BY f.id").fetchall()
    db.close()
    eq(rows[0], (src[0]["feedback"], src[0]["domain"]), "c3po: first feedback")
    eq(rows[-1], (src[-1]["feedback"], src[-1]["domain"]), "c3po: last feedback")
    eq(len(rows), 105 + 104, "c3po: feedback rows")
    dry_run(files[0], "c3po")
    # the paper's own sets (Feedback model: content, domain, effect, scope, type, metric)
    for fn, n, n_quant in (("collie_feedback.json", 100, 100), ("final_exp_feedback.json", 100, 14)):
        f = data("c3po_feedback", fn)
        name = "c3po_" + fn[:-5]
        imp(name, f)
        counts(name, 0, 0, 0, [], feedback=n)
        src = json.load(open(f, encoding="utf-8"))
        db = sqlite3.connect(WS)
        rows = db.execute("SELECT f.feedback, f.domain, f.effect, f.meta FROM feedback f"
                          " JOIN dataset d ON d.id = f.dataset_id WHERE d.name = ? ORDER BY f.id",
                          (name,)).fetchall()
        db.close()
        eq([r[:3] for r in rows], [(r["content"], r["domain"], r["effect"]) for r in src],
           f"{name}: content, domain and effect of every record")
        metas = [json.loads(r[3]) for r in rows]
        eq(sum(m.get("type") == "quantitative" for m in metas), n_quant, f"{name}: quantitative records")
        eq([m.get("metric") for m in metas], [r.get("metric") for r in src], f"{name}: metrics kept in meta")
        dry_run(f, "c3po")


# ---- every file is accounted for ------------------------------------------------
REFERENCE_ONLY = {  # published numbers, not preference data: refused with a clear error
    "alpaca_eval_alpaca7b/evaluators_leaderboard.csv",
    "alpaca_eval_alpaca7b/leaderboard_AlpacaEval1_alpaca_eval_gpt4.csv",
    "alpaca_eval_alpaca7b/leaderboard_AlpacaEval2_alpaca_eval_cot_gpt4_turbo_fn.csv",
    "alpaca_eval_alpaca7b/leaderboard_AlpacaEval2_weighted_alpaca_eval_gpt4_turbo.csv",
    "arena_hard_battles/arena_hard_leaderboard_20240731.csv",
    "llmbar/LLMBar_Natural.evaluator_GPT-4_CoT.statistics.json",
    "llmbar/LLMBar_Natural.evaluator_GPT-4_Vanilla.statistics.json",
}


NOT_PREFERENCE = {  # Parquet reader fixtures and their dumps (parquet_fixtures/SOURCE.md):
    # no pairs, no judgments; refused with one line naming the file
    "parquet_fixtures/ifbench_test.expected.jsonl": "cannot detect the format",
    "parquet_fixtures/smollm2_customs_train.expected.jsonl": "cannot detect the format",
    "parquet_fixtures/ifbench_test.parquet": "cannot detect the format",
    "parquet_fixtures/smollm2_customs_train.parquet": "cannot detect the format",
}


# ---- Parquet fixtures (not preference data: read through --map) -------------
def test_parquet_fixtures():
    """Each Parquet fixture imported through --map gives exactly the items its
    DuckDB dump (.expected.jsonl) gives with the same map: same rows, same texts."""
    maps = {
        "ifbench_test": "prompt=prompt,a=messages[1].content,b=messages[0].content,id=key",
        "smollm2_customs_train": "prompt=prompt,a=response,b=system_prompt",
    }
    for base, spec in maps.items():
        pq, dump = data("parquet_fixtures", base + ".parquet"), data("parquet_fixtures", base + ".expected.jsonl")
        imp("pq_" + base, pq, extra=("--map", spec))
        imp("js_" + base, dump, extra=("--map", spec))
        want = [json.loads(line) for line in open(dump, encoding="utf-8")]
        got, ref = items("pq_" + base), items("js_" + base)
        eq(len(got), len(want), f"{base}: items from the Parquet file")
        strip = lambda it: {k: v for k, v in it.items() if k not in ("id", "index", "meta")}
        eq([strip(x) for x in got], [strip(x) for x in ref], f"{base}: items equal those of the dump")
        eq([it["prompt"] for it in got], [r["prompt"] for r in want], f"{base}: prompts in row order")
        p = run("import", "--dry-run", "--map", spec, pq)
        check(f"first record ({pq}: row 1)" in p.stdout, f"{base}: dry run names row 1")


def test_every_file():
    """Every data file is importable on its own (auto-detected), except the
    reference-number files, which are refused with a one-line error."""
    for sub in sorted(os.listdir(DATA)):
        for fn in sorted(os.listdir(os.path.join(DATA, sub))):
            rel = f"{sub}/{fn}"
            if fn == "SOURCE.md":
                continue
            p = run("import", "-w", WS, "--name", "every", "--replace", data(sub, fn), ok=False)
            if rel in NOT_PREFERENCE:
                check(p.returncode != 0 and NOT_PREFERENCE[rel] in p.stderr and fn in p.stderr
                      and len(p.stderr.strip().splitlines()) == 1,
                      f"{rel}: refused with one line ({p.stderr.strip()[:200]})")
            elif rel in REFERENCE_ONLY:
                check(p.returncode != 0 and "cannot detect the format" in p.stderr
                      and len(p.stderr.strip().splitlines()) == 1,
                      f"{rel}: refused with one line ({p.stderr.strip()[:200]})")
            elif "-testset-v1" in fn and fn != "testset-v1.json":
                # a judge file needs its test set: refused alone, naming file:line
                check(p.returncode != 0 and f"{fn}:2:" in p.stderr, f"{rel}: refused alone ({p.stderr.strip()[:200]})")
            else:
                check(p.returncode == 0, f"{rel}: imports on its own ({p.stderr.strip()[:200]})")
    check("every" in datasets(), "every: the last good import is there")


TESTS = [test_hh, test_llamafactory, test_alpaca_eval, test_pandalm, test_llmbar, test_arena,
         test_icai, test_annotated_pairs, test_c3po, test_parquet_fixtures, test_every_file]

if __name__ == "__main__":
    only = sys.argv[1:]
    for t in TESTS:
        if not only or t.__name__ in only:
            t()
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("ok: every shared dataset imported and checked")
