"""Verifiable audit trail: Merkle log, checkpoints, export and offline verification."""
