"""ID-mapping rules, on the pure in-memory graph: attach, merge, limits, priority."""

from __future__ import annotations

from datetime import UTC, datetime

from junction.core.identity import IdentityGraph, IdentityRules, Key, Observation

AT = datetime(2026, 1, 1, tzinfo=UTC)


def key(type: str, value: str, scope: str = "") -> Key:
    return Key(type, scope, value)


def observe(graph: IdentityGraph, ref: int, *keys: Key) -> int | None:
    return graph.observe(Observation(ref, f"m{ref}", 1, keys, AT, {}))


def test_unknown_identifiers_make_a_new_profile_known_ones_attach() -> None:
    graph = IdentityGraph(IdentityRules(), owners={})
    first = observe(graph, 1, key("anonymous_id", "a1"))
    second = observe(graph, 2, key("anonymous_id", "a1"), key("user_id", "u1"))
    plan = graph.plan()
    assert first == second
    assert plan.new_profiles == [first]
    assert plan.links == {key("anonymous_id", "a1"): first, key("user_id", "u1"): first}
    assert plan.merges == [] and plan.conflicts == []


def test_an_event_linking_two_profiles_merges_them_into_the_older() -> None:
    owners = {key("anonymous_id", "a1"): 7, key("email", "h1"): 3}
    graph = IdentityGraph(IdentityRules(), owners=owners)
    profile = observe(graph, 1, key("anonymous_id", "a1"), key("email", "h1"))
    plan = graph.plan()
    assert profile == 3
    (merge,) = plan.merges
    assert (merge.survivor, merge.merged, merge.message_id) == (3, 7, "m1")
    assert merge.survivor_keys == (key("email", "h1"),)
    assert merge.merged_keys == (key("anonymous_id", "a1"),)


def test_a_merge_that_would_break_a_limit_is_refused_and_recorded() -> None:
    owners = {key("user_id", "u1"): 1, key("user_id", "u2"): 2, key("anonymous_id", "a"): 2}
    graph = IdentityGraph(IdentityRules(), owners=owners)
    profile = observe(graph, 1, key("user_id", "u1"), key("anonymous_id", "a"))
    plan = graph.plan()
    assert profile == 1
    assert plan.merges == []
    (conflict,) = plan.conflicts
    assert (conflict.kept, conflict.refused, conflict.key) == (1, 2, key("anonymous_id", "a"))
    assert "two user_id values" in conflict.reason


def test_higher_priority_identifier_keeps_the_event() -> None:
    # The device belongs to u1's profile; an event from u2 on the same device must not
    # be filed under u1 just because the device id was seen first.
    owners = {key("user_id", "u1"): 1, key("idfa", "D"): 1}
    graph = IdentityGraph(IdentityRules(), owners=owners)
    profile = observe(graph, 1, key("idfa", "D"), key("user_id", "u2"))
    plan = graph.plan()
    assert profile == plan.new_profiles[0] and profile < 0
    assert plan.links == {key("user_id", "u2"): profile}
    (conflict,) = plan.conflicts
    assert (conflict.kept, conflict.refused) == (profile, 1)


def test_second_value_of_a_limited_type_is_refused_without_a_merge() -> None:
    owners = {key("phone", "p1"): 5}
    graph = IdentityGraph(IdentityRules(), owners=owners, limited_keys=[(5, key("phone", "p1"))])
    observe(graph, 1, key("phone", "p1"), key("phone", "p2"))
    plan = graph.plan()
    assert plan.links == {}
    (conflict,) = plan.conflicts
    assert conflict.key == key("phone", "p2")
    assert "already has a different phone" in conflict.reason


def test_openids_are_limited_per_app_not_overall() -> None:
    graph = IdentityGraph(IdentityRules(), owners={})
    profile = observe(
        graph,
        1,
        key("user_id", "u"),
        key("wechat_openid", "o-a", "wxA"),
        key("wechat_openid", "o-b", "wxB"),
        key("wechat_openid", "o-a2", "wxA"),
    )
    plan = graph.plan()
    assert plan.links[key("wechat_openid", "o-a", "wxA")] == profile
    assert plan.links[key("wechat_openid", "o-b", "wxB")] == profile
    (conflict,) = plan.conflicts
    assert conflict.key == key("wechat_openid", "o-a2", "wxA")
    assert "for app wxA" in conflict.reason


def test_unlimited_types_collect_many_values() -> None:
    graph = IdentityGraph(IdentityRules(), owners={})
    profile = observe(
        graph, 1, key("user_id", "u"), *(key("anonymous_id", f"a{i}") for i in range(5))
    )
    assert list(graph.plan().links.values()) == [profile] * 6


def test_chained_merges_end_in_one_profile() -> None:
    graph = IdentityGraph(IdentityRules(), owners={})
    a = observe(graph, 1, key("anonymous_id", "a"))
    b = observe(graph, 2, key("anonymous_id", "b"))
    c = observe(graph, 3, key("anonymous_id", "c"))
    observe(graph, 4, key("anonymous_id", "b"), key("anonymous_id", "c"))
    observe(graph, 5, key("anonymous_id", "a"), key("anonymous_id", "c"))
    plan = graph.plan()
    assert len(plan.new_profiles) == 1
    assert set(plan.assignments.values()) == {plan.new_profiles[0]}
    assert a == plan.new_profiles[0] and {b, c} != {a}
