"""Helpers the tests share: a jikimi home driven through the CLI, sandbox configs, seeded stores.

Not test modules: pytest collects nothing here, and no test imports another test module.
"""
