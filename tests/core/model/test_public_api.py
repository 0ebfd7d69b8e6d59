from __future__ import annotations

import msgspec

import junction.core.model as model


def test_every_exported_name_exists() -> None:
    assert sorted(model.__all__) == sorted(set(model.__all__))
    assert all(hasattr(model, name) for name in model.__all__)


def test_every_struct_resolves_its_annotations_and_has_a_json_schema() -> None:
    # The modules use `from __future__ import annotations`, so msgspec resolves the
    # string annotations lazily; an unresolvable one would only fail at first use.
    structs = [
        value
        for value in vars(model).values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct)
    ]

    _, components = msgspec.json.schema_components(structs)

    assert {s.__name__ for s in structs} <= components.keys()
    event = components["Event"]["properties"]
    assert {"messageId", "userId", "anonymousId", "originalTimestamp"} <= event.keys()
