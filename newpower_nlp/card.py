"""The model card (Markdown, Hugging Face style), generated from the training results."""

from __future__ import annotations

from typing import Any

from newpower_nlp.calibration import format_cv
from newpower_nlp.labels import LABELS
from newpower_nlp.training import MAX_F1

__all__ = ["DEV_MARGIN", "model_card"]

#: How much better on dev (macro-F1) a variant must be to replace the shipped one.
DEV_MARGIN = 0.01

_SYSTEM_NAMES = {
    "model": "newpower-nlp model",
    "lexicon": "baseline: cue lexicon alone",
    "tfidf_lr": "baseline: TF-IDF + logistic regression",
}


_SHORT_NAMES = {"lexicon": "cue lexicon", "tfidf_lr": "TF-IDF baseline"}


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _comparison(m: dict[str, Any]) -> list[str]:
    """Plain sentences on where the model beats, or does not beat, each baseline."""
    out = [""]
    for set_name, label in (("test", "test split"), ("realworld", "real-world set")):
        if set_name not in m["model"]:
            continue
        mine = m["model"][set_name]["macro_f1"]
        for key in ("lexicon", "tfidf_lr"):
            if key not in m or set_name not in m[key]:
                continue
            theirs = m[key][set_name]["macro_f1"]
            verdict = "beats" if mine > theirs else "does NOT beat"
            paired = m["model"][set_name].get("vs_baselines", {}).get(key)
            extra = ""
            if paired:
                lo, hi = paired["ci95"]
                extra = (f"; paired bootstrap 95% interval of the difference {lo:+.3f} to "
                         f"{hi:+.3f}, model ahead in {100 * paired['share_ahead']:.0f}% of "
                         "resamples")
            out.append(f"- On the {label} the model {verdict} the {_SYSTEM_NAMES[key]} "
                       f"({mine:.3f} vs {theirs:.3f} macro-F1, {mine - theirs:+.3f}{extra}).")
    ablations = [k for k in m if k.startswith("without") and "dev" in m[k]]
    if ablations and "dev" in m["model"]:
        top = max(ablations, key=lambda k: m[k]["dev"]["macro_f1"])
        gap = m[top]["dev"]["macro_f1"] - m["model"]["dev"]["macro_f1"]
        verdict = ("so the shipped configuration stays" if gap <= DEV_MARGIN
                   else "so it should replace the shipped configuration")
        out.append(f"- Configurations are chosen on dev only: a variant replaces the shipped "
                   f"one only if it beats it there by more than {DEV_MARGIN} macro-F1. The "
                   f"best ablation on dev is '{top}' ({m[top]['dev']['macro_f1']:.3f} "
                   f"against {m['model']['dev']['macro_f1']:.3f}, {gap:+.3f}), {verdict}.")
    best = max((k for k in m if k.startswith("without") and "realworld" in m[k]),
               key=lambda k: m[k]["realworld"]["macro_f1"], default=None)
    if best and "realworld" in m["model"] and \
            m[best]["realworld"]["macro_f1"] > m["model"]["realworld"]["macro_f1"]:
        others = "; ".join(
            f"{set_name} {m[best][set_name]['macro_f1']:.3f} against "
            f"{m['model'][set_name]['macro_f1']:.3f}"
            for set_name in ("dev", "test") if set_name in m[best])
        out.append(f"- The ablation '{best}' transfers better to the real-world set "
                   f"({m[best]['realworld']['macro_f1']:.3f} against "
                   f"{m['model']['realworld']['macro_f1']:.3f}; {others}); the real-world "
                   "set is not used to choose.")
    return out


_RULE_TEXT = {
    "max_f1": ("at each label's F1 maximum;",),
    "one_se": ("by the one-standard-error rule: the lowest threshold whose F1 there is",
               "within one bootstrap standard error of the best (see \"Threshold rule\"",
               "below);"),
}


