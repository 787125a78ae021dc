def brew() -> str:
    return "a potion from " + __name__


def main() -> int:
    print(brew())
    return 0
