"""PowerFeaturizer: the scikit-learn contract, the three feature blocks, sentence rows."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from newpower_nlp.errors import TextTypeError
from newpower_nlp.features import Analysis, PowerFeaturizer
from newpower_nlp.labels import LABELS
from newpower_nlp.pipeline import build_nlp, get_nlp

TEXTS = [
    "Members elect the Ravelstone council at the annual meeting.",
    "The general staff issues orders. The Korvath regiments obey them.",
    "We publish every salary on the wall of the Tamsin bakery.",
    "Whisk two eggs with the milk and leave the batter to rest.",
    "Volunteers run the Oakhollow library together on weekends.",
    "Our pricing stays secret and the board keeps its minutes private.",
]

# binary toy task for pipelines: 1 = new-power text
PIPE_TEXTS = [
    "Members elect the board of the Grell allotments.",
    "Neighbours vote on every rule of the Penfold street.",
    "Volunteers run the Saltmarsh repair cafe together.",
    "We publish all our accounts for anyone in Wexcombe.",
    "Users of the Brisk forum write the guides themselves.",
    "Riders at Dallow share journeys with each other directly.",
    "The chief of Harnley decides alone and staff obey.",
    "Orders come down from the Ostrander head office.",
    "The Marlow board keeps its accounts secret.",
    "Only the founder of Quenby sets the direction.",
    "Experts at Tolver deliver the plan to passive clients.",
    "A strict chain of command runs through the Vance depot.",
]
PIPE_Y = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]


@pytest.fixture(scope="module")
def fitted():
    return PowerFeaturizer(min_df=1).fit(TEXTS)


def dense(m):
    return m.toarray() if sp.issparse(m) else np.asarray(m)


# --------------------------------------------------------------------------- sklearn contract


def test_fit_returns_self():
    f = PowerFeaturizer(min_df=1)
    assert f.fit(TEXTS) is f
    assert f.fit(TEXTS, y=[0, 1, 0, 1, 0, 1]) is f


def test_transform_before_fit_raises_not_fitted():
    f = PowerFeaturizer()
    with pytest.raises(NotFittedError):
        f.transform(TEXTS)
    with pytest.raises(NotFittedError):
        f.get_feature_names_out()
    with pytest.raises(NotFittedError):
        f.block_slices()


def test_get_params_lists_every_constructor_argument_with_its_default():
    import inspect

    signature = inspect.signature(PowerFeaturizer.__init__)
    defaults = {name: p.default for name, p in signature.parameters.items() if name != "self"}
    params = PowerFeaturizer().get_params()
    assert params == defaults
    assert {"word_ngram_range": (1, 2), "char_ngram_range": (2, 5), "min_df": 2,
            "use_words": True, "use_chars": True, "use_cues": True}.items() <= params.items()


def test_set_params_changes_params_and_returns_self():
    f = PowerFeaturizer()
    assert f.set_params(min_df=3, use_chars=False) is f
    assert f.min_df == 3 and f.use_chars is False
    assert f.get_params()["min_df"] == 3
    with pytest.raises(ValueError):
        f.set_params(no_such_param=1)


def test_clone_keeps_params_and_drops_fitted_state(fitted):
    c = clone(fitted)
    assert c is not fitted
    assert c.get_params() == fitted.get_params()
    assert not hasattr(c, "columns_")
    with pytest.raises(NotFittedError):
        c.transform(TEXTS)
    c2 = clone(PowerFeaturizer(min_df=4, cue_scale=0.5, word_ngram_range=(1, 1)))
    assert (c2.min_df, c2.cue_scale, c2.word_ngram_range) == (4, 0.5, (1, 1))


def test_fit_does_not_change_params_and_sets_only_trailing_underscore_attrs():
    f = PowerFeaturizer(min_df=1, char_ngram_range=(3, 4))
    before = f.get_params()
    public_before = {k for k in vars(f) if not k.startswith("_")}
    f.fit(TEXTS)
    assert f.get_params() == before
    added = {k for k in vars(f) if not k.startswith("_")} - public_before
    assert added and all(k.endswith("_") for k in added)
    assert {"columns_", "idf_", "n_features_out_", "cue_max_", "n_docs_"} <= added
    assert f.n_docs_ == len(TEXTS)


def test_tags_say_string_input():
    from sklearn.utils import get_tags

    tags = get_tags(PowerFeaturizer())
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False


@pytest.mark.parametrize(
    "check",
    [
        "check_get_params_invariance",
        "check_set_params",
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_estimator_cloneable",
        "check_estimator_repr",
        "check_transformers_unfitted",
        "check_mixin_order",
        "check_do_not_raise_errors_in_init_or_set_params",
    ],
)
def test_sklearn_estimator_checks_that_apply_to_text(check):
    fn = getattr(estimator_checks, check)
    fn("PowerFeaturizer", PowerFeaturizer())


def test_pickle_round_trip_gives_identical_output(fitted):
    again = pickle.loads(pickle.dumps(fitted))
    assert again.get_params() == fitted.get_params()
    np.testing.assert_array_equal(dense(again.transform(TEXTS)), dense(fitted.transform(TEXTS)))


def test_fit_is_idempotent():
    f = PowerFeaturizer(min_df=1)
    a = dense(f.fit(TEXTS).transform(TEXTS))
    b = dense(f.fit(TEXTS).transform(TEXTS))
    np.testing.assert_array_equal(a, b)


def test_refit_on_other_data_equals_a_fresh_fit():
    f = PowerFeaturizer(min_df=1).fit(TEXTS[:2])
    f.transform(TEXTS)  # fills the caches
    f.fit(TEXTS)
    fresh = PowerFeaturizer(min_df=1).fit(TEXTS)
    assert f.n_features_out_ == fresh.n_features_out_
    np.testing.assert_array_equal(dense(f.transform(TEXTS)), dense(fresh.transform(TEXTS)))


def test_refit_after_set_params_char_range_equals_fresh_fit():
    f = PowerFeaturizer(min_df=1).fit(TEXTS)
    f.set_params(char_ngram_range=(3, 3))
    got = f.fit(TEXTS).transform(TEXTS)
    want = PowerFeaturizer(min_df=1, char_ngram_range=(3, 3)).fit(TEXTS).transform(TEXTS)
    assert got.shape == want.shape
    np.testing.assert_array_equal(dense(got), dense(want))


@pytest.mark.slow
def test_refit_after_set_params_n_hash_equals_fresh_fit():
    # run in a child process: a stale cache here once crashed the interpreter
    code = textwrap.dedent(f"""
        import numpy as np
        from newpower_nlp.features import PowerFeaturizer
        texts = {TEXTS!r}
        f = PowerFeaturizer(min_df=1).fit(texts)
        f.set_params(n_hash=2**10)
        got = f.fit(texts).transform(texts).toarray()
        want = PowerFeaturizer(min_df=1, n_hash=2**10).fit(texts).transform(texts).toarray()
        print(got.shape == want.shape and np.array_equal(got, want))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "True"


