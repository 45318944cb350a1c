"""A pytest plugin for runs of luisy's own test suite (tests/test_luisy_contract.py).

luisy's tests call `unittest.TestCase.assertEquals`, an alias of `assertEqual` that Python 3.12
removed; the alias is put back for them. The report header names the luisy under test, so the
run can show it is the installed one and not the clone's source.
"""

import unittest

import luisy

if not hasattr(unittest.TestCase, "assertEquals"):
    unittest.TestCase.assertEquals = unittest.TestCase.assertEqual


def pytest_report_header(config):
    return f"luisy under test: {luisy.__file__}"
