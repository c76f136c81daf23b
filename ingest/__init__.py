"""Loading documents, Arabic-aware normalisation and structure-aware chunking."""