# --------------------------------------------------------------------------- pipelines


def test_works_in_make_pipeline_with_logistic_regression():
    pipe = make_pipeline(PowerFeaturizer(min_df=1), LogisticRegression(C=10.0))
    assert pipe.fit(PIPE_TEXTS, PIPE_Y) is pipe
    assert pipe.score(PIPE_TEXTS, PIPE_Y) == 1.0
    proba = pipe.predict_proba(["Members elect the Farrow board.", "Staff obey orders."])
    assert proba.shape == (2, 2)
    assert proba[0, 1] > proba[1, 1]


def test_grid_search_over_use_chars():
    grid = GridSearchCV(
        make_pipeline(PowerFeaturizer(min_df=1), LogisticRegression(C=10.0)),
        {"powerfeaturizer__use_chars": [True, False]}, cv=2,
    )
    grid.fit(PIPE_TEXTS, PIPE_Y)
    assert [p["powerfeaturizer__use_chars"] for p in grid.cv_results_["params"]] == \
        [True, False]
    assert grid.best_params_["powerfeaturizer__use_chars"] in (True, False)
    best = grid.best_estimator_.named_steps["powerfeaturizer"]
    assert best.use_chars == grid.best_params_["powerfeaturizer__use_chars"]
    assert ("chars" in best.block_slices()) == best.use_chars
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))


