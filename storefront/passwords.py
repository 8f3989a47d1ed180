"""What a staff password must be (NIST SP 800-63B, as a real login page asks): long enough,
not too long to hash, and not one that attackers try first."""

import re

from .config import DEMO_ADMIN_PASSWORD

MIN_LENGTH = 12
MAX_LENGTH = 128

# The commonest passwords of at least MIN_LENGTH characters in public breach lists, and the demo
# login this project prints in its README: a real account must never have one of them.
KNOWN_BAD = {
    DEMO_ADMIN_PASSWORD,
    "123456789012",
    "1234567890123",
    "12345678910",
    "123456789123",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "abcdefghijkl",
    "abc123456789",
    "administrator",
    "admin1234567",
    "admin@123456",
    "iloveyou1234",
    "letmein12345",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "p@ssw0rd1234",
    "qwerty123456",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertyuiopasdfgh",
    "welcome12345",
    "changeme1234",
    "points-storefront",
    "pointsstorefront",
}


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new staff password, in sentences; empty when it will do."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"use at most {MAX_LENGTH} characters")
    folded = password.strip().lower()
    local_part = email.split("@")[0].lower()
    if folded in KNOWN_BAD or re.fullmatch(r"(.)\1*", folded or "x") or (len(local_part) >= 4 and local_part in folded):
        problems.append("it is a well-known password, or made of your email or one repeated character")
    return problems
