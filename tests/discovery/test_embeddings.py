import numpy as np
import pytest

from governance.discovery import embeddings


def test_minilm_reproduces_the_sentence_transformers_reference():
    # sentence-transformers' documented example for all-MiniLM-L6-v2 (sbert.net, "Semantic
    # Textual Similarity"): cosine 0.7553 for these two sentences.
    vectors = embeddings.embed(["A man is eating food.", "A man is eating a piece of bread."])
    assert vectors.shape == (2, embeddings.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.7553, abs=5e-4)


def test_paraphrases_are_closer_than_unrelated_text():
    a, b, c = embeddings.embed(
        ["photorealistic portrait", "lifelike photo of a face", "a tiny anime cat"]
    )
    assert a @ b > a @ c + 0.2


def test_batching_and_padding_do_not_change_an_embedding():
    texts = ["short", "a considerably longer sentence about stop-motion claymation videos " * 3]
    together = embeddings.embed(texts)
    alone = np.vstack([embeddings.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_a_missing_model_is_a_clear_error(settings, tmp_path):
    settings.HUBGATE_EMBEDDING_MODEL_DIR = str(tmp_path)
    with pytest.raises(embeddings.EmbeddingModelMissing, match="lexical search keeps working"):
        embeddings.get_encoder()
