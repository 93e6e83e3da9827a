from mer_keras.data.records import Item
from mer_keras.data.splits import check_disjoint, make_split


def _items(n_items, n_groups):
    return [Item(item_id=f"i{k}", group=f"g{k % n_groups}", path=None) for k in range(n_items)]


def test_no_group_on_two_sides():
    items = _items(300, 70)
    split = make_split(items, seed=3)
    check_disjoint(split, items)
    group_of = {item.item_id: item.group for item in items}
    sides = [{group_of[i] for i in split[part]} for part in ("train", "validation", "test")]
    assert not (sides[0] & sides[1]) and not (sides[0] & sides[2]) and not (sides[1] & sides[2])
    assert sum(len(split[p]) for p in ("train", "validation", "test")) == 300


def test_deam_sized_song_split_matches_study():
    split = make_split(_items(1744, 1744), seed=0)
    assert len(split["test"]) == 349
    assert len(split["train"]) + len(split["validation"]) == 1395


def test_seeded_and_different_across_seeds():
    items = _items(100, 100)
    assert make_split(items, seed=1) == make_split(items, seed=1)
    assert make_split(items, seed=1)["test"] != make_split(items, seed=2)["test"]
