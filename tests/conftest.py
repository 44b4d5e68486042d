pytest_plugins = [
    "tests.support.databases",
    "tests.support.jobenv",
]