# --------------------------------------------------------------------------- output shape


def test_output_shape_matches_n_features_out_and_names(fitted):
    X = fitted.transform(TEXTS)
    assert sp.isspmatrix_csr(X) or sp.issparse(X)
    assert X.shape == (len(TEXTS), fitted.n_features_out_)
    names = fitted.get_feature_names_out()
    assert len(names) == fitted.n_features_out_
    assert len(set(names)) == len(names)
    assert list(names[-len(LABELS) - 1:]) == [f"cues__{n}" for n in LABELS] + \
        ["cues__log_length"]


def test_block_slices_tile_the_columns(fitted):
    slices = fitted.block_slices()
    assert list(slices) == ["words", "chars", "cues"]
    assert slices["words"].start == 0
    assert slices["words"].stop == slices["chars"].start
    assert slices["chars"].stop == slices["cues"].start
    assert slices["cues"].stop == fitted.n_features_out_
    assert slices["cues"].stop - slices["cues"].start == len(LABELS) + 1
    names = fitted.get_feature_names_out()
    for block, sl in slices.items():
        assert all(n.startswith(f"{block}__") for n in names[sl])


def test_fit_transform_equals_fit_then_transform():
    a = PowerFeaturizer(min_df=1).fit_transform(TEXTS)
    b = PowerFeaturizer(min_df=1).fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(dense(a), dense(b))


def test_values_are_finite_and_ngram_blocks_unit_norm(fitted):
    X = dense(fitted.transform(TEXTS))
    assert np.all(np.isfinite(X))
    slices = fitted.block_slices()
    for block in ("words", "chars"):
        norms = np.linalg.norm(X[:, slices[block]], axis=1)
        np.testing.assert_allclose(norms, 1.0)


def test_cue_block_counts_the_right_label(fitted):
    names = list(fitted.get_feature_names_out())
    X = dense(fitted.transform(["Members elect the Ravelstone council.",
                                "Whisk the eggs with the milk."]))
    col = names.index("cues__new_governance")
    assert X[0, col] > 0
    assert X[1, col] == 0


def test_negated_cue_counts_for_the_opposite_pole(fitted):
    names = list(fitted.get_feature_names_out())
    X = dense(fitted.transform(["The Ashby guild is no longer hierarchical."]))
    assert X[0, names.index("cues__new_governance")] > 0
    assert X[0, names.index("cues__old_governance")] == 0


def test_min_df_drops_rare_ngrams():
    one = PowerFeaturizer(min_df=1).fit(TEXTS)
    two = PowerFeaturizer(min_df=2).fit(TEXTS)
    assert len(two.columns_["words"]) < len(one.columns_["words"])
    assert len(two.columns_["chars"]) < len(one.columns_["chars"])


# --------------------------------------------------------------------------- ablations


@pytest.mark.parametrize(
    ("flags", "blocks"),
    [
        ({}, ["words", "chars", "cues"]),
        ({"use_words": False}, ["chars", "cues"]),
        ({"use_chars": False}, ["words", "cues"]),
        ({"use_cues": False}, ["words", "chars"]),
        ({"use_words": False, "use_chars": False}, ["cues"]),
    ],
)
def test_ablation_flags_change_block_slices(flags, blocks, fitted):
    f = PowerFeaturizer(min_df=1, **flags).fit(TEXTS)
    slices = f.block_slices()
    assert list(slices) == blocks
    X = f.transform(TEXTS)
    assert X.shape == (len(TEXTS), f.n_features_out_) == (len(TEXTS),
                                                         len(f.get_feature_names_out()))
    assert sum(s.stop - s.start for s in slices.values()) == f.n_features_out_
    # the remaining blocks are the same columns as in the full featurizer
    full = dense(fitted.transform(TEXTS))
    full_slices = fitted.block_slices()
    for block in blocks:
        np.testing.assert_allclose(dense(X)[:, slices[block]], full[:, full_slices[block]])


