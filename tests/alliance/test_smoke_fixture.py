from alliance.models import Alliance


def test_tree_fixture_builds(tree):
    assert Alliance.objects.get_parent(tree.community_a1).pk == tree.street_a.pk
