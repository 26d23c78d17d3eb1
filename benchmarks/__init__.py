"""What ``nox -s bench`` measures: races against its peers and against the theory."""