def _rule_section(meta: dict[str, Any]) -> list[str]:
    """Every system scored with both threshold rules, if the run scored the other."""
    m = meta["metrics"]
    keys = [k for k in ("model", "lexicon", "tfidf_lr") if MAX_F1 + k in m]
    if not keys:
        return []
    sets = [s for s in ("dev", "test", "realworld") if s in m["model"]]
    names = {"dev": "dev", "test": "test", "realworld": "real-world"}
    lines = [
        "",
        "### Threshold rule",
        "",
        "Thresholds tuned for the best F1 on the corpus sit too high for real texts,",
        "which state signals more plainly and score lower (the real-world set's agreed",
        "positives score 2.5 to 4.5 logits below dev positives, its negatives like dev",
        "negatives). Among the thresholds that the held-out data cannot tell apart (F1",
        "within one bootstrap standard error of the best), every system takes the lowest.",
        "This rule was adopted after that diagnosis on the real-world set. The lexicon's",
        "cut-offs follow the same rule on the training data.",
        "",
        "| system | rule | " + " | ".join(f"{names[s]} macro-F1" for s in sets) + " |",
        "|---|---|" + "---|" * len(sets),
    ]
    for key in keys:
        for label, scores in (("one standard error", m[key]), ("F1 maximum", m[MAX_F1 + key])):
            lines.append(f"| {_SYSTEM_NAMES[key]} | {label} | "
                         + " | ".join(_f(scores.get(s, {}).get("macro_f1")) for s in sets)
                         + " |")
    cv = meta.get("threshold_rules_cv")
    if cv:
        loose, strict = cv["one_se"], cv["max_f1"]
        lines += [
            "",
            "Dev cannot judge the rule, since the thresholds are tuned on it. Cross-validated",
            f"on the model's held-out corpus scores ({loose['n']:,} texts: dev pooled with the",
            "out-of-fold training predictions; thresholds chosen by each rule on four fifths",
            f"and scored on the fifth, {len(loose['runs'])} repeats on the same folds), the "
            "one-standard-error rule",
            f"scores {format_cv(loose['macro_f1'], loose['runs'])} against the F1 maximum's",
            f"{format_cv(strict['macro_f1'], strict['runs'])}: "
            f"{loose['macro_f1'] - strict['macro_f1']:+.3f} on corpus-like text, the price of",
            "leaning towards recall.",
        ]
    return lines


def _calibrated_section(m: dict[str, Any]) -> list[str]:
    """The real-world table with thresholds calibrated there (cross-validated) and the
    threshold-free ranking score, if the training run computed them."""
    systems = [k for k in ("model", "lexicon", "tfidf_lr")
               if "calibrated_cv" in m.get(k, {}).get("realworld", {})]
    if "model" not in systems:
        return []
    cv = m["model"]["realworld"]["calibrated_cv"]
    runs = cv["runs"]
    lines = [
        "",
        "### Real-world set: ranking, and thresholds calibrated on real texts",
        "",
        "The shipped thresholds are tuned on the corpus's dev split. Real texts state",
        "signals more plainly than the corpus, so they score lower as a whole, and",
        "thresholds tuned on the corpus miss many of them although the model ranks them",
        "well. Below, each system's thresholds are re-tuned on the real-world set by",
        f"`newpower calibrate`, and scored out of fold: {cv['folds']}-fold cross-validation,",
        f"repeated {len(runs)} times on the same folds for every system; labels with fewer",
        f"than {cv['min_positives']} positives in the tuning folds keep their thresholds. "
        "Mean average precision",
        "(over the labels present) needs no threshold at all. The shipped model keeps its",
        "dev-tuned thresholds; these figures show what a user gains by calibrating on a",
        "labelled sample of their own texts.",
        "",
        "| system | macro-F1, thresholds tuned on the corpus | macro-F1, calibrated "
        "(cross-validated, mean, min-max) | mean average precision |",
        "|---|---|---|---|",
    ]
    for key in systems:
        rw = m[key]["realworld"]
        cal = rw["calibrated_cv"]
        lines.append(f"| {_SYSTEM_NAMES[key]} | {_f(rw['macro_f1'])} "
                     f"| {format_cv(cal['macro_f1'], cal['runs'])} | {_f(cal['mean_ap'])} |")
    lines.append("")
    for key in systems[1:]:
        theirs = m[key]["realworld"]["calibrated_cv"]["runs"]
        ahead = sum(a > b for a, b in zip(runs, theirs))
        lines.append(f"- Calibrated on the same folds, the model is ahead of the "
                     f"{_SHORT_NAMES[key]} in {ahead} of {len(runs)} repeats.")
    return lines


def _overpredicted(scores: dict[str, dict[str, Any]]) -> list[str]:
    """A limitation line naming the labels the model predicts on the real-world set at
    least twice as often as its annotators set them (at least twice)."""
    per = scores["model"].get("realworld", {}).get("per_label", {})
    over = [f"`{n}` ({v['predicted']} against {v['support']})" for n, v in per.items()
            if v["support"] >= 2 and v.get("predicted", 0) >= 2 * v["support"]]
    if not over:
        return []
    return [f"- On the real-world set it predicts some labels at least twice as often as "
            f"its annotators set them: {', '.join(over)}."]


