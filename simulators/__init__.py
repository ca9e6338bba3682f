"""Loopback simulators of the vendor HTTP APIs, for tests and development."""
