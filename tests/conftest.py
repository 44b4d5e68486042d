pytest_plugins = [
    "tests.support.databases",
    "tests.support.jobenv",
    "tests.support.redis_server",
    "tests.support.siasn",
]
