"""The demo studio, one module per app, seeded in layer order (orders' demo seeds the front
desk's, which builds on its orders). Each module has `demo_seed(now=...) -> dict` and may have
`demo_present() -> bool`; everything goes through the apps' own services, so the demo obeys
every rule the staff do."""
from importlib import import_module
from types import ModuleType

DEMO_MODULES = ("orders", "targets", "membership", "callbacks", "complaints")


def demo_modules() -> list[ModuleType]:
    return [import_module(f"{__name__}.{name}") for name in DEMO_MODULES]


def demo_seed_rest(*, now) -> dict[str, int]:
    """Every module's demo after orders' (whose size the caller chose): targets, members,
    callbacks, complaints. Returns the counts."""
    counts: dict[str, int] = {}
    for module in demo_modules():
        if module.__name__ != f"{__name__}.orders":
            counts.update(module.demo_seed(now=now))
    return counts
