"""Benchmarks: synthetic corpora, ingest and query speed, and a tutorial-RAG baseline (see bench/README.md)."""
