"""Readers and writers of sequence, interval and motif files."""