def model_card(meta: dict[str, Any], scores: dict[str, dict[str, Any]]) -> str:
    """Render the card for a trained model."""
    m = meta["metrics"]
    td = meta["training_data"]
    docs = td["documents"]
    lines = [
        "---",
        "language: en",
        "license: mit",
        "library_name: scikit-learn",
        "tags: [text-classification, multi-label-classification, spacy, new-power]",
        "---",
        "",
        f"# newpower-nlp model {meta['version']}",
        "",
        "Tags a text with the power values it signals (old and new poles of governance,",
        "leadership, engagement, transparency and power flow), the new-power framework",
        "types it describes, and the organization's place on the New Power Compass, with",
        "the sentences that support each label.",
        "",
        "## Intended use",
        "",
        "Research, journalism and organizing: sorting and comparing large numbers of",
        "mission statements, about pages, news stories and governance documents, with",
        "every label backed by evidence sentences that a reader can check. It is a",
        "screening and measurement aid, not a judgement on any organization; read the",
        "evidence before quoting a label.",
        "",
        "## Training data",
        "",
        f"The newpower-nlp corpus (`corpus/`): {docs['train']} training, {docs['dev']} dev "
        f"and {docs['test']} test documents of original writing in ten genres"
        + (f", plus {td['added_documents']} added documents" if td["added_documents"] else "")
        + ". SHA-256 of the split files:",
        "",
        *[f"- `{split}`: `{digest}`" for split, digest in td["sha256"].items()],
        "",
        "The writers' labels were completed by a second reading: independent annotators",
        "re-read every document with a `crowd` or `cheerleader` compass (train, dev and",
        "test alike, never seeing a model's output) and added the value labels the",
        "manual requires that the writers had missed, each with an exact quote",
        "(`corpus/README.md`, \"Label-completion pass\"). A second reading of the",
        "`castle` and `co_opter` documents added the missed `old_governance` and",
        "`old_power_flow` labels in train and dev (none were proposed for the test",
        "documents). Scores on the test split are against the completed labels.",
        "",
        "## Model",
        "",
        "spaCy (`spacy.blank(\"en\")`, sentencizer, lookup lemmatizer, the",
        "`newpower_signals` cue component) feeds two featurizers. The document featurizer",
        "has three blocks: TF-IDF of lemma 1-2-grams, TF-IDF of character 2-5-grams within",
        "words, and cue counts per label normalised by length (negated cues count for the",
        "opposite pole); the sentence featurizer has the lemma and cue blocks. For each",
        "label a document logistic regression scores the whole text and a sentence",
        "logistic regression, trained on the annotated evidence spans, scores every",
        "sentence; a small logistic regression, fitted on out-of-fold scores, turns the",
        "document score and the best sentence score into a calibrated probability. The",
        "sentence scores pick the evidence. Per-label thresholds are chosen on the dev",
        "split pooled with the out-of-fold predictions,",
        *_RULE_TEXT.get(meta["params"].get("threshold_rule", "max_f1"), ()),
        "a multinomial logistic regression on the document features gives the compass",
        "(four quadrants and none), whose probabilities also give the two axis scores.",
        "Parameters: "
        + ", ".join(f"`{k}={v}`" for k, v in meta["params"].items())
        + f", seed {meta['seed']}.",
        "",
        "## Results",
        "",
        "Macro-F1 over the 17 labels and compass accuracy (4 quadrants + none). The",
        "baselines were trained and scored in the same run on the same splits.",
        "",
        "| system | test macro-F1 (95% CI) | test micro-F1 | test compass acc. "
        "| real-world macro-F1 | real-world compass acc. |",
        "|---|---|---|---|---|---|",
    ]
    for key in ("model", "lexicon", "tfidf_lr", *[k for k in m if k.startswith("without")]):
        if key not in m:
            continue
        t = m[key].get("test", {})
        rw = m[key].get("realworld", {})
        ci = t.get("macro_f1_ci95") or []
        ci_s = f" ({ci[0]:.3f}-{ci[1]:.3f})" if len(ci) == 2 else ""
        lines.append(
            f"| {_SYSTEM_NAMES.get(key, 'ablation: ' + key)} | {_f(t.get('macro_f1'))}{ci_s} "
            f"| {_f(t.get('micro_f1'))} | {_f(t.get('compass_accuracy'))} "
            f"| {_f(rw.get('macro_f1'))} | {_f(rw.get('compass_accuracy'))} |"
        )
    if "realworld" in m["model"]:
        rw = m["model"]["realworld"]
        lines += [
            "",
            f"Real-world set: {rw['n']} public texts labelled independently "
            "(`../shared/realworld/dev.jsonl`). None of its texts is in the corpus, and",
            "it is never used for fitting, choosing thresholds or model selection. It is not a",
            "blind test, though: the genres and registers of corpus rounds 4 and 5 were",
            "chosen after earlier models had been read against it, and the focus labels",
            "of rounds 6 and 7 (chosen on dev) overlap with the labels models miss there,",
            "the label-completion pass was run after models had been seen to",
            "under-predict those labels there, and the kinds of document in round 8",
            "(open-source governance files, organizing groups' missions, co-operatives)",
            "were chosen by reading the real-world documents the model missed, and",
            "round 9's single plain signals after finding that the model scores the",
            "set's agreed signals far lower than corpus signals, as was the threshold",
            "rule (see \"Threshold rule\" below);",
            "so treat its figures as optimistic. Many labels have only one to a few",
            "positives there, so its macro-F1 is noisy; the macro-F1 over the labels",
            f"present in it is {_f(rw['macro_f1_present_labels'])}.",
        ]
    lines += _comparison(m)
    lines += _rule_section(meta)
    lines += _calibrated_section(m)
    lines += [
        "",
        "### Per label (test split)",
        "",
        "| label | precision | recall | F1 | support | threshold |",
        "|---|---|---|---|---|---|",
    ]
    per = scores["model"]["test"]["per_label"]
    for name in LABELS:
        s = per[name]
        lines.append(f"| `{name}` | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} "
                     f"| {s['support']} | {meta['thresholds'][name]:.3f} |")
    if "realworld" in scores["model"]:
        rw_per = scores["model"]["realworld"]["per_label"]
        lex_per = scores.get("lexicon", {}).get("realworld", {}).get("per_label", {})
        lines += [
            "",
            "### Per label (real-world set)",
            "",
            "How often the model (and the cue lexicon) predicts each label, against how",
            "often the real-world annotators set it:",
            "",
            "| label | gold | model predicts | model F1 | lexicon predicts | lexicon F1 |",
            "|---|---|---|---|---|---|",
        ]
        for name in LABELS:
            s, lx = rw_per[name], lex_per.get(name, {})
            lines.append(f"| `{name}` | {s['support']} | {s.get('predicted', '-')} "
                         f"| {_f(s['f1'])} | {lx.get('predicted', '-')} | {_f(lx.get('f1'))} |")
    comp = scores["model"]["test"]["compass"]
    lines += [
        "",
        "### Compass confusion matrix (test split; rows gold, columns predicted)",
        "",
        "| gold \\ predicted | " + " | ".join(comp["classes"]) + " |",
        "|---|" + "---|" * len(comp["classes"]),
        *[f"| {c} | " + " | ".join(str(v) for v in row) + " |"
          for c, row in zip(comp["classes"], comp["confusion"])],
        "",
        f"Expected calibration error over all label decisions (test): "
        f"{_f(m['model']['test'].get('ece'))}.",
        "",
        "## Limitations",
        "",
        "- The corpus is original writing made for this project; real text is plainer,",
        "  and scores on the real-world set are far lower than on the test split.",
        "- On real texts the model is conservative: it seldom predicts some new-power",
        "  values and framework types that real annotators read into plain governance",
        "  documents and mission lines (see the real-world table above; the labels whose",
        "  'model predicts' count is far below 'gold'). The corpus, full of false",
        "  friends, taught it to distrust that vocabulary; the cue lexicon, which fires",
        "  on the words, wins points there and loses them on texts with no signal.",
        "  It ranks real texts better than either baseline (mean average precision",
        "  above), so its thresholds, not its ranking, are what transfer worst; the",
        "  threshold rule closes part of that gap, and `newpower calibrate` re-tunes",
        "  them on a labelled sample of your texts.",
        *_overpredicted(scores),
        "- Labels with subtle poles (`old_leadership`, `old_engagement`,",
        "  `new_engagement`, `new_power_flow`) had the lowest annotator agreement and",
        "  are the least reliable.",
        "- English only. Texts in all capitals or without punctuation are handled, but",
        "  sentence evidence is coarser when a text has no sentence breaks.",
        "- Evidence sentences are the ones the model scores highest for a label; they",
        "  explain the model, they do not prove the label.",
        "",
        "## Reproduce",
        "",
        "```bash",
        "python scripts/02_train_default_model.py   # rebuilds models/default from corpus/",
        "```",
        "",
        "Package versions: " + ", ".join(f"{k} {v}" for k, v in
                                         meta["package_versions"].items()) + ".",
        "",
    ]
    return "\n".join(lines)
