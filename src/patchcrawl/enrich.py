"""Edits -> unified diff / atomic in-place writes."""
