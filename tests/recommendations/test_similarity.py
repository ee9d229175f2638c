from governance.recommendations.similarity import item_item_similarity, neighbor_tuples


def test_models_used_by_the_same_people_are_similar() -> None:
    events = [(u, m, 1.0) for u in ("a", "b", "c", "d") for m in (1, 2)] + [("e", 3, 1.0)]
    matrix = item_item_similarity(events)
    assert [nb.model_id for nb in matrix[1]] == [2]
    assert matrix[1][0].support == 4
    assert 3 not in matrix


def test_few_supporters_are_shrunk_towards_zero() -> None:
    one = item_item_similarity([("a", 1, 1.0), ("a", 2, 1.0)], shrinkage=3.0)
    many = item_item_similarity([(u, m, 1.0) for u in range(30) for m in (1, 2)], shrinkage=3.0)
    assert one[1][0].score == 0.25
    assert many[1][0].score > 0.9


def test_negative_feedback_creates_no_similarity() -> None:
    events = [("a", 1, 1.0), ("a", 2, -1.0), ("b", 1, 1.0), ("b", 2, -0.5)]
    assert item_item_similarity(events) == {}


def test_top_k_and_snapshot_shape() -> None:
    events = [("a", m, 1.0) for m in range(1, 6)]
    matrix = item_item_similarity(events, top_k=2)
    assert len(matrix[1]) == 2
    assert all(isinstance(pair, tuple) and len(pair) == 2 for pair in neighbor_tuples(matrix, 1))
    assert neighbor_tuples(matrix, 99) == ()


def test_a_team_is_a_basket_too_so_teammates_uses_are_linked() -> None:
    from governance.recommendations.similarity import baskets

    events = [(("user", n), ("team", 1), model, 1.0) for n, model in enumerate([1, 2, 1, 2])]
    events.append((("user", 9), None, 3, 1.0))
    assert len(list(baskets(events))) == 9
    matrix = item_item_similarity(baskets(events), shrinkage=0.0)
    assert [nb.model_id for nb in matrix[1]] == [2]  # no person used both; their team did
    assert 3 not in matrix