def test_no_block_at_all_is_refused():
    with pytest.raises(ValueError, match="at least one feature block"):
        PowerFeaturizer(use_words=False, use_chars=False, use_cues=False).fit(TEXTS)


def test_cue_scale_scales_only_the_cue_block(fitted):
    f = PowerFeaturizer(min_df=1, cue_scale=2.0).fit(TEXTS)
    a, b = dense(fitted.transform(TEXTS)), dense(f.transform(TEXTS))
    cues = fitted.block_slices()["cues"]
    np.testing.assert_allclose(b[:, cues], 2.0 * a[:, cues])
    np.testing.assert_allclose(b[:, :cues.start], a[:, :cues.start])


# --------------------------------------------------------------------------- determinism


def test_two_fits_give_identical_matrices():
    a = PowerFeaturizer(min_df=1).fit(TEXTS)
    b = PowerFeaturizer(min_df=1).fit(list(TEXTS))
    np.testing.assert_array_equal(a.get_feature_names_out(), b.get_feature_names_out())
    np.testing.assert_array_equal(dense(a.transform(TEXTS)), dense(b.transform(TEXTS)))


def test_row_of_a_text_does_not_depend_on_its_batch(fitted):
    alone = dense(fitted.transform([TEXTS[2]]))
    batch = dense(fitted.transform(TEXTS))
    np.testing.assert_array_equal(alone[0], batch[2])


# --------------------------------------------------------------------------- sentences


def test_transform_analyses_sentences_gives_one_row_per_sentence(fitted):
    texts = ["Members elect the board. We do not publish our accounts! Volunteers hope "
             "to run the Yarrow library together.",
             "One short line.",
             "Orders come from the top.\n\nThe Pell crews obey."]
    analyses = fitted.analyze(texts)
    assert all(isinstance(a, Analysis) for a in analyses)
    assert [len(a.sents) for a in analyses] == [3, 1, 2]
    rows = fitted.transform_analyses(analyses, sentences=True)
    assert rows.shape == (6, fitted.n_features_out_)
    docs = fitted.transform_analyses(analyses)
    assert docs.shape == (3, fitted.n_features_out_)


def test_sentence_row_equals_the_sentence_featurized_alone(fitted):
    text = "Members elect the board. We do not publish our accounts! Volunteers hope to " \
           "run the Yarrow library together."
    analyses = fitted.analyze([text])
    sentences = [text[s:e] for _, _, s, e in analyses[0].sents]
    assert sentences == ["Members elect the board.", "We do not publish our accounts!",
                         "Volunteers hope to run the Yarrow library together."]
    rows = dense(fitted.transform_analyses(analyses, sentences=True))
    np.testing.assert_allclose(rows, dense(fitted.transform(sentences)))


def test_sentence_offsets_slice_the_text(fitted):
    text = "  Members elect the board.\r\n\r\nÉlise's crew obeys orders!  Then   rest. "
    (a,) = fitted.analyze([text])
    got = [text[s:e] for _, _, s, e in a.sents]
    assert got == ["Members elect the board.", "Élise's crew obeys orders!", "Then   rest."]


# --------------------------------------------------------------------------- input types


def test_single_str_raises_text_type_error(fitted):
    with pytest.raises(TextTypeError, match="single str"):
        fitted.transform("Members elect the board.")
    with pytest.raises(TextTypeError):
        PowerFeaturizer(min_df=1).fit("Members elect the board.")


