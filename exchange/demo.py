"""placeholder"""


def seed_exchange(ctx) -> None:
    return None
