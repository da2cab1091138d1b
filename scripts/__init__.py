"""Developer scripts (not part of the package: neither the wheel nor the sdist ships them)."""