@pytest.mark.parametrize("bad", [[b"bytes"], ["ok text", None], [3.5]])
def test_non_str_items_raise_text_type_error(fitted, bad):
    with pytest.raises(TextTypeError):
        fitted.transform(bad)


def test_text_type_error_is_a_type_error():
    assert issubclass(TextTypeError, TypeError)


def test_docs_from_the_shared_pipeline_equal_texts(fitted):
    docs = list(get_nlp().pipe(TEXTS))
    np.testing.assert_array_equal(dense(fitted.transform(docs)), dense(fitted.transform(TEXTS)))


def test_docs_from_another_pipeline_equal_texts():
    nlp = build_nlp()
    texts = ["Members of Zorblax elect the quintessor.", "The Vrellish staff obey orders."]
    docs = list(nlp.pipe(texts))
    a = PowerFeaturizer(min_df=1).fit_transform(docs)
    b = PowerFeaturizer(min_df=1).fit_transform(texts)
    np.testing.assert_array_equal(dense(a), dense(b))


def test_analysis_reads_the_cue_table_or_falls_back_to_the_spans():
    """Without the component's cue table (or when the group was edited since), the
    cues are read from the spans themselves, with the same result."""
    from spacy.tokens import Span

    from newpower_nlp.features import analyze_docs
    from newpower_nlp.signals import CUE_TABLE, DEFAULT_SPANS_KEY

    text = ("We do not publish our accounts; members elect the council. "
            "We may share every salary. The board decides.")
    nlp = get_nlp()
    fast = analyze_docs([nlp(text)])[0]
    plain = nlp(text)
    del plain.spans[DEFAULT_SPANS_KEY].attrs[CUE_TABLE]
    slow = analyze_docs([plain])[0]
    stale = nlp(text)
    stale.spans[DEFAULT_SPANS_KEY].append(  # the table no longer matches the group
        Span(stale, 0, 1, label="new_governance"))
    edited = analyze_docs([stale])[0]
    assert fast.cues and fast.cues == slow.cues
    assert any(neg for *_, neg, _ in fast.cues) and any(h for *_, h in fast.cues)
    for name in ("cue_tokens", "cue_labels", "cue_weights"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
    assert len(edited.cues) == len(fast.cues) + 1


def test_word_block_through_the_column_table_equals_column_selection(fitted):
    """Kept word columns found through the dense bucket table are the fitted columns."""
    table = fitted._word_columns()
    keep = fitted.columns_["words"]
    assert table.shape == (fitted.n_hash,)
    np.testing.assert_array_equal(table[keep], np.arange(len(keep)))
    assert (table >= 0).sum() == len(keep)


def test_batched_analysis_equals_one_doc_at_a_time():
    """Docs analysed together (token arrays laid end to end) give exactly the analyses
    of one doc at a time: token, sentence and cue offsets are each doc's own."""
    from newpower_nlp.features import analyze_docs

    texts = ["Members elect the council. We publish every salary.", "", "  \n ",
             "Wait.", "  The board decides.  We do not publish our accounts.\n\n",
             "no punctuation at all and members vote"]
    docs = list(get_nlp().pipe(texts))
    together = analyze_docs(docs, texts, batch_size=len(texts))
    alone = [analyze_docs([doc], [text])[0] for doc, text in zip(docs, texts)]
    for a, b, text in zip(together, alone, texts):
        assert a.sents == b.sents and a.cues == b.cues
        for name in ("lemmas", "lowers", "starts", "ends", "cue_tokens", "cue_labels",
                     "cue_weights"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        for _, _, start, end in a.sents:
            assert text[start:end] == text[start:end].strip() != ""
    assert together[1].sents == [] and together[1].n_tokens == 0
    assert [texts[4][s:e] for _, _, s, e in together[4].sents] == [
        "The board decides.", "We do not publish our accounts."]
    assert [(texts[4][s:e], label, negated) for s, e, label, negated, _ in together[4].cues
            ][:2] == [("The board decides", "old_governance", False),
                      ("not publish", "old_transparency", False)]
