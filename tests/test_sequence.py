"""motifnet.sequence: tokens, one-hot, reverse complement, GC, dinucleotide shuffle."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from motifnet.errors import MotifnetError
from motifnet.sequence import (
    N_TOKEN,
    InvalidSequenceError,
    decode,
    dinucleotide_counts,
    dinucleotide_shuffle,
    encode,
    encode_batch,
    gc_content,
    one_hot,
    reverse_complement,
    reverse_complement_one_hot,
    reverse_complement_tokens,
)

dna = st.text(alphabet="ACGT", min_size=0, max_size=60)
dna_n = st.text(alphabet="ACGTN", min_size=1, max_size=60)
token_rows = st.lists(st.integers(0, 4), min_size=1, max_size=80).map(lambda v: np.array(v, dtype=np.uint8))
settings.register_profile("fast", max_examples=60, deadline=None)
settings.load_profile("fast")


def test_encode_values_case_and_rna():
    assert encode("ACGTN").tolist() == [0, 1, 2, 3, 4]
    assert encode("acgtn").tolist() == [0, 1, 2, 3, 4]
    assert encode("ACGU").tolist() == encode("ACGT").tolist()
    assert encode("RYSWKMBDHV").tolist() == [N_TOKEN] * 10
    assert encode("ACGT").dtype == np.uint8


@given(dna)
def test_encode_decode_round_trip(text):
    assert decode(encode(text)) == text
    assert decode(encode(text.replace("T", "U")), "RNA") == text.replace("T", "U")


def test_decode_maps_ambiguity_codes_to_n():
    assert decode(encode("ARYN")) == "ANNN"


@pytest.mark.parametrize("bad", ["ACGX", "AC GT", "ACG*", "ACGé", "AC1"])
def test_encode_rejects_non_iupac(bad):
    with pytest.raises(MotifnetError, match="not a nucleotide"):
        encode(bad, record="r1")


def test_encode_error_names_record_and_position():
    with pytest.raises(MotifnetError) as info:
        encode("ACGZ", record="peak7")
    assert "peak7" in str(info.value) and "'Z'" in str(info.value) and "position 4" in str(info.value)


@given(st.lists(dna_n, min_size=1, max_size=12))
def test_encode_batch_pads_with_n_and_keeps_lengths(texts):
    tokens, lengths = encode_batch(texts)
    assert tokens.dtype == np.uint8 and tokens.shape == (len(texts), max(map(len, texts)))
    assert lengths.tolist() == [len(t) for t in texts]
    for row, text in zip(tokens, texts):
        assert decode(row[: len(text)]) == text
        assert (row[len(text) :] == N_TOKEN).all()


def test_encode_batch_reports_index_and_position_of_bad_character():
    with pytest.raises(InvalidSequenceError) as info:
        encode_batch(["ACGT", "AC", "ACQT"], record_ids=["a", "b", "c"])
    assert (info.value.index, info.value.position, info.value.record) == (2, 2, "c")


def test_encode_batch_too_long_for_given_length():
    with pytest.raises(MotifnetError, match="exceeds 3"):
        encode_batch(["ACG", "ACGT"], length=3)
    tokens, _ = encode_batch(["AC"], length=5)
    assert tokens.tolist() == [[0, 1, 4, 4, 4]]


@given(st.lists(token_rows, min_size=1, max_size=4).filter(lambda rows: len({len(r) for r in rows}) == 1))
def test_one_hot_shape_columns_and_n_zero(rows):
    tokens = np.stack(rows)
    x = one_hot(tokens)
    assert x.shape == (len(rows), 4, tokens.shape[1]) and x.dtype == torch.float32
    sums = x.sum(dim=1).numpy()
    assert (sums == (tokens < N_TOKEN)).all()  # one 1 per called base, N columns all zero
    called = tokens < N_TOKEN
    assert (x.argmax(dim=1).numpy()[called] == tokens[called]).all()


def test_one_hot_single_sequence_and_tensor_input():
    x = one_hot(encode("ACGTN"))
    assert x.shape == (4, 5)
    assert torch.equal(x, one_hot(torch.from_numpy(encode("ACGTN"))))
    assert one_hot(encode("AC"), dtype=torch.float64).dtype == torch.float64


@given(token_rows)
def test_reverse_complement_tokens_is_involution_and_matches_strings(tokens):
    twice = reverse_complement_tokens(reverse_complement_tokens(tokens))
    assert (twice == tokens).all()
    assert decode(reverse_complement_tokens(tokens)) == reverse_complement(decode(tokens))


@given(token_rows)
def test_reverse_complement_one_hot_commutes_with_encoding(tokens):
    x = one_hot(tokens[None])
    assert torch.equal(reverse_complement_one_hot(x), one_hot(reverse_complement_tokens(tokens)[None]))
    assert torch.equal(reverse_complement_one_hot(reverse_complement_one_hot(x)), x)
    as_numpy = reverse_complement_one_hot(x.numpy())
    assert isinstance(as_numpy, np.ndarray) and np.array_equal(as_numpy, reverse_complement_one_hot(x).numpy())


def test_reverse_complement_string_keeps_case_and_iupac():
    assert reverse_complement("AACGTn") == "nACGTT"
    assert reverse_complement("RY") == "RY"
    assert reverse_complement("acgu") == "acgt"


def test_gc_content_ignores_n_and_gives_nan_without_bases():
    gc = gc_content(np.stack([encode("GGCCAANN"), encode("NNNNNNNN")]))
    assert gc[0] == pytest.approx(4 / 6)
    assert np.isnan(gc[1])


@given(st.text(alphabet="ACGT", min_size=0, max_size=120), st.integers(0, 2**32 - 1))
def test_dinucleotide_shuffle_preserves_pairs_and_ends(text, seed):
    tokens = encode(text)
    shuffled = dinucleotide_shuffle(tokens, seed=seed)
    assert shuffled.dtype == tokens.dtype and shuffled.shape == tokens.shape
    assert (dinucleotide_counts(shuffled) == dinucleotide_counts(tokens)).all()
    if len(text):
        assert shuffled[0] == tokens[0] and shuffled[-1] == tokens[-1]


@given(st.text(alphabet="ACGTN", min_size=3, max_size=80), st.integers(0, 1000))
def test_dinucleotide_shuffle_with_n_is_seeded(text, seed):
    tokens = encode(text)
    first = dinucleotide_shuffle(tokens, seed=seed)
    assert (first == dinucleotide_shuffle(tokens, seed=seed)).all()
    assert (dinucleotide_counts(first) == dinucleotide_counts(tokens)).all()


def test_dinucleotide_shuffle_changes_sequences_and_depends_on_seed():
    tokens = encode("ACGTTGCAAGCTTAGCCGATATCGGCTAAGCTTGCAACGT" * 3)
    a, b = dinucleotide_shuffle(tokens, seed=1), dinucleotide_shuffle(tokens, seed=2)
    assert not np.array_equal(a, tokens) and not np.array_equal(a, b)
    rng_result = dinucleotide_shuffle(tokens, seed=np.random.default_rng(1))
    assert np.array_equal(rng_result, a)


def test_dinucleotide_shuffle_batch_keeps_padding_in_place():
    tokens, lengths = encode_batch(["ACGTACGGTCA", "TTGCA", "GGAC"])
    out = dinucleotide_shuffle(tokens, lengths, seed=0)
    for row, new, n in zip(tokens, out, lengths):
        assert (new[n:] == N_TOKEN).all()
        assert (dinucleotide_counts(new[:n]) == dinucleotide_counts(row[:n])).all()
    assert np.array_equal(out, dinucleotide_shuffle(tokens, lengths, seed=0))


def test_dinucleotide_shuffle_keeps_dtype_and_matches_rows_and_vectors():
    tokens = encode("ACGTTGCAAGCTTAGCCGATATCGGCTAAGCTTGCAACGT")
    as_int = dinucleotide_shuffle(tokens.astype(np.int64), seed=5)
    assert as_int.dtype == np.int64 and np.array_equal(as_int, dinucleotide_shuffle(tokens, seed=5))
    assert np.array_equal(dinucleotide_shuffle(tokens[None], seed=5)[0], dinucleotide_shuffle(tokens, seed=5))
    assert dinucleotide_shuffle(np.zeros((0, 7), np.uint8), seed=1).shape == (0, 7)


def test_dinucleotide_shuffle_refuses_foreign_tokens_and_bad_lengths():
    with pytest.raises(MotifnetError, match="0..4"):
        dinucleotide_shuffle(np.array([0, 1, 7, 2], np.uint8))
    with pytest.raises(MotifnetError, match="0..4"):
        dinucleotide_shuffle(np.array([0, -1, 2], np.int64))
    with pytest.raises(MotifnetError, match="lengths"):
        dinucleotide_shuffle(np.zeros((2, 5), np.uint8), lengths=[5, 6])
    with pytest.raises(MotifnetError, match="lengths"):
        dinucleotide_shuffle(np.zeros((2, 5), np.uint8), lengths=[5])


def test_dinucleotide_shuffle_is_roughly_uniform_over_eulerian_paths():
    # the three walks from A to A that use the pairs AC, CA, AG, GA, AC, CA: each one appears
    tokens = encode("ACAGACA")
    seen = {decode(dinucleotide_shuffle(tokens, seed=s)) for s in range(60)}
    assert seen == {"ACAGACA", "ACACAGA", "AGACACA"}
