"""An independent sample implementation of SPEC.md: a sqlite server and sqlite devices."""
