"""The engines that serve an index version: their protocols, the local and Milvus backends, and
the factory that picks them by setting."""
