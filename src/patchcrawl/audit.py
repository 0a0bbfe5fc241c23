"""Claims + metadata -> findings (with fix edits). Never touches the network."""
