from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the demo platform: `seed_demo`, `seed_platform`, `demo_totp`. Nothing in the
    portal, workflows or records imports it (the import contract says so)."""

    name = "demo"
    verbose_name = "Demo"
