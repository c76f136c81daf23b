"""What every layer stands on: the document and chunk records, and the domain errors."""
