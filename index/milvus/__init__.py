"""Milvus as the home of an index: versions as collections, published by an alias switch."""
